"""The scan as tasks: partial scans of row ranges merge into the one-pass scan exactly."""

from __future__ import annotations

import numpy as np
import pytest

import datacheck
from datacheck.data import load
from datacheck.scan import scan
from datacheck.scan.features import FeatureStats, feature_stats
from datacheck.scan.flags import RowFlags, row_flags
from tests.conftest import SAMPLE
from tests.helpers import outcome_key, sample_sets

SETS = sample_sets(SAMPLE)
STAT_FIELDS = ("n_finite", "n_nan", "n_inf", "mean", "std", "min", "max", "n_distinct_lo")


def _bounds(n: int, k: int) -> list[tuple[int, int]]:
    cuts = np.linspace(0, n, k + 1).astype(int)
    return list(zip(cuts[:-1], cuts[1:]))


def _awkward_columns(rng) -> np.ndarray:
    """Features with NaN, inf, a constant, a binary, a two-level step and a large offset."""
    c = rng.normal(5, 2, (8, 1000))
    c[1] = 3.0
    c[2] = rng.integers(0, 2, 1000)
    c[3, :500], c[3, 500:] = 1.0, 2.0
    c[4, ::7] = np.nan
    c[5, 3] = np.inf
    c[6] = 1e6 + rng.normal(0, 1e-3, 1000)  # the one-pass formula cancels: redone in two passes
    c[7, :400] = np.nan  # some parts see no finite value at all
    return c


@pytest.mark.parametrize("k", [1, 2, 7, 1000])  # 1000: one row per part
def test_feature_stats_merge_equals_one_pass(rng, k):
    c = _awkward_columns(rng)
    names = [f"f{j}" for j in range(len(c))]
    full = feature_stats(c, names)
    merged = FeatureStats.merge([feature_stats(c[:, a:b], names) for a, b in _bounds(c.shape[1], k)])
    assert merged.n == full.n and merged.names == full.names
    for name in STAT_FIELDS:
        a, b = getattr(full, name), getattr(merged, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-12, equal_nan=True, err_msg=name)


def test_distinct_counts_merge_exactly():
    # Parts each binary, {1, 2} and {2, 3}: three values together.
    names = ["f"]
    parts = [feature_stats(np.array([[1.0, 2.0, 1.0]]), names), feature_stats(np.array([[2.0, 3.0]]), names)]
    assert FeatureStats.merge(parts).n_distinct_lo.tolist() == [3]
    same = [feature_stats(np.array([[1.0, 2.0]]), names), feature_stats(np.array([[2.0, 1.0]]), names)]
    assert FeatureStats.merge(same).n_distinct_lo.tolist() == [2]


def test_row_flags_merge_with_offsets(rng):
    c = _awkward_columns(rng)
    full = row_flags(c, feature_stats(c, list("abcdefgh")))
    parts = [(a, row_flags(c[:, a:b], feature_stats(c[:, a:b], list("abcdefgh")))) for a, b in _bounds(1000, 7)]
    merged = RowFlags.merge([p for _, p in parts], [a for a, _ in parts])
    for name in ("nan_rows", "nan_cells", "inf_rows", "inf_cells"):
        assert np.array_equal(getattr(merged, name), getattr(full, name)), name
    assert full.inf_rows.tolist() == [3]


def _assert_same_scan(a, b) -> None:
    assert a.n == b.n
    assert np.array_equal(a.y, b.y) and np.array_equal(a.hashes, b.hashes)
    assert (a.columns is None) == (b.columns is None)
    if a.columns is not None:
        assert np.array_equal(a.columns, b.columns, equal_nan=True)
        assert a.other_columns == b.other_columns
        for name in STAT_FIELDS:
            np.testing.assert_allclose(getattr(b.feature_stats, name), getattr(a.feature_stats, name),
                                       rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=name)
        assert np.array_equal(a.flags.nan_rows, b.flags.nan_rows)
        assert np.array_equal(a.flags.inf_cells, b.flags.inf_cells)
        assert a.flags.other_nulls == b.flags.other_nulls
    assert (a.images is None) == (b.images is None)
    if a.images is not None:
        for name in ("ok", "n_bytes", "height", "width", "channels", "hash", "thumb", "hist"):
            assert np.array_equal(getattr(a.images, name), getattr(b.images, name)), name
        for name in ("mean", "std", "min", "max"):
            assert np.array_equal(getattr(a.images, name), getattr(b.images, name), equal_nan=True), name
        assert a.images.error == b.images.error and a.images.mode == b.images.mode
    assert a.array == b.array


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_partitioned_scan_equals_one_pass(path):
    dataset = load(path)
    whole = scan(dataset, workers=1)
    for k in (1, 2, 7):
        parts = scan(dataset, workers=1, partitions=k)
        for name in whole.splits:
            _assert_same_scan(whole[name], parts[name])


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_partitioned_profile_gives_the_same_findings(path):
    expected = outcome_key(datacheck.profile(str(path), workers=1))
    for k in (2, 7):
        assert outcome_key(datacheck.profile(str(path), workers=1, partitions=k)) == expected


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_partitions_must_be_a_positive_int(bad):
    from datacheck.errors import ConfigError

    with pytest.raises(ConfigError, match="partitions"):
        datacheck.profile(str(SAMPLE / "defect_nan.csv"), partitions=bad)
