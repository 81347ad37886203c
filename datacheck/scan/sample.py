"""Seeded, stratified row samples: which rows of a large split the row-level checks see."""

from __future__ import annotations

import numpy as np

# Rows per split kept in full for the checks that compare rows (near copies, drift statistics,
# imputation signatures, label noise) when a split is streamed rather than held in memory.
SAMPLE_ROWS = 200_000
# Rows of every class (missing labels included) kept in such a sample, when a class has them.
SAMPLE_FLOOR = 50
# A regression target is stratified by this many quantile bins of its value, not by value.
TARGET_BINS = 64


def stratified_sample(y: np.ndarray, size: int, floor: int, seed: int) -> np.ndarray:
    """Sorted positions of ``size`` samples, each class in proportion (at least ``floor``).

    Each class gets its share of ``size`` rounded down, and the samples left over go to the
    classes with the largest remainders, so the sample holds exactly ``size`` samples unless
    ``floor`` (or ``size`` above ``len(y)``) makes it larger (smaller).

    Parameters
    ----------
    y : numpy.ndarray
        Non-negative int labels.
    size : int
        Wanted sample size.
    floor : int
        Keep at least this many of every class (all of a smaller one).
    seed : int
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        Sorted positions into ``y``.
    """
    rng = np.random.default_rng(seed)
    counts = np.bincount(y)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    share = counts * (min(size, len(y)) / max(len(y), 1))
    quota = np.floor(share).astype(np.int64)
    # largest remainders first, ties to the lower class code
    quota[np.argsort(quota - share, kind="stable")[:min(size, len(y)) - int(quota.sum())]] += 1
    quota = np.minimum(counts, np.maximum(quota, floor))
    # a random rank within each class; keep the ranks below the class quota
    rank = np.empty(len(y), np.int64)
    # ordered by class, at random within a class: a random permutation (7x faster than an
    # argsort of random floats on 1M rows), then a stable sort of its labels, a radix sort
    # when they fit 16 bits
    by_random = rng.permutation(len(y))
    labels = y[by_random]
    if len(counts) <= 1 << 16:
        labels = labels.astype(np.uint16)
    shuffled = by_random[np.argsort(labels, kind="stable")]
    rank[shuffled] = np.arange(len(y)) - np.repeat(starts, counts)
    return np.flatnonzero(rank < quota[y])


def split_sample(y: np.ndarray, size: int | None = None, seed: int = 0) -> np.ndarray | None:
    """The rows of a split whose features a streamed scan keeps, or None to keep every row.

    Parameters
    ----------
    y : numpy.ndarray
        Label codes of the split (-1 missing), known before its features are read.
    size : int, optional
        Rows to keep at most (about; every class keeps at least ``SAMPLE_FLOOR``); default
        ``SAMPLE_ROWS``.
    seed : int
        Seed of the draw: the same rows whatever the partitioning.

    Returns
    -------
    numpy.ndarray or None
        Sorted int64 row indices.
    """
    size = SAMPLE_ROWS if size is None else size
    n = len(y)
    if n <= size:
        return None
    rng = np.random.default_rng(seed)
    parts = []
    # Class by class, so that memory stays about one class's row indices, not several
    # arrays of the split's length.
    for label, count in _label_counts(y):
        quota = min(count, max(round(count * size / n), SAMPLE_FLOOR))
        rows = np.flatnonzero(y == label)
        parts.append(rows[rng.choice(count, quota, replace=False)])
    return np.sort(np.concatenate(parts)).astype(np.int64)


def target_bins(y: np.ndarray, n_bins: int = TARGET_BINS) -> np.ndarray:
    """Quantile bins of a regression target's codes, the strata of its row sample.

    A regression split's codes rank its target values, so stratifying by code would keep
    every row (one value, one class, each under the floor) and loop once per value.

    Parameters
    ----------
    y : numpy.ndarray
        Target codes in value order (-1 missing).
    n_bins : int
        Number of bins.

    Returns
    -------
    numpy.ndarray
        int64 bin per row, 0..n_bins-1, -1 where the target is missing.
    """
    labelled = y[y >= 0]
    if not len(labelled):
        return y.astype(np.int64)
    edges = np.quantile(labelled, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, y, side="right")
    return np.where(y >= 0, bins, -1).astype(np.int64)


def _label_counts(y: np.ndarray) -> list[tuple[int, int]]:
    """(label, count) of the labels present, missing (-1) first, then in label order."""
    missing = int(np.count_nonzero(y < 0))
    counts = np.bincount(y[y >= 0] if missing else y)
    return ([(-1, missing)] if missing else []) + [(int(c), int(counts[c])) for c in np.flatnonzero(counts)]
