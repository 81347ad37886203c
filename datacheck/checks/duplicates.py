"""``duplicates``: exact copies of samples within a split, and copies with other labels (item 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from datacheck.checks._chance_copies import GroupChance, chance_groups, labels_uncertain
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity, share_text
from datacheck.scan.result import SplitScan

# A regression target's values differ between identical inputs where they spread over more than
# this share of the split's interquartile range; less is the target's own noise (a lab's
# replicate measurements: concrete strengths 57.0, 44.4 and 51.0 of one mix and age, an IQR of
# 22.4; two condos of one complex and size sold for 133,000 and 145,000, an IQR of 149,000).
TARGET_SPREAD = 1.0


@dataclass(frozen=True)
class HashGroups:
    """Samples of one split grouped by equal content hash (groups of two or more only).

    Parameters
    ----------
    members : numpy.ndarray
        Sample indices, grouped, each group in row order.
    starts : numpy.ndarray
        Offset of each group in ``members``.
    sizes : numpy.ndarray
        Number of members of each group.
    """

    members: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @property
    def group_of(self) -> np.ndarray:
        """The group number of each entry of ``members``."""
        return np.repeat(np.arange(len(self.sizes)), self.sizes)


def hash_groups(hashes: np.ndarray, index: np.ndarray | None = None) -> HashGroups:
    """Group samples with equal hashes, vectorized (one sort).

    Parameters
    ----------
    hashes : numpy.ndarray
        uint64 content hashes of the samples considered.
    index : numpy.ndarray, optional
        Their sample indices in the split (default their positions).

    Returns
    -------
    HashGroups
        Groups of two or more, largest first, then by first member.
    """
    quick = np.sort(hashes)  # an unstable sort is far cheaper; most splits have no copies at all
    if not (quick[1:] == quick[:-1]).any():
        empty = np.zeros(0, np.int64)
        return HashGroups(empty, empty, empty)
    del quick
    order = np.argsort(hashes, kind="stable")
    h = hashes[order]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if len(h) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, len(h)])
    keep = sizes > 1
    starts, sizes = starts[keep], sizes[keep]
    sample = order if index is None else index[order]
    rank = np.lexsort((sample[starts], -sizes))
    starts, sizes = starts[rank], sizes[rank]
    positions = np.repeat(starts - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(sizes.sum())
    members = sample[positions]
    return HashGroups(members, np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64), sizes)


@register
class DuplicatesCheck(Check):
    """Exact duplicate samples within a split, and identical inputs with different labels.

    What it detects
    ---------------
    Samples whose content (decoded pixels, array values or table row, label excluded) is
    identical to another sample of the same split, grouped; the share of redundant copies;
    and groups of identical inputs that carry different labels. On a table whose features
    take few values (categories, answers on a scale), rows repeat by chance: groups that the
    frequencies of their row's values explain (``_chance_copies``), with their labels
    differing or not, are reported at info as ``chance_repeats``; so are those whose every
    value recurs elsewhere where the classes of a table's identical rows differ nearly as often
    as independent labels would: distinct samples with an uncertain outcome (customers of one
    plan, one churned), which copies of one sample would not be. A regression target
    differs within a group only where its values spread over more than ``TARGET_SPREAD`` of
    its interquartile range (less is replicate noise, and the rows count as copies). Copies
    shared between splits are the ``split_leakage`` check's.

    Why it matters
    --------------
    Copies weigh some samples more than others and, when a split is mostly copies, the
    network sees the same batch again and again. Identical inputs with different labels
    cannot both be fitted: they are label noise the model is trained to memorize.
    """

    id = "duplicates"
    items = (1,)
    params = {
        "warning_ratio": Param(
            0.01, "Share of redundant copies in a split above which duplicates are a warning "
                  "rather than info.", kind=float, low=0.0, high=1.0),
        "error_ratio": Param(
            0.9, "Share of redundant copies above which the split is an error: it is mostly "
                 "the same samples repeated.", kind=float, low=0.0, high=1.0),
        "conflict_warning_ratio": Param(
            0.002, "Share of samples in groups of identical inputs with different labels from which "
                   "the conflicts are a warning rather than info: a handful among thousands cannot "
                   "hurt training (Telco churn: 11 of 7,043).", kind=float, low=0.0, high=1.0),
        "conflict_error_ratio": Param(
            0.01, "Share of samples in groups of identical inputs with different labels "
                  "above which the conflicts are an error rather than a warning.",
            kind=float, low=0.0, high=1.0),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Group equal hashes per split and report copies and label conflicts."""
        findings = []
        for scan in ctx.splits():
            ok = scan.readable
            # Every sample readable (always, for tables): no index or copy of the hashes.
            readable = None if ok.all() else np.flatnonzero(ok)
            n_readable = scan.n if readable is None else len(readable)
            groups = (hash_groups(scan.hashes if readable is None else scan.hashes[readable], readable)
                      if n_readable >= 2 else hash_groups(np.zeros(0, np.uint64)))
            labels = _Labels.of(ctx, scan)
            conflict = labels.differ(groups) if len(groups.sizes) else np.zeros(0, bool)
            _sample_columns(ctx, scan.name, groups, conflict)
            if not len(groups.sizes):
                continue
            odds = _chance_of(scan, groups)
            chance = odds.explained(groups.sizes, conflict) if odds is not None else np.zeros_like(conflict)
            chance |= _outcome_repeats(labels, odds, groups, conflict, ~chance)
            findings += self._copies(ctx, scan, groups, ~conflict & ~chance, n_readable)
            findings += self._conflicts(ctx, scan, groups, conflict & ~chance, n_readable)
            findings += self._chance(ctx, scan, groups, chance, conflict, n_readable)
        return findings

    def _chance(self, ctx: CheckContext, scan: SplitScan, groups: HashGroups, chosen: np.ndarray,
                conflict: np.ndarray, n_readable: int) -> list[Finding]:
        """Identical rows that chance explains (``_chance_copies``), at info."""
        if not chosen.any():
            return []
        n_copies = int((groups.sizes[chosen] - 1).sum())
        n_groups = int(chosen.sum())
        mixed = chosen & conflict
        n_mixed = int(groups.sizes[mixed].sum())
        members, n_members, pairs = _selection(ctx, scan.name, groups, chosen)
        labels = (f"; {int(mixed.sum())} of the groups ({n_mixed} samples) carry different labels, the "
                  "uncertainty of the task where the inputs are the same" if mixed.any() else "")
        return [self.finding(
            "chance_repeats", Severity.INFO,
            f"{n_copies} {scan.name} rows repeat another ({share_text(n_copies / n_readable)} of the split, in "
            f"{n_groups} group{'s' if n_groups > 1 else ''}), about as often as chance repeats rows whose "
            f"features take few values{labels}. Not copies: a sample of such data repeats its rows.",
            hint="Nothing to fix if the features are meant to be this coarse; deduplicating would "
                 "change the data's frequencies.",
            split=scan.name,
            metrics={"n_repeats": n_copies, "n_groups": n_groups, "repeat_ratio": n_copies / n_readable,
                     "n_groups_with_labels_differing": int(mixed.sum())},
            samples=members, n_samples=n_members,
            evidence=[Evidence("pairs", f"Repeated rows in {scan.name}", {"pairs": pairs})],
        )]

    def _copies(self, ctx: CheckContext, scan: SplitScan, groups: HashGroups, chosen: np.ndarray,
                n_readable: int) -> list[Finding]:
        if not chosen.any():
            return []
        n_copies = int((groups.sizes[chosen] - 1).sum())
        ratio = n_copies / n_readable
        if ratio > self.config["error_ratio"]:
            severity = Severity.ERROR
        elif ratio > self.config["warning_ratio"]:
            severity = Severity.WARNING
        else:
            severity = Severity.INFO
        members, n_members, pairs = _selection(ctx, scan.name, groups, chosen)
        n_groups = int(chosen.sum())
        return [self.finding(
            "exact", severity,
            f"{n_copies} {scan.name} sample{'s are' if n_copies > 1 else ' is an'} exact "
            f"cop{'ies' if n_copies > 1 else 'y'} of another ({share_text(ratio)} of the split, in "
            f"{n_groups} group{'s' if n_groups > 1 else ''}); "
            + ("the network sees the same few samples again and again."
               if severity is Severity.ERROR else "each copy weighs its sample twice in training."),
            hint="Keep one sample of each group, unless the repetition is deliberate "
                 "oversampling; find the step that copied them.",
            split=scan.name,
            metrics={"n_copies": n_copies, "n_groups": n_groups, "duplicate_ratio": ratio,
                     "largest_group": int(groups.sizes[chosen].max())},
            samples=members, n_samples=n_members,
            evidence=[Evidence("pairs", f"Exact duplicates in {scan.name}", {"pairs": pairs})],
        )]

    def _conflicts(self, ctx: CheckContext, scan: SplitScan, groups: HashGroups, chosen: np.ndarray,
                   n_readable: int) -> list[Finding]:
        if not chosen.any():
            return []
        members, n_members, pairs = _selection(ctx, scan.name, groups, chosen)
        ratio = n_members / n_readable
        severity = (Severity.ERROR if ratio > self.config["conflict_error_ratio"] else
                    Severity.WARNING if ratio >= self.config["conflict_warning_ratio"] else Severity.INFO)
        n_groups = int(chosen.sum())
        in_groups = groups.members[np.repeat(chosen, groups.sizes)]
        classes = ctx.classes
        labels = [classes[c] if c >= 0 else "(missing)" for c in scan.y[in_groups[:MAX_SAMPLES]]]
        groups_of = np.repeat(np.arange(n_groups), groups.sizes[chosen])[:MAX_SAMPLES]
        return [self.finding(
            "label_conflicts", severity,
            f"{n_groups} group{'s' if n_groups > 1 else ''} of identical {scan.name} inputs "
            f"({n_members} samples) carr{'y' if n_groups > 1 else 'ies'} different labels; the "
            "network cannot fit both and learns noise.",
            hint="Review these samples and give each input its one correct label, or drop them.",
            split=scan.name, items=(1, 6),
            metrics={"n_groups": n_groups, "n_conflicting": n_members, "conflict_ratio": ratio},
            samples=members, n_samples=n_members,
            evidence=[
                Evidence("pairs", f"Identical inputs with different labels in {scan.name}",
                         {"pairs": pairs}),
                Evidence("table", "Labels of the conflicting samples", {
                    "columns": ["group", "sample", "label"],
                    "rows": [[int(g) + 1, sid, lab] for g, sid, lab in zip(groups_of, members, labels)]}),
            ],
        )]


