"""How far each sample lies from the rest: the mean distance to its nearest neighbours.

The neighbours are looked up in a seeded reference sample of the same inputs (at most
``MAX_REFERENCE`` samples), so the cost grows linearly with the data: every sample is scored,
but against a few thousand others. A sample in the reference does not count itself.
"""

from __future__ import annotations

import numpy as np

from datacheck.models.nearest import Reference, k_smallest
from datacheck.scan.parallel import run_blocks

# Neighbours averaged per sample, reference samples at most, and query rows per block (a
# block's distance matrix is at most 1,024 x 2,000 float32, 8 MiB: on 200,000 x 50 rows, 0.69x
# the time of 2,048-row blocks, which fit no cache).
N_NEIGHBOURS = 10
MAX_REFERENCE = 2_000
BLOCK = 1_024


def neighbour_distances(x: np.ndarray, seed: int, k: int = N_NEIGHBOURS, threads: int = 1) -> np.ndarray:
    """Mean Euclidean distance of every row of ``x`` to its ``k`` nearest reference rows.

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) finite model inputs (standardized or PCA-reduced features).
    seed : int
        Seed of the reference sample.
    k : int
        Neighbours per sample.
    threads : int
        Threads, each scoring a contiguous share of the rows (numpy's products and partial
        sorts release the GIL); BLAS runs in one thread inside each. The distances do not
        depend on it.

    Returns
    -------
    numpy.ndarray
        float64 (n,); zeros when there are too few samples to have ``k`` neighbours.
    """
    n = len(x)
    k = min(k, n - 1)
    if k < 1:
        return np.zeros(n)
    x = Reference.queries(x)
    ref_rows = (np.arange(n) if n <= MAX_REFERENCE else
                np.sort(np.random.default_rng(seed).choice(n, MAX_REFERENCE, replace=False)))
    reference = Reference(x[ref_rows, :-1])
    where_in_ref = np.full(n, -1, np.int64)
    where_in_ref[ref_rows] = np.arange(len(ref_rows))
    out = np.empty(n)

    def score(start: int, stop: int) -> None:
        # one buffer per share, filled in place block by block: |r|^2 - 2 q.r ranks the
        # reference rows for a query q; its own |q|^2 is added to the k nearest only
        buf = np.empty((min(BLOCK, stop - start), reference.width), np.float32)
        for lo in range(start, stop, BLOCK):
            hi = min(lo + BLOCK, stop)
            q = x[lo:hi]
            d2 = reference.ranking(q, buf[:hi - lo])
            self_at = where_in_ref[lo:hi]
            in_ref = np.flatnonzero(self_at >= 0)
            d2[in_ref, self_at[in_ref]] = np.inf
            coords = q[:, :-1]  # less the column of ones
            nearest = k_smallest(d2, k) + np.einsum("ij,ij->i", coords, coords)[:, None]
            out[lo:hi] = np.sqrt(np.maximum(nearest, 0.0)).mean(axis=1)

    from threadpoolctl import threadpool_limits

    # whole blocks per share, so that every row is scored in the same block (and so with
    # the same rounding) whatever the number of threads
    blocks = -(-n // BLOCK)
    shares = max(1, min(int(threads), blocks))
    bounds = np.minimum(np.linspace(0, blocks, shares + 1).astype(np.int64) * BLOCK, n)
    with threadpool_limits(limits=1, user_api="blas"):
        run_blocks(lambda i: score(bounds[i], bounds[i + 1]), range(shares), workers=shares)
    return out


def isolation_scores(x: np.ndarray, seed: int, threads: int = 1) -> np.ndarray:
    """Neighbour distance of every sample over the median sample's: 1 is typical.

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) finite model inputs.
    seed : int
        Seed of the reference sample.
    threads : int
        Threads of the distance search (``neighbour_distances``).

    Returns
    -------
    numpy.ndarray
        float64 (n,); ones when the median distance is 0 (most samples repeated).
    """
    dist = neighbour_distances(x, seed, threads=threads)
    median = float(np.median(dist)) if len(dist) else 0.0
    return dist / median if median > 0 else np.ones_like(dist)
