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
_HALF = np.uint64(32)
# Rows per block in blocked loops: a few float64/uint64 scratch arrays of this length fit in
# a core's L2 cache.
_BLOCK = 1 << 15


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place on a uint64 array."""
    _mix_into(h, np.empty_like(h))
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
    out = np.empty(len(m), dtype=np.uint64)
    # Blocks of rows: the running hashes of a block (and the cache lines of the words being
    # read) stay in cache from one word to the next, and blocks spread over threads.
    run_blocks(lambda s: _hash_row_block(m[s:s + _BLOCK], out[s:s + _BLOCK]), range(0, len(m), _BLOCK))
    return out


def _hash_row_block(m: np.ndarray, h: np.ndarray) -> None:
    """``hash_rows`` of a contiguous block of rows, into ``h``."""
    if m.dtype.kind == "f":
        m = m + 0.0  # folds -0.0 into 0.0 (a copy, so the input is never mutated)
        m[np.isnan(m)] = np.nan
    raw = m.view(np.uint8).reshape(len(m), -1)
    width = raw.shape[1]
    pad = (-width) % 8
    if pad:
        raw = np.concatenate([raw, np.zeros((len(raw), pad), np.uint8)], axis=1)
    words = raw.view(np.uint64)
    h[:] = width
    tmp = np.empty_like(h)
    for j in range(words.shape[1]):
        _step(h, words[:, j], tmp)
    _mix_into(h, tmp)


def _step(h: np.ndarray, word: np.ndarray, tmp: np.ndarray) -> None:
    """Absorb one 8-byte word of every row into the running hashes, in place.

    ``h = (h ^ word) * PRIME; h ^= h >> 32``: each part is a bijection of ``h``, so rows
    that differ in one word always hash apart, and the shift carries high bits down into
    the bits the next multiplication spreads; one full avalanche (``_mix_into``) follows
    the last word.
    """
    np.bitwise_xor(h, word, out=h)
    np.multiply(h, _PRIME, out=h)
    np.right_shift(h, _HALF, out=tmp)
    np.bitwise_xor(h, tmp, out=h)


class RowHasher:
    """Hashes rows a feature at a time, as ``hash_rows`` would hash them whole.

    For column-major data: start the hashes at ``8 * n_features``, ``absorb`` each feature's
    values in order, then ``finish``. Scratch buffers are made once for blocks of ``k`` rows.
    """

    def __init__(self, k: int) -> None:
        self.word = np.empty(k, dtype=np.float64)
        self.bits = self.word.view(np.uint64)
        self.tmp = np.empty(k, dtype=np.uint64)
        self.nan = np.empty(k, dtype=bool)

    def absorb(self, h: np.ndarray, values: np.ndarray, may_have_nan: bool = True) -> None:
        """Absorb one feature's float64 ``values`` into the hashes ``h`` (same length)."""
        k = len(values)
        word, bits, tmp = self.word[:k], self.bits[:k], self.tmp[:k]
        np.add(values, 0.0, out=word)  # folds -0.0 into 0.0, as hash_rows does
        if may_have_nan:
            nan = self.nan[:k]
            np.isnan(word, out=nan)
            if nan.any():
                word[nan] = np.nan
        _step(h, bits, tmp)

    def finish(self, h: np.ndarray) -> None:
        """The final avalanche, once every feature is absorbed."""
        _mix_into(h, self.tmp[:len(h)])


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
        elif pa.types.is_nested(col.type):
            # lists, structs and maps have no vectorized hash: their values' text is hashed
            part = pd.util.hash_array(np.array([repr(v) for v in col.to_pylist()], dtype=object))
        else:
            part = pd.util.hash_array(col.to_numpy(zero_copy_only=False).astype(object)).astype(np.uint64)
        h = combine(h, part)
    return h
