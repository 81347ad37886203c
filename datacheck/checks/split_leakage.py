"""Samples shared across splits: exact and near copies, shared groups, time overlap (item 15)."""

from __future__ import annotations

import numpy as np

from datacheck.checks._leakage import columns as cols
from datacheck.checks._leakage.rows import RowSearch, search_near
from datacheck.checks._leakage.samples import LeakMarks, mirrored
from datacheck.checks._leakage.stats import beyond_chance, sample_rows
from datacheck.checks._leakage.timecol import time_values
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.scan.full_resolution import rank_candidates
from datacheck.scan.near_duplicates import Matches, bucket_join, match_images

_BASELINE_ROWS = 20000
_MAX_PAIRS = 25
# Measured in benchmarks/near_copies.py on Fashion-MNIST (60,000 train, 10,000 test, 900 planted
# copies: JPEG q=75, re-lit, 0.9x/1.1x, mirrored) and scikit-image photos. The lowest copy scores
# 0.9947, yet about 200 test images have a natural look-alike at 0.994 or more (garments of one
# cut). A copy also stands apart from the runner-up: (1 - r) / (1 - r_runner_up) is at most 0.11
# for 99% of the planted copies (0.19 at most), and at most 0.15 for only 13 clean test images,
# each the same product photo as a training image.
IMAGE_SIMILARITY = 0.994
IMAGE_MARGIN = 0.15
# The ratio test is only as strong as the reference split is full of look-alikes: in a
# 240-image subset of Fashion-MNIST a test image's natural look-alike (r = 0.997) met no other
# close image (runner-up 0.954, where the full 60,000 hold one at 0.993) and passed as a copy.
# One such pair came up in 40 clean subsets of 300 to 3,000 images; a copying or augmentation
# slip leaves many. So a lone near copy is context, whatever share of a small split it is.
NEAR_MIN = 2


