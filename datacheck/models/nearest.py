"""Exact nearest-neighbour search by blocks of squared distances, and the neighbours model.

Distances to a reference set are ranked block by block from one matrix product,
``|r|^2 - 2 q.r`` (a query's own ``|q|^2`` does not change its ranking; ``Reference``), and
the ``k`` smallest of a row are found among strided groups of columns
(``candidate_positions``), which leaves most of the row unsorted. Both the outliers check's
neighbour distances (``isolation``) and the label models' nearest-neighbour classifier
(``NeighboursModel``) search this way.
"""

from __future__ import annotations

import numpy as np

# The k nearest of a row are found among the reference in GROUP-wide strided groups: the k
# groups with the smallest minimum hold them all (``candidate_positions``). Measured on 200,000
# rows against 2,000 references (2 cores): the selection 2.05 s by a full partition, 0.68 s
# so; groups of 8-20 were within 15% of each other.
GROUP = 10
# Float32 cells of one block of distances (8 MiB): queries per block = BLOCK_CELLS // width.
BLOCK_CELLS = 1 << 21


class Reference:
    """Reference rows prepared for ranking by distance, padded to whole groups.

    The ranking ``|r|^2 - 2 q.r`` is one matrix product: queries carry a last column of
    ones (``queries``) and the reference matrix a last row of ``|r|^2``, so no second pass
    adds the norms (on 200,000 x 50 queries against 2,000 references, a tenth of the
    search).

    Parameters
    ----------
    ref : numpy.ndarray
        (m, d) reference rows.
    """

    def __init__(self, ref: np.ndarray):
        ref = np.asarray(ref, dtype=np.float32)
        # padded with references that are never near: 0 - 2 q.0 + inf
        self.width = -(-len(ref) // GROUP) * GROUP
        self.matrix = np.zeros((ref.shape[1] + 1, self.width), np.float32)
        self.matrix[:-1, :len(ref)] = -2.0 * ref.T
        self.matrix[-1] = np.inf
        self.matrix[-1, :len(ref)] = np.einsum("ij,ij->i", ref, ref)

    def block_rows(self) -> int:
        """Queries per block, so that a block's distances take at most ``BLOCK_CELLS`` cells."""
        return max(1, BLOCK_CELLS // max(self.width, 1))

    @staticmethod
    def queries(x: np.ndarray) -> np.ndarray:
        """(n, d + 1) float32 copy of ``x`` with a last column of ones, as ``ranking`` takes."""
        out = np.empty((len(x), x.shape[1] + 1), np.float32)
        out[:, :-1] = x
        out[:, -1] = 1.0
        return out

    def ranking(self, q: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``|r|^2 - 2 q.r`` of each query with each reference, into ``out``.

        Parameters
        ----------
        q : numpy.ndarray
            (b, d + 1) float32 queries from ``queries``.
        out : numpy.ndarray
            (b, width) float32, overwritten; padding columns become inf.

        Returns
        -------
        numpy.ndarray
            ``out``.
        """
        return np.matmul(q, self.matrix, out=out)


def lowest_positions(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest values of each row, in no particular order; between
    equal values the lower position wins.

    Each value's float32 bits are mapped to an integer of the same order and joined with its
    position into one int64 key, so that one partition of the keys (numpy's vectorized
    selection for 64-bit integers) gives both. ``np.argpartition`` of float32 rows, which has
    no such path on AVX2 machines, took 2-4x as long (200,000 rows of 200).

    Parameters
    ----------
    values : numpy.ndarray
        (b, m) float32, no NaN.
    k : int
        Positions per row, 1 <= k <= m.

    Returns
    -------
    numpy.ndarray
        (b, k) int64.
    """
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.int32)
    # negative floats order backwards as integers: flip all but their sign bit
    keys = (bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))).astype(np.int64)
    keys <<= 32
    keys |= np.arange(values.shape[1], dtype=np.int64)
    keys.partition(k - 1, axis=1)
    return keys[:, :k] & 0xFFFFFFFF


