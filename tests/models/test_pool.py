"""The pool of modelled samples: labelled, readable, sampled by class."""

from __future__ import annotations

import numpy as np

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.models.pool import build_pool
from datacheck.scan.sample import stratified_sample
from datacheck.scan import scan


def test_stratified_sample_keeps_class_shares_and_floor():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [9000, 900, 6])
    at = stratified_sample(y, 1000, 5, seed=0)
    counts = np.bincount(y[at])
    assert np.all(np.diff(at) > 0)
    assert abs(counts[0] - 910) <= 2 and abs(counts[1] - 91) <= 2 and counts[2] == 5
    assert np.array_equal(at, stratified_sample(y, 1000, 5, seed=0))
    assert not np.array_equal(at, stratified_sample(y, 1000, 5, seed=1))



def test_stratified_sample_has_exactly_the_size_asked():
    rng = np.random.default_rng(1)
    for n, size, k in [(1_000_000, 200_000, 10), (1_000, 300, 3), (50, 10, 7), (999, 998, 5)]:
        y = rng.integers(0, k, n)
        at = stratified_sample(y, size, 1, seed=0)
        assert len(at) == size, (n, size, k)
        share = np.bincount(y, minlength=k) * size / n
        assert np.all(np.abs(np.bincount(y[at], minlength=k) - share) < 1 + 1e-9)  # each class within a sample
    y = np.repeat([0, 1], [95, 5])
    assert len(stratified_sample(y, 10, 3, seed=0)) == 13  # 10 of class 0 (9.5 rounded up), 3 of class 1 by the floor
    assert len(stratified_sample(y, 500, 1, seed=0)) == 100  # never more than there are

def test_pool_drops_unlabelled_and_rare_classes_and_samples():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = np.repeat([0.0, 1.0, 2.0], [200, 97, 3])
    y[:10] = np.nan  # unlabelled
    ds = from_objects({"train": (x[:240], y[:240]), "test": (x[240:], y[240:])})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    pool = build_pool(ctx, max_samples=10_000, min_per_class=5, seed=0)
    assert len(pool) == 287 and pool.n_available == 290
    assert pool.split_names == ["train", "test"]
    assert any("fewer than 5" in note for note in pool.notes)
    small = build_pool(ctx, max_samples=100, min_per_class=5, seed=0)
    assert 95 <= len(small) <= 105 and any("stratified sample" in note for note in small.notes)
    assert small.capped_from == 287 and pool.capped_from == 0  # drawn down from the 287 poolable
    at, rows = small.rows_of(1)
    assert np.all(small.split[at] == 1) and np.all(rows < 60)
