"""split_consistency: splits prepared differently (errors), large drift (warning), and no
warning at all on random splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import datacheck
from datacheck.checks.split_consistency import ks_2samp
from tests.helpers import loud

CHECK = "split_consistency"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def _codes(report):
    return [(f.code, f.severity.value) for f in report.by_check(CHECK)]


def _digit_images(digits_split, scale=1 / 16, dtype=np.float32):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split's order
    img = lambda x: (x.reshape(-1, 8, 8, 1) * scale).astype(dtype)  # noqa: E731
    return img(x_train), y_train, img(x_test), y_test


def test_test_left_in_0_255_beside_train_in_0_1(digits_split):
    xtr, ytr, xte, yte = _digit_images(digits_split)
    report = _profile(train=(xtr, ytr), test=(xte * 255, yte))
    assert _codes(report) == [("split_consistency.value_scale", "error")]
    f = report.by_check(CHECK)[0]
    assert f.split == "test" and abs(f.metrics["scale_ratio"] - 255) < 1
    assert "about 255 times wider" in f.message


def test_nchw_test_beside_nhwc_train(sample_data):
    report = _profile(sample_data / "defect_layout.npz")
    assert _codes(report) == [("split_consistency.layout", "error")]
    f = report.by_check(CHECK)[0]
    assert f.metrics == {"ref_layout": "NHWC", "eval_layout": "NCHW"}
    assert [r[2] for r in f.evidence[0].data["rows"]] == ["NHWC", "NCHW"]


def test_standardized_images_beside_unit_range_images(digits_split):
    xtr, ytr, xte, yte = _digit_images(digits_split)
    std = lambda x: ((x - xtr.mean()) / xtr.std()).astype(np.float32)  # noqa: E731
    assert _codes(_profile(train=(std(xtr), ytr), test=(xte, yte))) == [
        ("split_consistency.standardized_vs_raw", "error")]


def test_sample_shape_and_dtype(digits_split):
    xtr, ytr, xte, yte = _digit_images(digits_split)
    cropped = _profile(train=(xtr, ytr), test=(xte[:, 1:7, 1:7], yte))
    assert ("split_consistency.sample_shape", "error") in _codes(cropped)
    as_uint8 = _profile(train=((xtr * 255).astype(np.uint8), ytr), test=(xte * 255, yte))
    assert _codes(as_uint8) == [("split_consistency.dtype", "info")]


def test_standardized_train_beside_raw_test(wine_frames):
    from sklearn.datasets import load_wine

    train, test = wine_frames
    raw = load_wine(as_frame=True).data
    raw_test = raw.iloc[: len(test)].assign(label=test["label"].to_numpy())
    report = _profile(train=train, test=raw_test)
    assert _codes(report) == [("split_consistency.standardized_vs_raw", "error")]
    assert report.by_check(CHECK)[0].metrics["n_features"] == 13


def test_features_in_other_units(wine_frames):
    train, test = wine_frames
    feats = ["alcohol", "proline", "hue"]
    scaled = test.assign(**{c: test[c] * 1000 for c in feats})
    report = _profile(train=train, test=scaled)
    assert _codes(report) == [("split_consistency.value_scale", "error")]
    f = report.by_check(CHECK)[0]
    assert f.metrics["n_features"] == 3 and abs(f.metrics["scale_ratio"] - 1000) < 50
    assert {r[0] for r in f.evidence[0].data["rows"]} == set(feats)


def test_large_drift_is_a_warning_not_an_error(wine_frames):
    train, test = wine_frames
    shifted = test.assign(alcohol=test["alcohol"] + 2.5, ash=test["ash"] + 2.5)
    report = _profile(train=train, test=shifted)
    assert _codes(report) == [("split_consistency.drift", "warning")]
    f = report.by_check(CHECK)[0]
    assert f.metrics["n_features"] == 2 and f.metrics["max_ks"] > 0.6


def test_columns_missing_or_reordered(wine_frames):
    train, test = wine_frames
    missing = _profile(train=train, test=test.drop(columns=["proline"]))
    assert _codes(missing) == [("split_consistency.columns", "error")]
    assert missing.by_check(CHECK)[0].metrics["missing"] == ["proline"]
    reordered = _profile(train=train, test=test[list(reversed(test.columns))])
    assert _codes(reordered) == [("split_consistency.column_order", "warning")]


def test_key_columns_are_not_compared(wine_frames):
    train, test = wine_frames
    days = lambda n, start: pd.date_range(start, periods=n, freq="D")  # noqa: E731
    report = _profile(train=train.assign(t=np.arange(len(train))), test=test.assign(t=10_000 + np.arange(len(test))),
                      time_col="t")
    assert not report.by_check(CHECK), "a time column drifts by design"
    assert not _profile(train=train.assign(day=days(len(train), "2020-01-01")),
                        test=test.assign(day=days(len(test), "2021-01-01")), time_col="day").by_check(CHECK)


def _images(root, sample_data, convert):
    for split, step in (("train", 20), ("test", 10)):
        for i, p in enumerate(sorted((sample_data / "clean_images" / split).glob("*/*.png"))[::step]):
            d = root / split / p.parent.name
            d.mkdir(parents=True, exist_ok=True)
            im = Image.open(p)
            (convert(im) if split == "test" else im).save(d / f"{i}.png")
    return root


def test_test_images_resized_differently(tmp_path, sample_data):
    root = _images(tmp_path, sample_data, lambda im: im.resize((32, 32), Image.Resampling.BILINEAR))
    report = _profile(root)
    assert _codes(report) == [("split_consistency.image_size", "warning")]
    f = report.by_check(CHECK)[0]
    assert f.metrics["outside_ratio"] == 1.0 and f.n_samples == 20 and "32x32" in f.message


def test_test_images_in_another_mode(tmp_path, sample_data):
    report = _profile(_images(tmp_path, sample_data, lambda im: im.convert("RGB")))
    assert _codes(report) == [("split_consistency.image_mode", "warning")]
    assert report.by_check(CHECK)[0].n_samples == 20


def test_ks_matches_scipy():
    rng = np.random.default_rng(0)
    from scipy import stats

    a, b = rng.normal(size=300), rng.normal(0.3, 1, size=200)
    d, p = ks_2samp(a, b)
    ref = stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue, rel=0.05)


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_silent(sample_data, name):
    report = _profile(sample_data / name)
    assert report.outcome(CHECK).status.value == "passed" and not report.by_check(CHECK)


@pytest.mark.parametrize("seed", range(4))
def test_random_splits_never_warn(seed, wine_frames):
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    for loader in (load_digits, load_breast_cancer):
        x, y = loader(return_X_y=True)
        a, b, ya, yb = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
        assert not loud(_profile(train=(a, ya), test=(b, yb), seed=seed), CHECK)
        s = StandardScaler().fit(a)
        assert not loud(_profile(train=(s.transform(a), ya), test=(s.transform(b), yb), seed=seed), CHECK)
    train, test = wine_frames
    assert not loud(_profile(train=train, test=test, seed=seed), CHECK)
