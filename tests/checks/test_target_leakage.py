"""target_leakage: a column built from the label is found and named; real strong features, clean
sample sets and the other checks stay quiet; ID-like columns get an info note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.models import single_feature as sf
from datacheck.testing import check_conformance
from tests.helpers import loud

CHECK = "target_leakage"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], **kwargs)


def _table(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn import datasets

    ds = getattr(datasets, f"load_{name}")()
    return pd.DataFrame(ds.data, columns=[str(c) for c in ds.feature_names]), ds.target


def _leaky(name: str, seed: int = 0) -> pd.DataFrame:
    """A scikit-learn table plus ``leak_score``: the label plus uniform noise, standardized."""
    frame, y = _table(name)
    leak = y + np.random.default_rng(seed).uniform(0, 1, len(y))
    frame.insert(3, "leak_score", (leak - leak.mean()) / leak.std())
    return frame.assign(label=y)


def _codes(report, severity=None) -> list[str]:
    return [f.code for f in report.by_check(CHECK) if severity is None or f.severity.value == severity]


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "iris", "digits"])
def test_planted_label_plus_noise_column_is_named(name):
    report = _profile(train=_leaky(name), label="label")
    [f] = [f for f in report.by_check(CHECK) if f.code == "target_leakage.column"]
    assert f.severity.value == "warning"
    assert f.metrics["columns"] == ["leak_score"]
    assert f.metrics["skill"]["leak_score"] >= 0.98
    assert "`leak_score`" in f.message
    bars, table = f.evidence
    assert bars.data["labels"][0] == "leak_score alone" and bars.data["series"]["balanced accuracy"][0] >= 0.98
    assert table.data["rows"][0][:1] == ["leak_score"]


def test_the_leak_is_this_checks_finding_alone():
    """With every default check, the planted column is named by target_leakage only; without
    target_leakage no check warns more than on the same table without the column."""
    from sklearn.preprocessing import StandardScaler

    frame, y = _table("breast_cancer")
    clean = pd.DataFrame(StandardScaler().fit_transform(frame), columns=frame.columns)
    leak = y + np.random.default_rng(1).uniform(0, 1, len(y))
    leaky = clean.assign(leak_score=(leak - leak.mean()) / leak.std(), label=y)
    full = datacheck.profile(train=leaky, label="label")
    naming = {f.check for f in loud(full) if "leak_score" in f.message or "leak_score" in str(f.metrics)}
    assert naming == {CHECK}
    without = datacheck.profile(train=leaky, label="label", skip=[CHECK])
    baseline = datacheck.profile(train=clean.assign(label=y), label="label", skip=[CHECK])
    assert sorted(f.code for f in loud(without)) == sorted(f.code for f in loud(baseline))
    assert not [f for f in without.findings if "leak_score" in f.message]


def test_regression_target_plus_small_noise_is_named():
    from sklearn.datasets import load_diabetes

    ds = load_diabetes()
    frame = pd.DataFrame(ds.data, columns=ds.feature_names)
    rng = np.random.default_rng(2)
    leak = ds.target + rng.normal(0, 0.05 * ds.target.std(), len(ds.target))
    report = _profile(train=frame.assign(leak=(leak - leak.mean()) / leak.std(), target=ds.target),
                      label="target", task="regression")
    [f] = report.by_check(CHECK)
    assert f.code == "target_leakage.column" and f.severity.value == "warning"
    assert f.metrics["columns"] == ["leak"] and f.metrics["measure"] == "R²"
    assert f.metrics["skill"]["leak"] >= 0.98 > 0.6 > f.metrics["rest_skill"]


def test_record_code_and_post_outcome_text_columns_are_named():
    frame, y = _table("breast_cancer")
    names = np.array(["BEN", "MAL"])[y]
    rng = np.random.default_rng(3)
    order = rng.permutation(len(y))
    frame = frame.assign(record=[f"{n}-{k:05d}" for n, k in zip(names, order)],
                         status=np.where(y == 1, "discharged", "readmitted"), label=y)
    [f] = [f for f in _profile(train=frame, label="label").by_check(CHECK) if f.code == "target_leakage.column"]
    assert sorted(f.metrics["columns"]) == ["record (digits masked)", "status"]


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits", "diabetes"])
def test_clean_sklearn_tables_get_no_warning(name):
    frame, y = _table(name)
    label = "target" if name == "diabetes" else "label"
    report = _profile(train=frame.assign(**{label: y}), label=label)
    assert report.outcome(CHECK).status.value == "passed"
    assert not loud(report, CHECK)
    assert "target_leakage.column" not in _codes(report)


def test_strong_real_feature_is_info_with_its_numbers():
    frame, y = _table("iris")
    [f] = _profile(train=frame.assign(label=y), label="label").by_check(CHECK)
    assert f.code == "target_leakage.strong_column" and f.severity.value == "info"
    assert f.metrics["columns"][0] == "petal width (cm)"
    assert 0.9 <= f.metrics["skill"]["petal width (cm)"] < 0.98
    assert max(f.metrics["skill"].values()) < 0.98


@pytest.mark.parametrize("name", ["clean_tabular", "clean_regression", "clean_digits.npz", "clean_images",
                                  "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    report = _profile(sample_data / name)
    assert not loud(report, CHECK)


def test_images_are_skipped(sample_data):
    assert _profile(sample_data / "clean_digits.npz").outcome(CHECK).status.value == "skipped"


def test_row_id_of_a_label_sorted_file_is_an_id_note_not_a_leak():
    frame, y = _table("breast_cancer")
    order = np.argsort(y, kind="stable")
    sorted_frame = frame.iloc[order].reset_index(drop=True).assign(record_id=np.arange(len(y)), label=y[order])
    found = {f.code: f for f in _profile(train=sorted_frame, label="label").by_check(CHECK)}
    f = found["target_leakage.id_like"]
    assert f.severity.value == "info" and f.metrics["column"] == "record_id"
    assert "looks like a row id" in f.message and "sorted by label" in f.message
    assert f.metrics["skill"] >= 0.98
    assert "target_leakage.column" not in found


def test_shuffled_row_id_is_noted_without_predicting():
    frame, y = _table("wine")
    ids = np.random.default_rng(4).permutation(len(y)) + 100
    found = [f for f in _profile(train=frame.assign(row=ids, label=y), label="label").by_check(CHECK)
             if f.code == "target_leakage.id_like"]
    assert [f.metrics["column"] for f in found] == ["row"]
    assert "sorted" not in found[0].message


def test_a_real_integer_feature_is_not_id_like():
    frame, y = _table("wine")  # proline and magnesium are integers with repeats
    assert "target_leakage.id_like" not in _codes(_profile(train=frame.assign(label=y), label="label"))


def test_missing_only_for_one_class_is_a_leak():
    frame, y = _table("breast_cancer")
    rng = np.random.default_rng(5)
    filled = np.where(y == 1, np.nan, rng.standard_normal(len(y)))
    report = _profile(train=frame.assign(follow_up=filled, label=y), label="label")
    [f] = [f for f in report.by_check(CHECK) if f.code == "target_leakage.column"]
    assert f.metrics["columns"] == ["follow_up"]


def test_single_feature_skill_on_arrays():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, 600)
    x = np.column_stack([rng.standard_normal(600), y + rng.uniform(0, 1, 600), (y == 1) + 0.0])
    skill = sf.balanced_accuracy(x, sf.group_codes(x), y)
    assert skill[0] < 0.45 and skill[1] >= 0.99
    assert skill[2] == pytest.approx((1 + 1 + 0) / 3, abs=0.02) or skill[2] < 0.8
    assert sf.excess_changes(x[:, 1:2], y)[0] == 0
    target = rng.standard_normal(600)
    r2 = sf.r2(np.column_stack([rng.standard_normal(600), target * 3 + 1]), np.full((600, 2), -1), target)
    assert r2[0] < 0.05 and r2[1] > 0.99


def test_feature_array_is_checked():
    frame = _leaky("wine")
    x, y = frame.drop(columns="label").to_numpy(), frame["label"].to_numpy()
    report = _profile(train=(x, y))
    assert "target_leakage.column" in _codes(report, "warning")


def test_conformance():
    from datacheck.checks import get_check

    check_conformance(get_check(CHECK))


def test_a_column_that_is_the_whole_task_is_info():
    """Label = f0 > 0 among noise columns: nothing else predicts it, so the column is the task
    itself (or the label was computed from it): info, not a leak warning."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((300, 40))
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(40)]).assign(label=(x[:, 0] > 0).astype(int))
    [f] = _profile(train=frame, label="label").by_check(CHECK)
    assert f.code == "target_leakage.strong_column" and f.severity.value == "info"
    assert f.metrics["columns"] == ["f0"] and "Nothing else predicts" in f.message


