"""The math of the GX expectations agrees with datacheck's own checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")

import datacheck
from datacheck.checks.label_order import order_stats
from datacheck.gx import metrics as m


def _sequences(rng):
    """Label sequences from shuffled to sorted, with several class counts."""
    shuffled = rng.integers(0, 4, 600)
    blocks = np.repeat(rng.integers(0, 3, 30), 20)
    return {"shuffled": shuffled, "sorted": np.sort(shuffled), "blocks": blocks,
            "binary": rng.integers(0, 2, 257)}


@pytest.mark.parametrize("batch_size", [2, 7, 32])
def test_label_order_metrics_equal_order_stats(rng, batch_size):
    for name, y in _sequences(rng).items():
        stats = order_stats(y, batch_size)
        codes = m.label_codes(y)
        assert m.longest_run(codes) == stats.longest_run, name
        assert m.single_label_batch_ratio(codes, batch_size) == pytest.approx(stats.single_label_batch_ratio), name


def test_label_codes_drop_missing_labels_like_datacheck():
    values = pd.Series(["cat", None, "cat", "dog", np.nan, "dog", "dog"])
    codes = m.label_codes(values)
    assert codes.tolist() == [0, 0, 1, 1, 1]
    assert m.longest_run(codes) == 3
    assert m.longest_run(np.zeros(0, np.int64)) == 0
    assert m.single_label_batch_ratio(codes, 8) == 0.0


def test_longest_run_bound_holds_for_every_shuffle_and_fails_sorted(digits_split, wine_frames, rng):
    for y in (np.asarray(digits_split[2]), wine_frames[0]["label"].to_numpy()):
        counts = m.class_counts(m.label_codes(y))
        bound = m.longest_run_bound(counts)
        runs = [m.longest_run(rng.permutation(y)) for _ in range(300)]
        assert max(runs) <= bound
        assert m.longest_run(np.sort(y)) > bound
    assert m.longest_run_bound(np.array([50])) is None


def test_class_metrics_agree_with_class_balance(rng):
    counts = {"a": 200, "b": 40, "c": 40, "d": 7}
    y = rng.permutation(np.repeat(list(counts), list(counts.values())))
    x = rng.normal(size=(len(y), 3))
    report = datacheck.profile(train=(x, y), checks=["class_balance"])
    imbalance = report.by_check("class_balance")
    finding = next(f for f in imbalance if f.code == "class_balance.imbalance")
    c = m.class_counts(m.label_codes(y))
    assert m.imbalance_ratio(c) == pytest.approx(finding.metrics["imbalance_ratio"], rel=1e-3)
    # datacheck calls a class rare below min_share_ratio (0.2) of a fair share; so does the
    # GX expectation's bound on min_class_share.
    assert finding.metrics["rare_classes"] == ["d"]
    assert m.min_class_share(c) == pytest.approx(7 * 4 / len(y))
    assert m.min_class_share(c) < 0.2 <= m.min_class_share(np.sort(c)[1:])  # without "d"
    assert m.imbalance_ratio(np.array([5, 5])) == 1.0 and m.min_class_share(np.array([5, 5])) == 1.0


def test_leaked_rows_counts_both_members_and_ignores_empty_rows():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 1.0, 9.0, np.nan, np.nan, 2.0],
                          "b": ["x", "y", "z", "x", "w", None, None, "y"]})
    split = pd.Series(["train", "train", "train", "test", "test", "train", "test", "train"])
    leaked = m.leaked_rows(frame, split)
    # Row 0 (train) and row 3 (test) are equal; rows 1 and 7 are equal but both in train;
    # rows 5 and 6 hold nothing to compare.
    assert np.flatnonzero(leaked).tolist() == [0, 3]
    assert not m.leaked_rows(frame, pd.Series([None] * 8)).any()
