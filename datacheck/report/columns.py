"""The per-column overview in the HTML report: train and test on the same axes, drift first.

Reads only ``Report.columns`` (see ``datacheck.scan.columns`` for what each entry holds). The
columns are sorted drifted first, then by their largest Kolmogorov-Smirnov distance to the
training split; the first ``TOP_COLUMNS`` are drawn as paired histograms with their
statistics, the next ``MAX_TABLE_ROWS`` fill a compact table and the rest are counted (the
JSON report holds them all), so the page stays small on a table of thousands of columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from markupsafe import Markup, escape

from datacheck.report import plots
from datacheck.report.findings import Report

TOP_COLUMNS = 12
MAX_TABLE_ROWS = 300
CHART_W, CHART_H = 420, 96


def columns_view(report: Report) -> dict | None:
    """What the template's column section needs, or None when the report has no overview.

    Returns
    -------
    dict or None
        ``splits`` (names in report order), ``eval_splits`` (those compared with the
        training split), ``top`` (drawn columns), ``rest`` (compact table rows), ``n_more``
        (columns in neither), ``n_columns``, ``n_drifted`` and ``drifted`` (names, at most 10).
    """
    cols = [c for c in report.columns if isinstance(c, Mapping) and c.get("name") is not None]
    if not cols:
        return None
    splits: list[str] = []
    for c in cols:
        splits += [s for s in (c.get("splits") or {}) if s not in splits]
    eval_splits = []
    for c in cols:
        eval_splits += [s for s in (c.get("drift") or {}) if s not in eval_splits]
    ranked = sorted(range(len(cols)), key=lambda i: _rank(cols[i], i))
    drifted = [cols[i]["name"] for i in ranked if _drifted(cols[i])]
    top = [_top_view(cols[i], splits, eval_splits) for i in ranked[:TOP_COLUMNS]]
    rest = [_row_view(cols[i], splits, eval_splits) for i in ranked[TOP_COLUMNS:TOP_COLUMNS + MAX_TABLE_ROWS]]
    return {"splits": splits, "eval_splits": eval_splits, "top": top, "rest": rest,
            "n_more": max(len(cols) - TOP_COLUMNS - MAX_TABLE_ROWS, 0), "n_columns": len(cols),
            "n_drifted": len(drifted), "drifted": [str(n) for n in drifted[:10]],
            "colors": plots.series_colors(splits)}


def _drifted(col: Mapping) -> bool:
    return any(bool(d.get("drifted")) for d in (col.get("drift") or {}).values() if isinstance(d, Mapping))


def _max_ks(col: Mapping) -> float | None:
    values = [d.get("ks") for d in (col.get("drift") or {}).values() if isinstance(d, Mapping)]
    values = [float(v) for v in values if isinstance(v, (int, float))]
    return max(values) if values else None


def _rank(col: Mapping, i: int) -> tuple:
    ks = _max_ks(col)
    return (not _drifted(col), -(ks if ks is not None else -1.0), i)


def _drift_cells(col: Mapping, eval_splits: Sequence[str]) -> list[dict]:
    out = []
    for s in eval_splits:
        d = (col.get("drift") or {}).get(s)
        if not isinstance(d, Mapping):
            out.append({"split": s, "ks": "—", "drifted": False, "p": None})
        else:
            out.append({"split": s, "ks": _fmt2(d.get("ks")), "drifted": bool(d.get("drifted")),
                        "p": plots.fmt_num(d.get("p"))})
    return out


def _fmt2(v: Any) -> str:
    return f"{float(v):.2f}" if isinstance(v, (int, float)) else "—"


def _split_row(name: str, st: Mapping) -> dict:
    """One split's statistics of a column as display strings."""
    q = {p: v for p, v in (st.get("quantiles") or [])} if isinstance(st.get("quantiles"), list) else {}
    distinct = st.get("distinct")
    kind = st.get("distinct_kind")
    n = st.get("n") or 0
    missing = st.get("missing") or 0
    return {
        "split": name, "n": plots.fmt_num(n),
        "missing": plots.fmt_num(missing) + (f" ({plots.fmt_pct(missing / n)})" if n and missing else ""),
        "distinct": ("≥ " if kind == "at_least" else "") + plots.fmt_num(distinct),
        "zeros": plots.fmt_num(st.get("zeros")),
        "min": plots.fmt_num(st.get("min")), "max": plots.fmt_num(st.get("max")),
        "mean": plots.fmt_num(st.get("mean")), "std": plots.fmt_num(st.get("std")),
        "median": plots.fmt_num(q.get(0.5)),
        "top": ", ".join(f"{v} ({plots.fmt_num(k)})" for v, k in (st.get("top") or [])[:3]),
    }


