"""Task inference: a numeric label with non-whole values, or whole values too many and too spread
to be class indices or codes (a price, an age), is a regression target; text, booleans, class
indices, codes and a few whole numbers are classes; the user's task wins; multi-label is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datacheck.data import from_objects, load
from datacheck.data.task import MAX_WHOLE_CLASSES, infer_task
from datacheck.errors import ConfigError, InputError


def _task(y):
    return infer_task({"train": np.asarray(y)}, "x")


def test_diabetes_float_target_is_regression_with_its_reason():
    from sklearn.datasets import load_diabetes

    choice = _task(load_diabetes().target)
    assert choice.task == "regression"
    assert choice.reason == "inferred: float target with 214 distinct values"
    assert choice.describe() == "regression (inferred: float target with 214 distinct values)"


def test_non_whole_floats_are_regression_even_when_few():
    assert _task([0.5, 1.5, 0.5, 2.5]).task == "regression"


@pytest.mark.parametrize("y", [[0.0, 1.0, 2.0, 1.0, np.nan], np.arange(100.0) % 7 + 3, np.arange(150.0)])
def test_float_column_of_class_indices_or_few_whole_values_is_classification(y):
    choice = _task(y)
    assert choice.task == "classification" and "whole numbers" in choice.reason


def test_many_spread_whole_floats_are_regression():
    y = np.arange(MAX_WHOLE_CLASSES + 1) * 10.0 + 25
    assert _task(y).task == "regression"


@pytest.mark.parametrize("y, what", [(np.arange(500), "integer"), (["cat", "dog", None], "text"),
                                     ([True, False], "boolean")])
def test_integers_text_and_booleans_are_classes(y, what):
    choice = _task(y)
    assert choice.task == "classification" and what in choice.reason


@pytest.mark.parametrize("name", ["price in whole dollars", "age in years"])
def test_integer_quantities_are_regression_pointing_to_the_override(name):
    rng = np.random.default_rng(0)
    y = (np.round(200_000 + 60_000 * rng.normal(size=3000)) if name.startswith("price")
         else np.clip(np.round(45 + 13 * rng.normal(size=3000)), 18, 90)).astype(np.int64)
    choice = _task(y)
    assert choice.task == "regression", choice.reason
    assert "integer target" in choice.reason and "--task classification" in choice.reason


@pytest.mark.parametrize("y", [
    np.repeat(np.arange(100, 3100, 100), 5),  # 30 codes spread over 3,000, 5 samples each
    np.repeat(np.arange(1, 31), 2),  # 30 contiguous class indices from 1
    np.repeat([3, 7, 12], 4),  # few classes
    np.delete(np.arange(100), [5, 57]),  # CIFAR-100's class indices, two classes missing
])
def test_integer_class_codes_and_indices_stay_classes(y):
    assert _task(y).task == "classification"


def test_integer_codes_too_rare_to_be_classes_are_regression():
    # 30 values spread over 3,000 with 4 samples each: too few samples a value for codes
    assert _task(np.repeat(np.arange(100, 3100, 100), 4)).task == "regression"


def test_few_whole_measurements_held_about_once_each_are_regression():
    from sklearn.datasets import load_linnerud

    weight = load_linnerud(as_frame=True).target["Weight"].to_numpy()  # 20 athletes, 16 values
    choice = _task(weight)
    assert choice.task == "regression" and "held about once each" in choice.reason
    assert "--task classification" in choice.reason


@pytest.mark.parametrize("y", [
    np.arange(1, 13),  # 12 class indices from 1, once each
    np.r_[np.arange(1, 11), 3, 7],  # ratings 1-10 of 12 people: not spread
    np.repeat(np.arange(150, 250, 10), 2),  # 10 values held twice each
    [138, 156, 157, 162, 166, 170, 176],  # too few values to tell
])
def test_classes_held_once_each_but_contiguous_repeated_or_few_stay_classes(y):
    assert _task(y).task == "classification"


def test_integer_target_with_many_values_points_to_the_override():
    assert "--task regression" in _task(np.arange(500)).reason


def test_float_values_in_an_object_array_are_regression():
    assert _task(np.array([0.25, None, 1.75, 3.5], dtype=object)).task == "regression"


@pytest.mark.parametrize("y, says", [
    (np.array([[1, 0, 1], [0, 1, 0]]), "multi-hot"),
    (np.array([[1, 0], [0, 1]]), "one-hot"),
    (np.array([[1, 2], [3]], dtype=object), "lists"),
    (np.array(["[1, 2]", "[3, 4]"], dtype=object), "lists"),
])
def test_multi_label_targets_are_refused_saying_what_is_supported(y, says):
    with pytest.raises(InputError, match=says) as err:
        _task(y)
    assert "single-output regression" in str(err.value)


def test_loaded_table_carries_the_task(tmp_path):
    frame = pd.DataFrame({"a": np.arange(60.0), "target": np.linspace(0.1, 9.9, 60)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    ds = load(tmp_path / "t.csv")
    assert ds.task == "regression" and ds.task_reason.startswith("inferred")
    assert np.allclose(ds.target("train"), frame["target"])


def test_set_task_regression_reranks_numeric_text_labels():
    ds = from_objects({"train": pd.DataFrame({"a": [1.0, 2.0, 3.0], "label": ["10", "9", "100"]})})
    assert ds.task == "classification"
    ds.set_task("regression")
    assert ds.task == "regression" and ds.task_reason == "set by --task"
    assert ds.target("train").tolist() == [10.0, 9.0, 100.0]
    assert ds.splits["train"].y.tolist() == [1, 0, 2]  # codes are ranks


def test_set_task_regression_refuses_text_and_unknown_tasks():
    ds = from_objects({"train": pd.DataFrame({"a": [1.0, 2.0], "label": ["cat", "dog"]})})
    with pytest.raises(InputError, match="numeric target"):
        ds.set_task("regression")
    with pytest.raises(ConfigError, match="'task' parameter"):
        ds.set_task("ranking")


def test_set_task_classification_keeps_a_float_target_as_classes():
    ds = from_objects({"train": (np.zeros((4, 1)), np.array([0.5, 1.5, 0.5, 2.5]))})
    assert ds.task == "regression"
    ds.set_task("classification")
    assert ds.task == "classification" and ds.classes == ["0.5", "1.5", "2.5"]


def test_a_clean_table_with_an_age_in_whole_years_is_profiled_as_a_quiet_regression(tmp_path):
    import datacheck
    from tests.helpers import loud

    rng = np.random.default_rng(1)
    x = rng.normal(size=(800, 6))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    frame["target"] = np.clip(np.round(45 + 12 * x[:, 0] + 5 * x[:, 1] + rng.normal(0, 6, 800)), 18, 90).astype(int)
    frame.to_csv(tmp_path / "ages.csv", index=False)
    report = datacheck.profile(tmp_path / "ages.csv")
    assert report.dataset.task == "regression"
    assert not loud(report), [f.message for f in loud(report)]


def _counts(n: int, mean: float, seed: int, x=None) -> np.ndarray:
    """Overdispersed counts (negative binomial) whose mean follows ``x``'s first columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) if x is None else x
    mu = np.exp(np.log(mean) + x[:, :3] @ np.array([0.6, -0.4, 0.3]))
    return rng.negative_binomial(5, 5 / (5 + mu))