def test_sample_defect_set_names_its_planted_column(sample_data):
    import json

    truth = json.loads((sample_data / "defect_target_leakage.truth.json").read_text())
    report = datacheck.profile(sample_data / "defect_target_leakage.csv")
    [f] = [f for f in loud(report) if f.check == CHECK]
    assert f.code == "target_leakage.column"
    assert f.metrics["columns"] == truth["leak_columns"]
    assert not [g for g in loud(report) if g.check != CHECK]


def test_integer_score_thresholded_into_the_label_is_a_leak():
    """An integer score of many values, a few rows each, whose threshold is the label: judged in
    sorted order, not value by value."""
    frame, y = _table("wine")
    rng = np.random.default_rng(8)
    score = y * 40 + rng.integers(0, 40, len(y))  # 120 values, about 1.5 rows each
    [f] = [f for f in _profile(train=frame.assign(triage=score, label=y), label="label").by_check(CHECK)
           if f.code == "target_leakage.column"]
    assert f.metrics["columns"] == ["triage"]


def _reference_skill(col: np.ndarray, y: np.ndarray, grouped: bool, half: int) -> float:
    """A plain loop: each row voted on by the other rows with its value, or by its ``half``
    neighbours on each side in sorted order (no ties in the test data), class-balanced."""
    k = y.max() + 1
    sizes = np.bincount(y, minlength=k)
    order = np.argsort(col, kind="stable")
    rank = np.empty(len(col), int)
    rank[order] = np.arange(len(col))
    hits = np.zeros(k)
    for i in range(len(col)):
        if grouped:
            others = [j for j in range(len(col)) if j != i and col[j] == col[i]]
        else:
            r = rank[i]
            others = [order[p] for p in range(max(0, r - half), min(len(col), r + half + 1)) if p != r]
        votes = np.bincount(y[others], minlength=k).astype(float)
        own = sizes - (np.arange(k) == y[i])
        hits[y[i]] += np.argmax(votes / np.maximum(own, 1)) == y[i]
    return float(np.mean(hits / sizes))


def test_vectorized_skill_equals_a_plain_loop():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 120)
    x = np.column_stack([y + rng.uniform(0, 1.6, 120), rng.standard_normal(120),
                         np.round(y + rng.uniform(0, 1.4, 120))])  # the last: few values, grouped
    codes = sf.group_codes(x)
    assert list(codes[0] >= 0) == [False, False, True]
    skill, excess = sf.classification_skill(x, codes, y)
    half = sf.half_width(120)
    expected = [_reference_skill(x[:, 0], y, False, half), _reference_skill(x[:, 1], y, False, half),
                _reference_skill(x[:, 2], y, True, half)]
    assert skill == pytest.approx(expected)
    assert excess[:2] == pytest.approx(sf.excess_changes(x[:, :2], y)) and excess[2] == np.inf
