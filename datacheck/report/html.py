"""The HTML report: one self-contained, offline file a person can read in a minute.

The page holds no script at all, loads no font and fetches nothing: charts are inline SVG,
thumbnails are ``data:`` PNGs, and a Content-Security-Policy forbids everything else. Every text
from the report (file names, labels, messages) goes through Jinja's autoescaping.

Its size grows with the findings shown, never with the dataset: thumbnails are downscaled and
capped per finding and per report, tables and charts are cut to a fixed number of rows and marks.

This module lays out the page; each kind of evidence is drawn by its own module of
``datacheck.report.evidence``, through the ``HtmlPage`` this module lends it (the finding's
thumbnails and the report's Jinja environment, whose shared macros are in ``macros.html.j2``).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup, escape

from datacheck.report import evidence, plots
from datacheck.report.columns import columns_view
from datacheck.report.findings import Evidence, Finding, Report, Severity, Status
from datacheck.report.plots import plain

log = logging.getLogger(__name__)

TEMPLATE = "report.html.j2"
THUMB_PX = 64
MAX_THUMBS_PER_FINDING = 24
MAX_SAMPLE_THUMBS = 12
MAX_CLASSES_SHOWN = 40
MAX_METRICS = 40
MAX_RAW_CHARS = 2000
# Base64 bytes of thumbnails in one report; past it, samples are listed by name only.
THUMB_BUDGET = 1_500_000

# The items of "37 reasons why your neural network is not working" (the checklist DESIGN.md maps).
CHECKLIST = {
    1: "Check your input data", 2: "Try random input", 3: "Check the data loader",
    4: "Make sure input is connected to output",
    5: "Is the relationship between input and output too random?",
    6: "Is there too much noise in the dataset?", 7: "Shuffle the dataset",
    8: "Reduce class imbalance", 9: "Do you have enough training examples?",
    10: "Make sure your batches don't contain a single label", 11: "Reduce batch size",
    12: "Standardize the features", 13: "Do you have too much data augmentation?",
    14: "Check the preprocessing of your pretrained model",
    15: "Check the preprocessing for train/validation/test set",
    16: "Try solving a simpler version of the problem", 17: "Look for correct loss at chance",
    18: "Check your loss function", 19: "Verify loss input", 20: "Adjust loss weights",
    21: "Monitor other metrics", 22: "Test any custom layers",
    23: "Check for frozen layers or variables", 24: "Increase network size",
    25: "Check for hidden dimension errors", 26: "Explore gradient checking",
    27: "Solve for a really small dataset", 28: "Check weights initialization",
    29: "Change your hyperparameters", 30: "Reduce regularization", 31: "Give it time",
    32: "Switch from train to test mode", 33: "Visualize the training",
    34: "Try a different optimizer", 35: "Exploding / vanishing gradients",
    36: "Increase / decrease the learning rate", 37: "Overcoming NaNs",
}

SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
SEVERITY_ANCHORS = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "info"}
STATUS_ORDER = {Status.ERRORED: 0, Status.FAILED: 1, Status.PASSED: 2, Status.SKIPPED: 3}
_ROW_ID = re.compile(r"^.+\[\d+\]$")
RAW = '  <pre class="raw">{{ raw }}</pre>'


def write_html(report: Report, path: str | Path, *, source_root: str | Path | None = None) -> int:
    """Write the report as one self-contained HTML file.

    Parameters
    ----------
    report : Report
        What to render (from a run or from ``Report.from_dict``).
    path : str or pathlib.Path
        The file to write.
    source_root : str or pathlib.Path, optional
        The dataset folder that image sample ids are relative to; when given, the images shown
        in findings are embedded as downscaled thumbnails.

    Returns
    -------
    int
        Size of the written file in bytes.
    """
    data = render_html(report, source_root=source_root).encode("utf-8")
    Path(path).write_bytes(data)
    return len(data)


def render_html(report: Report, *, source_root: str | Path | None = None) -> str:
    """The report as HTML text; see ``write_html``."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("datacheck.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = plots.fmt_num
    thumbs = _Thumbs(Path(source_root) if source_root is not None and report.dataset.modality == "image"
                     else None)
    docs = {o.id: o.doc for o in report.checks}
    snippets = _Snippets(env)
    findings = [_finding_view(i, f, thumbs, snippets, docs) for i, f in enumerate(report.findings)]
    seen: set[str] = set()
    for view in findings:  # "Why it matters" reads once per check: open at its first finding only
        view["why_open"] = view["check"] not in seen
        seen.add(view["check"])
    groups = [{"severity": sev.value, "title": SEVERITY_TITLES[sev], "anchor": SEVERITY_ANCHORS[sev],
               "findings": [v for v in findings if v["severity"] == sev.value]}
              for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    return env.get_template(TEMPLATE).render(
        report=report, summary=_summary_view(report), groups=[g for g in groups if g["findings"]],
        checks=_checks_view(report, findings), thumb_styles=Markup("".join(thumbs.styles)),
        thumbs_capped=thumbs.capped, thumb_px=THUMB_PX, columns=columns_view(report))


# -- thumbnails -------------------------------------------------------------------------------

class _Thumbs:
    """Downscaled PNG thumbnails of image samples, each embedded once as a CSS class."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        if self.root is not None and self.root.is_file():
            self.root = self.root.parent
        self.cache: dict[str, dict | None] = {}
        self.styles: list[str] = []
        self.size = 0
        self.capped = False

    def get(self, sample_id: str) -> dict | None:
        """``{"css", "w", "h", "pixelated"}`` for a sample (``css`` None if unreadable), or None."""
        if self.root is None or _ROW_ID.match(sample_id):
            return None
        if sample_id in self.cache:
            return self.cache[sample_id]
        path = (self.root / sample_id).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None  # outside the dataset (a hand-edited JSON) or gone: name it only
        if self.size >= THUMB_BUDGET:
            self.capped = True
            return None
        try:
            png, w, h, small = _encode_thumb(path)
        except Exception as exc:  # noqa: BLE001 - any decoder failure is "unreadable", shown as such
            log.debug("no thumbnail for %s: %s", path, exc)
            thumb = {"css": None, "w": THUMB_PX, "h": THUMB_PX, "pixelated": False}
        else:
            css = f"t{len(self.styles)}"
            b64 = base64.b64encode(png).decode("ascii")
            self.styles.append(f".{css}{{background-image:url(data:image/png;base64,{b64})}}\n")
            self.size += len(b64)
            scale = THUMB_PX / max(w, h)
            thumb = {"css": css, "w": max(round(w * scale), 2), "h": max(round(h * scale), 2),
                     "pixelated": small}
        self.cache[sample_id] = thumb
        return thumb


def _encode_thumb(path: Path) -> tuple[bytes, int, int, bool]:
    """PNG bytes of the image downscaled to at most THUMB_PX, its size, and whether it was small."""
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))  # JPEG: decode at reduced scale
        w, h = im.size
        if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            arr = np.asarray(im, dtype=np.float64)
            lo, hi = float(arr.min()), float(arr.max())
            arr = (arr - lo) / ((hi - lo) or 1.0) * 255.0
            im = Image.fromarray(arr.astype(np.uint8), "L")
        elif im.mode in ("1", "L", "LA"):
            im = im.convert("L")
        else:
            im = im.convert("RGB")
        small = max(w, h) < THUMB_PX
        im.thumbnail((THUMB_PX, THUMB_PX))
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=True)
    return buf.getvalue(), w, h, small


class _Gallery:
    """Thumbnails for one finding: at most MAX_THUMBS_PER_FINDING, so size follows findings."""

    def __init__(self, thumbs: _Thumbs) -> None:
        self.thumbs = thumbs
        self.left = MAX_THUMBS_PER_FINDING

    def sample(self, sample_id: Any, caption: Any = None) -> dict:
        sid = str(sample_id)
        thumb = None
        if self.left > 0:
            thumb = self.thumbs.get(sid)
            self.left -= thumb is not None
        return {"id": sid, "name": sid.rsplit("/", 1)[-1], "caption": "" if caption is None else str(caption),
                "thumb": thumb}


class _Snippets:
    """Jinja sources of evidence kinds, compiled once per report in the report's environment."""

    def __init__(self, env) -> None:
        self.env = env
        self.compiled: dict[str, Any] = {}

    def render(self, source: str, values: Mapping[str, Any]) -> Markup:
        if source not in self.compiled:
            self.compiled[source] = self.env.from_string(source)
        return Markup(self.compiled[source].render(**values))


class _Page:
    """The ``evidence.HtmlPage`` a kind draws one finding's evidence with."""

    def __init__(self, gallery: _Gallery, snippets: _Snippets) -> None:
        self.gallery = gallery
        self.snippets = snippets

    def sample(self, sample_id: Any, caption: Any = None) -> dict:
        return self.gallery.sample(sample_id, caption)

    def render(self, source: str, **values: Any) -> Markup:
        return self.snippets.render(source, values)


# -- docstring markup ------------------------------------------------------------------------

_INLINE = [(re.compile(r"``(.+?)``"), r"<code>\1</code>"), (re.compile(r"`([^`]+?)`"), r"<code>\1</code>"),
           (re.compile(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])"), r"<em>\1</em>")]


def inline_markup(text: str) -> Markup:
    """Escape ``text``, then render ``code`` and *emphasis* (the only markup docstrings use)."""
    out = str(escape(text))
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return Markup(out)


def rst_blocks(text: str) -> Markup:
    """Paragraphs and ``-`` bullet lists of a docstring section as escaped HTML."""
    html = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith(("- ", "* ")):
            items: list[str] = []
            for ln in lines:
                if ln.startswith(("- ", "* ")):
                    items.append(ln[2:])
                elif items:
                    items[-1] += " " + ln
            html.append("<ul>" + "".join(f"<li>{inline_markup(it)}</li>" for it in items) + "</ul>")
        else:
            html.append(f"<p>{inline_markup(' '.join(lines))}</p>")
    return Markup("".join(html))


# -- views: plain dicts the template reads ------------------------------------------------------

def _metric_value(name: str, value: Any) -> str:
    if isinstance(value, float) and name.endswith("_ratio") and 0.0 <= value <= 1.0:
        return plots.fmt_pct(value)
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}: {plots.fmt_num(v)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = ", ".join(plots.fmt_num(v) for v in value)
    else:
        return plots.fmt_num(value)
    return text if len(text) <= 160 else text[:159] + "…"


def _finding_view(index: int, f: Finding, thumbs: _Thumbs, snippets: "_Snippets",
                  docs: Mapping[str, Mapping[str, str]]) -> dict:
    gallery = _Gallery(thumbs)
    views = [_evidence_view(e, _Page(gallery, snippets)) for e in f.evidence]
    has_pictures = gallery.left < MAX_THUMBS_PER_FINDING  # the evidence showed thumbnails
    samples = [gallery.sample(s) if not has_pictures and i < MAX_SAMPLE_THUMBS else
               {"id": s, "thumb": None} for i, s in enumerate(f.samples)]
    doc = docs.get(f.check, {})
    return {
        "anchor": f"finding-{index + 1}", "severity": f.severity.value, "check": f.check,
        "code": f.code, "split": f.split, "message": inline_markup(f.message),
        "hint": inline_markup(f.hint) if f.hint else None,
        "why": rst_blocks(doc.get("why it matters", "")),
        "items": [(n, CHECKLIST.get(n, "")) for n in f.checklist],
        "metrics": [(k, _metric_value(k, v)) for k, v in list(f.metrics.items())[:MAX_METRICS]],
        "evidence": views,
        "sample_thumbs": [s for s in samples if s["thumb"]],
        "samples": list(f.samples), "n_samples": f.n_samples,
        "n_unlisted": max(f.n_samples - len(f.samples), 0),
    }


def _evidence_view(ev: Evidence, page: "_Page") -> dict:
    """What the template needs to draw one piece of evidence; raw data if it cannot be drawn."""
    try:
        data = ev.data
        if not isinstance(data, Mapping):
            raise ValueError("evidence data must be a mapping")
        body, note = evidence.get_kind(ev.kind).html(data, page)
    except Exception as exc:  # noqa: BLE001 - odd evidence must not stop the report
        log.warning("could not draw %s evidence %r: %s", ev.kind, ev.title, exc)
        raw = json.dumps(plain(ev.data), indent=1, default=str)
        if len(raw) > MAX_RAW_CHARS:
            raw = raw[:MAX_RAW_CHARS] + "…"
        return {"kind": "raw", "title": ev.title, "body": page.render(RAW, raw=raw),
                "note": f"This {ev.kind} evidence could not be drawn ({type(exc).__name__}: {exc})."}
    return {"kind": ev.kind, "title": ev.title, "body": body, "note": note}


def _summary_view(report: Report) -> dict:
    ds = report.dataset
    counts = report.summary
    statuses = Counter(Status(o.status).value for o in report.checks)
    splits = [{"name": name, "n_samples": int(s.get("n_samples", 0) or 0),
               "n_classes": s.get("n_classes"), "target": _target_text(s.get("target"))}
              for name, s in ds.splits.items()]
    total = sum(s["n_samples"] for s in splits)
    for s in splits:
        s["share"] = plots.fmt_pct(s["n_samples"] / total) if total else "—"
    if counts["error"]:
        verdict = ("error", f"{_plural(counts['error'], 'error')}: training will very likely fail "
                            "or the evaluation is invalid until they are fixed.")
    elif counts["warning"]:
        verdict = ("warning", f"No errors; {_plural(counts['warning'], 'warning')} about problems "
                              "that may hurt training.")
    else:
        verdict = ("ok", "No errors and no warnings: nothing found that should stop training.")
    return {"counts": counts, "statuses": statuses, "verdict": verdict, "splits": splits,
            "total": total, "classes": list(ds.classes[:MAX_CLASSES_SHOWN]),
            "more_classes": max(len(ds.classes) - MAX_CLASSES_SHOWN, 0), "n_classes": len(ds.classes),
            "modality": ds.modality, "label": ds.label, "notes": list(ds.notes),
            "task": ds.task_text, "regression": ds.task == "regression"}


def _target_text(stats) -> str:
    """``median 140 (25 to 346)`` from a split's regression target statistics, ``unlabelled``
    for a split without targets, else ``—``."""
    if not isinstance(stats, dict):
        return "—"
    if not stats.get("n"):
        return "unlabelled"
    median = dict((p, v) for p, v in stats.get("quantiles", ())).get(0.5)
    head = f"median {plots.fmt_num(median)} " if median is not None else ""
    return f"{head}({plots.fmt_num(stats['min'])} to {plots.fmt_num(stats['max'])})"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _checks_view(report: Report, findings: Sequence[dict]) -> list[dict]:
    first = {}
    per_check: dict[str, Counter] = {}
    for v in findings:
        first.setdefault(v["check"], v["anchor"])
        per_check.setdefault(v["check"], Counter())[v["severity"]] += 1
    rows = []
    for o in sorted(report.checks, key=lambda o: STATUS_ORDER.get(Status(o.status), 9)):
        counts = per_check.get(o.id, Counter())
        rows.append({"id": o.id, "status": Status(o.status).value, "duration": o.duration_s,
                     "reason": o.reason, "anchor": first.get(o.id),
                     "found": ", ".join(_plural(counts[s], s) for s in ("error", "warning", "info")
                                        if counts[s]),
                     "summary": inline_markup(o.doc.get("summary", "").replace("\n", " "))})
    return rows