def _top_view(col: Mapping, splits: Sequence[str], eval_splits: Sequence[str]) -> dict:
    stats = col.get("splits") or {}
    rows = [_split_row(s, stats[s]) for s in splits if isinstance(stats.get(s), Mapping)]
    chart = None
    if col.get("edges"):
        try:
            chart = paired_histogram_svg(col["edges"], {s: (stats[s].get("histogram") or {}).get("counts", [])
                                                        for s in splits if isinstance(stats.get(s), Mapping)},
                                         str(col["name"]))
        except (ValueError, TypeError):
            chart = None
    return {"name": str(col["name"]), "dtype": str(col.get("dtype", "")), "kind": col.get("kind", ""),
            "drifted": _drifted(col), "drift": _drift_cells(col, eval_splits), "rows": rows,
            "chart": chart, "categorical": col.get("kind") == "categorical"}


def _row_view(col: Mapping, splits: Sequence[str], eval_splits: Sequence[str]) -> dict:
    stats = col.get("splits") or {}
    return {"name": str(col["name"]), "dtype": str(col.get("dtype", "")), "drifted": _drifted(col),
            "drift": _drift_cells(col, eval_splits),
            "cells": [_split_row(s, stats[s]) if isinstance(stats.get(s), Mapping) else None for s in splits],
            "categorical": col.get("kind") == "categorical"}


def paired_histogram_svg(edges: Sequence[Any], series: Mapping[str, Sequence[Any]], label: str) -> Markup:
    """A small chart of every split's histogram of one column on the same bins.

    Each split is drawn as its share of values per bin (so splits of any size compare), every
    bin the same width on screen: the inner bins are equally wide in value too, and the end
    bins, which gather the rare values beyond the robust range, are drawn no wider.

    Parameters
    ----------
    edges : sequence of float
        Bin edges shared by the splits.
    series : mapping of str to sequence of int
        Split name -> counts per bin.
    label : str
        What the chart shows, for screen readers.

    Returns
    -------
    Markup
        One ``<svg>``.
    """
    e = plots.floats(edges)
    m = e.size - 1
    if m < 1 or not np.isfinite(e).all():
        raise ValueError("no bins")
    names = [s for s, c in series.items() if len(c)]
    counts = np.array([np.nan_to_num(plots.floats(series[s])[:m]) for s in names]) if names else np.zeros((0, m))
    if counts.shape[1] != m:
        raise ValueError("counts do not match the edges")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    top = float(shares.max()) if shares.size else 0.0
    colors = plots.series_colors(names)
    x0, x1, yt, yb = 6.0, CHART_W - 6.0, 4.0, CHART_H - 18.0
    step = (x1 - x0) / m
    body = [f'<line x1="{x0:.1f}" y1="{yb:.1f}" x2="{x1:.1f}" y2="{yb:.1f}" class="axis"/>']
    for name, row in zip(names, shares):
        ys = yb - row / (top or 1.0) * (yb - yt)
        pts = [f"{x0:.1f},{yb:.1f}"]
        for k in range(m):
            pts.append(f"{x0 + k * step:.1f},{ys[k]:.1f} {x0 + (k + 1) * step:.1f},{ys[k]:.1f}")
        pts.append(f"{x1:.1f},{yb:.1f}")
        body.append(f'<polyline points="{" ".join(pts)}" fill="{colors[name]}" fill-opacity="0.15" '
                    f'stroke="{colors[name]}" stroke-width="1.4"><title>{escape(name)}</title></polyline>')
    ticks = [(x0, e[0], "start"), (x1, e[-1], "end")]
    if m > 2:
        mid = m // 2
        ticks.append((x0 + mid * step, e[mid], "middle"))
    for x, v, anchor in ticks:
        body.append(f'<text x="{x:.1f}" y="{CHART_H - 5:.1f}" text-anchor="{anchor}" class="tick">'
                    f'{escape(plots.fmt_num(float(v)))}</text>')
    return Markup(f'<svg class="chart mini" viewBox="0 0 {CHART_W} {CHART_H}" width="{CHART_W}" '
                  f'height="{CHART_H}" role="img" aria-label="{escape(label)}: histograms of '
                  f'{escape(", ".join(names))}" xmlns="http://www.w3.org/2000/svg" font-size="10">'
                  f'{"".join(body)}</svg>')