@pytest.mark.parametrize("n, mean", [(300, 30), (5000, 20), (17000, 150)])
def test_counts_from_0_or_1_and_spread_codes_alike_are_regression(n, mean):
    """Counts 0..340 read as class indices and 2..4548 as codes: four warnings or an error on
    clean data. Their frequency changes smoothly from one value to the next."""
    y = _counts(n, mean, 0)
    choice = _task(y)
    assert choice.task == "regression", choice.reason
    assert "count or an amount" in choice.reason and "--task classification" in choice.reason


@pytest.mark.parametrize("y", [
    np.repeat(np.arange(50), np.random.default_rng(0).integers(5, 200, 50)),  # 50 classes of 5-200
    np.repeat(np.arange(1000), np.random.default_rng(1).integers(700, 1300, 1000)),  # ImageNet-like
    np.repeat(np.random.default_rng(2).permutation(200), (2000 / np.arange(1, 201)).astype(int) + 1),  # long tail
    np.r_[np.repeat(np.arange(5000), 3), np.zeros(2000, np.int64)],  # one big class among equal ones
])
def test_class_indices_whose_frequencies_are_unrelated_to_their_ids_stay_classes(y):
    assert _task(y).task == "classification"


@pytest.mark.parametrize("y", [
    np.repeat(np.arange(200), (2000 / np.arange(1, 201)).astype(int) + 1),  # numbered by frequency
    np.repeat(np.arange(1, 41), np.repeat([300, 120, 60, 20], 10)),  # blocks of equal sizes, from 1
    np.repeat(np.arange(30), np.arange(30) + 5),  # rarest first
])
def test_class_ids_numbered_by_frequency_stay_classes(y):
    """Their frequency changes smoothly with the id, as a count's would, but never rises again
    and misses no id: a sampled count's tail is never so tidy."""
    choice = _task(y)
    assert choice.task == "classification" and "class indices" in choice.reason, choice.reason


@pytest.mark.parametrize("seed", range(5))
def test_counts_whose_mode_is_zero_stay_regression(seed):
    """Geometric counts fall from 0 like ids numbered by frequency, but their sparse tail rises
    again or skips values."""
    y = np.random.default_rng(seed).geometric(0.05, 3000) - 1
    assert _task(y).task == "regression"


