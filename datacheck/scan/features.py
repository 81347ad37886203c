"""Per-feature statistics of numeric tables and 2-D arrays, vectorized over columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.scan.hashing import RowHasher
from datacheck.scan.parallel import run_blocks

# Rows per block: a block and its temporaries stay in a core's L2 cache.
_BLOCK = 1 << 15


@dataclass(frozen=True)
class FeatureStats:
    """Mergeable per-feature aggregates of one split.

    Parameters
    ----------
    names : tuple of str
        Feature names.
    n : int
        Number of rows.
    n_finite, n_nan, n_inf : numpy.ndarray
        Counts per feature.
    mean, std, min, max : numpy.ndarray
        Over the finite values of each feature (NaN where a feature has none); ``std`` is
        the population standard deviation.
    n_distinct_lo : numpy.ndarray
        Distinct finite values per feature, capped at 3 (enough to tell constant and binary).
    n_zero : numpy.ndarray
        Zeros per feature; exact where ``min`` is 0 (a streamed split's, over every row: the
        zero markers of ``input_integrity`` count them there), 0 where it is positive.
    min_positive : numpy.ndarray
        The lowest value above 0 per feature, likewise exact where ``min`` is 0 or positive
        (NaN where no value is positive, or ``min`` is negative).
    """

    names: tuple[str, ...]
    n: int
    n_finite: np.ndarray
    n_nan: np.ndarray
    n_inf: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    n_distinct_lo: np.ndarray
    n_zero: np.ndarray
    min_positive: np.ndarray

    @classmethod
    def merge(cls, parts: "list[FeatureStats]") -> "FeatureStats":
        """Combine the statistics of consecutive row ranges of one split (exact).

        Moments are pooled with Chan's parallel formula; a feature has at most two distinct
        values in a part only when they are that part's min and max, so distinct counts (capped
        at 3) merge exactly too.

        Parameters
        ----------
        parts : list of FeatureStats
            Statistics of the same features, over disjoint rows.

        Returns
        -------
        FeatureStats
        """
        out = parts[0]
        for part in parts[1:]:
            out = out._merged(part)
        return out

    def _merged(self, b: "FeatureStats") -> "FeatureStats":
        na, nb = self.n_finite.astype(np.float64), b.n_finite.astype(np.float64)
        n = na + nb
        with np.errstate(invalid="ignore", divide="ignore"):
            ma, mb = np.where(na > 0, self.mean, 0.0), np.where(nb > 0, b.mean, 0.0)
            delta = mb - ma
            mean = np.where(n > 0, ma + delta * nb / np.maximum(n, 1), np.nan)
            m2 = (np.where(na > 0, self.std, 0.0) ** 2 * na + np.where(nb > 0, b.std, 0.0) ** 2 * nb
                  + delta ** 2 * na * nb / np.maximum(n, 1))
            std = np.where(n > 0, np.sqrt(m2 / np.maximum(n, 1)), np.nan)
        lo, hi = np.fmin(self.min, b.min), np.fmax(self.max, b.max)
        return FeatureStats(self.names, self.n + b.n, self.n_finite + b.n_finite, self.n_nan + b.n_nan,
                            self.n_inf + b.n_inf, mean, std, lo, hi, _merged_distinct(self, b),
                            self.n_zero + b.n_zero, np.fmin(self.min_positive, b.min_positive))

    def frame(self):
        """The statistics as a pandas DataFrame indexed by feature name."""
        import pandas as pd

        return pd.DataFrame({
            "n_finite": self.n_finite, "n_nan": self.n_nan, "n_inf": self.n_inf,
            "mean": self.mean, "std": self.std, "min": self.min, "max": self.max,
            "n_distinct_lo": self.n_distinct_lo,
        }, index=list(self.names))


def _merged_distinct(a: FeatureStats, b: FeatureStats) -> np.ndarray:
    """Distinct finite values (capped at 3) of two parts of each feature."""
    values = np.stack([a.min, a.max, b.min, b.max], axis=1)
    present = np.stack([a.n_finite > 0] * 2 + [b.n_finite > 0] * 2, axis=1)
    values = np.where(present, values, np.nan)
    ordered = np.sort(values, axis=1)  # NaN last
    distinct = (np.isfinite(ordered[:, 0]).astype(np.int64)
                + (np.isfinite(ordered[:, 1:]) & (ordered[:, 1:] != ordered[:, :-1])).sum(axis=1))
    return np.where((a.n_distinct_lo >= 3) | (b.n_distinct_lo >= 3), 3, np.minimum(distinct, 3))


def feature_stats(columns: np.ndarray, names: list[str] | tuple[str, ...], *,
                  workers: int | None = None, hashes: np.ndarray | None = None) -> FeatureStats:
    """Compute per-feature statistics of a column-major matrix, and optionally row hashes.

    One pass over blocks of rows small enough to stay in a core's cache, the blocks spread
    over threads: each feature's slice of a block is summed, squared, and bounded, and with
    ``hashes`` absorbed into the rows' hashes while it is in cache. A feature holding NaN
    or inf (rare; its block sum is not finite) is redone on its finite values.

    Parameters
    ----------
    columns : numpy.ndarray
        float64, shape (n_features, n_rows): one contiguous row per feature.
    names : sequence of str
        Feature names.
    workers : int, optional
        Threads; default the CPUs available.
    hashes : numpy.ndarray, optional
        uint64, shape (n_rows,): filled with the rows' content hashes, equal to
        ``hash_rows(columns.T)``.

    Returns
    -------
    FeatureStats
    """
    d, n = columns.shape
    starts = list(range(0, n, _BLOCK))
    # per block and feature: sum, sum of squares, min, max (NaN sum: not finite, redo)
    parts = np.zeros((4, len(starts), d))
    if hashes is not None:
        hashes[:] = np.uint64(8 * d)
    run_blocks(lambda b: _block_pass(columns, starts[b], parts[:, b], hashes),
               range(len(starts)), workers if n >= _BLOCK else 1)
    # n_finite, n_nan, mean, std, min, max, n_distinct_lo per feature
    stats = np.zeros((d, 7))
    for j in range(d):
        stats[j] = _column_stats(columns[j], parts[:, :, j])
    count = stats[:, :2].astype(np.int64)
    zeros, positive = _zeros(columns, stats[:, 4])
    return FeatureStats(tuple(names), n, count[:, 0], count[:, 1], n - count.sum(axis=1),
                        stats[:, 2], stats[:, 3], stats[:, 4], stats[:, 5],
                        stats[:, 6].astype(np.int64), zeros, positive)


def _zeros(columns: np.ndarray, lows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zeros and the lowest positive value of each feature (``FeatureStats.n_zero``,
    ``min_positive``): read only for the features whose minimum is 0, few in most tables."""
    zeros = np.zeros(len(lows), np.int64)
    positive = np.where(lows > 0, lows, np.nan)
    for j in np.flatnonzero(lows == 0):
        col = columns[j]
        zeros[j] = int(np.count_nonzero(col == 0))
        above = col[col > 0]
        positive[j] = float(above.min()) if len(above) else np.nan
    return zeros, positive


