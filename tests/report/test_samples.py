"""The per-sample table (``report.samples``, ``--samples``): one row per sample, every
sample-level check's flags and scores, all samples (not the 50 a finding names)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.report.findings import Report, Severity
from datacheck.report.samples import SampleColumns, check_samples_path, write_samples
from datacheck.errors import ConfigError

SAMPLE_CHECKS = ["input_integrity", "duplicates", "label_noise"]
COLUMNS = {
    "input_integrity": ["input_integrity.flag"],
    "duplicates": ["duplicates.group", "duplicates.copy_of", "duplicates.flag"],
    "label_noise": ["label_noise.quality", "label_noise.suggested", "label_noise.flag"],
}


def _digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def _flagged_codes(report, df) -> dict[str, set[str]]:
    """Per check: the finding codes its ``flag`` column names."""
    out = {}
    for check in SAMPLE_CHECKS:
        column = f"{check}.flag"
        if column in df:
            codes = {c for v in df[column].dropna() for c in str(v).split(", ")}
            out[check] = codes
    return out


# -- detection: ranking by label quality puts the flipped labels first -----------------------

def test_label_quality_ranks_flipped_digits_first():
    x, y = _digits()
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(y), size=len(y) // 10, replace=False)  # 10% of the labels
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, len(flipped))) % 10
    report = datacheck.profile(train=(x, noisy), checks=["label_noise"])
    df = report.samples
    assert len(df) == len(y)
    ranked = df.sort_values("label_noise.quality", kind="stable")
    k = len(flipped)
    top = ranked["row"].to_numpy()[:k]
    precision = np.isin(top, flipped).mean()
    # measured 0.96 (cleanlab's prune_by_noise_rate baseline on digits: precision 0.71)
    assert precision >= 0.8, precision
    # the top 50 are nearly all flipped, and most of their suggestions are the true digit
    assert np.isin(top[:50], flipped).mean() >= 0.95
    hit = top[np.isin(top, flipped)]
    suggested = ranked.set_index("row").loc[hit, "label_noise.suggested"].astype(int).to_numpy()
    assert (suggested == y[hit]).mean() >= 0.8
    # the flag column marks every suspect of the finding, beyond the 50 it names
    finding = next(f for f in report.by_check("label_noise") if f.code == "label_noise.noise_rate")
    flagged = df[df["label_noise.flag"] == "noise_rate"]
    assert len(flagged) == finding.n_samples > 50
    assert set(finding.samples) <= set(flagged["id"])
    assert np.isin(flagged["row"], flipped).mean() >= 0.8


# -- clean control ---------------------------------------------------------------------------

def test_clean_digits_table_exists_and_flags_nothing_loud(digits_split):
    xtr, xte, ytr, yte = digits_split
    report = datacheck.profile(train=(xtr, ytr), test=(xte, yte), checks=SAMPLE_CHECKS)
    df = report.samples
    assert len(df) == len(ytr) + len(yte)
    assert list(df.columns[:4]) == ["id", "split", "row", "label"]
    for columns in COLUMNS.values():
        assert set(columns) <= set(df.columns)
    assert df["id"].iloc[0] == "train[0]" and df["id"].iloc[-1] == f"test[{len(yte) - 1}]"
    assert (df["label"].astype(int).to_numpy() == np.r_[ytr, yte]).all()
    # every sample modelled: a score per sample, and the models agree with the clean labels
    assert df["label_noise.quality"].notna().all()
    assert (df["label_noise.suggested"].astype(int) == df["label"].astype(int)).mean() > 0.95
    # nothing flagged beyond info-level findings
    for check, codes in _flagged_codes(report, df).items():
        for code in codes:
            severities = {f.severity for f in report.by_check(check) if f.code == f"{check}.{code}"}
            assert severities and severities <= {Severity.INFO}, (check, code, severities)
    assert df["input_integrity.flag"].isna().all()
    assert df["duplicates.group"].isna().all()


# -- planted defects in the other checks' columns -------------------------------------------

def test_nan_and_copies_are_flagged_on_every_sample_not_only_fifty():
    x, y = _digits()
    x = x.copy()
    nan_rows = np.arange(0, 1200, 20)  # 60 rows with a NaN, more than a finding names
    x[nan_rows, 5] = np.nan
    x[nan_rows[:3], 6] = np.inf
    x[1500:1560] = x[1400:1460]  # 60 exact copies, labels copied too
    y = y.copy()
    y[1500:1560] = y[1400:1460]
    report = datacheck.profile(train=(x, y), checks=["input_integrity", "duplicates"])
    df = report.samples
    flag = df["input_integrity.flag"]
    assert set(np.flatnonzero(flag.notna().to_numpy())) == set(nan_rows)
    assert (flag.iloc[nan_rows[:3]] == "nan, inf").all()
    nan_finding = next(f for f in report.findings if f.code == "input_integrity.nan")
    assert nan_finding.n_samples == 60 and len(nan_finding.samples) == 50
    copies = df[df["duplicates.copy_of"].notna()]
    assert sorted(copies["row"]) == list(range(1500, 1560))
    assert (copies["duplicates.copy_of"].to_numpy() == [f"train[{r}]" for r in range(1400, 1460)]).all()
    grouped = df[df["duplicates.group"].notna()]
    assert len(grouped) == 120 and grouped["duplicates.group"].nunique() == 60
    assert (grouped["duplicates.flag"] == "exact").all()


def test_image_folder_ids_sizes_and_integrity_flags(sample_data):
    truth = json.loads((sample_data / "defect_corrupt_images.truth.json").read_text())
    report = datacheck.profile(sample_data / "defect_corrupt_images", checks=["input_integrity"], workers=1)
    df = report.samples.set_index("id")
    assert len(df) == sum(s["n_samples"] for s in report.dataset.splits.values())
    planted = truth["planted"]
    for path, what in planted.items():
        flag = df.loc[path, "input_integrity.flag"]
        if what.startswith("unreadable"):
            assert flag == "unreadable_files", (path, flag)
        elif what.startswith("constant"):
            assert flag == "constant_images", (path, flag)
        else:
            assert pd.isna(flag), (path, flag)
    assert df["input_integrity.flag"].notna().sum() == sum(
        w.startswith(("unreadable", "constant")) for w in planted.values())
    assert df.loc["train/Bag/big.png", ["height", "width"]].tolist() == [56, 40]
    assert pd.isna(df.loc["train/Bag/empty.png", "height"]) and pd.isna(df.loc["train/Bag/empty.png", "mode"])
    assert df.loc["train/Trouser/rgb.png", "mode"] == "RGB"
    major = truth["majority"]
    assert (df["mode"] == major["mode"]).mean() > 0.9


def test_regression_target_gives_predictions_and_residuals():
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    y = y.copy()
    y[:15] *= 10  # planted wrong targets
    report = datacheck.profile(train=(x, y), checks=["label_noise"], task="regression")
    df = report.samples
    assert {"label_noise.predicted", "label_noise.residual_z", "label_noise.flag"} <= set(df.columns)
    assert np.allclose(df["label"].to_numpy(float), y)
    worst = df.reindex(df["label_noise.residual_z"].abs().sort_values(ascending=False).index)
    assert set(worst["row"][:15]) == set(range(15))
    assert set(df.loc[df["label_noise.flag"].notna(), "row"]) >= set(range(15))


# -- sources: arrays, torch, partitions; no scan ---------------------------------------------

def test_npz_and_partitioned_runs_give_the_same_table(tmp_path, digits_split):
    xtr, xte, ytr, yte = digits_split
    path = tmp_path / "d.npz"
    np.savez(path, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    whole = datacheck.profile(path, checks=["input_integrity", "duplicates"]).samples
    parts = datacheck.profile(path, checks=["input_integrity", "duplicates"], partitions=3).samples
    assert len(whole) == len(ytr) + len(yte)
    pd.testing.assert_frame_equal(whole, parts)
    assert whole["split"].tolist() == ["train"] * len(ytr) + ["test"] * len(yte)


def test_dask_engine_gives_the_same_table(sample_data):
    pytest.importorskip("distributed")
    path, checks = sample_data / "defect_duplicates.csv", ["input_integrity", "duplicates"]
    local = datacheck.profile(path, checks=checks).samples
    pd.testing.assert_frame_equal(datacheck.profile(path, checks=checks, engine="dask", workers=1).samples, local)
    assert local["duplicates.group"].notna().any()


def test_torch_dataset_ids_are_rows():
    torch = pytest.importorskip("torch")
    x, y = _digits()
    ds = torch.utils.data.TensorDataset(torch.tensor(x[:300], dtype=torch.float32), torch.tensor(y[:300]))
    df = datacheck.profile(train=ds, checks=["duplicates"]).samples
    assert len(df) == 300 and df["id"].iloc[299] == "train[299]"
    assert "duplicates.group" in df


def test_report_without_a_scan_has_no_table_and_the_json_is_unchanged(digits_split):
    xtr, xte, ytr, yte = digits_split
    report = datacheck.profile(train=(xtr, ytr), checks=["duplicates"])
    assert report.samples is not None
    back = Report.from_dict(report.to_dict())
    assert back == report and back.samples is None
    assert "sample_columns" not in json.dumps(report.to_dict())


# -- the mechanism -------------------------------------------------------------------------

def test_sample_columns_validate_and_join_flags():
    cols = SampleColumns({"train": 5, "test": 2})
    cols.add("train", "score", np.arange(5.0))
    cols.add("train", "flag", "nan", rows=[1, 3])
    cols.add("train", "flag", "inf", rows=[3, 4])
    cols.add("test", "group", np.array([7]), rows=[1])
    assert cols.names == ["score", "flag", "group"]
    assert cols.get("train", "flag").dense(5).tolist() == [None, "nan", None, "nan, inf", "inf"]
    assert cols.get("test", "group").to_pandas(2).tolist() == [pd.NA, 7]
    with pytest.raises(ValueError, match="unknown split"):
        cols.add("val", "score", np.arange(2.0))
    with pytest.raises(ValueError, match="values for 5"):
        cols.add("train", "other", np.arange(4.0))
    with pytest.raises(ValueError, match="out of range"):
        cols.add("test", "other", 1.0, rows=[2])
    with pytest.raises(ValueError, match="set twice"):
        cols.add("train", "score", np.arange(5.0))


def test_a_check_adds_a_column_with_one_call(digits_split):
    from datacheck.checks.base import Check
    from datacheck.checks.context import CheckContext
    from datacheck.checks.runner import run_checks
    from datacheck.data import from_objects
    from datacheck.scan import scan

    class Brightness(Check):
        """Mean feature value per sample.

        What it detects
        ---------------
        Nothing; a test check.

        Why it matters
        --------------
        It shows the one call.
        """

        id = "brightness"
        items = (1,)

        def run(self, ctx):
            for s in ctx.splits():
                ctx.sample_column(s.name, "mean", s.features.mean(axis=1))
            return []

    xtr, xte, ytr, yte = digits_split
    dataset = from_objects({"train": (xtr, ytr), "test": (xte, yte)})
    ctx = CheckContext(dataset, scan(dataset, workers=1))
    outcomes, _ = run_checks(ctx, [Brightness()])
    report = Report("x", datacheck.api.summarize(dataset), tuple(outcomes), (), sample_index=ctx.sample_index())
    assert np.allclose(report.samples["brightness.mean"], np.r_[xtr.mean(axis=1), xte.mean(axis=1)])


def test_write_csv_and_parquet_and_refuse_other_extensions(tmp_path, digits_split):
    xtr, xte, ytr, yte = digits_split
    df = datacheck.profile(train=(xtr, ytr), test=(xte, yte), checks=SAMPLE_CHECKS).samples
    for name in ("s.csv", "s.parquet"):
        assert write_samples(df, tmp_path / name) == len(df)
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert list(back.columns) == list(df.columns) and len(back) == len(df)
    assert np.allclose(back["label_noise.quality"], df["label_noise.quality"])
    assert len(pd.read_csv(tmp_path / "s.csv")) == len(df)
    with pytest.raises(ConfigError, match="xlsx"):
        check_samples_path(tmp_path / "s.xlsx")
