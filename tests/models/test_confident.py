"""Our confident-learning filter flags what cleanlab's ``prune_by_noise_rate`` flags, bit for bit."""

import warnings

import numpy as np
import pytest

from datacheck.models.confident import _largest, prune_by_noise_rate


def _cleanlab(labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    from cleanlab.filter import find_label_issues

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return find_label_issues(labels, proba, filter_by="prune_by_noise_rate", n_jobs=1)


def _case(n: int, k: int, noise: float, seed: int, quantum: float | None = None,
          dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of a model that is right most of the time, and labels with ``noise`` of
    them moved; ``quantum`` rounds the probabilities to a grid (many ties)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 2.5 * np.eye(k)[truth]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if quantum is not None:
        proba = np.round(proba / quantum) * quantum
    labels = truth.copy()
    moved = rng.random(n) < noise
    labels[moved] = rng.integers(0, k, int(moved.sum()))
    return labels, proba.astype(dtype)


@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_flags_as_cleanlab(k, seed):
    labels, proba = _case(3000, k, 0.15, seed)
    ours = prune_by_noise_rate(labels, proba)
    assert ours.dtype == bool and 0 < ours.sum() < len(labels)
    assert np.array_equal(ours, _cleanlab(labels, proba))


@pytest.mark.parametrize("seed", [0, 1])
def test_same_flags_with_ties(seed):
    # probabilities on a coarse grid, and every row twice: margins tie across the cut
    labels, proba = _case(1500, 4, 0.2, seed, quantum=0.1)
    labels, proba = np.concatenate([labels, labels]), np.concatenate([proba, proba])
    assert np.array_equal(prune_by_noise_rate(labels, proba), _cleanlab(labels, proba))


def test_same_flags_with_an_absent_and_a_single_sample_class():
    labels, proba = _case(2000, 5, 0.1, 3)
    labels[labels == 4] = 0  # no sample labelled 4
    labels[labels == 3] = 2
    labels[7] = 3  # one sample labelled 3
    ours = prune_by_noise_rate(labels, proba)
    assert np.array_equal(ours, _cleanlab(labels, proba))
    assert not ours[7]


def test_same_flags_on_float32_probabilities():
    labels, proba = _case(2000, 6, 0.1, 4, dtype=np.float32)
    assert np.array_equal(prune_by_noise_rate(labels, proba), _cleanlab(labels, proba))


def test_clean_labels_of_a_sure_model_are_not_flagged():
    labels = np.repeat(np.arange(3), 100)
    proba = np.full((300, 3), 0.05)
    proba[np.arange(300), labels] = 0.9
    assert not prune_by_noise_rate(labels, proba).any()


def test_largest_picks_what_a_full_sort_picks():
    rng = np.random.default_rng(0)
    for values in (rng.normal(size=500), np.round(rng.normal(size=500), 1), np.zeros(50)):
        for m in (1, 7, 49, 50, 600):
            expected = np.sort(np.argsort(-values)[:m])
            assert np.array_equal(np.sort(_largest(values, m)), expected)