def _sample_columns(ctx: CheckContext, split: str, groups: HashGroups, conflict: np.ndarray) -> None:
    """Per-sample columns of the samples in a group of copies: ``group`` (its number in the
    split, largest groups first), ``copy_of`` (the id of the group's first sample, on the later
    ones) and ``flag`` (``exact``, or ``label_conflicts`` where the copies' labels differ)."""
    group_of = groups.group_of
    leaders = groups.members[groups.starts][group_of]
    later = groups.members != leaders
    ctx.sample_column(split, "group", group_of, rows=groups.members)
    ctx.sample_column(split, "copy_of", np.asarray(ctx.sample_ids(split, leaders[later]), dtype=object),
                      rows=groups.members[later])
    codes = np.array(["exact", "label_conflicts"], dtype=object)[conflict[group_of].astype(np.int64)]
    ctx.sample_column(split, "flag", codes, rows=groups.members)


def _chance_of(scan: SplitScan, groups: HashGroups) -> GroupChance | None:
    """How chance stands to each group (``_chance_copies``: its repeats, or where its labels
    differ, their uncertainty); only for a table split whose feature columns hold every row (a
    streamed split's are a sample), else None."""
    numeric = scan.columns if scan.columns is not None else np.zeros((0, scan.n))
    texts = scan.other_values
    if scan.sampled or (not len(numeric) and texts is None) or (texts is not None and texts.num_rows != scan.n):
        return None
    if scan.images is not None or scan.array is not None:
        return None
    return chance_groups(_value_codes(numeric, texts), scan.n, groups.members, groups.starts, groups.sizes)


