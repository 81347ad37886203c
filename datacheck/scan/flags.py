"""Rows of a table that hold missing or infinite values, kept sparse (most rows hold none)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datacheck.scan.features import FeatureStats


@dataclass
class RowFlags:
    """Missing and infinite cells per row, listed for the rows that have any.

    Parameters
    ----------
    nan_rows, nan_cells : numpy.ndarray
        int64 row indices (ascending) and their missing cells (NaN in numeric columns, null in
        the others).
    inf_rows, inf_cells : numpy.ndarray
        The same for infinite values.
    other_nulls : dict of str to int
        Null count of each non-numeric column that has nulls.
    """

    nan_rows: np.ndarray
    nan_cells: np.ndarray
    inf_rows: np.ndarray
    inf_cells: np.ndarray
    other_nulls: dict[str, int] = field(default_factory=dict)

    @classmethod
    def merge(cls, parts: "list[RowFlags]", offsets: list[int]) -> "RowFlags":
        """Join the flags of consecutive row ranges starting at ``offsets``."""
        cat = np.concatenate
        nulls: dict[str, int] = {}
        for p in parts:
            for name, k in p.other_nulls.items():
                nulls[name] = nulls.get(name, 0) + k
        return cls(cat([p.nan_rows + o for p, o in zip(parts, offsets)]), cat([p.nan_cells for p in parts]),
                   cat([p.inf_rows + o for p, o in zip(parts, offsets)]), cat([p.inf_cells for p in parts]),
                   nulls)


def row_flags(columns: np.ndarray, stats: FeatureStats, other_table=None) -> RowFlags:
    """Flag the rows of a column-major matrix (and of its non-numeric columns).

    Only the features the statistics already counted NaN or inf in are read again, so a clean
    table costs nothing here.

    Parameters
    ----------
    columns : numpy.ndarray
        float64 (n_features, n).
    stats : FeatureStats
        ``feature_stats`` of ``columns``.
    other_table : pyarrow.Table, optional
        The non-numeric columns of the same rows.

    Returns
    -------
    RowFlags
    """
    nan = np.isnan(columns[np.flatnonzero(stats.n_nan > 0)]).sum(axis=0)
    inf = np.isinf(columns[np.flatnonzero(stats.n_inf > 0)]).sum(axis=0)
    nulls = {}
    if other_table is not None:
        import pyarrow.compute as pc

        for name, col in zip(other_table.column_names, other_table.columns):
            if col.null_count:
                nan = nan + pc.is_null(col).to_numpy(zero_copy_only=False)
                nulls[name] = int(col.null_count)
    nan_rows, inf_rows = np.flatnonzero(nan), np.flatnonzero(inf)
    return RowFlags(nan_rows.astype(np.int64), np.asarray(nan)[nan_rows].astype(np.int64),
                    inf_rows.astype(np.int64), np.asarray(inf)[inf_rows].astype(np.int64), nulls)
