"""label_order: sorted and block-ordered labels are flagged; any shuffled order stays quiet."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datacheck
from datacheck.checks.label_order import (MAX_SEQUENCE_POINTS, _pair_probabilities, order_stats,
                                          same_label_null)
from datacheck.report.findings import Finding
from tests.helpers import loud

CHECK = "label_order"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], **kwargs)


def _labels(y, **kwargs):
    """Profile a train split of one dummy feature with labels ``y`` in this order."""
    y = np.asarray(y)
    return _profile(train=(np.zeros((len(y), 1)), y), **kwargs)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def test_planted_sorted_table_is_an_error_on_train_and_a_warning_on_test(sample_data):
    report = _profile(sample_data / "defect_sorted_labels.csv")
    by_split = {f.split: f for f in report.by_check(CHECK)}
    train, test = by_split["train"], by_split["test"]
    assert train.code == "label_order.sorted_runs" and train.severity.value == "error"
    assert test.code == "label_order.sorted_runs" and test.severity.value == "warning"
    # The longest run is the first half of train: 168 benign rows.
    assert train.samples[:2] == ("train[0]", "train[1]") and train.n_samples == 168
    assert train.metrics["longest_run"] == 168 and train.metrics["n_runs"] == 2
    assert train.metrics["single_label_batch_ratio"] == pytest.approx(0.9)
    assert train.metrics["runs_z"] <= -6 and train.checklist == (7, 10)
    sequence = train.evidence[0]
    assert sequence.kind == "sequence" and sequence.data["labels"] == ["benign", "malignant"]
    assert list(sequence.data["values"]) == [0] * 168 + [1] * 168
    assert "shuffle" in train.hint.lower() and "168 samples of class 'benign'" in train.message
    assert Finding.from_dict(train.to_dict()) == train


def test_digits_sorted_by_label_is_an_error(digits):
    x, y = digits
    order = np.argsort(y, kind="stable")
    [f] = _profile(train=(x[order], y[order])).by_check(CHECK)
    assert f.code == "label_order.sorted_runs" and f.severity.value == "error"
    assert f.metrics["n_runs"] == 10
    start = int(np.flatnonzero(y[order] == int(f.metrics["longest_run_label"]))[0])
    assert f.samples[0] == f"train[{start}]" and f.n_samples == f.metrics["longest_run"]


@pytest.mark.parametrize("block", [500, 64])
def test_blocks_of_one_label_are_an_error(rng, block):
    y = np.repeat(rng.permutation(np.repeat(np.arange(10), 3)), block)
    [f] = _labels(y).by_check(CHECK)
    assert f.code == "label_order.sorted_runs" and f.severity.value == "error"


def test_short_blocks_are_a_clustered_warning(rng):
    # Blocks of 8: no batch of 32 holds one label, but each holds only a few classes.
    y = np.repeat(rng.integers(0, 10, 400), 8)
    [f] = _labels(y).by_check(CHECK)
    assert f.code == "label_order.clustered" and f.severity.value == "warning"
    assert f.metrics["batch_same_label_ratio"] > f.metrics["expected_batch_same_label_ratio"] + 0.05


@pytest.mark.parametrize("name", ["clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    report = _profile(sample_data / name)
    assert not report.by_check(CHECK)
    assert report.outcome(CHECK).status.value == "passed"


def test_image_folders_are_skipped_with_the_reason(sample_data):
    outcome = _profile(sample_data / "clean_images").outcome(CHECK)
    assert outcome.status.value == "skipped" and "no sample order" in outcome.reason


def test_shuffled_random_splits_of_digits_and_wine_are_quiet(digits_split, wine_frames):
    xtr, xte, ytr, yte = digits_split
    assert not _profile(train=(xtr, ytr), test=(xte, yte)).by_check(CHECK)
    train, test = wine_frames
    assert not _profile(train=train, test=test, label="label").by_check(CHECK)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batch_size=st.sampled_from([8, 32, 64]))
def test_any_shuffle_of_digits_sorted_by_label_is_quiet(digits, seed, batch_size):
    x, y = digits
    order = np.random.default_rng(seed).permutation(len(y))
    assert not _profile(train=(x[order], y[order]), batch_size=batch_size).by_check(CHECK)


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 300), min_size=1, max_size=8),
       batch_size=st.sampled_from([2, 4, 16, 32]), seed=st.integers(0, 2**32 - 1))
def test_shuffling_removes_label_order_findings(counts, batch_size, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    if not len(y):
        return
    shuffled = np.random.default_rng(seed).permutation(y)
    assert not _labels(shuffled, batch_size=batch_size).by_check(CHECK)


def test_exact_null_moments_match_every_permutation():
    y0 = np.array([0, 0, 0, 1, 1, 2, 2])
    probs = _pair_probabilities(np.bincount(y0))
    perms = np.array(sorted(set(itertools.permutations(y0))))
    neighbours = (perms[:, 1:] == perms[:, :-1]).sum(axis=1)
    mean, var = same_label_null(len(y0) - 1, 2 * (len(y0) - 2), probs)
    assert mean == pytest.approx(neighbours.mean()) and var == pytest.approx(neighbours.var())
    # Batches of 3 (two of them, the last sample left over).
    in_batches = np.zeros(len(perms))
    for b in range(2):
        block = perms[:, 3 * b:3 * b + 3]
        in_batches += sum((block[:, i] == block[:, j]) for i, j in itertools.combinations(range(3), 2))
    mean, var = same_label_null(2 * 3, 2 * 3 * 2 * 1, probs)
    assert mean == pytest.approx(in_batches.mean()) and var == pytest.approx(in_batches.var())
    single = np.mean([np.all(p[:3] == p[0]) for p in perms])
    assert order_stats(perms[0], 3).expected_single_label_batch_ratio == pytest.approx(single)


def test_missing_labels_are_left_out_of_the_sequence():
    y = np.repeat([0, 1], 200).astype(float)
    y[::7] = np.nan
    [f] = _labels(y).by_check(CHECK)
    assert f.code == "label_order.sorted_runs"
    assert f.metrics["n_labelled"] == int(np.sum(~np.isnan(y)))


def test_batch_size_is_a_parameter():
    # Blocks of 16 are single-label batches at batch size 8 and mixed ones at 64.
    y = np.tile(np.repeat([0, 1], 16), 40)
    [small] = _labels(y, batch_size=8).by_check(CHECK)
    assert small.code == "label_order.sorted_runs" and small.metrics["batch_size"] == 8
    assert not _labels(y, params={CHECK: {"batch_size": 64}}).by_check(CHECK)


def test_big_splits_are_fast_and_their_sequence_downsampled():
    y = np.sort(np.random.default_rng(0).integers(0, 10, 1_000_000))
    start = time.perf_counter()
    stats = order_stats(y, 32)
    assert time.perf_counter() - start < 2.0  # about 0.15 s; the margin is for loaded machines
    assert stats.n_runs == 10 and stats.runs_z < -100
    [f] = _labels(y[::50]).by_check(CHECK)
    assert len(f.evidence[0].data["values"]) <= MAX_SEQUENCE_POINTS


# ---------------------------------------------------------------- regression targets


def _targets(t, **kwargs):
    """Profile a train split of one dummy feature with the float targets ``t`` in this order."""
    t = np.asarray(t, dtype=np.float64)
    return _profile(train=(np.zeros((len(t), 1)), t), **kwargs)


@pytest.fixture(scope="module")
def diabetes_target():
    from sklearn.datasets import load_diabetes

    return load_diabetes().target


def test_planted_sorted_target_is_an_error_on_train_and_a_warning_on_test(sample_data):
    report = _profile(sample_data / "defect_sorted_target.csv")
    assert report.dataset.task == "regression"
    by_split = {f.split: f for f in report.by_check(CHECK)}
    assert by_split["train"].code == "label_order.sorted_target" and by_split["train"].severity.value == "error"
    assert by_split["test"].code == "label_order.sorted_target" and by_split["test"].severity.value == "warning"
    f = by_split["train"]
    assert f.metrics["rank_correlation"] > 0.99 and f.metrics["n_runs"] == 2
    assert f.metrics["narrow_batch_ratio"] > 0.5 > f.metrics["expected_narrow_batch_ratio"]
    assert f.evidence[0].kind == "scatter" and Finding.from_dict(f.to_dict()) == f


def test_descending_target_is_sorted_too(diabetes_target):
    f = _targets(np.sort(diabetes_target)[::-1]).by_check(CHECK)[0]
    assert f.code == "label_order.sorted_target" and f.metrics["rank_correlation"] < -0.99


@pytest.mark.parametrize("seed", range(10))
def test_shuffled_target_is_quiet(diabetes_target, seed):
    order = np.random.default_rng(seed).permutation(len(diabetes_target))
    assert not _targets(diabetes_target[order], seed=seed).by_check(CHECK)


def test_clean_regression_sample_is_quiet(sample_data):
    assert not _profile(sample_data / "clean_regression").by_check(CHECK)


def test_target_in_sorted_blocks_is_a_clustered_warning(diabetes_target):
    parts = np.array_split(np.random.default_rng(1).permutation(diabetes_target), 4)
    [f] = _targets(np.concatenate([np.sort(p) for p in parts])).by_check(CHECK)
    assert f.code == "label_order.clustered_target" and f.severity.value == "warning"
    assert f.metrics["runs_z"] < -6


def test_mild_trend_in_a_long_series_is_quiet():
    rng = np.random.default_rng(0)
    n = 20_000
    assert not _targets(rng.normal(size=n) + np.linspace(0, 0.3, n)).by_check(CHECK)


@settings(max_examples=25, deadline=None)
@given(st.integers(64, 600), st.sampled_from(["normal", "lognormal", "integers", "two_values"]),
       st.integers(0, 2**31))
def test_any_shuffled_regression_target_is_quiet(n, shape, seed):
    rng = np.random.default_rng(seed)
    t = {"normal": lambda: rng.normal(size=n), "lognormal": lambda: rng.lognormal(size=n),
         "integers": lambda: rng.integers(0, 50, n) + 0.5,
         "two_values": lambda: rng.choice([0.25, 7.5], n)}[shape]()
    assert not _targets(rng.permutation(t), seed=seed % 1000).by_check(CHECK)


def _weather(n=2000, seed=0):
    """Daily rows in date order; rain follows a persistent latent state, so rainy days come
    in runs, as they do."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    state = np.zeros(n)
    for i in range(1, n):
        state[i] = 0.8 * state[i - 1] + 0.6 * rng.normal()
    frame = pd.DataFrame({"date": pd.date_range("2015-01-01", periods=n).strftime("%Y-%m-%d"),
                          "humidity": state + 0.5 * rng.normal(size=n), "wind": rng.normal(size=n),
                          "label": (state > 0.5).astype(int)})
    return frame


