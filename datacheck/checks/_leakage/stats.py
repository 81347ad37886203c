"""Small statistics shared by the split checks: chance rates, samples, merged moments."""

from __future__ import annotations

import numpy as np

ALPHA = 1e-2


def sample_rows(n: int, max_rows: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``max_rows`` of ``n`` rows, drawn without replacement.

    A small sample of many rows is drawn with replacement, its repeats dropped and topped up,
    then thinned to size (every subset of a size stays equally likely), which spares a
    permutation of all ``n`` rows.
    """
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if 4 * max_rows > n:
        return np.sort(rng.choice(n, max_rows, replace=False))
    picks = np.zeros(0, np.int64)
    while len(picks) < max_rows:
        picks = np.sort(np.r_[picks, rng.integers(0, n, max_rows + max_rows // 4 - len(picks))])
        picks = picks[np.r_[True, picks[1:] != picks[:-1]]]
    return np.sort(rng.choice(picks, max_rows, replace=False))


def beyond_chance(hits: int, n: int, base_hits: int, base_n: int) -> tuple[bool, float]:
    """Whether ``hits`` of ``n`` evaluation rows matching exceeds the within-split rate.

    Rows that coincide inside the reference split (coarse or discrete features) coincide
    across splits by chance too; the reference rows' own match rate is the yardstick. The
    test is Fisher's exact test, one-sided: under chance alone the ``hits + base_hits``
    matches fall into the evaluation rows in proportion to their number.

    Parameters
    ----------
    hits, n : int
        Matched rows of the evaluation split, and its size.
    base_hits, base_n : int
        Reference rows matching another reference row, and how many were tried.

    Returns
    -------
    significant : bool
        True when the tail probability is below ``ALPHA``.
    chance_ratio : float
        The reference rows' match rate.
    """
    from scipy.special import gammaln  # scipy.stats takes seconds to import

    rate = base_hits / base_n if base_n else 0.0
    if hits == 0:
        return False, rate
    total, drawn = n + base_n, hits + base_hits

    def log_comb(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    i = np.arange(hits, min(drawn, n) + 1)
    log_p = log_comb(drawn, i) + log_comb(total - drawn, n - i) - log_comb(total, n)
    p = float(np.exp(log_p).sum())
    return p < ALPHA, rate


def pooled_moments(n: np.ndarray, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and population std of the union of groups, from each group's moments.

    Parameters
    ----------
    n, mean, std : numpy.ndarray
        Shape (n_groups, n_features): count, mean and population std per group.

    Returns
    -------
    n_total, mean, std : numpy.ndarray
        Shape (n_features,).
    """
    total = n.sum(axis=0)
    safe = np.where(total > 0, total, 1)
    w = np.where(n > 0, n, 0)
    m = np.where(n > 0, mean, 0.0)
    s = np.where(n > 0, std, 0.0)
    mu = (w * m).sum(axis=0) / safe
    var = (w * (s**2 + (m - mu) ** 2)).sum(axis=0) / safe
    return total, mu, np.sqrt(np.maximum(var, 0.0))
