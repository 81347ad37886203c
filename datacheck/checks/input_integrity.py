"""``input_integrity``: inputs that are nonsense before any model sees them (items 1, 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datacheck.data.text_numbers import text_numbers
from datacheck.checks._zero_markers import WARN_SHARE, ZeroMarker, zero_marker
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity, share_text
from datacheck.scan.result import SplitScan
from datacheck.scan.source import SplitSource


@register
class InputIntegrityCheck(Check):
    """Inputs a network cannot learn from: missing or infinite values, constants, unreadable files.

    What it detects
    ---------------
    NaN (or missing) and infinite values, with the samples and features holding them;
    numbers stored as text because of a missing-value marker (``3.2``, ``?``, ``4.0``: the
    marker makes a reader type the whole column as text) or of their formatting (``$1,234``,
    ``45%``); zeros that stand for a value not measured (Pima's glucose 0, where every other is
    44 or more: ``_zero_markers``); constant features; images whose
    every pixel has one value (all black, flat grey);
    image files that cannot be decoded (truncated, empty, not an image); rows of a CSV file
    with the wrong number of fields (left out, the rest checked); non-image files lying in
    class folders, and images lying beside them (in no class folder: left out); and a split
    whose samples are all identical.

    Why it matters
    --------------
    One NaN or inf in a batch turns the loss into NaN and the weights after it, so training
    fails silently from that step on. A column of numbers read as text fails the conversion
    to floats, or is one-hot encoded number by number, and its markers are missing values
    nobody imputed. A constant feature or a blank image carries no signal,
    an unreadable file or a malformed CSV row crashes a default data loader (or is dropped
    without a word by a lenient one), and a split made of one sample repeated
    is the "same batch again and again" bug: the network has nothing to learn.
    """

    id = "input_integrity"
    items = (1, 3)
    params = {
        "unreadable_error_ratio": Param(
            0.0, "Share of unreadable image files in a split above which they are an error "
                 "rather than a warning; by default any is an error, since a default loader "
                 "crashes on the first one.", kind=float, low=0.0, high=1.0),
        "constant_image_error_ratio": Param(
            0.25, "Share of constant (single-value) images in a split above which they are an "
                  "error rather than a warning.", kind=float, low=0.0, high=1.0),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Check every split; whole-split problems hide the per-sample ones they explain."""
        findings = malformed_rows(self, ctx.malformed)
        for scan in ctx.splits():
            source = ctx.source(scan.name)
            # per-sample table: ``flag`` names the finding codes of each flagged sample
            ctx.sample_column(scan.name, "flag", np.zeros(0, object), rows=np.zeros(0, np.int64))
            findings += self._unreadable(ctx, scan, source)
            findings += self._ignored(source) + self._loose(source)
            findings += self._non_finite(ctx, scan, source)
            findings += self._text_numbers(ctx, scan)
            findings += self._zero_markers(ctx, scan)
            same = self._constant_split(ctx, scan)
            findings += same
            if not same:
                findings += self._constant_features(scan)
                findings += self._constant_images(ctx, scan)
        return findings

    # -- files -----------------------------------------------------------------------------

    def _unreadable(self, ctx: CheckContext, scan: SplitScan, source: SplitSource) -> list[Finding]:
        im = scan.images
        if im is None or not source.has_files or im.ok.all():
            return []
        bad = np.flatnonzero(~im.ok)
        ctx.sample_column(scan.name, "flag", "unreadable_files", rows=bad)
        ratio = len(bad) / scan.n
        severity = Severity.ERROR if ratio > self.config["unreadable_error_ratio"] else Severity.WARNING
        shown = bad[:MAX_SAMPLES]
        ids = source.sample_ids(shown)
        rows = [[sid, im.error[i] or "unreadable"] for sid, i in zip(ids, shown)]
        return [self.finding(
            "unreadable_files", severity,
            f"{len(bad)} of {scan.n} {scan.name} image files ({ratio:.1%}) cannot be read as images; "
            "a default image loader will crash on them.",
            hint="Delete or re-export these files (the table gives each one's error) before training.",
            split=scan.name,
            metrics={"n_unreadable": len(bad), "n_empty": int((im.n_bytes[bad] == 0).sum()),
                     "unreadable_ratio": ratio},
            samples=ids, n_samples=len(bad),
            evidence=[Evidence("table", "Unreadable files", {"columns": ["path", "error"], "rows": rows})],
        )]

    def _ignored(self, source: SplitSource) -> list[Finding]:
        n = len(source.ignored)
        return self._left_out(
            source, "ignored_files", "n_ignored", source.ignored,
            f"{n} non-image file{'s' if n > 1 else ''} in the {source.name} class folders "
            f"{'were' if n > 1 else 'was'} ignored.",
            "Move them out of the class folders if a loader of yours might read them as images.")

    def _loose(self, source: SplitSource) -> list[Finding]:
        n = len(source.loose)
        return self._left_out(
            source, "loose_images", "n_loose", source.loose,
            f"{n} image{'s' if n > 1 else ''} in the {source.name} folder itself, beside the class folders, "
            f"{'have' if n > 1 else 'has'} no class and {'were' if n > 1 else 'was'} left out "
            "(torchvision's ImageFolder leaves them out too).",
            "Move each into its class folder, or out of the split, so that no sample goes missing unseen.")

    def _left_out(self, source: SplitSource, code: str, metric: str, files: list[str], message: str,
                  hint: str) -> list[Finding]:
        """An info listing the files of a split that are not read as samples (none: nothing)."""
        if not files:
            return []
        return [self.finding(code, Severity.INFO, message, hint=hint, split=source.name,
                             metrics={metric: len(files)},
                             samples=files[:MAX_SAMPLES], n_samples=len(files))]

    # -- values ----------------------------------------------------------------------------

    def _non_finite(self, ctx: CheckContext, scan: SplitScan, source: SplitSource) -> list[Finding]:
        counts = _non_finite_counts(scan, source)
        if counts is None:
            return []
        out = []
        for what, kind, hint in (
            ("nan", "NaN or missing values",
             "Impute them (fit the imputer on train only) or drop those samples, and find "
             "where they come from."),
            ("inf", "infinite values",
             "Replace or clip them; infinities usually come from a division by zero or a log "
             "of zero upstream."),
        ):
            (affected, cells), per_feature = counts[what]
            if not len(affected):
                continue
            ctx.sample_column(scan.name, "flag", what, rows=affected)
            # Samples with the most bad values first; ties keep row order.
            order = affected[np.argsort(-cells, kind="stable")]
            metrics = {"sample_ratio": len(affected) / scan.n}
            detail, evidence = "", []
            if counts["cells_known"]:
                n_values = int(cells.sum())
                metrics["n_values"] = n_values
                detail = f"{n_values} value{'s' if n_values > 1 else ''}"
            if per_feature is not None:
                names, feature_counts = per_feature
                metrics["n_features"] = len(names)
                detail += f" in {_name_list(names)}"
                rank = np.argsort(-feature_counts, kind="stable")[:MAX_SAMPLES]
                evidence.append(Evidence("table", f"{kind.capitalize()} per feature", {
                    "columns": ["feature", f"n_{what}"],
                    "rows": [[names[j], int(feature_counts[j])] for j in rank]}))
            noun = "sample holds" if len(affected) == 1 else "samples hold"
            out.append(self.finding(
                what, Severity.ERROR,
                f"{len(affected)} {scan.name} {noun} {kind}"
                f"{f' ({detail.strip()})' if detail else ''}; one such input turns the loss, "
                "and then every weight, into NaN.",
                hint=hint, split=scan.name, metrics=metrics,
                samples=ctx.sample_ids(scan.name, order[:MAX_SAMPLES]), n_samples=len(affected),
                evidence=evidence,
            ))
        return out

    def _text_numbers(self, ctx: CheckContext, scan: SplitScan) -> list[Finding]:
        """Text columns of numbers with a missing-value marker or written with currency signs,
        thousands separators or percent signs (``data.text_numbers``)."""
        table = scan.other_values
        if table is None:
            return []
        found = {name: marked for name in scan.other_columns if name in table.column_names
                 for marked in [text_numbers(table.column(name))] if marked is not None}
        if not found:
            return []
        rows = np.unique(np.concatenate([scan.split_rows(m.rows) for m in found.values()]))
        if len(rows):
            ctx.sample_column(scan.name, "flag", "numbers_as_text", rows=rows)
        n_markers = sum(sum(m.markers.values()) for m in found.values())
        named = "; ".join(f"`{name}` ({_text_numbers_detail(m)})" for name, m in list(found.items())[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        read = f" (in the {scan.n_column_rows:,} rows read)" if scan.sampled else ""
        many = len(found) > 1
        markers = sorted({v for m in found.values() for v in m.markers})
        steps = []
        if markers:
            steps.append("read " + ", ".join(repr(v) for v in markers) + f" as missing (pandas: read_csv(..., "
                         f"na_values={markers!r}); pyarrow: csv.ConvertOptions(null_values=...)) and impute "
                         "with statistics fit on train")
        if any(m.formatted for m in found.values()):
            steps.append("strip the currency signs, thousands separators and percent signs and read the "
                         "numbers (pandas: read_csv(..., thousands=','), then str.replace)")
        return [self.finding(
            "numbers_as_text", Severity.WARNING,
            f"{len(found)} column{'s' if many else ''} of {scan.name} hold{'' if many else 's'} numbers "
            f"stored as text{read}: {named}{more}. A reader takes such a column as text: converting it "
            "to floats fails, or every number becomes a category (the models here read the numbers, the "
            "markers as missing).",
            hint=" ".join(step[0].upper() + step[1:] + "." for step in steps) + " Or fix the values at the source.",
            split=scan.name, samples=ctx.sample_ids(scan.name, rows[:MAX_SAMPLES]), n_samples=len(rows),
            metrics={"n_columns": len(found), "n_markers": n_markers,
                     "n_formatted": sum(m.formatted for m in found.values()), "columns": list(found)[:MAX_SAMPLES]},
            evidence=[Evidence("table", f"Numbers stored as text ({scan.name})", {
                "columns": ["column", "numbers", "formatted", "markers"],
                "rows": [[name, m.n_numbers, m.formatted, ", ".join(f"{v!r}: {c:,}" for v, c in m.markers.items())]
                         for name, m in list(found.items())[:MAX_SAMPLES]]})],
        )]

    def _zero_markers(self, ctx: CheckContext, scan: SplitScan) -> list[Finding]:
        """Numeric columns whose zeros look like a missing-value marker (``_zero_markers``): a
        warning where some are a few entries that cannot be, info where all are blocks that may
        be a real absence. A streamed split's zeros are counted over every row
        (``FeatureStats.n_zero``), its steps and quartiles read on its row sample, whose zeros
        are flagged."""
        stats = scan.feature_stats
        if scan.columns is None or stats is None:
            return []
        candidates = np.flatnonzero((stats.min == 0) & (stats.n_distinct_lo >= 3))

        def counts(j: int):
            return (stats.n_zero[j], stats.n_finite[j], stats.min_positive[j]) if scan.sampled else None

        found = {stats.names[j]: (j, marker) for j in candidates
                 for marker in [zero_marker(scan.columns[j], counts(j))] if marker is not None}
        if not found:
            return []
        few = {name: jm for name, jm in found.items() if jm[1].share < WARN_SHARE}
        flagged = few or found
        rows = scan.split_rows(np.unique(np.concatenate([np.flatnonzero(scan.columns[j] == 0)
                                                         for j, _ in flagged.values()])))
        ctx.sample_column(scan.name, "flag", "zero_markers", rows=rows)
        named = "; ".join(_zero_detail(name, m) for name, (_, m) in list(found.items())[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        many = len(found) > 1
        read = f" (samples listed from the {scan.n_column_rows:,} rows read)" if scan.sampled else ""
        if few:
            why = ("a measurement that is never near 0 is not 0 either: these are likely values not "
                   "measured, recorded as 0")
        else:
            why = ("blocks of rows: a value not measured recorded as 0, or a real absence (glass without "
                   "magnesium)")
        return [self.finding(
            "zero_markers", Severity.WARNING if few else Severity.INFO,
            f"{len(found)} column{'s' if many else ''} of {scan.name} hold{'' if many else 's'} zeros far below "
            f"every other value: {named}{more}; {why}{read}.",
            hint="If 0 stands for 'not measured', read it as missing (pandas: df[col] = df[col].replace(0, "
                 "np.nan)) and impute with statistics fit on train, or add a missing indicator; if 0 is a real "
                 "value, nothing to fix.",
            split=scan.name, samples=ctx.sample_ids(scan.name, rows[:MAX_SAMPLES]), n_samples=len(rows),
            metrics={"n_columns": len(found), "columns": {name: {"n_zeros": m.n_zeros, "share": round(m.share, 4),
                                                                  "lowest_other": m.lowest}
                                                           for name, (_, m) in list(found.items())[:MAX_SAMPLES]}},
        )]

    def _constant_split(self, ctx: CheckContext, scan: SplitScan) -> list[Finding]:
        ok = scan.readable
        hashes = scan.hashes if ok.all() else scan.hashes[ok]  # no copy in the usual case
        if len(hashes) < 2 or hashes.min() != hashes.max():
            return []
        readable = np.flatnonzero(ok)
        return [self.finding(
            "constant_split", Severity.ERROR,
            f"All {len(hashes)} readable {scan.name} samples are identical; the network sees "
            "the same input again and again.",
            hint="Check how the samples are built or indexed: a fixed index, a reused buffer or "
                 "a broadcast usually causes this.",
            split=scan.name, metrics={"n_identical": len(hashes)},
            samples=ctx.sample_ids(scan.name, readable[:MAX_SAMPLES]), n_samples=len(hashes),
        )]

    def _constant_features(self, scan: SplitScan) -> list[Finding]:
        fs = scan.feature_stats
        if fs is None or not len(fs.names) or scan.n < 2:
            return []
        constant = np.flatnonzero((fs.n_finite > 0) & (fs.n_distinct_lo == 1))
        if not len(constant):
            return []
        n_features = len(fs.names)
        # Only when nothing varies is there nothing to learn; a few dead columns (digits'
        # always-blank border pixels) are harmless context.
        if len(constant) == n_features and not scan.other_columns:
            severity = Severity.ERROR
            message = (f"Every one of the {n_features} {scan.name} features is constant; the "
                       "inputs carry no information.")
        else:
            severity = Severity.INFO
            message = (f"{len(constant)} of {n_features} {scan.name} features "
                       f"{'are' if len(constant) > 1 else 'is'} constant "
                       f"({_name_list([fs.names[j] for j in constant])}) and carr"
                       f"{'y' if len(constant) > 1 else 'ies'} no information.")
        return [self.finding(
            "constant_features", severity, message,
            hint="Drop constant columns, or fix the step that produced them if they should vary.",
            split=scan.name,
            metrics={"n_constant": len(constant), "n_features": n_features,
                     "constant_ratio": len(constant) / n_features},
            evidence=[Evidence("table", "Constant features", {
                "columns": ["feature", "value"],
                "rows": [[fs.names[j], float(fs.min[j])] for j in constant[:MAX_SAMPLES]]})],
        )]

    def _constant_images(self, ctx: CheckContext, scan: SplitScan) -> list[Finding]:
        im = scan.images
        if im is None or not len(im.ok):
            return []
        present = _present_channels(im)
        flat = np.all(~present | (im.min == im.max), axis=1) & im.ok & (im.channels > 0)
        hits = np.flatnonzero(flat)
        if not len(hits):
            return []
        ctx.sample_column(scan.name, "flag", "constant_images", rows=hits)
        zero = np.all(~present[hits] | (im.max[hits] == 0), axis=1)
        ratio = len(hits) / max(int(im.ok.sum()), 1)
        severity = (Severity.ERROR if ratio > self.config["constant_image_error_ratio"]
                    else Severity.WARNING)
        shown = hits[:MAX_SAMPLES]
        captions = [_value_caption(im.min[i], present[i]) for i in shown]
        return [self.finding(
            "constant_images", severity,
            f"{len(hits)} {scan.name} image{'s are' if len(hits) > 1 else ' is'} a single flat "
            f"value ({int(zero.sum())} all zero), with nothing to learn from.",
            hint="Look at how these images were produced (a failed crop, resize or export "
                 "writes blank images) and drop or regenerate them.",
            split=scan.name,
            metrics={"n_constant": len(hits), "n_all_zero": int(zero.sum()), "constant_ratio": ratio},
            samples=ctx.sample_ids(scan.name, shown), n_samples=len(hits),
            evidence=[Evidence("images", "Constant images",
                               {"samples": ctx.sample_ids(scan.name, shown), "captions": captions})],
        )]


def _zero_detail(name: str, m: ZeroMarker) -> str:
    """```glucose` is 0 in 5 rows (0.7%), its other values 44 or more (half of them 99-141)``."""
    return (f"`{name}` is 0 in {m.n_zeros:,} rows ({share_text(m.share)}), its other values {m.lowest:g} or more "
            f"(half of them {m.q1:g}-{m.q3:g})")


def _text_numbers_detail(m) -> str:
    """``493 numbers and 7 x '?'``, ``2,000 numbers, 1,480 written with currency or percent
    signs or thousands separators``: one column of ``text_numbers``."""
    parts = [f"{m.n_numbers:,} numbers"]
    if m.formatted:
        parts.append(f"{m.formatted:,} written with currency or percent signs or thousands separators")
    detail = ", ".join(parts)
    if m.markers:
        detail += " and " + ", ".join(f"{count:,} x {value!r}" for value, count in m.markers.items())
    return detail


def _value_caption(values: np.ndarray, present: np.ndarray) -> str:
    """``all 0`` or ``all (255, 0, 0)`` for an image's per-channel value."""
    vals = [f"{v:g}" for v in values[present]]
    return f"all {vals[0]}" if len(vals) == 1 else f"all ({', '.join(vals)})"


def _name_list(names: list[str], limit: int = 5) -> str:
    """``a, b and c`` or ``a, b, c, d, e and 7 more``."""
    names = [str(n) for n in names]
    if len(names) == 1:
        return names[0]
    if len(names) <= limit:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def _non_finite_counts(scan: SplitScan, source: SplitSource) -> dict | None:
    """Per-sample NaN and inf counts, and per-feature counts where features exist.

    Returns
    -------
    dict or None
        ``nan`` and ``inf``: ``((rows, cells), per_feature)`` with ``rows`` the affected samples
        (ascending), ``cells`` their counts, and ``per_feature`` a ``(names, counts)`` pair or
        None; ``cells_known``: whether ``cells`` counts values (True) or only flags samples
        (decoded image files).
        None when the split holds nothing that can be NaN.
    """
    if scan.flags is not None:
        return _table_counts(scan)
    array_rows = source.non_finite_rows()
    if array_rows is not None:
        return _array_counts(*array_rows)
    if scan.images is not None:
        return _image_file_counts(scan)
    return None


def _sparse(per_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows with a non-zero count, and their counts."""
    rows = np.flatnonzero(per_row)
    return rows, per_row[rows]


def _table_counts(scan: SplitScan) -> dict:
    fs, flags = scan.feature_stats, scan.flags
    nan_rows, inf_rows = (flags.nan_rows, flags.nan_cells), (flags.inf_rows, flags.inf_cells)
    has_nan, has_inf = np.flatnonzero(fs.n_nan > 0), np.flatnonzero(fs.n_inf > 0)
    # Missing values of non-numeric columns are missing inputs too.
    nan_names = [fs.names[j] for j in has_nan] + list(flags.other_nulls)
    nan_counts = fs.n_nan[has_nan].tolist() + list(flags.other_nulls.values())
    return {"nan": (nan_rows, (nan_names, np.asarray(nan_counts, np.int64))),
            "inf": (inf_rows, ([fs.names[j] for j in has_inf], fs.n_inf[has_inf])),
            "cells_known": True}


def _array_counts(nan_rows: np.ndarray, inf_rows: np.ndarray) -> dict:
    return {"nan": (_sparse(nan_rows), None), "inf": (_sparse(inf_rows), None), "cells_known": True}


def _image_file_counts(scan: SplitScan) -> dict:
    # Decoded files give per-channel min/max only: a NaN pixel (float TIFF) makes them NaN,
    # an infinite one makes them infinite; so samples are flagged, values not counted.
    im = scan.images
    present = _present_channels(im) & im.ok[:, None]
    lo = np.where(present, im.min, 0.0)
    hi = np.where(present, im.max, 0.0)
    nan = (np.isnan(lo) | np.isnan(hi)).any(axis=1)
    inf = (np.isinf(lo) | np.isinf(hi)).any(axis=1) & ~nan
    return {"nan": (_sparse(nan.astype(np.int64)), None), "inf": (_sparse(inf.astype(np.int64)), None),
            "cells_known": False}


def _present_channels(im) -> np.ndarray:
    """(n, 3) mask of the channels each image has (the statistics hold NaN for the others)."""
    width = im.min.shape[1]
    return np.arange(width)[None, :] < np.minimum(im.channels, width)[:, None]


def malformed_rows(check: Check, malformed: dict[str, tuple[int, list[str]]]) -> list[Finding]:
    """One error per text table with rows left out for a wrong number of fields.

    Parameters
    ----------
    check : Check
        The check the findings belong to (``input_integrity``).
    malformed : dict
        ``Dataset.malformed``.
    """
    out = []
    for path, (count, examples) in malformed.items():
        name = Path(path).name
        many = count > 1
        out.append(check.finding(
            "malformed_rows", Severity.ERROR,
            f"{count:,} row{'s' if many else ''} of {name} {'have' if many else 'has'} the wrong "
            f"number of fields and {'were' if many else 'was'} left out of every check; a CSV "
            "reader stops at such a row, or drops it without a word.",
            hint=f"Fix the quoting or the separators of those rows in {name} (the table shows "
                 "the first ones), or drop them on purpose before training.",
            metrics={"n_malformed": count},
            evidence=[Evidence("table", f"Malformed rows of {name}",
                               {"columns": ["row"], "rows": [[e] for e in examples]})],
        ))
    return out