def test_labels_clustered_in_date_order_are_info_naming_the_date(tmp_path):
    """Rows that follow a date hold labels that follow time: info, not a warning; the same
    rows without their date are a clustered order (warning)."""
    frame = _weather()
    frame.to_csv(tmp_path / "weather.csv", index=False)
    frame.drop(columns="date").to_csv(tmp_path / "undated.csv", index=False)
    dated = [f for f in datacheck.profile(tmp_path / "weather.csv").by_check("label_order")]
    assert [(f.code, f.severity.value) for f in dated] == [("label_order.clustered", "info")]
    assert "in the order of `date`" in dated[0].message and "--time-col date" in dated[0].hint
    undated = datacheck.profile(tmp_path / "undated.csv").by_check("label_order")
    assert [(f.code, f.severity.value) for f in undated] == [("label_order.clustered", "warning")]


def test_a_date_the_rows_do_not_follow_leaves_a_sorted_file_an_error(tmp_path):
    """Sorted by label, with dates in no order: the file is sorted, not a time series."""
    frame = _weather().sample(frac=1, random_state=0).sort_values("label", kind="stable")
    frame.to_csv(tmp_path / "sorted.csv", index=False)
    found = datacheck.profile(tmp_path / "sorted.csv").by_check("label_order")
    assert [(f.code, f.severity.value) for f in found] == [("label_order.sorted_runs", "error")]


