"""Estimate label noise from out-of-fold probabilities: confident learning plus anchors.

cleanlab's filter (``prune_by_noise_rate`` on our own out-of-fold probabilities) finds the
candidate issues. On its own it over-reports whenever the model is weak on genuinely
ambiguous classes (a linear model on Fashion-MNIST thumbnails flags 12-14% of a clean set),
because it cannot tell a model's confusion from a wrong label.

A wrong label that does not depend on the input (the kind that breaks training: a shuffled
column, a bad mapping, careless annotation) shows up even where the model is most certain.
So the noise rate of each class is also measured on its *anchors*, the samples the model
predicts as that class with the highest confidence (the anchor-point estimate of a noise
transition matrix): the share of anchors labelled otherwise. Genuine ambiguity lives near
decision boundaries, away from the anchors, and in a few confusable classes; noise of that
kind is everywhere. The reported rate is the smaller of cleanlab's rate and the anchors'
mean; the rate that decides severity averages the anchors over the least noisy classes
only, those holding ``WIDESPREAD_SHARE`` of the samples, so that a group of confusable
classes (half of Fashion-MNIST's) cannot raise a warning on its own.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

# Anchors: the top ANCHOR_SHARE of a predicted class by confidence, at least ANCHOR_MIN
# samples (all of a smaller class): fewer would make the per-class estimate too noisy.
ANCHOR_SHARE = 0.1
ANCHOR_MIN = 50
# Widespread noise: the anchors' mean over the least noisy classes holding this share of
# the samples; with fewer than WIDESPREAD_MIN_CLASSES classes, over all of them.
WIDESPREAD_SHARE = 0.7
WIDESPREAD_MIN_CLASSES = 5


@dataclass(frozen=True)
class NoiseEstimate:
    """What confident learning found in one set of out-of-fold probabilities.

    Parameters
    ----------
    noise_ratio : float
        Estimated share of wrong labels (smaller of cleanlab's rate and the anchor mean).
    widespread_ratio : float
        The part of it spread over most classes (anchor mean over the least noisy classes).
    cleanlab_ratio : float
        Share of samples cleanlab's filter flags.
    anchor_ratio : numpy.ndarray
        Per predicted class: share of its anchors labelled otherwise.
    suspects : numpy.ndarray
        Pool positions of the suspected samples, most suspicious first.
    suggested : numpy.ndarray
        Suggested class (pool column) per suspect.
    quality : numpy.ndarray
        Label quality per suspect: the probability the model gives the given label.
    class_ratio : numpy.ndarray
        Per given class (pool column): share of its samples among the suspects.
    joint : numpy.ndarray
        (K, K) estimated joint of given (rows) and suggested (columns) labels, as shares of
        all samples.
    """

    noise_ratio: float
    widespread_ratio: float
    cleanlab_ratio: float
    anchor_ratio: np.ndarray
    suspects: np.ndarray
    suggested: np.ndarray
    quality: np.ndarray
    class_ratio: np.ndarray
    joint: np.ndarray


def estimate_noise(proba: np.ndarray, y: np.ndarray) -> NoiseEstimate:
    """Confident learning on out-of-fold probabilities, with anchor-based calibration.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) out-of-fold predicted probabilities; columns are classes 0..K-1.
    y : numpy.ndarray
        Given labels in 0..K-1.

    Returns
    -------
    NoiseEstimate
    """
    from cleanlab.filter import find_label_issues

    n, k = proba.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = find_label_issues(y, proba, filter_by="prune_by_noise_rate", n_jobs=1)
    cleanlab_ratio = float(flagged.mean()) if n else 0.0
    anchor, weight = anchor_disagreement(proba, y)
    anchor_mean = float(np.dot(weight, anchor))
    central = _lower_mean(anchor, weight) if k >= WIDESPREAD_MIN_CLASSES else anchor_mean
    noise_ratio = min(cleanlab_ratio, anchor_mean)
    widespread = min(cleanlab_ratio, central)

    quality_all = proba[np.arange(n), y]
    candidates = np.flatnonzero(flagged)
    # most suspicious first: the lowest probability of the given label; ties by position
    candidates = candidates[np.lexsort((candidates, quality_all[candidates]))]
    suspects = candidates[:int(round(noise_ratio * n))]
    suggested = proba[suspects].argmax(axis=1)
    class_ratio = np.bincount(y[suspects], minlength=k) / np.maximum(np.bincount(y, minlength=k), 1)
    joint = np.zeros((k, k))
    np.add.at(joint, (y[suspects], suggested), 1.0)
    joint[np.diag_indices(k)] = np.bincount(y, minlength=k) - joint.sum(axis=1)
    return NoiseEstimate(noise_ratio, widespread, cleanlab_ratio, anchor, suspects, suggested,
                         quality_all[suspects], class_ratio, joint / max(n, 1))


def anchor_disagreement(proba: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per predicted class, the share of its anchors whose given label differs.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) probabilities.
    y : numpy.ndarray
        Given labels.

    Returns
    -------
    disagreement : numpy.ndarray
        (K,) share of anchors labelled otherwise (0 for a class never predicted).
    weight : numpy.ndarray
        (K,) share of samples predicted as each class.
    """
    n, k = proba.shape
    pred = proba.argmax(axis=1)
    conf = proba[np.arange(n), pred]
    counts = np.bincount(pred, minlength=k)
    # rank of each sample within its predicted class, most confident first
    order = np.lexsort((-conf, pred))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, counts)
    size = np.minimum(counts, np.maximum(np.ceil(ANCHOR_SHARE * counts), ANCHOR_MIN)).astype(np.int64)
    is_anchor = rank < size[pred]
    wrong = np.bincount(pred[is_anchor], weights=(y[is_anchor] != pred[is_anchor]), minlength=k)
    disagreement = wrong / np.maximum(size, 1)
    return disagreement, counts / max(n, 1)


def _lower_mean(values: np.ndarray, weight: np.ndarray) -> float:
    """Weighted mean of the smallest values holding ``WIDESPREAD_SHARE`` of the weight."""
    order = np.argsort(values, kind="stable")
    w = weight[order]
    before = np.cumsum(w) - w
    # each class contributes the part of its weight that falls below the share
    part = np.clip(WIDESPREAD_SHARE * w.sum() - before, 0, w)
    return float(np.dot(part, values[order]) / part.sum()) if part.sum() > 0 else 0.0