def _block_pass(columns: np.ndarray, start: int, out: np.ndarray, hashes: np.ndarray | None) -> None:
    """Sums, squares and bounds of every feature over one block of rows (into ``out``, shape
    (4, d)), and the block's row hashes when ``hashes`` is given."""
    block = columns[:, start:start + _BLOCK]
    k = block.shape[1]
    if hashes is not None:
        h, hasher = hashes[start:start + k], RowHasher(k)
    for j, part in enumerate(block):
        # einsum's own vectorized loops: one pass each, no temporary, and unlike np.dot no BLAS
        # threads of their own to fight ours
        t = float(np.einsum("i->", part))
        out[0, j] = t
        finite = np.isfinite(t)  # else a NaN or inf in the block (or an overflow)
        if finite:
            out[1, j] = float(np.einsum("i,i->", part, part))
            out[2, j], out[3, j] = part.min(), part.max()
        if hashes is not None:
            hasher.absorb(h, part, may_have_nan=not finite)
    if hashes is not None:
        hasher.finish(h)


def _column_stats(col: np.ndarray, parts: np.ndarray) -> tuple:
    """Statistics of one feature (see ``feature_stats``) from its blocks' partial sums."""
    n = len(col)
    if n == 0:
        return 0, 0, np.nan, np.nan, np.nan, np.nan, 0
    sums, squares, lows, highs = parts
    if not np.isfinite(sums).all():
        return _nonfinite_column_stats(col)
    mean = float(sums.sum()) / n
    std = float(np.sqrt(np.maximum(float(squares.sum()) / n - mean * mean, 0.0)))
    if std < 1e-6 * max(abs(mean), 1e-300):
        std = float(col.std())  # the one-pass formula may have cancelled catastrophically
    lo, hi = float(lows.min()), float(highs.max())
    return n, 0, mean, std, lo, hi, _distinct_lo(col, lo, hi)


