"""estimate_noise and the anchor estimate on probabilities with known answers."""

from __future__ import annotations

import numpy as np

from datacheck.models.noise import WIDESPREAD_SHARE, _lower_mean, anchor_disagreement, estimate_noise


def confident_probabilities(y_true: np.ndarray, k: int, rng, confidence: float = 0.9) -> np.ndarray:
    """Probabilities that point at the true class with some spread, as a good model gives."""
    proba = rng.dirichlet(np.ones(k), len(y_true)) * (1 - confidence)
    proba[np.arange(len(y_true)), y_true] += confidence
    return proba


def test_symmetric_flips_are_the_suspects_and_the_rate_is_right():
    rng = np.random.default_rng(0)
    k, n = 5, 2000
    y_true = rng.integers(0, k, n)
    proba = confident_probabilities(y_true, k, rng)
    y = y_true.copy()
    flipped = rng.choice(n, 200, replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, k, 200)) % k
    est = estimate_noise(proba, y)
    assert abs(est.noise_ratio - 0.1) < 0.01 and abs(est.widespread_ratio - 0.1) < 0.03
    assert set(est.suspects) <= set(flipped) and len(est.suspects) >= 190
    assert np.array_equal(est.suggested, y_true[est.suspects])
    assert np.all(np.diff(est.quality) >= 0), "most suspicious first"
    assert abs(est.joint.sum() - 1) < 1e-9
    assert abs((est.joint.sum() - np.trace(est.joint)) - len(est.suspects) / n) < 1e-9


def test_confusion_in_a_few_classes_is_not_widespread():
    rng = np.random.default_rng(0)
    # classes 0 and 1 look alike: the model splits its belief between them near the boundary
    k, n = 10, 3000
    y = rng.integers(0, k, n)
    proba = confident_probabilities(y, k, rng, 0.95)
    pair = np.flatnonzero(y < 2)
    mix = rng.uniform(0.2, 0.8, len(pair))
    proba[pair, :2] = 0
    proba[pair, y[pair]] = mix * 0.95
    proba[pair, 1 - y[pair]] = (1 - mix) * 0.95
    est = estimate_noise(proba, y)
    assert est.widespread_ratio < 0.02
    assert set(np.unique(y[est.suspects])) <= {0, 1}


def test_clean_confident_labels_have_no_suspects():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 500)
    est = estimate_noise(confident_probabilities(y, 3, rng), y)
    assert est.noise_ratio == 0 and len(est.suspects) == 0
    assert np.allclose(np.diag(est.joint), np.bincount(y) / 500)


def test_anchor_disagreement_uses_the_most_confident_predictions():
    # class 0: 60 predictions; the 50 most confident are labelled 0 except 5
    conf = np.linspace(0.99, 0.6, 60)
    proba = np.stack([conf, 1 - conf], axis=1)
    y = np.zeros(60, np.int64)
    y[[0, 10, 20, 30, 40]] = 1  # inside the anchors
    y[55:] = 1  # outside them
    disagreement, weight = anchor_disagreement(proba, y)
    assert disagreement[0] == 5 / 50 and weight[0] == 1.0 and disagreement[1] == 0


def test_lower_mean_ignores_the_noisiest_classes():
    values = np.array([0.0, 0.0, 0.0, 0.5, 0.5])
    weight = np.full(5, 0.2)
    assert abs(_lower_mean(values, weight) - (0.5 * (WIDESPREAD_SHARE - 0.6) / WIDESPREAD_SHARE)) < 1e-9
    assert abs(_lower_mean(np.full(4, 0.1), np.full(4, 0.25)) - 0.1) < 1e-12
