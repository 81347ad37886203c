"""How a loader spreads regression targets over its batches (``smoke.loader_batches``).

A shuffled loader draws each batch from the whole range of the target, so which batch a sample
sits in says almost nothing about its target. A loader over data sorted by target (or grouped
by something the target follows) yields batches that each hold a narrow slice of the range.
The statistic is the share of the targets' rank variance that batch membership explains
(eta squared of the ranks, the effect size of a Kruskal-Wallis test): about
``(k - 1) / (N - 1)`` for k shuffled batches of N targets in all, near 1 when sorted. It is
read beyond that chance level, ``(eta2 - chance) / (1 - chance)``, and its p-value comes from
the Kruskal-Wallis statistic ``H = (N - 1) * eta2``, chi-squared with k - 1 degrees of freedom
under shuffling. The rank correlation of the batches' mean ranks with their position says
whether the order is a sort (ascending or descending) or a grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BatchSpread:
    """Targets across the first batches of a loader.

    Attributes
    ----------
    n_targets, n_batches : int
        Targets and batches read.
    explained : float
        Share of the target ranks' variance explained by batch membership (eta squared).
    chance : float
        Its expected value for shuffled batches, ``(k - 1) / (N - 1)``.
    excess : float
        ``(explained - chance) / (1 - chance)``: 0 for shuffled batches, 1 for sorted ones.
    p_value : float
        Chance of an ``explained`` this high from shuffled batches (Kruskal-Wallis).
    rank_correlation : float
        Spearman correlation of the batches' mean ranks with their position.
    range_ratio : float
        Median batch range over the range of all targets read.
    """

    n_targets: int
    n_batches: int
    explained: float
    chance: float
    excess: float
    p_value: float
    rank_correlation: float
    range_ratio: float


def batch_spread(per_batch: list[np.ndarray]) -> BatchSpread:
    """The spread of ``per_batch`` (finite targets of each batch, in loader order; at least two
    batches and two distinct values)."""
    from scipy.stats import chi2, rankdata, spearmanr

    sizes = np.array([len(b) for b in per_batch])
    flat = np.concatenate(per_batch)
    n, k = len(flat), len(per_batch)
    ranks = rankdata(flat)
    groups = np.repeat(np.arange(k), sizes)
    means = np.bincount(groups, ranks, minlength=k) / np.maximum(sizes, 1)
    centred = ranks - ranks.mean()
    total = float(centred @ centred)
    explained = float(sizes @ (means - ranks.mean()) ** 2) / total
    chance = (k - 1) / (n - 1)
    excess = (explained - chance) / (1 - chance) if chance < 1 else 0.0
    p_value = float(chi2.sf((n - 1) * explained, k - 1))
    rho = float(spearmanr(np.arange(k), means).statistic) if np.ptp(means) > 0 else 0.0
    ranges = np.array([np.ptp(b) for b in per_batch])
    return BatchSpread(n_targets=n, n_batches=k, explained=explained, chance=chance, excess=excess,
                       p_value=p_value, rank_correlation=rho,
                       range_ratio=float(np.median(ranges) / np.ptp(flat)))