def _nonfinite_column_stats(col: np.ndarray) -> tuple:
    """``_column_stats`` of a feature holding NaN or inf, over its finite values."""
    finite = np.isfinite(col)
    n_nan = int(np.isnan(col).sum())
    v = col[finite]
    if not len(v):
        return 0, n_nan, np.nan, np.nan, np.nan, np.nan, 0
    lo, hi = float(v.min()), float(v.max())
    return len(v), n_nan, float(v.mean()), float(v.std()), lo, hi, _distinct_lo(v, lo, hi)


def _distinct_lo(col: np.ndarray, lo: float, hi: float) -> int:
    """1, 2 or 3+ distinct finite values: a third exists iff some value lies strictly inside.

    Blocks are searched in order and the search stops at the first inside value, so a
    continuous feature costs one small block; a binary one is read in full.
    """
    if lo == hi:
        return 1
    for s in range(0, len(col), _BLOCK):
        part = col[s:s + _BLOCK]
        if np.logical_and(part > lo, part < hi).any():
            return 3
    return 2


def numeric_columns(table) -> tuple[np.ndarray, list[str], list[str]]:
    """Split a pyarrow Table into a column-major float64 matrix of numeric features.

    Parameters
    ----------
    table : pyarrow.Table

    Returns
    -------
    columns : numpy.ndarray
        float64, shape (n_numeric, num_rows); nulls become NaN.
    numeric : list of str
        Names of the numeric (and boolean) columns, in table order.
    other : list of str
        Names of the remaining (categorical, text, nested) columns.
    """
    numeric, other, parts = [], [], []
    for name, col in zip(table.column_names, table.columns):
        if is_numeric(col.type):
            numeric.append(name)
            parts.append(col)
        else:
            other.append(name)
    out = np.empty((len(parts), table.num_rows), dtype=np.float64)
    run_blocks(lambda j: fill_numeric(out[j], parts[j]), range(len(parts)),
               None if table.num_rows >= _BLOCK else 1)
    return out, numeric, other


def is_numeric(t) -> bool:
    """Whether a pyarrow type is read as a numeric feature (integers, floats, booleans, decimals)."""
    import pyarrow as pa

    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t)


def fill_numeric(row: np.ndarray, col) -> None:
    """Copy a numeric pyarrow column into float64 ``row``, chunk by chunk (no concatenated copy);
    nulls become NaN."""
    import pyarrow as pa

    if col.null_count:
        col = col.cast(pa.float64()).fill_null(float("nan"))
    start = 0
    for chunk in col.chunks:
        row[start:start + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
        start += len(chunk)
