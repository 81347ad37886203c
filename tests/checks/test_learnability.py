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


def test_label_set_by_one_column_of_a_thousand_is_not_called_weak():
    # ten classes, the deciles of one column among 1,000: the main models on PCA components
    # find a little (z above 3, skill under 0.1); the screened family finds all of it
    x = np.random.default_rng(1).normal(size=(1000, 1000)).astype(np.float32)
    y = np.digitize(x[:, 3], np.quantile(x[:, 3], np.linspace(0, 1, 11)[1:-1]))
    report = datacheck.profile(train=(x, y), checks=["learnability"], seed=1)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score", f.message
    assert f.metrics["main_models_balanced_accuracy"] < 0.25 and f.metrics["balanced_accuracy"] > 0.6
    assert "screened" in f.metrics["found_by"]


def test_threshold_label_on_a_wide_table_is_quiet():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 500)).astype(np.float32)
    report = datacheck.profile(train=(x, (x[:, 0] > 0).astype(int)), checks=CHECKS)
    assert not loud(report), [f.message for f in loud(report)]


# ---------------------------------------------------------------- regression targets

def diabetes_frames(target=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn diabetes split 80/20, standardized on train, raw target (or ``target``, all rows)."""
    from tests import panel

    data = panel.diabetes()
    y = np.concatenate([data.y_train, data.y_test]) if target is None else target
    columns = [f"f{i}" for i in range(data.x_train.shape[1])]
    n = len(data.y_train)
    return (pd.DataFrame(data.x_train, columns=columns).assign(target=y[:n]),
            pd.DataFrame(data.x_test, columns=columns).assign(target=y[n:]))


def test_clean_diabetes_regression_gives_the_r2_as_info():
    train, test = diabetes_frames()
    report = datacheck.profile(train=train, test=test, checks=CHECKS)
    assert report.dataset.task == "regression"
    assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.severity.value == "info"
    assert 0.35 < f.metrics["r2"] < 0.6 and f.metrics["permuted_r2"] < 0.02
    assert f.metrics["z_score"] >= 3 and set(f.metrics["r2_by_model"]) == {
        "ridge regression", "gradient boosting", "average"}
    assert f"R² {f.metrics['r2']:.2f}" in f.message


def test_clean_regression_sample_data_is_quiet(sample_data):
    report = datacheck.profile(sample_data / "clean_regression", checks=CHECKS)
    assert {c.id: c.status.value for c in report.checks} == {"learnability": "passed", "label_noise": "passed"}
    assert not loud(report), [f.message for f in loud(report)]


def test_shuffled_regression_target_is_one_error_from_learnability():
    train, test = diabetes_frames()
    rng = np.random.default_rng(0)
    y = rng.permutation(np.concatenate([train["target"], test["target"]]))
    report = datacheck.profile(train=train.assign(target=y[:len(train)]), test=test.assign(target=y[len(train):]),
                               checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.unrelated" and f.severity.value == "error"
    assert f.metrics["r2"] < 0.05 and f.metrics["z_score"] < 3
    (noise,) = report.by_check("label_noise")
    assert noise.code == "label_noise.not_estimated" and noise.severity.value == "info"
    assert "learnability" in noise.message
    assert [f.code for f in loud(report)] == ["learnability.unrelated"]


def test_no_relation_found_on_few_samples_is_info_not_an_error():
    from sklearn.datasets import load_linnerud

    d = load_linnerud(as_frame=True)  # 20 athletes: exercises and their weights
    report = datacheck.profile(train=d.data.assign(target=d.target["Weight"]), checks=CHECKS, task="regression")
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.unrelated" and f.severity.value == "info"
    assert f.metrics["n_modelled"] == 20 and "only a strong relation" in f.message
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    report = datacheck.profile(train=(x, rng.integers(0, 3, 60)), checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.unrelated" and f.severity.value == "info"


def test_weak_regression_relation_is_a_warning_only_with_enough_samples():
    rng = np.random.default_rng(0)
    for n, expected in ((2000, ("learnability.weak", "warning")), (250, ("learnability.score", "info"))):
        x = rng.normal(size=(n, 5))
        y = 0.55 * x[:, 0] + rng.normal(size=n)  # R² about 0.23
        report = datacheck.profile(train=pd.DataFrame(x, columns=list("abcde")).assign(target=y),
                                   checks=["learnability"], params={"learnability": {"weak_skill": 0.3}})
        (f,) = report.by_check("learnability")
        assert (f.code, f.severity.value) == expected, (n, f.message)
        assert 0.1 < f.metrics["r2"] < 0.3 and f.metrics["z_score"] >= 3


def test_regression_target_in_one_column_of_thousands_is_not_unrelated():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3000)).astype(np.float32)
    y = np.where(x[:, 0] > 0, 10.0, 0.0) + rng.normal(size=300)
    report = datacheck.profile(train=(x, y), checks=CHECKS)
    assert report.dataset.task == "regression"
    assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("learnability")
    assert f.metrics["r2"] > 0.5 and "screened" in f.metrics["found_by"]


def test_regression_target_set_by_one_column_of_a_thousand_is_not_called_weak():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 1000)).astype(np.float32)
    y = 3.0 * (x[:, 3] > 0) + rng.normal(size=1000)  # R² about 0.7 from one column
    report = datacheck.profile(train=(x, y), checks=["learnability"], task="regression")
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score", f.message
    assert f.metrics["main_models_r2"] < 0.1 and f.metrics["r2"] > 0.5 and "screened" in f.metrics["found_by"]


def test_outlying_targets_do_not_make_the_relation_look_weak():
    train, test = diabetes_frames()
    slipped = train["target"].to_numpy().copy()
    slipped[::20] *= 100  # unit slips wreck the R² of least-squares models, not the relation
    report = datacheck.profile(train=train.assign(target=slipped), test=test, checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.metrics["r2_without_outlying_targets"] > 0.3
    assert [f.code for f in loud(report)] == ["label_noise.target_outliers"]


def _ratings(n: int, seed: int):
    """Ratings 3-9 like wine quality's: a noisy score (R² about 0.37), grade 9 a handful."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 11))
    score = x[:, :6] @ rng.normal(size=6)
    score = score / score.std() + 1.3 * rng.normal(size=n)
    cuts = np.quantile(score, np.cumsum([0.005, 0.033, 0.33, 0.44, 0.166, 0.025]))
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(11)]).assign(quality=3 + np.searchsorted(cuts, score))


