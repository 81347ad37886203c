"""Inline SVG charts for the HTML report: dependency-free, small, every text escaped.

Each ``*_svg`` function takes an ``Evidence`` payload (plain JSON types, ``None`` where a number
was NaN) and returns ``(svg, note)``: ``Markup`` holding one ``<svg>`` and a sentence saying what
was left out or cut off (or None). Inputs are reduced to a fixed number of drawn marks, so a
chart's size depends on the chart, never on the dataset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from markupsafe import Markup, escape

WIDTH = 760
MAX_BAR_ROWS = 40
MAX_SEQUENCE_MARKS = 800
MAX_HIST_BINS = 128
MAX_SCATTER_POINTS = 1500
FONT = 11
CHAR_W = 6.4  # average glyph width at FONT px, to size label columns
# A legend entry is cut to this many characters; the entries wrap onto more rows as needed,
# so one as long as "most confident predictions labelled otherwise" (46) stays whole.
LEGEND_CHARS = 48
# Tableau 10: distinct, colour-blind-aware, readable on white.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
SPLIT_COLORS = {"train": "#4e79a7", "val": "#f28e2b", "test": "#59a14f"}
MISSING_COLOR = "#c9c9c9"

Chart = tuple[Markup, "str | None"]


def fmt_num(value: Any) -> str:
    """Format a number compactly: ``1,234``, ``0.125``, ``3.20e-05``; other values as text."""
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.2e}"
        return f"{v:.4g}"
    return str(value)


def fmt_pct(share: float) -> str:
    """A share in [0, 1] as a percentage with sensible precision."""
    pct = 100.0 * share
    return f"{pct:.0f}%" if pct >= 10 or pct == 0 else f"{pct:.2g}%"


def value_format(data: Mapping[str, Any]) -> Callable[[Any], str]:
    """How a chart's values read: as percentages (``fmt_pct``) where ``data["percent"]`` is
    true (values are shares in [0, 1]), else compactly (``fmt_num``)."""
    if plain(data.get("percent")) is True:
        return lambda v: fmt_pct(float(v)) if isinstance(v, (int, float, np.number)) else fmt_num(v)
    return fmt_num


def series_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per series: a split's own colour when the name starts with a split name."""
    free = [c for c in PALETTE if c not in SPLIT_COLORS.values()]
    out, used = {}, 0
    for name in names:
        first = str(name).split()[0].lower() if str(name).split() else ""
        color = SPLIT_COLORS.get(first.rstrip(":,"))
        if color is None or color in out.values():
            color, used = free[used % len(free)], used + 1
        out[name] = color
    return out


def class_color(code: int) -> str:
    """Colour of a class code in sequence charts; a missing label (code < 0) is grey."""
    return MISSING_COLOR if code < 0 else PALETTE[code % len(PALETTE)]


