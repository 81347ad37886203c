"""outliers: wrong entries planted in real tables are named; clean real data gives info at most."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets

import datacheck
from tests.helpers import loud

CHECK = "outliers"


def _frame(loader) -> pd.DataFrame:
    data = loader(as_frame=True)
    return data.frame.rename(columns={"target": "label"}).sample(frac=1, random_state=0).reset_index(drop=True)


def _profile(frame_or_path, **kwargs):
    return datacheck.profile(frame_or_path, label="label", checks=[CHECK], **kwargs)


def _extreme(report):
    return [f for f in report.by_check(CHECK) if f.code == "outliers.extreme_values"]


@pytest.mark.parametrize("loader", [datasets.load_wine, datasets.load_breast_cancer, datasets.load_iris,
                                    datasets.load_diabetes, datasets.load_digits])
def test_clean_sklearn_tables_give_info_at_most(loader):
    report = _profile(_frame(loader))
    assert [c.status.value for c in report.checks] in (["passed"], ["info"])
    assert not loud(report, CHECK)


def test_values_40_sd_out_are_named_by_row_and_column():
    frame = _frame(datasets.load_wine)
    sd = frame["ash"].std()
    frame.loc[[5, 77], "ash"] = frame["ash"].mean() + 40 * sd
    [f] = _extreme(_profile(frame))
    assert f.severity.value == "warning"
    assert sorted(f.samples) == ["train[5]", "train[77]"] and f.n_samples == 2
    assert f.metrics["columns"] == ["ash"] and f.metrics["n_values"] == 2
    assert "`ash`" in f.message
    rows = f.evidence[0].data["rows"]
    assert {r["column"] for r in rows} == {"ash"} and all(r["robust deviations"] > 30 for r in rows)


def test_unit_slip_and_a_sentinel_are_found():
    frame = _frame(datasets.load_breast_cancer)
    frame.loc[10, "mean radius"] *= 100  # millimetres recorded as 1/100 mm
    frame.loc[20, "area error"] = -999.0  # a sentinel in a right-skewed column (judged on a log scale)
    [f] = _extreme(_profile(frame))
    assert sorted(f.samples) == ["train[10]", "train[20]"]
    assert set(f.metrics["columns"]) == {"area error", "mean radius"}


def test_a_value_continuing_a_heavy_tail_is_left_alone():
    frame = _frame(datasets.load_breast_cancer)
    frame.loc[10, "area error"] *= 10  # large, but on the log scale within the column's own tail
    assert not _extreme(_profile(frame))


def test_value_in_the_test_split_is_judged_on_the_train_scale():
    frame = _frame(datasets.load_wine)
    train, test = frame.iloc[:130].reset_index(drop=True), frame.iloc[130:].reset_index(drop=True)
    test.loc[3, "alcohol"] = 1300.0  # decimal point slipped
    [f] = _extreme(datacheck.profile(train=train, test=test, label="label", checks=[CHECK]))
    assert f.samples == ("test[3]",)


def test_heavy_tails_and_sparse_counts_are_not_wrong_entries():
    rng = np.random.default_rng(3)
    frame = _frame(datasets.load_wine)
    n = len(frame)
    frame["lognormal"] = rng.lognormal(0, 1.5, n)
    frame["pareto"] = rng.pareto(1.5, n) + 1
    frame["t3"] = rng.standard_t(3, n)
    counts = np.zeros(n)
    counts[rng.choice(n, 8, replace=False)] = rng.integers(1, 60, 8)
    frame["sparse_count"] = counts
    assert not _extreme(_profile(frame))


def smooth_images(n: int, side: int, seed: int) -> np.ndarray:
    """Dark textured images (values 0-40, neighbours correlated), a bright 255 patch in the
    corner of one in ten: (n, side, side) whole numbers."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n, side + 2, side + 2))
    smooth = sum(noise[:, i:i + side, j:j + side] for i in range(3) for j in range(3)) / 9
    img = np.clip(np.round(10 + 10 * smooth), 0, 40)
    img[rng.random(n) < 0.1, side - 6:, side - 6:] = 255
    return img


def test_bright_pixels_of_a_pixel_table_are_not_wrong_entries():
    img = smooth_images(600, 16, seed=0)
    y = (img.mean(axis=(1, 2)) > np.median(img.mean(axis=(1, 2)))).astype(int)
    frame = pd.DataFrame(img.reshape(len(img), -1), columns=[f"pixel{i}" for i in range(256)]).assign(label=y)
    assert not datacheck.profile(train=frame, checks=["outliers"]).by_check("outliers")
    # the same values in columns of no grid: 255 among values of 0-40 stands apart
    shuffled = frame[list(np.random.default_rng(0).permutation(frame.columns[:-1])) + ["label"]]
    (f,) = datacheck.profile(train=shuffled, checks=["outliers"]).by_check("outliers")
    assert f.code == "outliers.extreme_values" and f.severity.value == "warning"


def test_streamed_table_reads_the_flagged_column_again(tmp_path):
    frame = _frame(datasets.load_wine)
    frame.loc[40, "magnesium"] = 99_999.0
    path = tmp_path / "wine.parquet"
    frame.to_parquet(path, index=False)
    held, streamed = (_extreme(datacheck.profile(path, label="label", checks=[CHECK], stream=s))
                      for s in (False, True))
    assert held[0].samples == streamed[0].samples == ("train[40]",)


def test_corrupt_images_rank_first_among_isolated_samples(sample_data, tmp_path):
    data = np.load(sample_data / "clean_digits.npz")
    arrays = {k: data[k].copy() for k in data.files}
    x = arrays["x_train"]
    rng = np.random.default_rng(0)
    planted = np.array([3, 50, 400])
    x[planted] = rng.integers(0, int(x.max()) + 1, (len(planted),) + x.shape[1:]).astype(x.dtype)
    path = tmp_path / "digits.npz"
    np.savez(path, **arrays)
    report = datacheck.profile(path, checks=[CHECK])
    [f] = [f for f in report.by_check(CHECK) if f.code == "outliers.isolated_samples"]
    assert f.severity.value == "info"
    assert set(f.samples[:3]) == {f"train[{i}]" for i in planted}
    scores = report.samples.set_index("id")["outliers.isolation"]
    assert scores.notna().sum() == len(report.samples)
    assert scores.nlargest(3).index.tolist() == list(f.samples[:3])


def test_isolation_is_scored_on_a_sample_of_many_modelled_samples(monkeypatch):
    from datacheck.checks import outliers

    monkeypatch.setattr(outliers, "MAX_SCORED", 300)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((1000, 4)), columns=list("abcd"))
    frame.loc[rng.choice(1000, 40, replace=False), "a"] = 40.0  # far from the rest, in any sample
    report = datacheck.profile(frame.assign(label=rng.integers(0, 2, 1000)), label="label", checks=[CHECK])
    scores = report.samples["outliers.isolation"]
    assert scores.notna().sum() == 300 and scores.isna().sum() == 700
    [f] = [f for f in report.by_check(CHECK) if f.code == "outliers.isolated_samples"]
    assert f.metrics["n_scored"] == 300 and f.metrics["n_modelled"] == 1000
    assert "of 300 scored samples out of 1,000" in f.message
    assert set(scores.nlargest(f.n_samples).index) == set(scores[scores >= 2.5].index)
