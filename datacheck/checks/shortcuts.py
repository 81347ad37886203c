"""``shortcuts``: an image property that predicts the label by itself (item 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.checks._image_props import PropTable
from datacheck.checks._property_skill import folds_of, property_skill
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity
from datacheck.spec.params import Param

# Images of each class needed before a near-perfect score is a warning (fewer: info).
_MIN_PER_CLASS = 10
# Images the per-property models see at most (a stratified sample beyond).
_MAX_IMAGES = 10_000
# Example images per class shown with a warning, and classes described in its message.
_EXAMPLES_PER_CLASS = 2
_CLASSES_NAMED = 4


@dataclass(frozen=True)
class _Property:
    """One image property: numeric columns (``x``) or category codes (``codes``, ``labels``)."""

    name: str
    rows: np.ndarray                     # rows of the table it is defined on
    x: np.ndarray | None = None          # float (m, d)
    codes: np.ndarray | None = None      # int (m,)
    labels: tuple[str, ...] = ()         # category names by code
    unit: str = ""                       # how a value is printed: "", "%", "px", "ratio"


@register
class ShortcutsCheck(Check):
    """Image properties that predict the label by themselves: the image form of target leakage.

    What it detects
    ---------------
    For each property the scan measures of every image (brightness, contrast, sharpness,
    pixel count, aspect ratio, file format, colour mode, colour of the outer frame) a
    one-property classifier (quantile bins voting for a class, cross-fitted over five folds)
    is scored by balanced accuracy against chance (1/k). A property that nearly determines
    the label (every "cat" saved as JPEG and every "dog" as PNG, one class with a coloured
    border, one class resized to another size) is a warning; a property that helps somewhat
    (sandals are darker than pullovers, night-sky photos darker than beaches) is listed as
    info with its numbers.

    Why it matters
    --------------
    A network takes the easiest signal that predicts the label. When the file format, the
    size or a frame colour gives the class away, it learns that instead of the content,
    scores well on a test split collected the same way, and fails on real inputs.
    """

    id = "shortcuts"
    items = (4,)
    needs = ("images", "labels")
    tasks = ("classification",)
    params = {
        "warn_accuracy": Param(0.95, "Balanced accuracy of one property alone at or above which "
                                     "it is a warning (it nearly determines the label).",
                               kind=float, low=0.5, high=1.0),
        "info_skill": Param(0.1, "Skill over chance, (accuracy - chance) / (1 - chance), from which "
                                 "a property is listed as info.", kind=float, low=0.0, high=1.0),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Score every property alone; warn on the strongest one that nearly determines the label."""
        t = PropTable.of(ctx)
        if t is None:
            return []
        rows = self._sample(t, ctx.seed)
        if rows is None:
            return []
        y_all = t.y
        scored = []
        for prop in self._properties(t, rows):
            y = y_all[prop.rows]
            classes, y_codes = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                continue
            fold = folds_of(y_codes, ctx.seed)
            acc, _ = property_skill(prop.x, y_codes, fold, categories=prop.codes)
            chance = 1.0 / len(classes)
            sizes = np.bincount(y_codes)
            scored.append((prop, acc, chance, (acc - chance) / (1 - chance), int(sizes.min())))
        if not scored:
            return []
        scored.sort(key=lambda s: -s[1])
        strong = [s for s in scored if s[1] >= self.config["warn_accuracy"] and s[4] >= _MIN_PER_CLASS]
        out = []
        if strong:
            out.append(self._warning(ctx, t, strong))
        shown = {s[0].name for s in strong}
        weak = [s for s in scored if s[3] >= self.config["info_skill"] and s[0].name not in shown]
        if weak:
            out.append(self._info(weak))
        return out

    # -- data ------------------------------------------------------------------------------

    @staticmethod
    def _sample(t: PropTable, seed: int) -> np.ndarray | None:
        """Labelled images, a stratified sample of at most ``_MAX_IMAGES``; None if fewer than
        two classes."""
        rows = np.flatnonzero(t.y >= 0)
        if len(np.unique(t.y[rows])) < 2:
            return None
        if len(rows) > _MAX_IMAGES:
            rng = np.random.default_rng(seed)
            keep = rng.random(len(rows)) < _MAX_IMAGES / len(rows)
            rows = rows[keep]
        return rows

    @staticmethod
    def _properties(t: PropTable, rows: np.ndarray) -> list[_Property]:
        """The properties that vary among ``rows`` (a constant one predicts nothing)."""
        out = []

        def numeric(name, values, unit=""):
            values = np.asarray(values, np.float64)
            if values.ndim == 1:
                values = values[:, None]
            finite = np.all(np.isfinite(values[rows]), axis=1)
            r, x = rows[finite], values[rows][finite]
            if len(r) and np.ptp(x, axis=0).max() > 0:
                out.append(_Property(name, r, x=x, unit=unit))

        def categorical(name, values):
            labels, codes = np.unique(values[rows], return_inverse=True)
            if len(labels) > 1:
                out.append(_Property(name, rows, codes=codes, labels=tuple(str(v) for v in labels)))

        numeric("brightness", t.col("brightness"), "%")
        numeric("contrast", t.col("contrast"), "%")
        contrast = t.col("contrast")
        with np.errstate(divide="ignore", invalid="ignore"):
            numeric("sharpness", np.log10(t.col("laplacian_std") / contrast), "log")
        numeric("image size", np.log2(np.maximum(t.height * t.width, 1)), "px")
        numeric("aspect ratio", np.log2(np.maximum(t.width, 1) / np.maximum(t.height, 1)), "ratio")
        border = np.stack([t.col(f"border_{c}") for c in range(3)], axis=1)
        present = ~np.all(np.isnan(border[rows]), axis=0)
        numeric("border colour", border[:, present], "%")
        categorical("file format", np.where(t.fmt == "", "array", t.fmt))
        categorical("colour mode", t.mode)
        return out

    # -- findings --------------------------------------------------------------------------

    def _warning(self, ctx: CheckContext, t: PropTable, strong: list) -> Finding:
        prop, acc, chance, skill, _ = strong[0]
        y = t.y[prop.rows]
        table, phrases = _per_class(ctx, prop, y)
        others = [f"{s[0].name} ({s[1]:.2f})" for s in strong[1:]]
        message = (f"The {prop.name} alone predicts the label with balanced accuracy {acc:.2f} "
                   f"(chance {chance:.2f}): {'; '.join(phrases[:_CLASSES_NAMED])}"
                   f"{'; ...' if len(phrases) > _CLASSES_NAMED else ''}. A network can learn the "
                   f"{prop.name} instead of the content.")
        if others:
            message += f" Also near-decisive: {', '.join(others)}."
        examples = _examples(prop, y)
        ids = t.ids(ctx, examples)
        captions = [f"{ctx.classes[t.y[i]]}: {_value_text(prop, np.flatnonzero(prop.rows == i)[0])}"
                    for i in examples]
        return self.finding(
            "property_predicts_label", Severity.WARNING, message,
            hint=f"Check how each class was collected and stored: make the {prop.name} the same "
                 "across classes (one format, size and processing for every image), or remove "
                 "it in the loader before training.",
            metrics={"property": prop.name, "balanced_accuracy": acc, "chance": chance, "skill": skill,
                     "also": {s[0].name: s[1] for s in strong[1:]}},
            samples=ids, n_samples=len(prop.rows),
            evidence=[Evidence("table", f"{prop.name.capitalize()} by class", table),
                      Evidence("images", f"Examples by class ({prop.name})",
                               {"samples": ids, "captions": captions})],
        )

    def _info(self, weak: list) -> Finding:
        top = weak[0]
        rest = ", ".join(f"{s[0].name} {s[1]:.2f}" for s in weak[1:4])
        return self.finding(
            "property_signal", Severity.INFO,
            f"Some image properties predict the label better than chance on their own: the "
            f"{top[0].name} with balanced accuracy {top[1]:.2f} (chance {top[2]:.2f})"
            + (f", then {rest}" if rest else "")
            + ". Classes that plausibly differ this way are fine; make sure the property is not "
              "an artefact of how each class was collected.",
            hint="If a property should not tell the classes apart, make it alike across classes.",
            metrics={s[0].name: s[1] for s in weak} | {"chance": top[2]},
            evidence=[Evidence("table", "One property alone vs the label", {
                "columns": ["property", "balanced_accuracy", "chance"],
                "rows": [[s[0].name, round(s[1], 3), round(s[2], 3)] for s in weak]})],
        )


