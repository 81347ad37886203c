"""Feature columns compared across splits: aligned by name, key columns left out.

``--group-col`` and ``--time-col`` name columns that identify a sample's group or date; the
leakage checks read them with ``CheckContext.rows``, and when numeric they also stay in the
scan's features and row hashes, so every comparison of features across splits goes through
these helpers, which leave them out.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from datacheck.checks._leakage.stats import sample_rows
from datacheck.checks.context import CheckContext
from datacheck.errors import ConfigError
from datacheck.scan.features import numeric_columns
from datacheck.scan.hashing import combine, hash_rows, hash_table_rows
from datacheck.scan.result import SplitScan

_DECIMALS_SAMPLE = 1000
# Features of a streamed evaluation split searched at a time for near copies.
_CHUNK_BYTES = 1 << 28
_CHUNK_ROWS_MIN = 100_000
_MAX_DECIMALS = 12


def key_columns(ctx: CheckContext) -> dict[str, str]:
    """The key columns given as options: ``{"group_col": name, "time_col": name}`` (set ones only).

    Raises
    ------
    ConfigError
        When a key column is given for data without tables, or is missing from a split.
    """
    keys = {opt: ctx.options[opt] for opt in ("group_col", "time_col") if ctx.options.get(opt)}
    for opt, name in keys.items():
        for split in ctx.split_names:
            schema = ctx.source(split).schema
            if schema is None:
                raise ConfigError(f"The {opt!r} option names a table column, but the "
                                  f"{ctx.modality} dataset has no table. Got {name!r}.")
            if name not in schema.names:
                cols = ", ".join(schema.names[:12])
                raise ConfigError(f"The {opt!r} option must name a column of every split; split "
                                  f"{split!r} has no column {name!r} (columns: {cols}).")
    return keys


def column_rows(scan: SplitScan) -> dict[str, int]:
    """Feature name -> row of ``scan.columns``."""
    if scan.feature_stats is None:
        return {}
    return {name: j for j, name in enumerate(scan.feature_stats.names)}


def feature_index(scan: SplitScan, names: list[str]) -> list[int]:
    """Rows of ``scan.columns`` (and of its feature statistics) of the named features."""
    rows = column_rows(scan)
    return [rows[c] for c in names]


def common_numeric(ctx: CheckContext, splits: list[str] | None = None) -> list[str]:
    """Numeric features present in every given split (default all), minus key columns.

    Returns
    -------
    list of str
        In the order of the first split.
    """
    names = splits or list(ctx.scan.splits)
    keys = set(key_columns(ctx).values())
    rows = [column_rows(ctx.scan[n]) for n in names]
    if not rows or not rows[0]:
        return []
    return [c for c in rows[0] if c not in keys and all(c in r for r in rows[1:])]


def common_other(ctx: CheckContext, splits: list[str]) -> list[str]:
    """Non-numeric feature columns present in every given split, minus key columns."""
    keys = set(key_columns(ctx).values())
    others = [ctx.scan[n].other_columns for n in splits]
    return [c for c in others[0] if c not in keys and all(c in o for o in others[1:])]


def feature_rows(scan: SplitScan, names: list[str]) -> list[np.ndarray]:
    """One contiguous float64 array per named feature (views of ``scan.columns``, no copy)."""
    return [scan.columns[j] for j in feature_index(scan, names)]


def row_hashes(ctx: CheckContext, split: str, numeric: list[str], other: list[str]) -> np.ndarray:
    """Content hash of each row over the given columns, in the given order.

    Equal to the scan's own hashes when the columns are all of the split's features in their
    stored order; recomputed otherwise (key columns left out, or splits ordering columns
    differently), so that rows of two splits hash alike exactly when their values agree.
    """
    scan = ctx.scan[split]
    stored = scan.feature_stats.names if scan.feature_stats is not None else ()
    if (list(stored) == list(numeric) and list(scan.other_columns) == list(other)) or scan.sampled:
        # A streamed split's rows are not all at hand: its own hashes (over every feature)
        # are what there is; splits whose columns differ are split_consistency's error.
        return scan.hashes

    def compute() -> np.ndarray:
        rows = column_rows(scan)
        h = np.zeros(scan.n, dtype=np.uint64)
        for c in numeric:
            h = combine(h, hash_rows(scan.columns[rows[c]].reshape(-1, 1)))
        if other:
            h = combine(h, other_hash(ctx, split, other))
        return h

    return ctx.cached(f"leakage.row_hashes.{split}.{hash((tuple(numeric), tuple(other)))}", compute)


def other_hash(ctx: CheckContext, split: str, other: list[str]) -> np.ndarray:
    """Hash over non-numeric columns of each row of ``scan.columns`` (uint64)."""
    return ctx.cached(f"leakage.other_hash.{split}.{hash(tuple(other))}",
                      lambda: hash_table_rows(ctx.scan[split].other_values.select(other)))


def streamed_features(ctx: CheckContext, split: str, numeric: list[str],
                      other: list[str]) -> Iterator[tuple[int, list, np.ndarray | None]]:
    """Every row of a streamed split again, batch by batch, for a search over all of them.

    Yields
    ------
    (int, list of numpy.ndarray, numpy.ndarray or None)
        The split row of the batch's first row, one float64 array per ``numeric`` feature
        (NaN for nulls), and the batch's hash over the ``other`` columns.
    """
    for start, table in ctx.batches(split, numeric + other):
        matrix, _, _ = numeric_columns(table.select(numeric))
        yield start, list(matrix), hash_table_rows(table.select(other)) if other else None


def streamed_chunks(ctx: CheckContext, split: str, numeric: list[str],
                    other: list[str]) -> Iterator[tuple[int, list, np.ndarray | None]]:
    """Every row of a streamed split again, in chunks of consecutive batches joined together.

    A chunk holds about ``_CHUNK_BYTES`` of features (at least ``_CHUNK_ROWS_MIN`` rows).

    Yields
    ------
    (int, list of numpy.ndarray, numpy.ndarray or None)
        As ``streamed_features``, one chunk at a time.
    """
    max_rows = chunk_rows(numeric)
    pending: list = []
    rows = 0
    for start, features, extra in streamed_features(ctx, split, numeric, other):
        pending.append((start, features, extra))
        rows += len(features[0])
        if rows >= max_rows:
            yield _joined(pending)
            pending, rows = [], 0
    if pending:
        yield _joined(pending)


def chunk_rows(numeric: list[str]) -> int:
    """Rows of a chunk of ``streamed_chunks``."""
    return max(_CHUNK_ROWS_MIN, _CHUNK_BYTES // (8 * max(1, len(numeric))))


def _joined(parts: list) -> tuple[int, list, np.ndarray | None]:
    """Consecutive batches of ``streamed_features`` as one."""
    features = [np.concatenate([p[1][j] for p in parts]) for j in range(len(parts[0][1]))]
    extra = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
    return parts[0][0], features, extra


def decimals(columns: list[np.ndarray], seed: int = 0) -> np.ndarray:
    """Number of decimals each feature was written with, from a sample of rows.

    Parameters
    ----------
    columns : list of numpy.ndarray
        float64 values per feature, all of one length (NaN and inf ignored).
    seed : int
        Seed of the sample.

    Returns
    -------
    numpy.ndarray
        int64 per feature: the smallest k <= 12 such that every sampled value times 10**k is
        an integer; -1 for full precision (or no finite value).
    """
    if not columns:
        return np.zeros(0, np.int64)
    n = len(columns[0])
    rows = np.random.default_rng(seed).choice(n, _DECIMALS_SAMPLE, replace=False) if n > _DECIMALS_SAMPLE else slice(None)
    v = np.stack([c[rows] for c in columns])
    v = np.where(np.isfinite(v), v, 0.0)
    out = np.full(len(columns), -1, np.int64)
    # Full-precision features (most, in continuous data) fail at the most decimals already;
    # only the others are searched for their fewest.
    left = np.flatnonzero(_whole(v, _MAX_DECIMALS))
    for k in range(_MAX_DECIMALS + 1):
        if not len(left):
            break
        ok = _whole(v[left], k)
        out[left[ok]] = k
        left = left[~ok]
    return out


def _whole(v: np.ndarray, k: int) -> np.ndarray:
    """Per row of ``v``: whether every value times 10**k is an integer (to rounding)."""
    x = v * 10.0 ** k
    return (np.abs(x - np.round(x)) <= np.maximum(1e-8, 8 * np.finfo(float).eps * np.abs(x))).all(axis=1)


def split_decimals(ctx: CheckContext, split: str, names: list[str]) -> np.ndarray:
    """Decimals per feature of one split (-1 for full precision), cached."""
    def compute() -> np.ndarray:
        return decimals(feature_rows(ctx.scan[split], names), ctx.seed)

    return ctx.cached(f"leakage.decimals.{split}.{hash(tuple(names))}", compute)


def distinct_ratio(ctx: CheckContext, split: str, names: list[str]) -> np.ndarray:
    """Share of distinct values per feature in a sample of rows (1.0: values never repeat)."""
    def compute() -> np.ndarray:
        scan = ctx.scan[split]
        rows = sample_rows(scan.n_column_rows, _DECIMALS_SAMPLE, ctx.seed)
        out = np.zeros(len(names))
        for j, col in enumerate(feature_rows(scan, names)):
            v = col[rows]
            out[j] = len(np.unique(v)) / len(v) if len(v) else 0.0
        return out

    return ctx.cached(f"leakage.distinct.{split}.{hash(tuple(names))}", compute)


def resolution(dec: np.ndarray) -> np.ndarray:
    """Rounding quantum per feature from its decimals (0 for full precision)."""
    return np.where(dec < 0, 0.0, 10.0 ** -np.maximum(dec, 0).astype(float))