def test_clean_ratings_with_a_grade_of_a_handful_are_related_and_not_weak():
    """A grade of 7 samples spread the balanced accuracy's null so wide that a plain signal
    (accuracy 0.51 against 0.44 always predicting 6, over 6,497 samples) read as unrelated:
    an error on clean data."""
    from datacheck.checks import CheckContext
    from datacheck.data import from_objects
    from datacheck.models import relation
    from datacheck.scan import scan

    frame = _ratings(6497, 0)
    ds = from_objects({"train": frame}, label="quality")
    rel = relation(CheckContext(ds, scan(ds, workers=1), {"seed": 0}))
    assert rel.z_score < 3 <= rel.majority_z and rel.related
    report = datacheck.profile(train=frame, label="quality", checks=["learnability", "label_noise"])
    assert not loud(report), [f.message for f in loud(report)]
    # as grades, predicting 6 for a 7 is half right: skill 0.07 in balanced accuracy was "weak"
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.metrics["skill"] < 0.1 <= f.metrics["grade_correlation"] ** 2
    # shuffled, the same labels stay unrelated
    shuffled = frame.assign(quality=np.random.default_rng(1).permutation(frame["quality"].to_numpy()))
    report = datacheck.profile(train=shuffled, label="quality", checks=["learnability"])
    assert [f.code for f in report.findings if f.severity.value == "error"] == ["learnability.unrelated"]


def test_digits_numbered_0_to_9_are_no_grades(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    report = datacheck.profile(train=(x_train, y_train), test=(x_test, y_test), checks=["learnability"])
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and "grade_correlation" not in f.metrics


def _rare_outcome(n: int, seed: int, signal: float) -> pd.DataFrame:
    """Transactions with about 3% fraud whose log-odds rise with the amount and at night."""
    rng = np.random.default_rng(seed)
    amount, hour = rng.lognormal(3.5, 1.2, n), rng.integers(0, 24, n)
    logit = -4.2 + signal * (0.8 * (np.log(amount) - 3.5) + 1.2 * ((hour < 5) | (hour > 22)))
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"amount": amount.round(2), "hour": hour, "age": rng.integers(18, 90, n),
                         "label": label})


def test_a_rare_class_with_a_weak_real_signal_is_related_by_the_ranking():
    # every model predicts "no fraud": the balanced accuracy stays at chance, the ranking does not
    report = datacheck.profile(train=_rare_outcome(10_000, 0, 1.0), label="label", checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.score" and f.severity.value == "info", f.message
    assert f.metrics["balanced_accuracy"] < 0.56 and f.metrics["z_score"] < 3  # alone: "unrelated"
    assert f.metrics["rank_auc"] > 0.65 and f.metrics["rank_z_score"] > 4 and f.metrics["rank_skill"] > 0.2
    assert "AUC" in f.message


def test_a_rare_class_of_random_labels_stays_unrelated():
    frame = _rare_outcome(10_000, 1, 0.0)
    report = datacheck.profile(train=frame, label="label", checks=CHECKS)
    (f,) = report.by_check("learnability")
    assert f.code == "learnability.unrelated" and f.severity.value == "error"
    assert abs(f.metrics["rank_z_score"]) < 2 and abs(f.metrics["rank_auc"] - 0.5) < 0.05


def test_the_ranking_reads_each_fold_against_its_own_held_out_labels():
    from datacheck.models.permutation import auc_skill, ranking

    class _Folds:
        y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
        folds = [(np.arange(4, 8), np.arange(0, 4)), (np.arange(0, 4), np.arange(4, 8))]

    perfect = _Folds()
    perfect.proba = np.column_stack([1 - perfect.y * 0.8, perfect.y * 0.8 + 0.1])
    auc, z, tested = ranking(perfect)
    assert (auc, tested) == (1.0, 1) and z > 1
    backwards = _Folds()
    backwards.proba = perfect.proba[:, ::-1]
    assert ranking(backwards)[0] == 0.0
    assert auc_skill(0.5) == 0.0 and 0.09 < auc_skill(0.57) < 0.11 and auc_skill(1.0) > 0.99
