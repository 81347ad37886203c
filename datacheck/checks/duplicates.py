"""``duplicates``: exact copies of samples within a split, and copies with other labels (item 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from datacheck.checks._chance_copies import chance_groups
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity
from datacheck.scan.result import SplitScan


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
    differing or not, are reported at info as ``chance_repeats``. Copies shared between
    splits are the ``split_leakage`` check's.

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
            conflict = _conflicting(groups, scan.y) if len(groups.sizes) else np.zeros(0, bool)
            _sample_columns(ctx, scan.name, groups, conflict)
            if not len(groups.sizes):
                continue
            chance = _by_chance(scan, groups, conflict)
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
            f"{n_copies} {scan.name} rows repeat another ({n_copies / n_readable:.1%} of the split, in "
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
            f"cop{'ies' if n_copies > 1 else 'y'} of another ({ratio:.1%} of the split, in "
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
        severity = Severity.ERROR if ratio > self.config["conflict_error_ratio"] else Severity.WARNING
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


def _by_chance(scan: SplitScan, groups: HashGroups, conflict: np.ndarray) -> np.ndarray:
    """Per group: whether chance explains it (``_chance_copies``: its repeats, or where its
    labels differ (``conflict``), their uncertainty); only for a table split whose feature columns hold
    every row (a streamed split's are a sample), else never."""
    none = np.zeros(len(groups.sizes), bool)
    numeric = scan.columns if scan.columns is not None else np.zeros((0, scan.n))
    texts = scan.other_values
    if scan.sampled or (not len(numeric) and texts is None) or (texts is not None and texts.num_rows != scan.n):
        return none
    if scan.images is not None or scan.array is not None:
        return none
    chance = chance_groups(_value_codes(numeric, texts), scan.n, groups.members, groups.starts, groups.sizes)
    return chance.explained(groups.sizes, conflict)


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


def _conflicting(groups: HashGroups, y: np.ndarray) -> np.ndarray:
    """Per group: whether its labelled members carry more than one label (missing ignored)."""
    labels = y[groups.members]
    big = np.iinfo(np.int64).max
    lo = np.minimum.reduceat(np.where(labels >= 0, labels, big), groups.starts)
    hi = np.maximum.reduceat(labels, groups.starts)
    return hi > lo


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
