"""Per-feature statistics of numeric tables and 2-D arrays, vectorized over columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    def frame(self):
        """The statistics as a pandas DataFrame indexed by feature name."""
        import pandas as pd

        return pd.DataFrame({
            "n_finite": self.n_finite, "n_nan": self.n_nan, "n_inf": self.n_inf,
            "mean": self.mean, "std": self.std, "min": self.min, "max": self.max,
            "n_distinct_lo": self.n_distinct_lo,
        }, index=list(self.names))


def feature_stats(columns: np.ndarray, names: list[str] | tuple[str, ...]) -> FeatureStats:
    """Compute per-feature statistics of a column-major matrix.

    Parameters
    ----------
    columns : numpy.ndarray
        float64, shape (n_features, n_rows): one contiguous row per feature.
    names : sequence of str
        Feature names.

    Returns
    -------
    FeatureStats
    """
    d, n = columns.shape
    finite = np.isfinite(columns)
    n_finite = finite.sum(axis=1)
    n_nan = np.isnan(columns).sum(axis=1)
    n_inf = n - n_finite - n_nan
    all_finite = (n_finite == n) & (n > 0)
    mean = np.full(d, np.nan)
    std = np.full(d, np.nan)
    lo = np.full(d, np.nan)
    hi = np.full(d, np.nan)
    if all_finite.any():
        sub = columns[all_finite]
        lo[all_finite] = sub.min(axis=1)
        hi[all_finite] = sub.max(axis=1)
        m = sub.mean(axis=1)
        mean[all_finite] = m
        std[all_finite] = np.sqrt(np.maximum(np.einsum("ij,ij->i", sub, sub) / n - m * m, 0.0))
        _refine_std(sub, m, std, all_finite)
    for j in np.flatnonzero(~all_finite & (n_finite > 0)):
        v = columns[j][finite[j]]
        lo[j], hi[j], mean[j], std[j] = v.min(), v.max(), v.mean(), v.std()
    distinct = np.zeros(d, dtype=np.int64)
    has = n_finite > 0
    distinct[has & (lo == hi)] = 1
    for j in np.flatnonzero(has & (lo != hi)):
        col = columns[j]
        third = col[np.isfinite(col) & (col != lo[j]) & (col != hi[j])]
        distinct[j] = 2 if len(third) == 0 else 3
    return FeatureStats(tuple(names), n, n_finite, n_nan, n_inf, mean, std, lo, hi, distinct)


def _refine_std(sub: np.ndarray, m: np.ndarray, std: np.ndarray, rows: np.ndarray) -> None:
    """Recompute std exactly where the one-pass formula may have cancelled catastrophically."""
    scale = np.maximum(np.abs(m), 1e-300)
    risky = std[rows] < 1e-6 * scale
    for k in np.flatnonzero(risky):
        std[np.flatnonzero(rows)[k]] = sub[k].std()


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
    import pyarrow as pa

    numeric, other, parts = [], [], []
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
            numeric.append(name)
            parts.append(col)
        else:
            other.append(name)
    out = np.empty((len(parts), table.num_rows), dtype=np.float64)
    for j, col in enumerate(parts):
        if col.null_count:
            col = col.cast(pa.float64()).fill_null(float("nan"))
        out[j] = col.to_numpy()
    return out, numeric, other