def _per_class(ctx: CheckContext, prop: _Property, y: np.ndarray) -> tuple[dict, list[str]]:
    """Per class its typical value (median, or dominant category and its share): a table and
    one phrase per class, largest classes first."""
    rows, phrases = [], []
    classes, counts = np.unique(y, return_counts=True)
    for c in classes[np.argsort(-counts, kind="stable")][:MAX_SAMPLES]:
        members = np.flatnonzero(y == c)
        name = str(ctx.classes[c])
        if prop.codes is not None:
            cats, n = np.unique(prop.codes[members], return_counts=True)
            top = int(np.argmax(n))
            share = n[top] / len(members)
            typical = prop.labels[cats[top]]
            phrases.append(f"{name!r} images are {typical} ({share:.0%})")
            rows.append([name, len(members), typical, round(float(share), 3)])
        else:
            med = np.median(prop.x[members], axis=0)
            typical = _format(prop, med)
            phrases.append(f"{name!r} images have median {typical}")
            rows.append([name, len(members), typical, None])
    return {"columns": ["class", "images", f"typical {prop.name}", "share"], "rows": rows}, phrases


def _examples(prop: _Property, y: np.ndarray) -> list[int]:
    """Table rows of a few images per class (the first ones), classes interleaved."""
    picks = []
    for c in np.unique(y)[:MAX_SAMPLES // _EXAMPLES_PER_CLASS]:
        picks.append(prop.rows[np.flatnonzero(y == c)[:_EXAMPLES_PER_CLASS]])
    return [int(r) for group in zip(*picks) for r in group] if picks and min(map(len, picks)) else \
        [int(r) for g in picks for r in g]


def _value_text(prop: _Property, position: int) -> str:
    if prop.codes is not None:
        return prop.labels[prop.codes[position]]
    return _format(prop, prop.x[position])


def _format(prop: _Property, value: np.ndarray) -> str:
    v = np.atleast_1d(value)
    if prop.unit == "%":
        text = ", ".join(f"{x:.0%}" for x in v)
        return text if len(v) == 1 else f"({text})"
    if prop.unit == "px":
        return f"{2 ** v[0]:,.0f} pixels"
    if prop.unit == "ratio":
        return f"{2 ** v[0]:.2f} (w/h)"
    if prop.unit == "log":
        return f"{10 ** v[0]:.2f}"
    return ", ".join(f"{x:g}" for x in v)
