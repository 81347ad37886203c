"""label_noise: planted flips are found and warned about; clean data stays quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.checks import CheckContext
from datacheck.checks.label_noise import LabelNoiseCheck
from datacheck.data import from_objects, load
from datacheck.errors import ConfigError
from datacheck.models import out_of_fold
from datacheck.scan import scan
from tests.helpers import loud

CLEAN = ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest/manifest.csv"]


def flip_symmetric(y: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of the labels moved to another class at random; the moved rows."""
    rng = np.random.default_rng(seed)
    k = int(y.max()) + 1
    out = y.copy()
    at = np.sort(rng.choice(len(y), int(round(rate * len(y))), replace=False))
    out[at] = (out[at] + rng.integers(1, k, len(at))) % k
    return out, at


def flip_pair(y: np.ndarray, a: int, b: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of classes ``a`` and ``b`` swapped for each other; the moved rows."""
    rng = np.random.default_rng(seed)
    out = y.copy()
    candidates = np.flatnonzero((y == a) | (y == b))
    at = np.sort(rng.choice(candidates, int(round(rate * len(candidates))), replace=False))
    out[at] = np.where(out[at] == a, b, a)
    return out, at


def run_with_suspects(dataset, **options):
    """Run label_noise; return its findings and every suspect id (the finding lists 50)."""
    ctx = CheckContext(dataset, scan(dataset, workers=1), {"seed": 0, **options})
    check = LabelNoiseCheck()
    findings = check.run(ctx)
    est, _ = check.estimate(ctx)
    return findings, set(out_of_fold(ctx).sample_ids(ctx, est.suspects))


def precision_recall(found: set[str], planted: set[str]) -> tuple[float, float]:
    hits = len(found & planted)
    return hits / max(len(found), 1), hits / max(len(planted), 1)


def table_splits(frames, y_train):
    train, test = frames
    return from_objects({"train": train.assign(label=y_train), "test": test})


@pytest.mark.parametrize("form", ["features", "images"])
def test_symmetric_flips_on_digits_warn_and_are_found(digits_split, form):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_symmetric(y_train, 0.15, seed=1)  # 11% of all labels
    if form == "images":
        x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)
    findings, suspects = run_with_suspects(from_objects({"train": (x_train, noisy), "test": (x_test, y_test)}))
    planted = {f"train[{i}]" for i in at}
    (f,) = findings
    assert f.code == "label_noise.noise_rate" and f.severity.value == "warning"
    assert f.checklist == (6,)
    precision, recall = precision_recall(suspects, planted)
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)
    # the listed samples are the most suspicious: nearly all planted
    assert len(set(f.samples) & planted) >= 0.95 * len(f.samples)
    assert f.n_samples == len(suspects)
    assert abs(f.metrics["noise_ratio"] - len(at) / (len(y_train) + len(y_test))) < 0.03


def test_class_pair_swaps_on_digits_are_found(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_pair(y_train, 0, 1, 0.4, seed=0)
    findings, suspects = run_with_suspects(from_objects({"train": (x_train, noisy), "test": (x_test, y_test)}))
    planted = {f"train[{i}]" for i in at}
    (f,) = findings
    assert f.code == "label_noise.noise_rate"
    precision, recall = precision_recall(suspects, planted)
    assert precision >= 0.7 and recall >= 0.75, (precision, recall)
    # concentrated in two classes: named in the message
    assert "in 1, 0 and" in f.message


def flip_one_way(y: np.ndarray, source: int, target: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of class ``source`` relabelled ``target``; the moved rows."""
    rng = np.random.default_rng(seed)
    out = y.copy()
    candidates = np.flatnonzero(y == source)
    at = np.sort(rng.choice(candidates, int(round(rate * len(candidates))), replace=False))
    out[at] = target
    return out, at


@pytest.mark.parametrize("form", ["features", "images"])
def test_one_class_moved_to_another_is_a_warning_naming_both(digits_split, form):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_one_way(y_train, 1, 7, 0.4, seed=0)
    if form == "images":
        x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise", "learnability"])
    (pair,) = [f for f in loud(report)]
    assert pair.code == "label_noise.class_pair" and pair.severity.value == "warning"
    assert "Labels of class 7 look like they belong to 1" in pair.message
    assert pair.metrics["given"] == "7" and pair.metrics["suggested"] == "1"
    assert pair.metrics["moved_ratio_low"] >= 0.1 and pair.metrics["n_reverse"] <= 0.25 * pair.metrics["n_moved"]
    # the listed samples are the moved ones
    planted = {f"train[{i}]" for i in at}
    assert len(set(pair.samples) & planted) >= 0.9 * len(pair.samples)
    assert pair.n_samples >= 0.6 * len(at)


def test_symmetric_flips_on_breast_cancer_warn_and_are_found():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer(as_frame=True)
    xtr, xte, ytr, yte = train_test_split(data.data, data.target.to_numpy(), test_size=0.25,
                                          random_state=0, stratify=data.target)
    scaler = StandardScaler().fit(xtr)
    train = pd.DataFrame(scaler.transform(xtr), columns=xtr.columns)
    test = pd.DataFrame(scaler.transform(xte), columns=xte.columns).assign(label=yte)
    noisy, at = flip_symmetric(ytr, 0.15, seed=1)
    findings, suspects = run_with_suspects(table_splits((train, test), noisy))
    (f,) = findings
    assert f.severity.value == "warning"
    precision, recall = precision_recall(suspects, {f"train[{i}]" for i in at})
    assert precision >= 0.8 and recall >= 0.75, (precision, recall)


def test_class_pair_flips_on_wine_warn_and_are_found(wine_frames):
    train, test = wine_frames
    noisy, at = flip_pair(train["label"].to_numpy(), 0, 1, 0.3, seed=0)
    findings, suspects = run_with_suspects(table_splits((train.drop(columns="label"), test), noisy))
    (f,) = findings
    assert f.severity.value == "warning"
    precision, recall = precision_recall(suspects, {f"train[{i}]" for i in at})
    assert precision >= 0.7 and recall >= 0.7, (precision, recall)


@pytest.mark.parametrize("name", CLEAN)
def test_clean_sample_data_is_quiet(sample_data, name):
    report = datacheck.profile(sample_data / name, checks=["label_noise", "learnability"])
    assert not loud(report), [f.message for f in loud(report)]
    assert report.outcome("label_noise").status.value == "passed"


def test_clean_real_sets_are_quiet(sample_data):
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    digits = load_digits()
    at = np.sort(np.concatenate([np.flatnonzero(digits.target == c)[:30] for c in range(10)]))
    sets = {"digits 300": (digits.data[at], digits.target[at]),
            "digits 300 as images": (digits.images[at], digits.target[at]),
            "digits": (digits.data, digits.target)}
    for name, load in (("wine", load_wine), ("breast_cancer", load_breast_cancer)):
        data = load()
        sets[name] = ((data.data - data.data.mean(0)) / data.data.std(0), data.target)
    for name, (x, y) in sets.items():
        report = datacheck.profile(train=(x, y), checks=["label_noise", "learnability"])
        assert not loud(report), (name, [f.message for f in loud(report)])


def test_small_clean_image_sets_are_quiet_and_say_why(sample_data):
    """300 Fashion-MNIST images, and defect_imbalance (whose labels are clean): weak models flag
    many samples, which must not read as wrong labels."""
    from tests import panel

    fashion = panel.image_folder_subset(sample_data / "clean_images", 24, 6)
    for report in (datacheck.profile(train=(fashion.x_train, fashion.y_train), test=(fashion.x_test, fashion.y_test),
                                     checks=["label_noise", "learnability"]),
                   datacheck.profile(sample_data / "defect_imbalance", checks=["label_noise", "learnability"])):
        assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("label_noise")
    assert f.metrics["widespread_noise_low"] < 0.03


def test_clean_random_splits_are_quiet(digits_split, wine_frames):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    for report in (datacheck.profile(train=(x_train, y_train), test=(x_test, y_test),
                                     checks=["label_noise", "learnability"]),
                   datacheck.profile(train=wine_frames[0], test=wine_frames[1],
                                     checks=["label_noise", "learnability"])):
        assert not loud(report), [f.message for f in loud(report)]


def test_image_suspects_carry_thumbnail_references(sample_data):
    report = datacheck.profile(sample_data / "clean_images", checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.severity.value == "info" and f.samples
    kinds = {e.kind: e for e in f.evidence}
    assert set(kinds) == {"matrix", "bars", "table", "images"}
    images = kinds["images"].data
    assert list(images["samples"]) == list(f.samples)
    assert all("→" in c for c in images["captions"])
    table = kinds["table"].data
    assert table["columns"] == ["sample", "given", "suggested", "quality"]
    assert table["rows"][0][0] == f.samples[0] and table["rows"][0][1] != table["rows"][0][2]
    qualities = [r[3] for r in table["rows"]]
    assert qualities == sorted(qualities), "most suspicious first"
    matrix = kinds["matrix"].data
    assert len(matrix["rows"]) == 10 and abs(np.sum(matrix["values"]) - 1) < 1e-3


def test_sampling_is_stratified_and_reported(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, _ = flip_symmetric(y_train, 0.2, seed=0)
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise"],
                               noise_max_samples=600)
    (f,) = report.by_check("label_noise")
    assert 590 <= f.metrics["n_modelled"] <= 610 and f.metrics["n_labelled"] == len(y_train) + len(y_test)
    assert "stratified sample" in f.message


def test_bad_noise_options_are_config_errors(digits_split):
    x_train, _, y_train, _ = digits_split
    with pytest.raises(ConfigError, match="noise_model"):
        datacheck.profile(train=(x_train, y_train), checks=["label_noise"], noise_model="resnet")
    with pytest.raises(ConfigError, match="noise_max_samples"):
        datacheck.profile(train=(x_train, y_train), checks=["label_noise"], noise_max_samples=-1)


def test_skipped_without_learnable_classes():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=12), "label": [0] * 10 + [1] * 2})
    report = datacheck.profile(train=frame, checks=["label_noise"])
    assert report.outcome("label_noise").status.value == "skipped"
    assert "two classes" in report.outcome("label_noise").reason


def test_missing_and_categorical_columns_are_modelled():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 3))
    colour = rng.choice(["red", "green", "blue"], n)
    y = ((x[:, 0] > 0) ^ (colour == "red")).astype(int)
    x[rng.random((n, 3)) < 0.1] = np.nan
    frame = pd.DataFrame(x, columns=list("abc")).assign(colour=colour, id=[f"row{i}" for i in range(n)], label=y)
    ds = from_objects({"train": frame})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    oof = out_of_fold(ctx)
    assert "one-hot" in oof.features and "missing-value indicators" in oof.features
    assert any("id" in note for note in oof.notes), "the id-like column is left out and said so"
    assert np.isfinite(oof.proba).all() and np.mean(oof.proba.argmax(1) == oof.y) > 0.75


def test_manifest_images_are_modelled_from_thumbnails(sample_data):
    ds = load(sample_data / "clean_manifest" / "manifest.csv")
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    oof = out_of_fold(ctx)
    assert oof.n == 200 and "thumbnails" in oof.features
    assert oof.sample_ids(ctx, [0])[0].startswith("images/")