def test_a_target_that_wanders_in_timestamp_order_is_info(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(size=1500))
    frame = pd.DataFrame({"timestamp": 1_600_000_000 + 3600 * np.arange(1500),
                          "a": walk + 0.5 * rng.normal(size=1500), "target": 10 * walk + 20})
    frame.to_csv(tmp_path / "sensor.csv", index=False)
    found = datacheck.profile(tmp_path / "sensor.csv").by_check("label_order")
    assert [(f.code, f.severity.value) for f in found] == [("label_order.sorted_target", "info")]
    assert "in the order of `timestamp`" in found[0].message


@pytest.mark.parametrize("values, iso, follows", [
    (["2020-01-%02d" % d for d in range(1, 31)], True, True),
    (["2020-01-01T%02d:00" % h for h in range(24)], True, True),
    (["2020-01-%02d" % d for d in range(30, 0, -1)], True, False),      # backwards
    (["2020-01-01"] * 15 + ["2020-01-02"] * 15, True, False),            # two days only
    (["1/%d/2020" % d for d in range(1, 31)], True, False),              # not ISO: text order is not time
    (list(range(30)), False, True),
    (list(range(29)) + [None], False, False),                            # a missing time
])
def test_a_time_column_the_rows_follow(values, iso, follows):
    import pyarrow as pa

    from datacheck.checks._time_order import _follows

    assert _follows(pa.chunked_array([pa.array(values)]), iso=iso) is follows