def _outcome_repeats(labels: "_Labels", odds: GroupChance | None, groups: HashGroups, differ: np.ndarray,
                     tested: np.ndarray) -> np.ndarray:
    """The ``tested`` groups that an uncertain outcome shows to be distinct samples: where their
    classes differ nearly as often as independent labels would (``_chance_copies.
    labels_uncertain``: copies of one sample would agree), every group whose values all recur
    elsewhere, its labels differing or not (a row of its own, with a measurement, is one sample
    twice). Classes only: a regression target's copies shifted by a slip differ as independent
    draws do, and would pass for an outcome."""
    none = np.zeros_like(differ)
    if odds is None or labels.values is not None or not (differ & tested & odds.recurs).any():
        return none
    if not labels_uncertain(labels.p_differ(groups)[tested], differ[tested]):
        return none
    return tested & odds.recurs


def _value_codes(numeric: np.ndarray, texts) -> Iterator[np.ndarray]:
    """Int codes of each column's values, row by row: numeric columns (NaN one value), then
    text columns (missing one value)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    for col in numeric:
        yield pd.factorize(col, use_na_sentinel=False)[0]
    for col in (texts.columns if texts is not None else []):
        if pa.types.is_nested(col.type):  # lists and structs: by their text, as rows are hashed
            yield pd.factorize(np.array([repr(v) for v in col.to_pylist()], dtype=object))[0]
            continue
        codes = pc.dictionary_encode(col).combine_chunks().indices
        yield np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False), np.int64) + 1


@dataclass(frozen=True)
class _Labels:
    """A split's labels as the groups of identical inputs compare them: class codes, or a
    regression target's values with the spread below which they count as one.

    Parameters
    ----------
    y : numpy.ndarray
        Label codes per sample (-1 missing).
    values : numpy.ndarray or None
        A regression target's value per sample (NaN missing); None for classes.
    spread : float
        For a target: values of one group further apart than this differ (``TARGET_SPREAD``
        of the interquartile range).
    """

    y: np.ndarray
    values: np.ndarray | None = None
    spread: float = 0.0

    @classmethod
    def of(cls, ctx: CheckContext, scan: SplitScan) -> "_Labels":
        """The labels of ``scan``: its class codes, or its target's values and spread."""
        if not ctx.is_regression:
            return cls(scan.y)
        values = ctx.target(scan.name)
        known = values[np.isfinite(values)]
        iqr = float(np.subtract(*np.percentile(known, [75, 25]))) if len(known) else 0.0
        return cls(scan.y, values, TARGET_SPREAD * iqr)

    def differ(self, groups: HashGroups) -> np.ndarray:
        """Per group: whether its labelled members carry more than one label (missing ignored)."""
        if self.values is None:
            labels = self.y[groups.members]
            lo = np.minimum.reduceat(np.where(labels >= 0, labels, np.iinfo(np.int64).max), groups.starts)
            return np.maximum.reduceat(labels, groups.starts) > lo
        values = self.values[groups.members]
        lo = np.minimum.reduceat(np.where(np.isfinite(values), values, np.inf), groups.starts)
        hi = np.maximum.reduceat(np.where(np.isfinite(values), values, -np.inf), groups.starts)
        return np.isfinite(lo) & (hi - lo > self.spread)

    def p_differ(self, groups: HashGroups) -> np.ndarray:
        """Per group: the probability that its labelled members' classes would differ if drawn
        independently from the split's classes."""
        labelled = self.y[groups.members] >= 0
        counts = np.add.reduceat(labelled.astype(np.int64), groups.starts)
        shares = np.bincount(self.y[self.y >= 0]) / max(np.count_nonzero(self.y >= 0), 1)
        out = np.zeros(len(counts))
        for m in np.unique(counts[counts > 1]):
            out[counts == m] = 1.0 - np.sum(shares ** m)
        return out


def _selection(ctx: CheckContext, split: str, groups: HashGroups, chosen: np.ndarray):
    """Sample ids of the chosen groups' members (at most 50) and their count, and pairs
    (first member, each later member), at most 50."""
    mask = np.repeat(chosen, groups.sizes)
    members = groups.members[mask]
    leaders = groups.members[groups.starts][groups.group_of][mask]
    later = members != leaders
    pair_rows = np.column_stack([leaders[later], members[later]])[:MAX_SAMPLES]
    ids = ctx.sample_ids(split, members[:MAX_SAMPLES])
    pairs = [ctx.sample_ids(split, row) for row in pair_rows]
    return ids, len(members), pairs