def candidate_positions(d: np.ndarray, k: int) -> np.ndarray | None:
    """Flat positions in ``d`` of values that hold the ``k`` smallest of each row,
    ``k * GROUP`` a row.

    Columns form strided groups of ``GROUP`` (group ``j`` of ``d.shape[1] // GROUP`` holds
    columns ``j``, ``j + w``, ...). The ``k`` groups with the smallest minimum hold every one
    of the ``k`` smallest values: a value outside them is at least the minimum of its own
    group, which is at least each of those ``k`` minima, themselves ``k`` distinct values.

    Parameters
    ----------
    d : numpy.ndarray
        (b, m) C-contiguous float32.
    k : int
        Values per row, 1 <= k <= m.

    Returns
    -------
    numpy.ndarray or None
        (b, k * GROUP) positions into ``d.ravel()`` (row ``i``'s from ``i * m``, so that
        ``d.ravel().take`` gathers them: a third of ``np.take_along_axis``'s time); None when
        ``m`` is not a whole number of groups, or there are no more than ``k`` groups (search
        every column then).
    """
    b, m = d.shape
    groups = m // GROUP
    if m % GROUP or groups <= k:
        return None
    minima = np.minimum.reduce(d.reshape(b, GROUP, groups), axis=1)
    chosen = lowest_positions(minima, k) + (m * np.arange(b))[:, None]
    return (chosen[:, :, None] + groups * np.arange(GROUP)[None, None, :]).reshape(b, k * GROUP)


def k_smallest(d: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` smallest values of each row of ``d``, in ascending order; ``d`` may be
    reordered. Equal to a full partition's (``candidate_positions``).

    Parameters
    ----------
    d : numpy.ndarray
        (b, m) C-contiguous float32.
    k : int
        Values per row, 1 <= k <= m.

    Returns
    -------
    numpy.ndarray
        (b, k).
    """
    flat = candidate_positions(d, k)
    if flat is None:
        d.partition(k - 1, axis=1)
        return np.sort(d[:, :k], axis=1)
    candidates = d.ravel().take(flat)
    candidates.partition(k - 1, axis=1)
    return np.sort(candidates[:, :k], axis=1)


def k_nearest_columns(d: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` smallest values of each row of ``d``, in no particular order.

    Between equal values at the ``k``-th place the choice is arbitrary but fixed for a
    given row.

    Parameters
    ----------
    d : numpy.ndarray
        (b, m) C-contiguous float32.
    k : int
        Values per row, 1 <= k <= m.

    Returns
    -------
    numpy.ndarray
        (b, k) column indices.
    """
    flat = candidate_positions(d, k)
    if flat is None:
        return lowest_positions(d, k)
    return np.take_along_axis(flat, lowest_positions(d.ravel().take(flat), k), axis=1) % d.shape[1]


def nearest(ref: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Positions in ``ref`` of the ``k`` nearest reference rows of each query (Euclidean).

    Runs in the caller's thread, with the caller's BLAS threads.

    Parameters
    ----------
    ref : numpy.ndarray
        (m, d) reference rows.
    queries : numpy.ndarray
        (n, d) queries.
    k : int
        Neighbours per query, 1 <= k <= m.

    Returns
    -------
    numpy.ndarray
        (n, k) int64 positions, in no particular order.
    """
    reference = Reference(ref)
    queries = Reference.queries(queries)
    out = np.empty((len(queries), k), np.int64)
    rows = reference.block_rows()
    buf = np.empty((min(rows, len(queries)), reference.width), np.float32)
    for lo in range(0, len(queries), rows):
        hi = min(lo + rows, len(queries))
        out[lo:hi] = k_nearest_columns(reference.ranking(queries[lo:hi], buf[:hi - lo]), k)
    return out


class NeighboursModel:
    """The nearest-neighbours classifier of the label models: each class's share among the
    ``n_neighbors`` nearest training samples (uniform weights, as scikit-learn's
    ``KNeighborsClassifier``), searched exactly by ``nearest`` in float32.

    Parameters
    ----------
    n_neighbors : int
        Neighbours per prediction (at most the training samples).
    """

    def __init__(self, n_neighbors: int):
        self.n_neighbors = n_neighbors

    def fit(self, x: np.ndarray, y: np.ndarray) -> "NeighboursModel":
        """Keep the training samples; ``classes_`` are the distinct labels."""
        self.x_ = np.ascontiguousarray(x, dtype=np.float32)
        self.classes_, self.codes_ = np.unique(y, return_inverse=True)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, classes) shares of each class among the nearest training samples."""
        k = min(self.n_neighbors, len(self.x_))
        codes = self.codes_[nearest(self.x_, x, k)]
        n, n_classes = len(codes), len(self.classes_)
        counts = np.bincount((codes + n_classes * np.arange(n)[:, None]).ravel(), minlength=n * n_classes)
        return counts.reshape(n, n_classes) / k
