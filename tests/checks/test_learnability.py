"""learnability: labels decoupled from inputs are an error, a weak relation a warning."""

from __future__ import annotations

import numpy as np
import pandas as pd

import datacheck
from tests.helpers import loud, severities

CHECKS = ["learnability", "label_noise"]


def test_shuffled_labels_are_one_error_from_learnability(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    rng = np.random.default_rng(0)
    report = datacheck.profile(train=(x_train, rng.permutation(y_train)), test=(x_test, rng.permutation(y_test)),
                               checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.unrelated" and f.severity.value == "error"
    assert f.checklist == (2, 4, 5)
    assert f.metrics["balanced_accuracy"] < 0.2 and f.metrics["z_score"] < 3
    assert f.metrics["p_value"] > 0.05
    # one cause, one error: label_noise defers to learnability
    (noise,) = report.by_check("label_noise")
    assert noise.code == "label_noise.not_estimated" and noise.severity.value == "info"
    assert "learnability" in noise.message
    assert [f.code for f in loud(report)] == ["learnability.unrelated"]


def test_shuffled_wine_table_is_an_error(wine_frames):
    train, test = wine_frames
    rng = np.random.default_rng(1)
    train = train.assign(label=rng.permutation(train["label"].to_numpy()))
    test = test.assign(label=rng.permutation(test["label"].to_numpy()))
    report = datacheck.profile(train=train, test=test, checks=["learnability"])
    assert severities(report, "learnability") == ["error"]


def test_one_shuffled_split_is_an_error_for_that_split(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    shuffled = np.random.default_rng(0).permutation(y_test)
    report = datacheck.profile(train=(x_train, y_train), test=(x_test, shuffled), checks=["learnability"])
    codes = {f.code: f for f in report.by_check("learnability")}
    assert "learnability.unrelated" not in codes
    f = codes["learnability.split_unrelated"]
    assert f.severity.value == "error" and f.split == "test"
    assert f.metrics["other_splits_balanced_accuracy"] > 0.8 and f.metrics["balanced_accuracy"] < 0.3


def test_weak_relation_is_a_warning():
    rng = np.random.default_rng(0)
    n = 4000
    x = rng.normal(size=(n, 5))
    # the label depends on one feature, but barely: the best accuracy is about 0.57
    y = (rng.random(n) < 1 / (1 + np.exp(-0.35 * x[:, 0]))).astype(int)
    frame = pd.DataFrame(x, columns=list("abcde")).assign(label=y)
    report = datacheck.profile(train=frame, checks=["learnability"], params={"learnability": {"weak_skill": 0.25}})
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.weak" and f.severity.value == "warning", f.message
    assert 0 < f.metrics["skill"] < 0.25 and f.metrics["z_score"] >= 3


def test_clean_data_gives_the_numbers_as_info(sample_data):
    report = datacheck.profile(sample_data / "clean_tabular", checks=["learnability"])
    assert not loud(report)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.severity.value == "info"
    assert f.metrics["balanced_accuracy"] > 0.9 and f.metrics["chance_balanced_accuracy"] == 0.5
    assert f.metrics["n_permutations"] == 10
    bars = {e.title: e for e in f.evidence}
    assert set(bars) == {"Balanced accuracy of held-out predictions", "Held-out balanced accuracy per split"}


def test_same_seed_same_findings_on_images(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    noisy = np.where(np.arange(len(y_train)) % 9 == 0, (y_train + 1) % 10, y_train)
    runs = [datacheck.profile(train=(x_train.reshape(-1, 8, 8), noisy), test=(x_test.reshape(-1, 8, 8), y_test),
                              checks=CHECKS, seed=5) for _ in range(2)]
    assert runs[0].by_check("label_noise")
    assert [f.to_dict() for f in runs[0].findings] == [f.to_dict() for f in runs[1].findings]


def test_single_class_or_skewed_test_split_is_not_called_unrelated(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    threes, fives = y_test == 3, np.flatnonzero(y_test == 5)[:3]
    for x, y in ((x_test[threes], y_test[threes]),
                 (np.concatenate([x_test[threes], x_test[fives]]), np.concatenate([y_test[threes], y_test[fives]]))):
        report = datacheck.profile(train=(x_train, y_train), test=(x, y), checks=["learnability"])
        assert not loud(report), [f.message for f in loud(report)]


def test_label_in_one_column_of_thousands_is_not_unrelated():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5000)).astype(np.float32)
    report = datacheck.profile(train=(x, (x[:, 0] > 0).astype(int)), checks=CHECKS)
    assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.metrics["balanced_accuracy"] > 0.9
    # the main models on reduced inputs miss it; the screened second family finds it
    assert f.metrics["main_models_balanced_accuracy"] < 0.7 and "screened" in f.metrics["found_by"]
    assert "screened" in f.message


def test_threshold_label_on_a_wide_table_is_quiet():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 500)).astype(np.float32)
    report = datacheck.profile(train=(x, (x[:, 0] > 0).astype(int)), checks=CHECKS)
    assert not loud(report), [f.message for f in loud(report)]