def exact_pairs(ref_hash: np.ndarray, query_hash: np.ndarray, ref_ok: np.ndarray,
                query_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Query samples whose content hash equals a reference sample's, with that reference.

    Returns
    -------
    query, ref : numpy.ndarray
        int64 indices; the first reference (lowest index) of each matched query.
    """
    qidx, ridx = np.flatnonzero(query_ok), np.flatnonzero(ref_ok)
    if not len(qidx) or not len(ridx):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Sort the query side (usually the smaller evaluation split) and stream the other.
    order = qidx[np.argsort(query_hash[qidx])]
    ri, qi = bucket_join(query_hash[order], order, ref_hash[ridx])
    ri = ridx[ri]
    first = np.lexsort((ri, qi))
    qi, ri = qi[first], ri[first]
    keep = np.r_[True, qi[1:] != qi[:-1]] if len(qi) else np.zeros(0, bool)
    return qi[keep], ri[keep]


def _confirmed(ctx: CheckContext, ref: str, ev: str,
               near: Matches) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thumbnail candidates ranked at full resolution (``full_resolution.rank_candidates``).

    Each image is read once, through the scan layer's reader.

    Returns
    -------
    ref : numpy.ndarray
        Per query of ``near``, its reference closest at full resolution.
    score, runner_up : numpy.ndarray
        The full-resolution copy score with that reference and with the next one (-1: none).
    """
    if not len(near):
        return near.ref, np.zeros(0), np.zeros(0)
    candidates = np.column_stack([near.ref, near.rival])
    wanted, where = np.unique(candidates[candidates >= 0], return_inverse=True)
    positions = np.full(candidates.shape, -1, np.int64)
    positions[candidates >= 0] = where
    ref_gray = ctx.gray_images(ref, wanted)
    queries, q_where = np.unique(near.query, return_inverse=True)
    q_gray = ctx.gray_images(ev, queries)
    choice, score, runner_up = rank_candidates([q_gray[i] for i in q_where], ref_gray, positions)
    return candidates[np.arange(len(near)), choice], score, runner_up


def _mark_copies(ctx: CheckContext, marks: LeakMarks, ref: str, ev: str, q: np.ndarray,
                 r: np.ndarray, flag) -> None:
    """Mark the evaluation samples ``q`` of ``ev`` as copies of the samples ``r`` of ``ref``."""
    if len(q):
        marks.add(ev, q, flag, ctx.sample_ids(ref, r))


def _flat_images(images) -> np.ndarray:
    """Decoded images with no variation at all (input_integrity reports those)."""
    std = np.where(np.isnan(images.std), 0.0, images.std)
    return std.max(axis=1) == 0


@register
class SplitLeakageCheck(Check):
    """Samples that appear in more than one split.

    What it detects
    ---------------
    Evaluation samples that are exact copies of training samples (same decoded pixels, same
    array bytes, same row values); near copies: images re-encoded, resized, re-lit or mirrored
    (candidates from a DCT perceptual hash of the image and of its mirror image, bucketed with
    locality-sensitive hashing, then confirmed on the full-resolution pixels, upright and
    mirrored, and by a ratio test against the next-closest image, a natural look-alike; a lone
    pair is context, since a small reference split may hold no look-alike to test against), and
    rows equal to within a small fraction of a standard deviation on every feature or to the
    coarser split's rounding. With
    ``group_col``, groups (patients, users, sessions) present in two splits; with ``time_col``,
    evaluation rows dated before the last training row. Rows that coincide because the
    features are coarse are told apart from copies by how often training rows coincide among
    themselves.

    Why it matters
    --------------
    A model scored on samples it trained on looks better than it is: the test number no
    longer measures generalization, and model selection rewards memorization (item 15).
    """

    id = "split_leakage"
    items = (15,)
    needs = ("two_splits",)
    params = {
        "error_ratio": Param(0.01, "Share of an evaluation split found leaked at or above which a "
                                   "finding is an error (below it, a warning).",
                             float, low=0.0, high=1.0, low_open=True),
        "image_similarity": Param(IMAGE_SIMILARITY, "Least full-resolution pixel correlation, upright or "
                                                    "mirrored, of an image near copy (measured in "
                                                    "benchmarks/near_copies.py).",
                                  float, low=0.0, high=1.0, low_open=True),
        "thumb_similarity": Param(0.985, "Least 16x16 area-averaged thumbnail correlation of an "
                                         "image near-copy candidate, before the full-resolution "
                                         "confirmation.",
                                  float, low=0.0, high=1.0, low_open=True),
        "image_margin": Param(IMAGE_MARGIN, "Ratio test at full resolution: a near copy's "
                                            "dissimilarity (1 - correlation) is at most this times "
                                            "that of the next-closest image.",
                              float, low=0.0, high=1.0, low_open=True),
        "near_warning_ratio": Param(0.01, "Share of an evaluation split that is confirmed image near "
                                          "copies at or above which they are a warning (below it, "
                                          "info listing the pairs).",
                                    float, low=0.0, high=1.0, low_open=True),
        "near_error_ratio": Param(0.1, "Share of an evaluation split that is confirmed image near "
                                       "copies at or above which they are an error.",
                                  float, low=0.0, high=1.0, low_open=True),
        "row_tolerance": Param(0.01, "Largest difference on every feature, in training standard "
                                     "deviations, of a near-copy row (0 turns the search off).",
                               float, low=0.0),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Compare every split with each split before it (train, then val, then test).

        The per-sample table gets ``copy_in`` (the id of the earlier split's sample that an
        evaluation sample copies, exact or near) and ``flag`` (``exact``, ``near``,
        ``mirrored``, ``shared_group``, ``time_overlap``) for each split.
        """
        keys = cols.key_columns(ctx)
        names = ctx.split_names
        out: list[Finding] = []
        marks = LeakMarks(names)
        for i, ref in enumerate(names):
            for ev in names[i + 1:]:
                if not ctx.scan[ref].n or not ctx.scan[ev].n:
                    continue
                out += self._copies(ctx, ref, ev, marks)
                if "group_col" in keys:
                    out += self._groups(ctx, ref, ev, keys["group_col"], marks)
                if "time_col" in keys:
                    out += self._time(ctx, ref, ev, keys["time_col"], marks)
        marks.attach(ctx)
        return out

    # ------------------------------------------------------------------------------- copies

    def _copies(self, ctx: CheckContext, ref: str, ev: str, marks: LeakMarks) -> list[Finding]:
        a, b = ctx.scan[ref], ctx.scan[ev]
        if a.images is not None and b.images is not None:
            return self._image_copies(ctx, ref, ev, marks)
        if a.columns is not None and b.columns is not None:
            return self._row_copies(ctx, ref, ev, marks)
        q, r = exact_pairs(a.hashes, b.hashes, a.readable, b.readable)
        _mark_copies(ctx, marks, ref, ev, q, r, "exact")
        return self._report(ctx, "exact_duplicate", ref, ev, q, r, None, True, 0.0)

    def _image_copies(self, ctx: CheckContext, ref: str, ev: str, marks: LeakMarks) -> list[Finding]:
        a, b = ctx.scan[ref], ctx.scan[ev]
        ok_a = a.images.ok & ~_flat_images(a.images)
        ok_b = b.images.ok & ~_flat_images(b.images)
        q, r = exact_pairs(a.hashes, b.hashes, ok_a, ok_b)
        _mark_copies(ctx, marks, ref, ev, q, r, "exact")
        out = self._report(ctx, "exact_duplicate", ref, ev, q, r, None, True, 0.0)
        rest = ok_b.copy()
        rest[q] = False
        near = match_images(a.images.area, ok_a, a.hashes, b.images.area, rest,
                            min_similarity=self.config["thumb_similarity"], seed=ctx.seed)
        r, score, runner_up = _confirmed(ctx, ref, ev, near)
        # A copy stands apart from the next-closest image; a look-alike among many does not.
        keep = ((score >= self.config["image_similarity"])
                & ((1.0 - score) <= self.config["image_margin"] * (1.0 - runner_up)))
        q, r, score = near.query[keep], r[keep], score[keep]
        flip = mirrored(a.images.area[r], b.images.area[q])
        _mark_copies(ctx, marks, ref, ev, q, r, np.where(flip, "mirrored", "near"))
        order = np.argsort(-score, kind="stable")
        ratio = len(q) / b.n
        if len(q) < NEAR_MIN:
            severity = Severity.INFO
        elif ratio >= self.config["near_error_ratio"]:
            severity = Severity.ERROR
        elif ratio >= self.config["near_warning_ratio"]:
            severity = Severity.WARNING
        else:
            severity = Severity.INFO
        out += self._report(ctx, "near_duplicate", ref, ev, q[order], r[order], score[order], True,
                            0.0, severity=severity)
        return out

    def _row_copies(self, ctx: CheckContext, ref: str, ev: str, marks: LeakMarks) -> list[Finding]:
        a, b = ctx.scan[ref], ctx.scan[ev]
        sampled = a.sampled or b.sampled
        numeric = cols.common_numeric(ctx, [ref, ev])
        other = cols.common_other(ctx, [ref, ev]) if ctx.source(ref).schema is not None else []
        ha, hb = cols.row_hashes(ctx, ref, numeric, other), cols.row_hashes(ctx, ev, numeric, other)
        held = sample_rows(a.n_column_rows, _BASELINE_ROWS, ctx.seed)
        tol = self.config["row_tolerance"]
        search = RowSearch.build(ctx, ref, ev, numeric, other, tol) if tol > 0 and numeric else None
        if search is not None:
            near, base, complete = search_near(ctx, search, ref, ev, held, numeric, other)
        else:
            near, base, complete = Matches.empty(), Matches.empty(), False
        partial = search is not None and not complete
        if complete and not sampled:
            # Equal rows share every cell, so the grid search has already found them.
            exact = (near.score == 0) & (ha[near.ref] == hb[near.query])
            q, r = near.query[exact], near.ref[exact]
        else:
            q, r = exact_pairs(ha, hb, np.ones(a.n, bool), np.ones(b.n, bool))
        if len(q) and self._may_coincide(ctx, ref, numeric):
            ha_sorted = np.sort(ha)
            repeats = int(np.count_nonzero(np.searchsorted(ha_sorted, ha, "right")
                                           - np.searchsorted(ha_sorted, ha, "left") > 1))
            significant, chance = beyond_chance(len(q), b.n, repeats, a.n)
        else:
            significant, chance = bool(len(q)), 0.0
        out = self._report(ctx, "exact_duplicate", ref, ev, q, r, None, significant, chance)
        _mark_copies(ctx, marks, ref, ev, q, r, "exact")
        copied = np.zeros(b.n, bool)
        copied[q] = True
        keep = ~copied[near.query]
        near = Matches(near.query[keep], near.ref[keep], near.score[keep])
        if not len(near):
            return out + (self._partial_search(ref, ev) if partial else [])
        base_hits = int(np.count_nonzero(base.score > 0))
        significant, chance = beyond_chance(len(near), b.n, base_hits, len(held))
        order = np.argsort(near.score, kind="stable")
        _mark_copies(ctx, marks, ref, ev, near.query, near.ref, "near")
        out += self._report(ctx, "near_duplicate", ref, ev, near.query[order], near.ref[order],
                            near.score[order], significant, chance, partial)
        return out

    def _partial_search(self, ref: str, ev: str) -> list[Finding]:
        """Context when crowded grid cells were searched in part and no near copy was found."""
        return [self.finding(
            "near_search_partial", Severity.INFO,
            f"Some {ref} and {ev} rows are so alike that only part of their candidate pairs were "
            "compared in the near-copy search: near copies among them may be missed (exact copies "
            "are all found).",
            hint=f"Remove the duplicate rows within {ref} and {ev} (see the duplicates check), then "
                 "profile again.", split=ev)]

    @staticmethod
    def _may_coincide(ctx: CheckContext, ref: str, numeric: list[str]) -> bool:
        """Whether distinct rows can be equal by chance: not when some feature practically
        never repeats a value (a continuous measurement)."""
        return not numeric or bool((cols.distinct_ratio(ctx, ref, numeric) < 0.99).all())

    # ------------------------------------------------------------------------------ reports

    def _report(self, ctx: CheckContext, what: str, ref: str, ev: str, q: np.ndarray,
                r: np.ndarray, score: np.ndarray | None, significant: bool,
                chance: float, partial: bool = False,
                severity: Severity | None = None) -> list[Finding]:
        """One finding for matched pairs (query in ``ev``, reference in ``ref``), if any;
        ``partial``: crowded cells were searched in part, so there may be more; ``severity``:
        set by the caller (image near copies) rather than by the share leaked."""
        n_eval = ctx.scan[ev].n
        k = len(q)
        if not k:
            return []
        ratio = k / n_eval
        image = ctx.scan[ev].images is not None
        unit = "images" if image else ("rows" if ctx.scan[ev].columns is not None else "samples")
        pairs = [[e, t] for e, t in zip(ctx.sample_ids(ev, q[:_MAX_PAIRS * 2]),
                                        ctx.sample_ids(ref, r[:_MAX_PAIRS * 2]))]
        samples = [s for pair in pairs[:_MAX_PAIRS] for s in pair]
        n_samples = k + len(np.unique(r))
        metrics = {"n_leaked": k, "leaked_ratio": round(ratio, 6), "n_ref_samples": len(np.unique(r))}
        data: dict = {"pairs": pairs}
        if score is not None:
            data["scores"] = [round(float(s), 4) for s in score[:_MAX_PAIRS * 2]]
            data["relation"] = "≈"
            data["captions"] = [f"r = {s:.3f}" if image else f"{s:.0%} of the tolerance"
                                for s in data["scores"]]
        if not image:
            metrics["chance_ratio"] = round(chance, 6)
        one = k == 1
        if what == "exact_duplicate":
            how = f"is an exact copy of a {ref} {unit[:-1]}" if one else f"are exact copies of {ref} {unit}"
        elif image:
            how = ((f"is a near copy of a {ref} image" if one else f"are near copies of {ref} images")
                   + " (re-encoded, resized, re-lit or mirrored; full-resolution correlation at least "
                     f"{self.config['image_similarity']:g})")
            metrics["min_similarity"] = round(float(score.min()), 4)
        else:
            how = (f"match{'es' if one else ''} a {ref} row to within {self.config['row_tolerance']:g} "
                   f"standard deviations on every feature (or to the coarser split's rounding)")
            if partial:
                how += " (crowded cells of near-identical rows were searched in part: there may be more)"
            metrics["max_distance_ratio"] = round(float(score.max()), 4)
        title = f"{ev} {unit} and the {ref} {unit} they copy"
        evidence = [Evidence("pairs", title, data)]
        if not significant:
            return [self.finding(
                what, Severity.INFO,
                f"{k:,} {ev} {unit[:-1] if one else unit} ({ratio:.1%}) {how}, about as often as {ref} {unit} "
                f"coincide among themselves ({chance:.1%}): coarse features repeat by chance.",
                hint="If they are the same real-world records, deduplicate before splitting.",
                split=ev, metrics=metrics, samples=samples, n_samples=n_samples, evidence=evidence)]
        if severity is Severity.INFO:
            why = ("one pair alone may be a natural look-alike (one cut of garment, one product "
                   "photographed twice) rather than a copy" if k < NEAR_MIN else
                   f"too few to change the {ev} scores much")
            return [self.finding(
                what, severity,
                f"{k:,} {ev} {unit[:-1] if one else unit} ({ratio:.1%}) {how}: {why}, but worth a look.",
                hint=f"Review the pairs; drop the copies from {ev} if they show the same item.",
                split=ev, metrics=metrics, samples=samples, n_samples=n_samples, evidence=evidence)]
        if severity is None:
            excess = ratio - chance
            severity = Severity.ERROR if excess >= self.config["error_ratio"] else Severity.WARNING
        return [self.finding(
            what, severity,
            f"{k:,} {ev} {unit[:-1] if one else unit} ({ratio:.1%}) {how}, so {ev} scores overstate how well the "
            f"model generalizes.",
            hint=(f"Remove them from {ev}, or deduplicate before splitting so that copies land "
                  f"in one split."),
            split=ev, metrics=metrics, samples=samples, n_samples=n_samples, evidence=evidence)]

    # ---------------------------------------------------------------------- groups and time

    def _groups(self, ctx: CheckContext, ref: str, ev: str, col: str, marks: LeakMarks) -> list[Finding]:
        import pandas as pd

        ga = pd.Series(ctx.rows(ref, [col]).column(col).to_pandas())
        gb = pd.Series(ctx.rows(ev, [col]).column(col).to_pandas())
        if (ga.dtype.kind in "biuf") != (gb.dtype.kind in "biuf"):
            ga, gb = ga.astype(str), gb.astype(str)  # 7 and "7" name the same group
        first_ref = ga[ga.notna()].drop_duplicates()
        shared = gb.isin(first_ref) & gb.notna()
        q = np.flatnonzero(shared.to_numpy())
        if not len(q):
            return []
        ref_of = pd.Series(first_ref.index.to_numpy(), index=first_ref.to_numpy())
        order = np.argsort(gb.iloc[q].astype(str).to_numpy(), kind="stable")
        q = q[order]
        r = ref_of.loc[gb.iloc[q].to_numpy()].to_numpy().astype(np.int64)
        n_groups = int(gb.iloc[q].nunique())
        marks.add(ev, q, "shared_group")
        ratio = len(q) / ctx.scan[ev].n
        severity = Severity.ERROR if ratio >= self.config["error_ratio"] else Severity.WARNING
        pairs = [[e, t] for e, t in zip(ctx.sample_ids(ev, q[:_MAX_PAIRS * 2]),
                                        ctx.sample_ids(ref, r[:_MAX_PAIRS * 2]))]
        return [self.finding(
            "shared_group", severity,
            f"{n_groups:,} {col} values occur in both {ref} and {ev} ({len(q):,} {ev} rows, "
            f"{ratio:.1%}), so the model is evaluated on {col} groups it trained on.",
            hint=f"Split by {col} (e.g. scikit-learn's GroupShuffleSplit) so each group lands in one split.",
            split=ev, metrics={"n_groups": n_groups, "n_leaked": len(q), "leaked_ratio": round(ratio, 6)},
            samples=[s for p in pairs[:_MAX_PAIRS] for s in p], n_samples=len(q) + len(np.unique(r)),
            evidence=[Evidence("pairs", f"{ev} rows and a {ref} row of the same {col}", {"pairs": pairs})])]

    def _time(self, ctx: CheckContext, ref: str, ev: str, col: str, marks: LeakMarks) -> list[Finding]:
        ta, fmt = time_values(ctx.rows(ref, [col]).column(col))
        tb, _ = time_values(ctx.rows(ev, [col]).column(col))
        if not np.isfinite(ta).any() or not np.isfinite(tb).any():
            return []
        last = int(np.nanargmax(ta))
        early = np.flatnonzero(tb < ta[last])
        if not len(early):
            return []
        early = early[np.argsort(tb[early], kind="stable")]
        marks.add(ev, early, "time_overlap")
        ratio = len(early) / ctx.scan[ev].n
        severity = Severity.ERROR if ratio >= self.config["error_ratio"] else Severity.WARNING
        table = {"columns": ["split", "rows", "first", "last"],
                 "rows": [[name, int(np.isfinite(t).sum()), fmt(np.nanmin(t)), fmt(np.nanmax(t))]
                          for name, t in ((ref, ta), (ev, tb))]}
        return [self.finding(
            "time_overlap", severity,
            f"{len(early):,} {ev} rows ({ratio:.1%}) are dated before the last {ref} row "
            f"({fmt(ta[last])}), so the model trains on the future of what it is tested on.",
            hint=f"Split by {col}: train on rows before a cutoff and evaluate on rows after it.",
            split=ev,
            metrics={"n_leaked": len(early), "leaked_ratio": round(ratio, 6),
                     "ref_last": fmt(ta[last]), "eval_first": fmt(np.nanmin(tb))},
            samples=ctx.sample_ids(ref, [last]) + ctx.sample_ids(ev, early[:49]),
            n_samples=len(early) + 1,
            evidence=[Evidence("table", f"{col} range per split", table)])]