_FAST = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back (numpy to Python, tuples to lists, NaN and inf to None).

    The same conversion as ``findings.to_jsonable``, so a report renders alike from a run and
    from its JSON; renderers apply it to the parts they show, so it never walks a whole dataset.
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.dtype.kind == "f":
            out = value.tolist()
            for i in np.flatnonzero(~np.isfinite(value)).tolist():
                out[i] = None
            return out
        if value.dtype.kind in "iub":
            return value.tolist()
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        # ``v - v == 0`` holds for finite floats only: they pass through without a call.
        return [v if type(v) in _FAST or (type(v) is float and v - v == 0) else plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def field(data: Mapping[str, Any], *keys: str, default: Any = ()) -> Any:
    """The first of ``keys`` present (and not None) in ``data``; never tests an array's truth."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return default


def texts(values: Any) -> list[str]:
    """Labels as text, the way they read after a JSON round trip (NaN as ``None``)."""
    return [str(v) for v in plain(values)]


def floats(values: Sequence[Any]) -> np.ndarray:
    """Numbers (a list or an array) as float64; None and what is not a number become NaN."""
    try:
        out = np.asarray(values, dtype=np.float64)  # fast path: numbers and None (-> NaN)
        if out.ndim == 1:
            return out
    except (TypeError, ValueError):
        pass
    return np.array([float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                     else np.nan for v in values], dtype=np.float64)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values inside ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, 12) for k in range(first, int(math.floor(hi / step + 1e-9)) + 1)]


def _text(x: float, y: float, s: Any, *, anchor: str = "start", cls: str = "",
          extra: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}{extra}>{escape(str(s))}</text>'


def _label(data: Mapping[str, Any], default: str, *keys: str) -> str:
    value = plain(field(data, *keys, default=default))
    return default if value is None else str(value)


def _truncate(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _svg(width: float, height: float, body: list[str], label: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
                  f'height="{height:.0f}" role="img" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">{"".join(body)}</svg>')


def _legend(names: Sequence[str], colors: Mapping[str, str], x: float, y: float,
            max_width: float) -> tuple[list[str], float]:
    """Legend swatches laid out in rows from (x, y); returns the parts and the height used."""
    parts, cx, cy = [], x, y + 11
    for name in names:
        label = _truncate(str(name), LEGEND_CHARS)
        w = 15 + CHAR_W * len(label) + 16
        if cx + w > x + max_width and cx > x:
            cx, cy = x, cy + 16
        parts.append(f'<rect x="{cx:.1f}" y="{cy - 9:.1f}" width="10" height="10" rx="2" '
                     f'fill="{colors[name]}"/>')
        parts.append(_text(cx + 14, cy, label))
        cx += w
    return parts, (cy - y + 8) if names else 0.0


class _Frame:
    """A plot area ``[x0, x1] x [y_top, y_bottom]`` with linear scales and axes."""

    def __init__(self, x0: float, x1: float, y_top: float, y_bottom: float,
                 xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.x0, self.x1, self.yt, self.yb = x0, x1, y_top, y_bottom
        self.xlo, self.xhi = xlim
        self.ylo, self.yhi = ylim

    def sx(self, v):
        return self.x0 + (v - self.xlo) / ((self.xhi - self.xlo) or 1.0) * (self.x1 - self.x0)

    def sy(self, v):
        return self.yb - (v - self.ylo) / ((self.yhi - self.ylo) or 1.0) * (self.yb - self.yt)

    def x_axis(self, label: str = "", fmt=fmt_num) -> list[str]:
        parts = [f'<line x1="{self.x0:.1f}" y1="{self.yb:.1f}" x2="{self.x1:.1f}" '
                 f'y2="{self.yb:.1f}" class="axis"/>']
        for t in nice_ticks(self.xlo, self.xhi, 6):
            px = self.sx(t)
            parts.append(f'<line x1="{px:.1f}" y1="{self.yb:.1f}" x2="{px:.1f}" '
                         f'y2="{self.yb + 4:.1f}" class="axis"/>')
            parts.append(_text(px, self.yb + 15, fmt(t), anchor="middle", cls="tick"))
        if label:
            parts.append(_text((self.x0 + self.x1) / 2, self.yb + 30, label, anchor="middle",
                               cls="axis-label"))
        return parts

    def y_axis(self, label: str = "", fmt=fmt_num) -> list[str]:
        parts = [f'<line x1="{self.x0:.1f}" y1="{self.yt:.1f}" x2="{self.x0:.1f}" '
                 f'y2="{self.yb:.1f}" class="axis"/>']
        for t in nice_ticks(self.ylo, self.yhi, 4):
            py = self.sy(t)
            parts.append(f'<line x1="{self.x0:.1f}" y1="{py:.1f}" x2="{self.x1:.1f}" '
                         f'y2="{py:.1f}" class="grid"/>')
            parts.append(_text(self.x0 - 6, py + 3.5, fmt(t), anchor="end", cls="tick"))
        if label:
            mid = (self.yt + self.yb) / 2
            parts.append(_text(11, mid, label, anchor="middle", cls="axis-label",
                               extra=f' transform="rotate(-90 11 {mid:.1f})"'))
        return parts


def _fit(values: np.ndarray, n: int, fill: float) -> np.ndarray:
    """``values`` cut or padded with ``fill`` to length ``n``."""
    return np.r_[values[:n], np.full(max(n - values.size, 0), fill)]


def _keep_rows(totals: np.ndarray, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` rows: the largest and smallest totals, in their given order."""
    n = len(totals)
    if n <= cap:
        return np.arange(n)
    order = np.argsort(np.nan_to_num(totals, nan=-np.inf), kind="stable")
    half = cap // 2
    return np.sort(np.concatenate([order[:half], order[n - (cap - half):]]))


def bars_svg(data: Mapping[str, Any]) -> Chart:
    """Horizontal grouped bars: one row per label, one bar per series (e.g. per split)."""
    labels = texts(field(data, "labels"))
    raw = field(data, "series", default={})
    if not labels or not isinstance(raw, Mapping) or not raw:
        raise ValueError("bars need 'labels' and 'series'")
    names = [str(k) for k in raw]
    vals = np.vstack([_fit(floats(v), len(labels), np.nan) for v in raw.values()])
    keep = _keep_rows(np.nansum(np.nan_to_num(vals, nan=0.0), axis=0), MAX_BAR_ROWS)
    # ``n_labels``: how many labels there are when the evidence holds only some of them.
    total = max(int(field(data, "n_labels", default=len(labels)) or len(labels)), len(labels))
    note = None
    if len(keep) < len(labels):
        note = (f"Showing {len(keep)} of {total:,} labels: the "
                f"{len(keep) - MAX_BAR_ROWS // 2} largest and {MAX_BAR_ROWS // 2} smallest totals"
                + (f" of the {len(labels):,} held in the evidence." if total > len(labels) else "."))
    elif total > len(labels):
        note = f"Showing {len(keep)} of {total:,} labels: those held in the evidence."
    colors = series_colors(names)
    fmt = value_format(data)
    shown = [labels[i] for i in keep]
    label_w = min(max(CHAR_W * len(s) for s in shown), 190) + 12
    body, legend_h = _legend(names, colors, label_w, 0, WIDTH - label_w) if len(names) > 1 else ([], 0)
    bar_h = 12 if len(names) == 1 else max(6, 22 // len(names))
    row_h = bar_h * len(names) + 6
    top = legend_h + 4
    vmax = float(np.nanmax(np.where(np.isfinite(vals), vals, np.nan))) if np.isfinite(vals).any() else 1.0
    frame = _Frame(label_w, WIDTH - 64, top, top + row_h * len(keep), (0.0, max(vmax, 1e-12)), (0, 1))
    for r, i in enumerate(keep):
        y = top + r * row_h
        body.append(f'<g><title>{escape(labels[i])}</title>'
                    + _text(label_w - 6, y + row_h / 2 + 3.5, _truncate(labels[i], 30), anchor="end")
                    + "</g>")
        for j, name in enumerate(names):
            v = vals[j, i]
            by = y + 3 + j * bar_h
            if np.isfinite(v):
                w = max(frame.sx(max(v, 0.0)) - label_w, 0.0)
                body.append(f'<rect x="{label_w:.1f}" y="{by:.1f}" width="{w:.1f}" '
                            f'height="{bar_h - 1:.1f}" fill="{colors[name]}"><title>'
                            f'{escape(name)}: {escape(fmt(v))}</title></rect>')
                body.append(_text(label_w + w + 4, by + bar_h - 2, fmt(v), cls="value"))
            else:
                body.append(_text(label_w + 4, by + bar_h - 2, "—", cls="value"))
    body += frame.x_axis()
    return _svg(WIDTH, frame.yb + 22, body, "bar chart"), note


def sequence_svg(data: Mapping[str, Any]) -> Chart:
    """Label codes in row order: each run of one label drawn as a segment, plus a colour strip."""
    values = floats(field(data, "values"))
    codes = np.where(np.isfinite(values), values, -1).astype(np.int64)
    if codes.size == 0:
        raise ValueError("sequence needs 'values'")
    names = texts(field(data, "labels"))
    # ``stride``: the values are every stride-th label of the split, so positions scale by it.
    stride = plain(data.get("stride"))
    stride = stride if isinstance(stride, int) and stride > 1 else 1
    n = codes.size
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    exact = starts.size <= MAX_SEQUENCE_MARKS
    if exact:
        ends = np.r_[starts[1:], n]
    else:  # too many runs to draw: one mark per evenly spaced position
        starts = (np.arange(MAX_SEQUENCE_MARKS) * n) // MAX_SEQUENCE_MARKS
        ends = np.r_[starts[1:], n]
    run_codes = codes[starts]
    present = np.unique(codes)
    row_of = {int(c): k for k, c in enumerate(present)}

    def row_name(c: int) -> str:
        if c < 0:
            return "(missing)"
        return names[c] if c < len(names) else str(c)

    labelled = present.size <= 24
    label_w = (min(max(CHAR_W * len(row_name(int(c))) for c in present), 150) + 14) if labelled else 40
    plot_h = float(np.clip(present.size * 14, 70, 230))
    frame = _Frame(label_w, WIDTH - 12, 8, 8 + plot_h, (0.0, float(n * stride)), (-0.5, present.size - 0.5))
    body = []
    if labelled:
        for c in present:
            y = frame.sy(row_of[int(c)])
            body.append(f'<line x1="{frame.x0:.1f}" y1="{y:.1f}" x2="{frame.x1:.1f}" y2="{y:.1f}" '
                        f'class="grid"/>')
            body.append(_text(label_w - 6, y + 3.5, _truncate(row_name(int(c)), 22), anchor="end"))
    else:
        def code_at(row: float) -> str:
            return fmt_num(int(present[int(np.clip(round(row), 0, present.size - 1))]))

        body += frame.y_axis("label code", fmt=code_at)
    previous = None
    for s, e, c in zip((starts * stride).tolist(), (ends * stride).tolist(), run_codes.tolist()):
        y = frame.sy(row_of[c])
        x0, x1 = frame.sx(s), frame.sx(e)
        if exact:
            if previous is not None:
                body.append(f'<line x1="{x0:.1f}" y1="{previous:.1f}" x2="{x0:.1f}" y2="{y:.1f}" '
                            f'class="connector"/>')
            body.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{max(x1, x0 + 1):.1f}" y2="{y:.1f}" '
                        f'stroke="{class_color(c)}" stroke-width="3"/>')
            previous = y
        else:
            body.append(f'<rect x="{x0:.1f}" y="{y - 1.5:.1f}" width="1.6" height="3" '
                        f'fill="{class_color(c)}"/>')
    strip_y = frame.yb + 6
    for s, e, c in zip((starts * stride).tolist(), (ends * stride).tolist(), run_codes.tolist()):
        x0, x1 = frame.sx(s), frame.sx(e)
        body.append(f'<rect x="{x0:.2f}" y="{strip_y:.1f}" width="{max(x1 - x0, 0.6):.2f}" '
                    f'height="10" fill="{class_color(c)}"/>')
    axis = _Frame(frame.x0, frame.x1, frame.yt, strip_y + 12, (frame.xlo, frame.xhi), (0, 1))
    body += axis.x_axis("position in the split (row order)")
    note = None
    if not exact:
        n_runs = int(np.count_nonzero(codes[1:] != codes[:-1])) + 1
        note = (f"{n:,} labels in {n_runs:,} runs; one label drawn every "
                f"{n * stride / MAX_SEQUENCE_MARKS:,.1f} positions.")
    return _svg(WIDTH, axis.yb + 36, body, "label sequence"), note


def histogram_svg(data: Mapping[str, Any]) -> Chart:
    """Overlaid histograms, each series normalized to shares so splits of any size compare."""
    edges = floats(field(data, "edges"))
    raw = field(data, "series", default={})
    m = edges.size - 1
    if m < 1 or not isinstance(raw, Mapping) or not raw or not np.isfinite(edges).all():
        raise ValueError("histogram needs finite 'edges' and 'series'")
    names = [str(k) for k in raw]
    counts = np.vstack([np.nan_to_num(_fit(floats(v), m, 0.0)) for v in raw.values()])
    if m > MAX_HIST_BINS:
        factor = math.ceil(m / MAX_HIST_BINS)
        idx = np.arange(0, m, factor)
        counts = np.add.reduceat(counts, idx, axis=1)
        edges = np.r_[edges[idx], edges[-1]]
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    top = float(shares.max()) if shares.size else 0.0
    second = float(np.sort(shares, axis=1)[:, -2].max()) if shares.shape[1] > 1 else top
    clipped = second > 0 and top > 3 * second
    ymax = second * 1.6 if clipped else max(top, 1e-12)
    colors = series_colors(names)
    body, legend_h = _legend(names, colors, 60, 0, WIDTH - 60)
    frame = _Frame(60, WIDTH - 14, legend_h + 6, legend_h + 6 + 150,
                   (float(edges[0]), float(edges[-1])), (0.0, ymax))
    body += frame.y_axis("share", fmt=fmt_pct)
    xs = frame.sx(edges)
    for name, row in zip(names, shares):
        ys = frame.sy(np.minimum(row, ymax))
        pts = [f"{xs[0]:.1f},{frame.yb:.1f}"]
        for k in range(len(row)):
            pts.append(f"{xs[k]:.1f},{ys[k]:.1f} {xs[k + 1]:.1f},{ys[k]:.1f}")
        pts.append(f"{xs[-1]:.1f},{frame.yb:.1f}")
        body.append(f'<polyline points="{" ".join(pts)}" fill="{colors[name]}" fill-opacity="0.10" '
                    f'stroke="{colors[name]}" stroke-width="1.5"><title>{escape(name)}</title></polyline>')
    note = None
    if clipped:
        cut = np.flatnonzero((shares > ymax).any(axis=0))
        for k in cut:
            cx = (xs[k] + xs[k + 1]) / 2
            body.append(_text(cx, frame.yt + 9, "▲", anchor="middle", cls="clip"))
        k = int(cut[0])
        parts = ", ".join(f"{n} {fmt_pct(float(shares[i, k]))}" for i, n in enumerate(names)
                          if shares[i, k] > ymax)
        note = (f"Bars marked ▲ are cut off to show the rest; bin {fmt_num(float(edges[k]))}–"
                f"{fmt_num(float(edges[k + 1]))}: {parts}.")
    body += frame.x_axis(_label(data, "value", "x_label", "xlabel"))
    return _svg(WIDTH, frame.yb + 38, body, "histogram"), note


def _scatter_groups(data: Mapping[str, Any]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Normalize the accepted scatter payloads into ``(name, x, y)`` groups.

    Accepted: ``series`` as name -> ``{"x": [...], "y": [...]}`` or name -> ``[[x, y], ...]``;
    or ``x`` and ``y`` lists with ``series`` a per-point group list, a single name, or absent.
    """
    series = plain(data.get("series")) if not isinstance(data.get("series"), Mapping) else data["series"]
    if isinstance(series, Mapping):
        out = []
        for name, pts in series.items():
            if isinstance(pts, Mapping):
                out.append((str(name), floats(field(pts, "x")), floats(field(pts, "y"))))
            else:
                arr = [p for p in plain(pts) or [] if isinstance(p, list) and len(p) >= 2]
                out.append((str(name), floats([p[0] for p in arr]), floats([p[1] for p in arr])))
        return out
    x, y = floats(field(data, "x")), floats(field(data, "y"))
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    if isinstance(series, list) and len(series) == n:
        groups = np.array([str(s) for s in series], dtype=object)
        return [(str(g), x[groups == g], y[groups == g]) for g in dict.fromkeys(groups.tolist())]
    return [(str(series) if isinstance(series, str) else "samples", x, y)]


def scatter_svg(data: Mapping[str, Any]) -> Chart:
    """Points per group; identical points are merged into one dot sized by their count."""
    groups = [(n, x[np.isfinite(x) & np.isfinite(y)], y[np.isfinite(x) & np.isfinite(y)])
              for n, x, y in _scatter_groups(data)]
    groups = [g for g in groups if g[1].size]
    if not groups:
        raise ValueError("scatter needs finite 'x' and 'y'")
    allx = np.concatenate([g[1] for g in groups])
    ally = np.concatenate([g[2] for g in groups])

    def padded(v: np.ndarray) -> tuple[float, float]:
        lo, hi = float(v.min()), float(v.max())
        pad = (hi - lo) * 0.06 or max(abs(lo) * 0.1, 1.0)
        return lo - pad, hi + pad

    names = [g[0] for g in groups]
    colors = series_colors(names)
    body, legend_h = _legend(names, colors, 64, 0, WIDTH - 64) if len(groups) > 1 else ([], 0)
    frame = _Frame(64, WIDTH - 14, legend_h + 6, legend_h + 6 + 220, padded(allx), padded(ally))
    body += frame.y_axis(_label(data, "y", "y_label", "ylabel"))
    budget = max(MAX_SCATTER_POINTS // len(groups), 1)
    dropped = merged = 0
    for name, x, y in groups:
        # one complex number per point: a 1-D unique, far faster than unique rows
        keys, counts = np.unique(x + 1j * y, return_counts=True)
        pts = np.column_stack([keys.real, keys.imag])
        merged += x.size - len(pts)
        if len(pts) > budget:  # keep the rarest points: outliers are what a reader looks for
            keep = np.argsort(counts, kind="stable")[:budget]
            dropped += len(pts) - budget
            pts, counts = pts[keep], counts[keep]
        for (px, py), c in zip(pts.tolist(), counts.tolist()):
            r = 3.0 + 2.0 * math.log10(c)
            body.append(f'<circle cx="{frame.sx(px):.1f}" cy="{frame.sy(py):.1f}" r="{r:.1f}" '
                        f'fill="{colors[name]}" fill-opacity="0.55" stroke="{colors[name]}">'
                        f'<title>{escape(name)}: ({escape(fmt_num(px))}, {escape(fmt_num(py))})'
                        f'{" × " + escape(fmt_num(c)) if c > 1 else ""}</title></circle>')
    body += frame.x_axis(_label(data, "x", "x_label", "xlabel"))
    note = "A larger dot stands for several samples at the same point." if merged else None
    if dropped:
        note = f"{note + ' ' if note else ''}{dropped:,} of the most common points are not drawn."
    return _svg(WIDTH, frame.yb + 38, body, "scatter plot"), note
