"""Vectorized 64-bit hashes of rows (samples), for exact-duplicate and leakage checks.

A Python loop per row is what makes peers slow; these hash a whole matrix with a few numpy
operations per 8-byte word of row width.
"""

from __future__ import annotations

import numpy as np

from datacheck.scan.parallel import run_blocks

_PRIME = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# Rows per block in blocked loops: a few float64/uint64 scratch arrays of this length fit in
# a core's L2 cache.
_BLOCK = 1 << 15


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place on a uint64 array."""
    h ^= h >> np.uint64(30)
    h *= _MIX1
    h ^= h >> np.uint64(27)
    h *= _MIX2
    h ^= h >> np.uint64(31)
    return h


def hash_rows(matrix: np.ndarray) -> np.ndarray:
    """Hash each row of a 2-D array of any fixed-width dtype to a uint64.

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape (n, ...); rows are compared by their bytes (float ``-0.0`` is folded to ``0.0``
        and every NaN to one NaN so equal values hash equal).

    Returns
    -------
    numpy.ndarray
        uint64, shape (n,).
    """
    if len(matrix) == 0:
        return np.zeros(0, dtype=np.uint64)
    m = np.ascontiguousarray(matrix.reshape(len(matrix), -1))
    if m.dtype.kind == "f":
        m = m + 0.0  # folds -0.0 into 0.0 (a copy, so the input is never mutated)
        m[np.isnan(m)] = np.nan
    raw = m.view(np.uint8).reshape(len(m), -1)
    width = raw.shape[1]
    pad = (-width) % 8
    if pad:
        raw = np.concatenate([raw, np.zeros((len(raw), pad), np.uint8)], axis=1)
    words = raw.view(np.uint64)
    h = np.full(len(m), np.uint64(width), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h ^= words[:, j]
            h *= _PRIME
            h = _mix(h)
    return h


def hash_columns(columns: np.ndarray, *, workers: int | None = None) -> np.ndarray:
    """Row hashes of a column-major float64 matrix, as if by folding columns one by one.

    Equal to starting from zeros and applying ``combine(h, hash_rows(col.reshape(-1, 1)))``
    for each column in order, but computed in blocks of rows small enough for every
    temporary to stay in cache, with no allocation per step, in threads (numpy releases the
    GIL): the naive form streams ~20 full-length temporaries through memory per column.

    Parameters
    ----------
    columns : numpy.ndarray
        float64, shape (n_features, n_rows).
    workers : int, optional
        Threads; default the CPUs available.

    Returns
    -------
    numpy.ndarray
        uint64, shape (n_rows,).
    """
    n = columns.shape[1]
    out = np.zeros(n, dtype=np.uint64)
    if columns.shape[0] == 0 or n == 0:
        return out
    starts = range(0, n, _BLOCK)
    run_blocks(lambda s: _hash_column_block(columns[:, s:s + _BLOCK], out[s:s + _BLOCK]),
               starts, workers)
    return out


def _hash_column_block(block: np.ndarray, h: np.ndarray) -> None:
    """``hash_columns`` over one block of rows, into ``h`` (zeros on entry)."""
    k = block.shape[1]
    word = np.empty(k, dtype=np.float64)
    bits = word.view(np.uint64)
    tmp = np.empty(k, dtype=np.uint64)
    nan = np.empty(k, dtype=bool)
    width = np.uint64(8)
    for col in block:
        np.add(col, 0.0, out=word)  # folds -0.0 into 0.0, as hash_rows does
        np.isnan(word, out=nan)
        if nan.any():
            word[nan] = np.nan
        np.bitwise_xor(bits, width, out=bits)  # hash_rows of one 8-byte word: mix((8 ^ w) * P)
        np.multiply(bits, _PRIME, out=bits)
        _mix_into(bits, tmp)
        np.multiply(h, _PRIME, out=h)  # combine(h, part): mix((h * P) ^ part)
        np.bitwise_xor(h, bits, out=h)
        _mix_into(h, tmp)


def _mix_into(h: np.ndarray, tmp: np.ndarray) -> None:
    """``_mix`` without temporaries: ``tmp`` is scratch of the same shape."""
    np.right_shift(h, np.uint64(30), out=tmp)
    np.bitwise_xor(h, tmp, out=h)
    np.multiply(h, _MIX1, out=h)
    np.right_shift(h, np.uint64(27), out=tmp)
    np.bitwise_xor(h, tmp, out=h)
    np.multiply(h, _MIX2, out=h)
    np.right_shift(h, np.uint64(31), out=tmp)
    np.bitwise_xor(h, tmp, out=h)


def combine(h: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Combine two uint64 hash columns into one (order matters)."""
    with np.errstate(over="ignore"):
        out = h * _PRIME
        out ^= other
        return _mix(out)


def hash_table_rows(table) -> np.ndarray:
    """Hash each row of a pyarrow Table over all its columns.

    Numeric columns are hashed by value, others through pandas' vectorized object hashing.

    Parameters
    ----------
    table : pyarrow.Table

    Returns
    -------
    numpy.ndarray
        uint64, shape (num_rows,).
    """
    import pandas as pd
    import pyarrow as pa

    h = np.zeros(table.num_rows, dtype=np.uint64)
    for col in table.columns:
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type):
            values = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            part = hash_rows(values.reshape(-1, 1))
        else:
            part = pd.util.hash_array(col.to_numpy(zero_copy_only=False).astype(object)).astype(np.uint64)
        h = combine(h, part)
    return h
