"""Choose the samples the out-of-fold models see: labelled, readable, sampled when large."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datacheck.scan.sample import stratified_sample, target_bins


@dataclass
class Pool:
    """Which samples the models see: labelled and readable rows of every split.

    Parameters
    ----------
    split_names : list of str
        Names of the splits, indexed by ``split``.
    split : numpy.ndarray
        int8 split index per pooled sample.
    row : numpy.ndarray
        int64 row of the sample within its split.
    y : numpy.ndarray
        int64 class code (into ``Dataset.classes``) per pooled sample; for a regression
        target the code ranks the value (``Dataset.target_values`` gives it).
    n_available : int
        Labelled, readable samples of every split (every row of a streamed split), before
        sampling and before rare classes were left out.
    notes : list of str
        What was left out or sampled, in words, for the findings.
    capped_from : int
        Where the samples were drawn down to ``max_samples`` (``build_pool``): how many there
        were, every one at hand; else 0 (not drawn down, or a streamed split's features exist
        for its row sample only).
    """

    split_names: list[str]
    split: np.ndarray
    row: np.ndarray
    y: np.ndarray
    n_available: int
    notes: list[str] = field(default_factory=list)
    capped_from: int = 0

    def __len__(self) -> int:
        return int(len(self.y))

    def rows_of(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the pool and rows in the split of split number ``k``."""
        at = np.flatnonzero(self.split == k)
        return at, self.row[at]

    def sample_ids(self, ctx, positions) -> list[str]:
        """Report names of the samples at ``positions``, in the order given."""
        positions = np.asarray(positions, dtype=np.int64)
        return [ctx.sample_ids(self.split_names[self.split[p]], [int(self.row[p])])[0] for p in positions]

    def subset(self, positions: np.ndarray) -> "Pool":
        """The samples at ``positions``, in that order (notes and counts kept)."""
        return Pool(self.split_names, self.split[positions], self.row[positions], self.y[positions],
                    self.n_available, self.notes, self.capped_from)

    def then(self, other: "Pool") -> "Pool":
        """This pool's samples followed by ``other``'s (of the same splits)."""
        return Pool(self.split_names, np.concatenate([self.split, other.split]),
                    np.concatenate([self.row, other.row]), np.concatenate([self.y, other.y]),
                    self.n_available, self.notes, self.capped_from)


def build_pool(ctx, *, max_samples: int, min_per_class: int, seed: int) -> Pool:
    """Pool the labelled, readable samples of every split; sample when there are too many.

    Parameters
    ----------
    ctx : CheckContext
        The dataset and its scan.
    max_samples : int
        At most this many samples, drawn stratified by class (seeded).
    min_per_class : int
        Classes with fewer samples are left out (a K-fold model cannot learn them). A
        regression target keeps every value; it is sampled by quantile bins of the value.
    seed : int
        Seed of the sampling.

    Returns
    -------
    Pool
    """
    names = list(ctx.scan.splits)
    parts, n_available = [], 0
    for k, name in enumerate(names):
        scan = ctx.scan.splits[name]
        usable = (scan.y >= 0) & scan.readable
        n_available += int(np.count_nonzero(usable))
        # a streamed split: only the sampled rows' features are at hand
        keep = scan.column_rows[usable[scan.column_rows]] if scan.sampled else np.flatnonzero(usable)
        parts.append((np.full(len(keep), k, np.int8), keep.astype(np.int64), scan.y[keep].astype(np.int64)))
    split, row, y = (np.concatenate([p[j] for p in parts]) if parts else np.zeros(0, np.int64)
                     for j in range(3))
    notes = []
    counts = np.bincount(y, minlength=len(ctx.classes))
    rare = np.flatnonzero((counts > 0) & (counts < min_per_class)) if not ctx.is_regression else np.zeros(0, np.int64)
    if len(rare):
        keep = counts[y] >= min_per_class
        split, row, y = split[keep], row[keep], y[keep]
        shown = ", ".join(ctx.classes[c] for c in rare[:5]) + (", ..." if len(rare) > 5 else "")
        notes.append(f"{len(rare)} classes with fewer than {min_per_class} samples were left out of "
                     f"the model ({shown})")
    sampled = [name for name in names if ctx.scan.splits[name].sampled]
    capped_from = 0
    if len(y) > max_samples:
        capped_from = 0 if sampled else len(y)
        strata, floor = (target_bins(y), 1) if ctx.is_regression else (y, min_per_class)
        take = stratified_sample(strata, max_samples, floor, seed)
        split, row, y = split[take], row[take], y[take]
    if len(y) < n_available - int(counts[rare].sum()):  # sampled, not just rare classes left out
        whence = (f" (drawn from the stratified row sample of streamed {', '.join(sampled)})"
                  if sampled else "")
        notes.append(f"a stratified sample of {len(y):,} of the {n_available:,} labelled samples "
                     f"was modelled{whence}")
    return Pool(names, split, row, y, n_available, notes, capped_from)
