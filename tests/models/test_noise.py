"""estimate_noise and the anchor estimate on probabilities with known answers."""

from __future__ import annotations

import numpy as np

from datacheck.models.noise import (WIDESPREAD_SHARE, _central_share, anchor_counts, confidence_slope, contradicted,
                                   estimate_noise, wilson_low)


def confident_probabilities(y_true: np.ndarray, k: int, rng, confidence: float = 0.9) -> np.ndarray:
    """Probabilities that point at the true class with some spread, as a good model gives."""
    proba = rng.dirichlet(np.ones(k), len(y_true)) * (1 - confidence)
    proba[np.arange(len(y_true)), y_true] += confidence
    return proba


def flip(y: np.ndarray, rate: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of the labels moved to another class at random; the moved positions."""
    k = int(y.max()) + 1
    out = y.copy()
    at = rng.choice(len(y), int(round(rate * len(y))), replace=False)
    out[at] = (out[at] + rng.integers(1, k, len(at))) % k
    return out, at


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


def test_other_samples_are_suspects_as_the_estimates_own_would_be():
    """Half the samples make the estimate, the other half are judged by its rule: the flips
    among them are found as those of the first half were, ranked most suspicious first; the
    rule names every one of the estimate's own suspects; a clean half gives none."""
    rng = np.random.default_rng(1)
    k, n = 4, 4000
    y_true = rng.integers(0, k, n)
    proba = confident_probabilities(y_true, k, rng, confidence=0.7)
    y, at = flip(y_true, 0.1, rng)
    flipped = np.isin(np.arange(n), at)
    first, second = slice(0, n // 2), slice(n // 2, n)
    est = estimate_noise(proba[first], y[first])

    def judged(labels, part):
        return contradicted(est, proba[part][np.arange(len(labels)), labels], proba[part].argmax(axis=1), labels)

    found = judged(y[second], second)
    assert flipped[second][found].mean() > 0.95 and flipped[second][found].sum() >= 0.9 * flipped[second].sum()
    assert abs(len(found) - len(est.suspects)) < 0.15 * len(est.suspects)
    quality = proba[second][found, y[second][found]]
    assert np.all(np.diff(quality) >= 0)
    assert set(est.suspects) <= set(judged(y[first], first))
    assert not len(judged(y_true[second], second))


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


def test_anchor_counts_use_the_most_confident_predictions():
    # class 0: 120 predictions, its anchors the 12 most confident; 5 of them labelled 1
    conf = np.linspace(0.99, 0.6, 120)
    proba = np.stack([conf, 1 - conf], axis=1)
    y = np.zeros(120, np.int64)
    y[[0, 3, 6, 9, 11]] = 1  # inside the anchors
    y[100:] = 1  # outside them
    size, wrong, weight = anchor_counts(proba, y)
    assert size[0] == 12 and wrong[0] == 5 and weight[0] == 1.0
    assert size[1] == 0 and wrong[1] == 0


def test_confidence_slope_is_one_for_drawn_labels_and_zero_for_flipped_ones():
    """Labels drawn from calibrated probabilities are contradicted as often as the models
    doubt; labels flipped at random, at one rate however sure the models are."""
    rng = np.random.default_rng(0)
    p_yes = rng.uniform(0.02, 0.98, 20_000)
    proba = np.stack([1 - p_yes, p_yes], axis=1)
    drawn = (rng.random(20_000) < p_yes).astype(np.int64)
    slope, error = confidence_slope(proba, drawn, np.array([True, True]))
    assert abs(slope - 1) < 3 * error and error < 0.1
    flipped = proba.argmax(axis=1)
    moved = rng.random(20_000) < 0.15
    flipped[moved] = 1 - flipped[moved]
    slope, error = confidence_slope(proba, flipped, np.array([True, True]))
    assert abs(slope) < 3 * error and error < 0.1
    assert confidence_slope(proba, flipped, np.array([False, False])) == (0.0, 0.0)


def test_central_share_leaves_out_the_noisiest_classes():
    values = np.array([0.0, 0.0, 0.0, 0.5, 0.5])
    share = _central_share(values, np.full(5, 0.2))
    assert np.allclose(share, [1, 1, 1, (WIDESPREAD_SHARE - 0.6) / 0.2, 0])


def test_wilson_low_is_below_the_rate_and_tightens_with_more_trials():
    assert wilson_low(0, 10) == 0 and wilson_low(3, 0) == 0
    few, many = wilson_low(4, 10), wilson_low(400, 1000)
    assert 0.15 < few < 0.4 and 0.37 < many < 0.4


def test_widespread_noise_bound_tightens_with_more_anchors():
    rng = np.random.default_rng(0)
    k, gaps = 10, []
    for n in (300, 3000):  # 10 and 30 anchors per class
        y_true = np.repeat(np.arange(k), n // k)
        proba = confident_probabilities(y_true, k, rng)
        y, _ = flip(y_true, 0.1, rng)
        est = estimate_noise(proba, y)
        assert 0 < est.widespread_low < est.widespread_ratio
        gaps.append(1 - est.widespread_low / est.widespread_ratio)
    assert gaps[1] < gaps[0]


def test_one_way_class_move_is_a_pair_and_look_alikes_are_two_way():
    rng = np.random.default_rng(0)
    k, n = 5, 1000
    y_true = np.repeat(np.arange(k), n // k)
    proba = confident_probabilities(y_true, k, rng)
    y = y_true.copy()
    y[np.flatnonzero(y_true == 1)[:80]] = 3  # 40% of class 1 labelled 3
    (top, *_) = estimate_noise(proba, y).pairs
    assert (top.given, top.suggested) == (3, 1) and top.n_moved >= 40 and top.n_reverse == 0
    assert top.moved_ratio == top.n_moved / (top.n_moved + 120) and 0.15 < top.low < top.moved_ratio
    # look-alikes: 20% of class 1 labelled 3 and 20% of class 3 labelled 1
    swap = y_true.copy()
    both = np.concatenate([np.flatnonzero(y_true == 1)[:40], np.flatnonzero(y_true == 3)[:40]])
    swap[both] = np.where(y_true[both] == 1, 3, 1)
    pairs = {(p.given, p.suggested): p for p in estimate_noise(proba, swap).pairs}
    assert pairs[(3, 1)].n_reverse > 0.5 * pairs[(3, 1)].n_moved


def graded_probabilities(n: int, k: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Grades cut from a noisy score, and a model's probabilities of them given the score.

    The model knows the score without its noise: a middle grade is never certain, the end
    grades far from their border are.
    """
    score = rng.normal(size=n)
    cuts = np.quantile(score, np.linspace(0, 1, k + 1)[1:-1])
    y = np.searchsorted(cuts, score + noise * rng.normal(size=n))
    edges = np.concatenate([[-np.inf], cuts, [np.inf]])
    from scipy.stats import norm

    proba = np.diff(norm.cdf((edges[None, :] - score[:, None]) / noise), axis=1)
    return proba, y


def test_consecutive_integers_are_candidate_grades():
    from datacheck.models.noise import consecutive

    assert consecutive(np.array([1.0, 2, 3, 4, 5])) and consecutive(np.array([-1.0, 0, 1]))
    assert consecutive(np.array([2.0, 0, 1]))  # "high", "low", "medium" in name order
    for values in ([0.0, 1], [0.0, 2, 4], [1.0, 2, np.nan], [1.5, 2.5, 3.5], [3.0, 1, 1]):
        assert not consecutive(np.array(values)), values


def test_grades_are_told_from_classes_by_their_neighbours():
    from datacheck.models.noise import neighbour_share

    rng = np.random.default_rng(0)
    proba, y = graded_probabilities(3000, 6, 0.5, rng)
    assert neighbour_share(proba, y, np.arange(6.0)) == 1.0
    # columns in another order (text grades sorted by name): the grades say who is a neighbour
    shuffle = np.array([3, 0, 5, 1, 4, 2])
    assert neighbour_share(proba[:, shuffle], np.argsort(shuffle)[y], shuffle.astype(float)) == 1.0
    y = rng.integers(0, 10, 3000)
    assert neighbour_share(confident_probabilities(y, 10, rng), y, np.arange(10.0)) <= 0.5


def test_clean_grades_measure_noise_on_the_end_grades_only():
    rng = np.random.default_rng(0)
    proba, y = graded_probabilities(5000, 5, 0.4, rng)
    as_classes = estimate_noise(proba, y)
    graded = estimate_noise(proba, y, np.arange(1.0, 6.0))
    # a middle grade's most confident predictions still sit next to both neighbours
    assert not as_classes.grades and as_classes.widespread_ratio > 0.1
    assert graded.grades and graded.grade_share == 1.0
    assert graded.widespread_ratio < 0.03 and graded.noise_ratio < 0.03


def test_labels_moved_at_random_among_grades_show_on_the_end_grades():
    rng = np.random.default_rng(0)
    proba, y = graded_probabilities(5000, 5, 0.4, rng)
    noisy, _ = flip(y, 0.15, rng)
    est = estimate_noise(proba, noisy, np.arange(5.0))
    assert est.grades and abs(est.widespread_ratio - 0.15) < 0.04


def test_a_grade_of_a_handful_taken_for_the_commonest_does_not_unmake_the_grades():
    rng = np.random.default_rng(0)
    proba, y = graded_probabilities(3000, 6, 0.5, rng)
    few = np.flatnonzero(y == 5)[:8]
    keep = np.setdiff1d(np.arange(len(y)), np.flatnonzero(y == 5)[8:])
    proba, y = proba[keep], y[keep]
    proba[np.searchsorted(keep, few)] = np.eye(6)[2] * 0.9 + 0.02  # the models see grade 2 in them
    from datacheck.models.noise import neighbour_share

    assert neighbour_share(proba, y, np.arange(6.0)) >= 0.95
