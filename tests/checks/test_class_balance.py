"""class_balance: planted imbalance, rare, missing and unseen classes and label shift are
flagged; clean sample data and random splits of real datasets stay quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datacheck
from datacheck.checks.class_balance import SHIFT_SIGMAS, label_shift
from datacheck.report.findings import Finding
from tests.helpers import loud

CHECK = "class_balance"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], **kwargs)


def _one(report, code):
    [f] = [f for f in report.by_check(CHECK) if f.code == f"{CHECK}.{code}"]
    return f


def _codes(report):
    return sorted(f.code.split(".")[1] for f in report.by_check(CHECK))


def _arrays(y_train, y_test=None):
    """Splits of one dummy feature with the given labels."""
    test = None if y_test is None else (np.zeros((len(y_test), 1)), np.asarray(y_test))
    return {"train": (np.zeros((len(y_train), 1)), np.asarray(y_train)), "test": test}


@pytest.fixture(scope="module")
def imbalance_report(sample_data):
    return _profile(sample_data / "defect_imbalance")


def test_planted_unseen_test_class_is_an_error_listing_its_images(imbalance_report, sample_data):
    f = _one(imbalance_report, "unseen_label")
    assert f.severity.value == "error" and f.split == "test"
    folder = sample_data / "defect_imbalance" / "test" / "Unknown"
    unknown = sorted(f"test/Unknown/{p.name}" for p in folder.iterdir())
    assert sorted(f.samples) == unknown and f.n_samples == 5
    assert f.metrics["classes"] == ["Unknown"]
    assert "Unknown" in f.message and f.checklist == (8, 9)
    assert Finding.from_dict(f.to_dict()) == f


def test_planted_class_missing_from_test_warns(imbalance_report):
    f = _one(imbalance_report, "missing_class")
    assert f.severity.value == "warning" and f.split == "test"
    assert f.metrics["classes"] == ["Sandal"] and "Sandal" in f.message


def test_planted_imbalance_warns_naming_the_rare_class(imbalance_report):
    f = _one(imbalance_report, "imbalance")
    assert f.severity.value == "warning" and f.split == "train"
    assert f.metrics["imbalance_ratio"] == pytest.approx(200 / 3, rel=1e-3)
    assert f.metrics["largest_class"] == "Trouser" and f.metrics["smallest_class"] == "Bag"
    assert f.metrics["rare_classes"] == ["Bag"]
    assert "Bag" in f.message and "Trouser" in f.message


def test_planted_tiny_class_warns_listing_its_samples(imbalance_report, sample_data):
    f = _one(imbalance_report, "few_samples")
    assert f.severity.value == "warning" and f.split == "train"
    folder = sample_data / "defect_imbalance" / "train" / "Bag"
    bags = sorted(f"train/Bag/{p.name}" for p in folder.iterdir())
    assert sorted(f.samples) == bags and f.n_samples == 3


def test_planted_balanced_test_against_imbalanced_train_is_a_shift(imbalance_report):
    f = _one(imbalance_report, "label_shift")
    assert f.severity.value == "warning" and f.split == "test"
    assert f.metrics["total_variation"] == pytest.approx(0.348, abs=1e-3)
    assert f.metrics["z_score"] >= SHIFT_SIGMAS


def test_counts_are_info_with_bars_per_split(imbalance_report):
    f = _one(imbalance_report, "counts")
    assert f.severity.value == "info"
    bars = f.evidence[0]
    assert bars.kind == "bars"
    trouser = bars.data["labels"].index("Trouser")
    assert bars.data["series"]["train"][trouser] == 200 and bars.data["series"]["test"][trouser] == 10
    assert f.metrics["n_train"] == 523 and f.metrics["n_test"] == 95
    assert all(Finding.from_dict(g.to_dict()) == g for g in imbalance_report.findings)
    assert _codes(imbalance_report) == ["counts", "few_samples", "imbalance", "label_shift",
                                        "missing_class", "unseen_label"]


@pytest.mark.parametrize("name", ["clean_tabular", "clean_images", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    report = _profile(sample_data / name)
    assert not loud(report, CHECK)
    assert _codes(report) == ["counts"]


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_random_splits_of_digits_are_quiet(stratify, seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed,
                                          stratify=y if stratify else None)
    assert not loud(_profile(train=(xtr, ytr), test=(xte, yte)), CHECK)


def test_standardized_wine_random_split_is_quiet(wine_frames):
    train, test = wine_frames
    report = _profile(train=train, test=test, label="label")
    assert _codes(report) == ["counts"]


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 400), min_size=2, max_size=30),
       test_share=st.floats(0.05, 0.5), seed=st.integers(0, 2**32 - 1))
def test_a_random_split_never_shows_a_label_shift(counts, test_share, seed):
    pooled = np.array(counts)
    n_test = max(1, int(pooled.sum() * test_share))
    test = np.random.default_rng(seed).multivariate_hypergeometric(pooled, n_test)
    train = pooled - test
    seen = train > 0
    if seen.sum() < 2:
        return
    _, _, _, z = label_shift(train[seen], test[seen])
    assert z < SHIFT_SIGMAS


def test_shifted_test_proportions_warn_but_a_small_shift_on_big_data_does_not(rng):
    y_train = np.repeat([0, 1, 2], [600, 300, 100])
    shifted = _profile(**_arrays(y_train, np.repeat([0, 1, 2], [60, 60, 80])))
    f = _one(shifted, "label_shift")
    assert f.severity.value == "warning" and f.metrics["total_variation"] >= 0.25
    assert f.evidence[0].kind == "bars"
    # Significant at this size but a total variation of only 0.03: below the effect size.
    big = np.repeat([0, 1], [50_000, 50_000])
    small_shift = _profile(**_arrays(big, np.repeat([0, 1], [5300, 4700])))
    assert not loud(small_shift, CHECK)


def test_val_is_compared_with_train_too():
    y = np.repeat([0, 1, 2], 100)
    report = _profile(train=(np.zeros((300, 1)), y), val=(np.zeros((40, 1)), np.repeat([0, 1], 20)))
    f = _one(report, "missing_class")
    assert f.split == "val" and f.metrics["classes"] == ["2"]


def test_few_eval_samples_of_a_class_are_info():
    report = _profile(**_arrays(np.repeat([0, 1, 2], 100), np.repeat([0, 1, 2], [30, 30, 2])))
    f = _one(report, "few_samples")
    assert f.severity.value == "info" and f.split == "test" and f.metrics["classes"] == ["2"]


def test_missing_labels_are_listed_and_an_unlabelled_test_split_is_info(rng):
    train = pd.DataFrame({"a": rng.normal(size=60), "label": np.tile([0.0, 1.0], 30)})
    train.loc[[3, 17], "label"] = np.nan
    test = pd.DataFrame({"a": rng.normal(size=10), "label": np.full(10, np.nan)})
    report = _profile(train=train, test=test, label="label")
    by_split = {f.split: f for f in report.by_check(CHECK) if f.code.endswith("missing_label")}
    assert by_split["train"].severity.value == "warning"
    assert list(by_split["train"].samples) == ["train[3]", "train[17]"]
    assert by_split["train"].metrics["n_missing"] == 2
    assert by_split["test"].severity.value == "info" and by_split["test"].metrics["n_missing"] == 10
    assert not by_split["test"].samples  # the samples to predict: none is singled out
    # An unlabelled test split is not compared with train.
    assert not {"missing_class", "label_shift"} & set(_codes(report))


def test_a_single_class_train_split_is_an_error():
    f = _one(_profile(**_arrays(np.zeros(50, int), np.zeros(10, int))), "single_class")
    assert f.severity.value == "error"


def test_thresholds_are_parameters():
    y = np.repeat([0, 1], [300, 50])
    assert not loud(_profile(**_arrays(y)), CHECK)
    strict = _profile(**_arrays(y), params={CHECK: {"max_imbalance_ratio": 5}})
    assert _one(strict, "imbalance").metrics["imbalance_ratio"] == pytest.approx(6.0)
    few = _profile(**_arrays(y), params={CHECK: {"min_class_samples": 60}})
    assert _one(few, "few_samples").n_samples == 50


def _diabetes():
    from sklearn.datasets import load_diabetes

    d = load_diabetes(scaled=False)
    return pd.DataFrame(d.data, columns=d.feature_names), d.target.copy()


def test_continuous_target_gets_its_distribution_not_classes(rng):
    report = _profile(**_arrays(rng.normal(size=300) * 3 + 10, rng.normal(size=100) * 3 + 10))
    assert report.dataset.task == "regression" and report.outcome(CHECK).status.value == "passed"
    assert _codes(report) == ["target_summary"]
    f = _one(report, "target_summary")
    assert f.metrics["n_train"] == 300 and f.metrics["n_test"] == 100
    assert [e.kind for e in f.evidence] == ["histogram", "table"]


def test_clean_diabetes_regression_is_quiet(sample_data):
    report = _profile(sample_data / "clean_regression")
    assert report.dataset.task == "regression" and not loud(report, CHECK)
    assert _codes(report) == ["target_summary"]


@pytest.mark.parametrize("seed", range(5))
def test_random_regression_splits_give_no_target_shift(seed):
    x, y = _diabetes()
    order = np.random.default_rng(seed).permutation(len(y))
    train, test = order[:330], order[330:]
    report = _profile(train=x.iloc[train].assign(target=y[train]), test=x.iloc[test].assign(target=y[test]))
    assert not loud(report, CHECK)


def test_test_split_of_only_high_targets_is_a_target_shift_warning():
    x, y = _diabetes()
    order = np.argsort(y, kind="stable")
    train, test = np.sort(order[:-110]), np.sort(order[-110:])
    report = _profile(train=x.iloc[train].assign(target=y[train]), test=x.iloc[test].assign(target=y[test]))
    f = _one(report, "target_shift")
    assert f.severity.value == "warning" and f.split == "test"
    assert f.metrics["ks_statistic"] > 0.9 and f.metrics["p_value"] < 1e-20
    assert f.metrics["outside_train_range_ratio"] == 1.0 and "q50" in f.message
    assert Finding.from_dict(f.to_dict()) == f


def test_planted_outlying_targets_are_a_warning_naming_them():
    x, y = _diabetes()
    bad = np.random.default_rng(0).choice(len(y), 5, replace=False)
    y[bad] *= 100  # a unit slip
    f = _one(_profile(train=x.assign(target=y)), "extreme_targets")
    assert f.severity.value == "warning" and f.metrics["isolated"]
    assert sorted(f.samples) == sorted(f"train[{i}]" for i in bad) and f.n_samples == 5


def test_heavy_tailed_target_is_info_not_a_warning(rng):
    report = _profile(**_arrays(rng.standard_t(3, 5000)))
    assert not loud(report, CHECK)
    lognormal = _profile(**_arrays(rng.lognormal(3, 1, 5000)))
    assert not loud(lognormal, CHECK) and "extreme_targets" not in _codes(lognormal)


def test_constant_regression_target_is_an_error():
    report = _profile(**_arrays(np.full(50, 2.5)), task="regression")
    assert _one(report, "constant_target").severity.value == "error"


def test_bars_keep_at_most_200_classes():
    y = np.repeat(np.arange(300), np.arange(300) % 7 + 20)
    bars = _one(_profile(**_arrays(y)), "counts").evidence[0]
    assert len(bars.data["labels"]) == 200 and len(bars.data["series"]["train"]) == 200


def test_too_few_regression_targets_for_their_spread_is_a_warning():
    x, y = _diabetes()
    report = _profile(train=x.iloc[:30].assign(target=y[:30]), test=x.iloc[400:].assign(target=y[400:]))
    assert report.dataset.task == "regression"
    f = _one(report, "few_samples")
    assert f.severity.value == "warning" and f.split == "train" and f.metrics["n_train"] == 30
    # the clean table (353 train targets) has enough; the threshold is a parameter
    assert "few_samples" not in _codes(_profile(train=x.iloc[:353].assign(target=y[:353])))
    strict = _profile(train=x.iloc[:353].assign(target=y[:353]), params={CHECK: {"min_target_samples": 400}})
    assert _one(strict, "few_samples").metrics["min_target_samples"] == 400


@pytest.mark.parametrize("fill", [np.nan, None])
def test_a_label_column_with_no_value_is_an_error_not_a_skip(tmp_path, rng, fill):
    """A train split whose label column is empty cannot train anything: class_balance runs
    to say so, rather than being skipped with the label checks."""
    path = tmp_path / "unlabelled.csv"
    pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40),
                  "label": np.full(40, fill, dtype=object)}).to_csv(path, index=False)
    report = datacheck.profile(path)
    found = [f for f in report.by_check(CHECK) if f.code.endswith("missing_label")]
    assert [(f.severity.value, f.split) for f in found] == [("error", "train")]
    assert found[0].metrics["n_missing"] == 40
    assert report.dataset.task_reason == "no label values to infer it from"
