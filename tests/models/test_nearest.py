"""Exact nearest-neighbour search by strided groups, and the neighbours model."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.models import nearest as nearest_module
from datacheck.models.nearest import NeighboursModel, k_nearest_columns, k_smallest, lowest_positions, nearest


@pytest.mark.parametrize("width, k", [(2000, 10), (2000, 1), (200, 19), (200, 20), (205, 10), (30, 3)])
def test_k_smallest_equals_a_full_sort(width, k):
    """Strided groups of 10: (205, 10) is not whole groups, (200, 20) has no group to spare."""
    rng = np.random.default_rng(width + k)
    d = rng.normal(size=(300, width)).astype(np.float32)
    d[::3] = np.round(d[::3])  # rows full of ties
    d[1, :] = 7.0  # one row all equal
    expected = np.sort(d, axis=1)[:, :k]
    assert np.array_equal(k_smallest(d.copy(), k), expected)


@pytest.mark.parametrize("width, k", [(2000, 15), (200, 19), (205, 10), (30, 3)])
def test_k_nearest_columns_hold_the_k_smallest_values(width, k):
    rng = np.random.default_rng(width * k)
    d = rng.normal(size=(300, width)).astype(np.float32)
    d[::3] = np.round(d[::3])  # ties: which tied column is chosen is free, the values are not
    columns = k_nearest_columns(d, k)
    assert columns.shape == (300, k)
    assert all(len(set(row)) == k for row in columns)  # k distinct columns
    got = np.sort(np.take_along_axis(d, columns, axis=1), axis=1)
    assert np.array_equal(got, np.sort(d, axis=1)[:, :k])


def test_nearest_finds_the_brute_force_neighbours_across_blocks(monkeypatch):
    monkeypatch.setattr(nearest_module, "BLOCK_CELLS", 5_000)  # blocks of a few queries
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((993, 6))  # not whole groups of 10: padded
    queries = rng.standard_normal((257, 6))
    got = nearest(ref, queries, 7)
    d = ((queries[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2)
    want = np.argsort(d, axis=1)[:, :7]
    assert np.array_equal(np.sort(got, axis=1), np.sort(want, axis=1))


def test_neighbours_model_gives_scikit_learns_probabilities():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    centres = rng.normal(scale=2.0, size=(4, 10))
    y = rng.choice(np.array([3, 5, 8, 9]), size=1_500)
    x = (centres[np.searchsorted([3, 5, 8, 9], y)] + rng.standard_normal((1_500, 10))).astype(np.float32)
    train, test = slice(0, 1_000), slice(1_000, None)
    ours = NeighboursModel(15).fit(x[train], y[train])
    theirs = KNeighborsClassifier(15).fit(x[train], y[train])
    assert np.array_equal(ours.classes_, theirs.classes_)
    p = ours.predict_proba(x[test])
    assert np.allclose(p, theirs.predict_proba(x[test]))
    assert 0.3 < p.max(axis=1).mean() < 1.0  # the classes overlap: the shares are not all 0/1


def test_neighbours_model_with_fewer_training_samples_than_neighbours():
    x = np.array([[0.0], [1.0], [10.0]])
    model = NeighboursModel(15).fit(x, np.array(["a", "a", "b"]))
    assert np.allclose(model.predict_proba(np.array([[0.5], [9.0]])), [[2 / 3, 1 / 3], [2 / 3, 1 / 3]])


def test_lowest_positions_order_negative_values_and_infinities_and_break_ties_by_position():
    values = np.array([[3.0, -1.5, np.inf, -np.inf, 0.0, -0.25, 2.0, -1.5],
                       [1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0]], np.float32)
    got = np.sort(lowest_positions(values, 4), axis=1)
    assert got.tolist() == [[1, 3, 5, 7], [0, 1, 2, 3]]
    rng = np.random.default_rng(5)
    many = rng.normal(scale=1e3, size=(200, 300)).astype(np.float32)
    want = np.sort(np.argsort(many, axis=1, kind="stable")[:, :12], axis=1)
    assert np.array_equal(np.sort(lowest_positions(many, 12), axis=1), want)
