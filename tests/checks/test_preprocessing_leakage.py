"""preprocessing_leakage: scalers, imputers and PCA fit on train+test; silent when fit on train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import datacheck
from tests.helpers import loud

CHECK = "preprocessing_leakage"


@pytest.fixture(scope="module")
def wine_raw():
    """scikit-learn wine, raw, randomly split 75/25: (x_train, x_test, y_train, y_test)."""
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True, as_frame=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def _frames(transform, x_train, x_test, y_train, y_test, **extra):
    cols = list(x_train.columns)
    train = pd.DataFrame(transform(x_train), columns=cols).assign(label=y_train.to_numpy(), **extra)
    test = pd.DataFrame(transform(x_test), columns=cols).assign(label=y_test.to_numpy(), **extra)
    return train, test


def _profile(**kwargs):
    return datacheck.profile(checks=[CHECK], workers=1, **kwargs)


def _codes(report):
    return [(f.code, f.severity.value) for f in report.by_check(CHECK)]


def _fit_union(estimator, x_train, x_test):
    return estimator.fit(pd.concat([x_train, x_test])).transform


def test_standard_scaler_fit_on_union_is_an_error(wine_raw):
    x_train, x_test, _, _ = wine_raw
    train, test = _frames(_fit_union(StandardScaler(), x_train, x_test), *wine_raw)
    report = _profile(train=train, test=test)
    assert _codes(report) == [("preprocessing_leakage.scaler_on_union", "error")]
    f = report.by_check(CHECK)[0]
    assert f.split == "train" and f.metrics["n_features"] == 13
    table = f.evidence[0].data
    assert table["columns"] == ["feature", "union mean", "union std", "train mean", "train std"]
    assert all(abs(row[1]) < 1e-6 and abs(row[2] - 1) < 1e-6 for row in table["rows"])


def test_minmax_scaler_fit_on_union_is_an_error(wine_raw):
    x_train, x_test, _, _ = wine_raw
    train, test = _frames(_fit_union(MinMaxScaler(), x_train, x_test), *wine_raw)
    report = _profile(train=train, test=test)
    assert _codes(report) == [("preprocessing_leakage.minmax_on_union", "error")]
    assert report.by_check(CHECK)[0].metrics["n_candidates"] == 13


def test_mean_imputer_fit_on_union_is_an_error(wine_raw):
    x_train, x_test, y_train, y_test = wine_raw
    rng = np.random.default_rng(0)
    holes = lambda x: x.mask(rng.random(x.shape) < 0.08)  # noqa: E731
    x_train, x_test = holes(x_train), holes(x_test)
    imputer = _fit_union(SimpleImputer(strategy="mean"), x_train, x_test)
    report = _profile(**dict(zip(("train", "test"), _frames(imputer, x_train, x_test, y_train, y_test))))
    assert _codes(report) == [("preprocessing_leakage.imputer_on_union", "error")]
    assert report.by_check(CHECK)[0].metrics["n_features"] >= 10
    on_train = SimpleImputer(strategy="mean").fit(x_train).transform
    assert not _codes(_profile(**dict(zip(("train", "test"), _frames(on_train, x_train, x_test, y_train, y_test)))))


def test_median_imputer_fit_on_union_is_an_error():
    rng = np.random.default_rng(7)
    cols = [f"f{i}" for i in range(5)]
    x = pd.DataFrame(rng.lognormal(size=(800, 5)), columns=cols)
    x = x.mask(rng.random(x.shape) < 0.1)
    y = pd.Series(rng.integers(0, 2, 800))
    split = train_test_split(x, y, test_size=0.25, random_state=1)
    imputer = _fit_union(SimpleImputer(strategy="median"), split[0], split[1])
    report = _profile(**dict(zip(("train", "test"), _frames(imputer, *split))))
    assert _codes(report) == [("preprocessing_leakage.imputer_on_union", "error")]
    # A fill that falls between train's two middle values reads as train's own median.
    assert report.by_check(CHECK)[0].metrics["n_features"] >= 4
    on_train = SimpleImputer(strategy="median").fit(split[0]).transform
    assert not _codes(_profile(**dict(zip(("train", "test"), _frames(on_train, *split)))))


@pytest.mark.parametrize("whiten", [True, False])
def test_pca_fit_on_union_is_an_error(wine_raw, whiten):
    x_train, x_test, _, _ = wine_raw
    scaler = StandardScaler().fit(x_train)  # scaled on train, projected on everything
    pca = PCA(whiten=whiten).fit(scaler.transform(pd.concat([x_train, x_test])))
    train, test = _frames(lambda x: pca.transform(scaler.transform(x)), *wine_raw)
    assert _codes(_profile(train=train, test=test)) == [("preprocessing_leakage.pca_on_union", "error")]


def test_each_split_standardized_on_itself_is_a_warning(wine_raw):
    x_train, x_test, y_train, y_test = wine_raw
    own = lambda x: StandardScaler().fit_transform(x)  # noqa: E731
    train, test = _frames(own, x_train, x_test, y_train, y_test)
    assert _codes(_profile(train=train, test=test)) == [("preprocessing_leakage.fit_on_each_split", "warning")]


def test_image_channels_normalized_with_union_statistics(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    img = lambda x: np.repeat(x.reshape(-1, 8, 8, 1), 3, axis=3).astype(np.float32)  # noqa: E731
    both = np.concatenate([img(x_train), img(x_test)])
    mean, std = both.mean(axis=(0, 1, 2)), both.std(axis=(0, 1, 2))
    norm = lambda x: ((img(x) - mean) / std).astype(np.float32)  # noqa: E731
    report = _profile(train=(norm(x_train), y_train), test=(norm(x_test), y_test))
    assert _codes(report) == [("preprocessing_leakage.scaler_on_union", "error")]
    tm, ts = img(x_train).mean(axis=(0, 1, 2)), img(x_train).std(axis=(0, 1, 2))
    clean = lambda x: ((img(x) - tm) / ts).astype(np.float32)  # noqa: E731
    assert not _codes(_profile(train=(clean(x_train), y_train), test=(clean(x_test), y_test)))


def test_key_columns_are_left_out(wine_raw):
    x_train, x_test, y_train, y_test = wine_raw
    scale = _fit_union(StandardScaler(), x_train, x_test)
    train, test = _frames(scale, x_train, x_test, y_train, y_test)
    train = train.assign(visit=np.linspace(0, 1, len(train)))
    test = test.assign(visit=np.linspace(0, 1, len(test)))
    f = _profile(train=train, test=test, time_col="visit").by_check(CHECK)[0]
    assert "visit" not in f.metrics["features"] and f.metrics["n_features"] == 13


@pytest.mark.parametrize("fit", ["standard", "minmax", "pca", "impute"])
def test_fit_on_train_only_is_silent(wine_raw, fit):
    x_train, x_test, y_train, y_test = wine_raw
    if fit == "impute":
        rng = np.random.default_rng(1)
        x_train = x_train.mask(rng.random(x_train.shape) < 0.08)
        x_test = x_test.mask(rng.random(x_test.shape) < 0.08)
    est = {"standard": StandardScaler(), "minmax": MinMaxScaler(), "pca": PCA(whiten=True),
           "impute": SimpleImputer()}[fit].fit(x_train)
    train, test = _frames(est.transform, x_train, x_test, y_train, y_test)
    assert not _codes(_profile(train=train, test=test))


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_silent(sample_data, name):
    report = datacheck.profile(sample_data / name, checks=[CHECK], workers=1)
    assert report.outcome(CHECK).status.value == "passed" and not report.by_check(CHECK)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_splits_are_silent(seed, wine_frames):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    a, b, ya, yb = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    assert not loud(_profile(train=(a, ya), test=(b, yb), seed=seed), CHECK)
    s = StandardScaler().fit(a)
    assert not loud(_profile(train=(s.transform(a), ya), test=(s.transform(b), yb), seed=seed), CHECK)
    assert not loud(_profile(train=(a / 16, ya), test=(b / 16, yb), seed=seed), CHECK)
    train, test = wine_frames
    assert not loud(_profile(train=train, test=test, seed=seed), CHECK)
