"""Neighbour distances against a reference sample: exact, the same in any number of threads."""

from __future__ import annotations

import numpy as np

from datacheck.models import isolation
from datacheck.models.isolation import isolation_scores, neighbour_distances


def test_distances_match_a_brute_force_search_and_skip_the_sample_itself(monkeypatch):
    monkeypatch.setattr(isolation, "BLOCK", 64)  # several blocks
    x = np.random.default_rng(0).standard_normal((300, 5)).astype(np.float32)
    got = neighbour_distances(x, seed=0, k=3)
    d = np.sqrt(((x[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    want = np.sort(d, axis=1)[:, :3].mean(axis=1)
    assert np.allclose(got, want, atol=1e-4)


def test_threads_give_the_same_distances(monkeypatch):
    monkeypatch.setattr(isolation, "BLOCK", 100)
    monkeypatch.setattr(isolation, "MAX_REFERENCE", 150)  # a sampled reference
    x = np.random.default_rng(1).standard_normal((1000, 8)).astype(np.float32)
    one = neighbour_distances(x, seed=3)
    assert np.array_equal(one, neighbour_distances(x, seed=3, threads=2))
    assert np.array_equal(one, neighbour_distances(x, seed=3, threads=3))


def test_a_far_sample_scores_far_above_the_median():
    x = np.random.default_rng(2).standard_normal((500, 4))
    x[7] += 12
    scores = isolation_scores(x, seed=0, threads=2)
    assert np.median(scores) == 1.0 and scores[7] > 3 * np.sort(scores)[-2]
