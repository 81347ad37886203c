"""The row grid search finds what a brute-force comparison of every pair finds."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.scan.near_rows import _ROW_CAP, GridIndex, RowGrid, near_row_pairs


def _search(index, query, scale, seed=0, single=False, **kw):
    bound = None
    if single:
        with np.errstate(invalid="ignore"):
            both = np.c_[index, query]
            bound = np.abs(np.where(np.isfinite(both), both, 0.0)).max(axis=1)
    grid = RowGrid.make(scale, np.arange(len(scale)), seed, bound=bound)
    assert grid.single == single
    index_cols, query_cols = list(index), list(query)
    built = GridIndex.build(grid, *grid.entries(index_cols))
    return near_row_pairs(built, index_cols, query_cols, grid.keys(query_cols), scale, **kw)


def _distance(a, b, scale):
    """Largest difference over features in tolerances; NaN meets NaN, inf meets inf."""
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b) / scale[:, None]
    d[(a == b) | (np.isnan(a) & np.isnan(b))] = 0.0
    return np.where(np.isnan(d), np.inf, d).max(axis=0)


def _planted(rng, n_index=400, n_query=3000, d=5, n_copies=60):
    query = rng.normal(size=(d, n_query))
    index = rng.normal(size=(d, n_index))
    src, dst = rng.choice(n_query, n_copies, replace=False), rng.choice(n_index, n_copies, replace=False)
    index[:, dst] = query[:, src] + rng.normal(0, 0.002, (d, n_copies)) * (np.arange(n_copies) % 2)
    return index, query, src, dst, np.full(d, 0.01)


@pytest.mark.parametrize("single", [False, True])
# seeds 42 and 50 plant a copy that straddles cell edges on two key features at once
@pytest.mark.parametrize("seed", [0, 42, 50])
def test_every_planted_copy_is_found_with_its_exact_distance(seed, single):
    index, query, src, dst, scale = _planted(np.random.default_rng(seed))
    found, complete = _search(index, query, scale, single=single)
    assert complete
    assert set(zip(dst.tolist(), src.tolist())) <= set(zip(found.query.tolist(), found.ref.tolist()))
    np.testing.assert_allclose(found.score, _distance(index[:, found.query], query[:, found.ref], scale))
    assert (found.score <= 1.0).all() and (found.score[np.isin(found.query, dst[::2])] == 0).all()


def test_nearest_of_several_candidates_is_kept(rng):
    index, query, _, _, scale = _planted(rng, n_copies=0)
    query[:, 7] = index[:, 3] + 0.005
    query[:, 9] = index[:, 3] + 0.001
    found, _ = _search(index, query, scale)
    assert found.ref[found.query == 3].tolist() == [9]


@pytest.mark.parametrize("single", [False, True])
def test_missing_and_infinite_values_meet_their_own_kind(rng, single):
    index, query, _, _, scale = _planted(rng, n_copies=0)
    index[:, :3] = query[:, :3]
    index[0, 0] = query[0, 0] = np.nan
    index[1, 1] = query[1, 1] = -np.inf
    index[2, 2], query[2, 2] = np.inf, -np.inf
    found, _ = _search(index, query, scale, single=single)
    assert dict(zip(found.query.tolist(), found.ref.tolist())) == {0: 0, 1: 1}


def test_self_pairs_and_other_column_mismatches_are_skipped(rng):
    index, query, _, _, scale = _planted(rng, n_copies=0)
    index[:, :2] = query[:, :2]
    found, _ = _search(index, query, scale, index_self=np.r_[0, np.full(len(index[0]) - 1, -1)])
    assert found.query.tolist() == [1]
    extra_q = np.zeros(len(query[0]), np.uint64)
    found, _ = _search(index, query, scale, index_extra=np.r_[np.uint64(1), extra_q[:len(index[0]) - 1]],
                       query_extra=extra_q)
    assert found.query.tolist() == [1]


def test_crowded_cells_are_searched_in_full_within_the_pair_budget(rng, monkeypatch):
    scale = np.full(3, 0.01)
    index = np.zeros((3, _ROW_CAP + 5))
    query = np.r_[np.zeros((3, 1)).T, rng.normal(size=(50, 3))].T
    found, complete = _search(index, query, scale)
    assert complete and len(found) == _ROW_CAP + 5 and (found.ref == 0).all()
    # Past the budget, a crowded cell is cut to the per-query cap and reported incomplete.
    monkeypatch.setattr("datacheck.scan.near_rows._PAIR_BUDGET", _ROW_CAP)
    found, complete = _search(index, query, scale)
    assert not complete
    assert len(found) == _ROW_CAP and (found.ref == 0).all() and (found.score == 0).all()


def test_keys_of_selected_rows_equal_keys_of_the_gathered_rows(rng):
    cols = list(rng.normal(size=(6, 5000)))
    cols[2][::7] = np.nan
    grid = RowGrid.make(np.full(6, 0.05), np.arange(6), seed=3)
    rows = rng.choice(5000, 700, replace=False)
    gathered = [c[rows] for c in cols]
    np.testing.assert_array_equal(grid.keys(cols, rows=rows), grid.keys(gathered))
    for got, want in zip(grid.entries(cols, rows=rows), grid.entries(gathered)):
        np.testing.assert_array_equal(got, want)
    samples, keys = grid.entries(cols)
    assert len(samples) > len(cols[0]) and set(keys[samples == 4]) >= {grid.keys(cols)[4]}


def test_single_precision_needs_a_small_range_and_keeps_the_recall_at_the_tolerance(rng):
    scale = np.full(5, 3e-5)  # cells 20 tolerances wide: |values| up to 4 are 6,667 cells
    bound = np.full(5, 4.0)
    assert RowGrid.make(scale, np.arange(5), bound=bound).single
    assert not RowGrid.make(scale, np.arange(5), bound=np.full(5, 8.0)).single
    assert not RowGrid.make(scale, np.arange(5), bound=np.full(5, np.nan)).single
    # Pairs just within the tolerance across a cell edge far out in the float32 range, the
    # indexed row 0.9976-0.9999 tolerances inside its cell: float32 coordinates are off by more
    # than that, so only the probes' extra reach finds them all.
    grid = RowGrid.make(scale, np.arange(5), bound=bound)
    tol = 1 / 20  # the tolerance in cell widths
    edge = np.arange(2100, 4000) + 0.5
    n = len(edge)
    query = np.tile(rng.uniform(-4.0, 4.0, (5, 1)), n)
    query[0] = (edge + 0.00005 * tol - grid.intercept[0]) / grid.slope[0]
    index = query.copy()
    index[0] = (edge - rng.uniform(0.9976, 0.9999, n) * tol - grid.intercept[0]) / grid.slope[0]
    index[1:] += rng.uniform(-1, 1, (4, 1)) * 0.001 * scale[0]  # not one crowded cell
    for single in (False, True):
        found, complete = _search(index, query, scale, single=single)
        assert len(found) == n and (found.query == found.ref).all() and (found.score <= 1.0).all()