def test_a_clean_table_of_counts_is_profiled_as_a_quiet_regression():
    """As a regression, counts' noise grows with their mean: 2.5-5% lie beyond the residual cut
    without being wrong, which warned before the spread's growth was measured."""
    import datacheck
    from tests.helpers import loud

    x = np.random.default_rng(3).normal(size=(2000, 8))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(8)]).assign(rentals=_counts(2000, 150, 3, x))
    report = datacheck.profile(train=frame, label="rentals")
    assert report.dataset.task == "regression"
    assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("label_noise")
    assert f.metrics["residual_spread_growth"] >= 3 and "log scale or with a Poisson loss" in f.hint


def test_infinite_or_huge_labels_stay_floats_and_load():
    """Whole numbers become integer classes; an infinite or huge label has no integer, so the
    column keeps its floats (it used to stop the load with an OverflowError)."""
    from datacheck.data.dataset import encode_labels

    classes, codes = encode_labels({"train": np.array([0.0, 1.0, np.inf, np.nan, 1e300, 1.0])})
    assert classes == ["0.0", "1.0", "1e+300", "inf"]
    assert codes["train"].tolist() == [0, 1, 3, -1, 2, 1]
    classes, _ = encode_labels({"train": np.array([2.0, 1.0, np.nan])})
    assert classes == ["1", "2"]


def test_numeric_labels_with_a_missing_value_marker_are_numbers():
    """'12.5', '?', '13.1': text only because of the marker, so a regression target (each
    number a class of its own, read as text); the markers are missing labels."""
    from datacheck.data.task import label_task

    rng = np.random.default_rng(0)
    values = rng.normal(100, 30, 200).round(2).astype(str).astype(object)
    values[[3, 50]] = "?"
    labels, choice = label_task({"train": values[:150], "test": values[150:]}, "t.csv")
    assert choice.task == "regression" and choice.reason.endswith("; labels '?' read as missing")
    assert np.isnan(labels["train"][[3, 50]]).all() and np.isfinite(labels["test"]).all()
    assert labels["train"][0] == float(values[0])
    grades, choice = label_task({"train": np.array(["1", "2", " 3", "n/a"] * 10, dtype=object)}, "t.csv")
    assert choice.task == "classification" and grades["train"][:4].tolist()[:3] == [1.0, 2.0, 3.0]
    for text in (["cat", "dog", "?"] * 10, ["1", "2", "3"] * 10):  # words; numbers without a marker
        raw = {"train": np.array(text, dtype=object)}
        same, _ = label_task(raw, "t.csv")
        assert same is raw


def test_a_numeric_target_with_question_marks_profiles_as_a_regression(tmp_path):
    import datacheck

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    price = (x @ [1.0, 2.0, 3.0] * 10 + 100).round(2).astype(object)
    price[[7, 99]] = "?"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "price": price}).to_csv(tmp_path / "p.csv", index=False)
    report = datacheck.profile(tmp_path / "p.csv", label="price")
    assert report.dataset.task == "regression"
    missing = [f for f in report.findings if f.code == "class_balance.missing_label"]
    assert [(f.severity.value, f.metrics["n_missing"]) for f in missing] == [("warning", 2)]


@pytest.mark.parametrize("n", [3_000, 30_000])
def test_amounts_rounded_to_hundreds_are_regression(n):
    """Prices rounded to hundreds: whole numbers spread over a wide range, so they used to
    pass for class codes at 30,000 rows (1,319 classes, four warnings); in units of 100 their
    frequency changes smoothly, as an amount's does."""
    rng = np.random.default_rng(n)
    price = np.round(np.exp(11 + 0.5 * rng.standard_normal(n)), -2)
    assert infer_task({"train": price}, "p.csv").task == "regression"
    assert infer_task({"train": price.astype(np.int64)}, "p.csv").task == "regression"


def test_codes_on_a_grid_of_hundreds_stay_classes():
    """30 codes 100, 200, ..., 3000 held alike: the unit changes nothing, they are classes."""
    codes = np.repeat(np.arange(1, 31) * 100, 40)
    assert infer_task({"train": codes}, "c.csv").task == "classification"


def test_a_small_count_read_as_classes_names_the_override():
    """13 values from 0 shaped like a count stay classes (sorted class ids look the same), but
    the reason points to --task regression; digits-like class indices do not."""
    rng = np.random.default_rng(3)
    counts = rng.poisson(3.5, 300)
    assert len(np.unique(counts)) >= 8
    choice = infer_task({"train": counts}, "c.csv")
    assert choice.task == "classification" and "pass --task regression" in choice.reason
    assert "--task" not in infer_task({"train": rng.integers(0, 10, 300)}, "d.csv").reason


def test_a_price_label_written_with_dollar_signs_is_a_regression():
    from datacheck.data.task import label_task

    rng = np.random.default_rng(4)
    price = np.array([f"${v:,.2f}" for v in np.exp(rng.normal(8, 1, 300))], dtype=object)
    labels, choice = label_task({"train": price}, "p.csv")
    assert choice.task == "regression" and "currency or percent signs and thousands separators stripped" in choice.reason
    assert labels["train"][0] == float(price[0].replace("$", "").replace(",", ""))
