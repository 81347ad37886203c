"""feature_scaling: planted unscaled features are flagged; standardized or one-unit data stays quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.errors import ConfigError
from tests.helpers import loud, severities

CHECK = "feature_scaling"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], **kwargs)


def _standard_frame(rng, n=300, d=6):
    x = rng.standard_normal((n, d))
    frame = pd.DataFrame((x - x.mean(0)) / x.std(0), columns=[f"f{j}" for j in range(d)])
    return frame.assign(label=rng.integers(0, 2, n))


def _rows(finding):
    return finding.evidence[0].data["rows"]


def test_planted_missed_columns_warn_with_proline_first(sample_data):
    report = _profile(sample_data / "defect_unscaled.csv")
    [f] = report.by_check(CHECK)
    assert f.code == "feature_scaling.unscaled"
    assert f.severity.value == "warning"
    assert f.split == "train"
    assert f.metrics["n_unscaled"] == 2 and f.metrics["n_standardized"] == 11
    assert f.metrics["scale_spread"] >= 100
    assert f.metrics["max_magnitude"] == pytest.approx(1680.0)
    assert f.metrics["n_large_magnitude"] == 1
    assert f.samples == () and f.n_samples == 0
    evidence = f.evidence[0]
    assert evidence.kind == "table"
    assert evidence.data["columns"] == ["feature", "mean", "std", "min", "max"]
    assert [row[0] for row in _rows(f)] == ["proline", "magnesium"]
    assert "proline" in f.message and "scaler missed" in f.message
    assert "proline, magnesium were missed" in f.hint and "StandardScaler" in f.hint


@pytest.mark.parametrize("name", ["clean_tabular", "clean_images", "clean_digits.npz",
                                  "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    report = _profile(sample_data / name)
    assert not report.by_check(CHECK)
    assert not loud(report)


def test_image_arrays_are_skipped(sample_data):
    outcome = _profile(sample_data / "clean_digits.npz").outcome(CHECK)
    assert outcome.status.value == "skipped"


def test_standardized_wine_random_split_is_quiet(wine_frames):
    train, test = wine_frames
    assert not _profile(train=train, test=test, label="label").by_check(CHECK)


def _random_split(loader, seed):
    from sklearn.model_selection import train_test_split

    x, y = loader(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=seed,
                                                        stratify=y)
    return (x_train, y_train), (x_test, y_test)


def test_raw_digits_pixel_counts_share_one_unit():
    from sklearn.datasets import load_digits

    train, test = _random_split(load_digits, 0)
    report = _profile(train=train, test=test)
    assert report.outcome(CHECK).status.value == "passed"
    assert not report.by_check(CHECK)


@pytest.mark.parametrize("loader", ["load_wine", "load_breast_cancer"])
def test_raw_units_of_a_stored_table_are_info(loader):
    from sklearn import datasets

    train, test = _random_split(getattr(datasets, loader), 1)
    report = _profile(train=train, test=test)
    [f] = report.by_check(CHECK)
    assert f.severity.value == "info" and f.metrics["n_standardized"] == 0
    assert "raw units" in f.message and f.metrics["max_magnitude"] >= 1000
    if loader == "load_wine":
        assert _rows(f)[0][0] == "x12"  # proline


def test_min_max_scaled_table_with_a_raw_column_warns(rng):
    x = rng.random((300, 5))
    frame = pd.DataFrame((x - x.min(0)) / (x.max(0) - x.min(0)), columns=[f"f{j}" for j in range(5)])
    frame = frame.assign(price=rng.lognormal(11, 0.4, 300), label=rng.integers(0, 2, 300))
    [f] = _profile(frame).by_check(CHECK)
    assert f.severity.value == "warning" and f.metrics["n_standardized"] == 5
    assert [row[0] for row in _rows(f)] == ["price"]


def test_raw_shares_from_0_to_1_do_not_make_a_raw_table_prepared(rng):
    n = 300
    shares = {f"share_{j}": np.clip(rng.normal(0.5, 0.45, n), 0, 1) for j in range(4)}  # piled at 0 and 1
    frame = pd.DataFrame(shares).assign(income=rng.lognormal(10, 0.5, n), label=rng.integers(0, 2, n))
    [f] = _profile(frame).by_check(CHECK)
    assert f.severity.value == "info" and f.metrics["n_standardized"] == 0


def test_raw_counts_of_rare_events_do_not_make_a_raw_table_prepared(rng):
    n = 400  # mean 0.3-0.6 and std 0.5-0.8: near standardized, but not a scaler's output
    counts = {f"n_{e}": rng.poisson(lam, n).astype(float) for e, lam in
              (("children", 0.4), ("claims", 0.3), ("cars", 0.6), ("moves", 0.35))}
    frame = pd.DataFrame(counts).assign(income=rng.lognormal(10, 0.5, n), label=rng.integers(0, 2, n))
    [f] = _profile(frame).by_check(CHECK)
    assert f.severity.value == "info" and f.metrics["n_standardized"] == 0
    assert _rows(f)[0][0] == "income"


def test_one_chance_standardized_column_does_not_make_a_raw_table_prepared(rng):
    n = 300
    frame = pd.DataFrame({"anomaly": rng.normal(0.1, 0.9, n), "pressure": rng.normal(1013, 8, n),
                          "altitude": rng.uniform(0, 3000, n), "label": rng.integers(0, 2, n)})
    assert severities(_profile(frame), CHECK) == ["info"]


def test_one_raw_feature_among_standardized_ones(rng):
    frame = _standard_frame(rng)
    frame["income"] = rng.lognormal(10, 0.5, len(frame))
    [f] = _profile(frame).by_check(CHECK)
    assert f.severity.value == "warning"
    assert f.metrics["n_unscaled"] == 1
    assert [row[0] for row in _rows(f)] == ["income"]


def test_large_magnitude_alone_warns(rng):
    frame = _standard_frame(rng)
    frame["year"] = rng.integers(2000, 2021, len(frame)).astype(float)
    [f] = _profile(frame).by_check(CHECK)
    assert f.metrics["scale_spread"] < 10
    assert f.severity.value == "warning"
    assert "year" in f.message


def test_modest_spread_is_info(rng):
    n = 400
    frame = pd.DataFrame({
        "length_cm": rng.normal(30, 5, n), "width_mm": rng.normal(60, 0.2, n),
        "count": rng.poisson(4, n).astype(float), "label": rng.integers(0, 2, n),
    })
    [f] = _profile(frame).by_check(CHECK)
    assert f.severity.value == "info"
    assert 10 <= f.metrics["scale_spread"] < 100


def test_pixel_range_table_is_info(rng):
    pixels = pd.DataFrame(rng.integers(0, 256, (200, 20)).astype(float),
                          columns=[f"p{j}" for j in range(20)]).assign(label=rng.integers(0, 3, 200))
    assert severities(_profile(pixels), CHECK) == ["info"]


def test_bounded_binary_and_constant_features_are_quiet(rng):
    n = 500
    sparse = np.where(rng.random(n) < 0.02, rng.random(n), 0.0)  # tiny std, but in [0, 1]
    frame = pd.DataFrame({
        "unit": rng.random(n), "signed": rng.uniform(-1, 1, n), "sparse": sparse,
        "flag": rng.integers(0, 2, n) * 5000.0, "const": np.full(n, 12345.0),
        "label": rng.integers(0, 2, n),
    })
    frame = pd.concat([frame, _standard_frame(rng, n, 3).drop(columns="label")], axis=1)
    assert not _profile(frame).by_check(CHECK)


def test_non_finite_values_are_ignored_for_scale(rng):
    frame = _standard_frame(rng)
    frame.loc[:4, "f0"] = np.nan
    frame.loc[5, "f1"] = np.inf
    frame["empty"] = np.nan
    assert not _profile(frame).by_check(CHECK)


def test_judges_train_not_test(rng):
    train = _standard_frame(rng)
    test = _standard_frame(rng) * 1000.0
    test["label"] = 0
    assert not _profile(train=train, test=test).by_check(CHECK)


def test_thresholds_are_parameters(sample_data):
    lenient = {"warn_spread": 1e4, "warn_magnitude": 1e4}
    report = _profile(sample_data / "defect_unscaled.csv", params={CHECK: lenient})
    assert severities(report, CHECK) == ["info"]
    with pytest.raises(ConfigError, match="warn_spread"):
        _profile(sample_data / "defect_unscaled.csv", params={CHECK: {"warn_spread": 0.5}})


# ---------------------------------------------------------------- regression targets


def _regression(rng, target):
    return _standard_frame(rng, n=len(target)).drop(columns="label").assign(target=target)


def test_target_in_the_thousands_beside_standardized_features_warns(rng):
    report = _profile(_regression(rng, rng.normal(250_000, 60_000, 300)))
    [f] = report.by_check(CHECK)
    assert f.code == "feature_scaling.target_scale" and f.severity.value == "warning"
    assert f.metrics["initial_mse"] > 1e10 and f.split == "train"
    assert f.metrics["features_standardized"] and "beside standardized features" in f.message


def test_raw_prices_beside_raw_features_are_info(rng):
    n = 300
    area = rng.uniform(40, 250, n)
    frame = pd.DataFrame({"area_m2": area, "rooms": rng.integers(1, 7, n).astype(float),
                          "year_built": rng.integers(1900, 2024, n).astype(float)})
    frame["price"] = 3000 * area + rng.normal(0, 20_000, n)
    report = _profile(frame, label="price", task="regression")
    assert severities(report, CHECK) == ["info", "info"]
    target = next(f for f in report.by_check(CHECK) if f.code.endswith("target_scale"))
    assert not target.metrics["features_standardized"]


def test_raw_diabetes_target_is_info_only(sample_data):
    report = _profile(sample_data / "clean_regression")
    assert not loud(report, CHECK)
    [f] = report.by_check(CHECK)
    assert f.code == "feature_scaling.target_scale" and 100 < f.metrics["mean"] < 200


def test_standardized_target_is_quiet(rng):
    t = rng.normal(size=300)
    assert not _profile(_regression(rng, (t - t.mean()) / t.std())).by_check(CHECK)


def test_target_scale_thresholds_are_ordered():
    with pytest.raises(ConfigError, match="info_target_scale <= warn_target_scale"):
        datacheck.profile(pd.DataFrame({"a": [0.5, 1.5], "label": [0, 1]}), checks=[CHECK],
                          params={CHECK: {"info_target_scale": 5000.0}})
