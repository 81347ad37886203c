"""Expectation suites for regression targets: the table keeps the target's numbers, an inferred
suite describes its range, quantiles, order and shift between splits, and datacheck's target
expectations pass on clean data and fail on planted defects, in datacheck and in plain GX.

The data is scikit-learn's diabetes as shipped in ``sample_data/clean_regression`` (random
80/20 split) and ``sample_data/defect_sorted_target.csv`` (the same kind of table sorted by
target within each split).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp, spearmanr

gx = pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")

from great_expectations.expectations.row_conditions import Column

import datacheck
import datacheck.gx  # registers datacheck's expectations with GX
from datacheck.checks._target.distribution import ks_shift
from datacheck.checks._target.order import target_order_stats
from datacheck.gx import infer_suite, suite_frame, validate_suite, write_suite
from datacheck.gx import metrics as m
from datacheck.report.findings import Severity, Status
from tests.gx.test_plain_gx import failed, run_gx

CORRELATION = "expect_column_target_order_correlation_to_be_between"
NARROW = "expect_column_narrow_target_batch_ratio_to_be_between"
SHIFT = "expect_column_target_shift_ks_to_be_between"
TARGET_TYPES = {CORRELATION, NARROW, SHIFT}
CLASS_TYPES = {"expect_column_longest_run_to_be_between", "expect_column_single_label_batch_ratio_to_be_between",
               "expect_column_class_imbalance_ratio_to_be_between", "expect_column_min_class_share_to_be_between",
               "expect_column_distinct_values_to_contain_set"}


@pytest.fixture(scope="module")
def clean_table(sample_data) -> pd.DataFrame:
    """``clean_regression`` as one table with a ``split`` column: train rows, then test rows."""
    folder = sample_data / "clean_regression"
    return pd.concat([pd.read_csv(folder / "train.csv").assign(split="train"),
                      pd.read_csv(folder / "test.csv").assign(split="test")], ignore_index=True)


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory, clean_table):
    path = tmp_path_factory.mktemp("regression") / "diabetes.csv"
    clean_table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def clean_suite(clean_csv, tmp_path_factory) -> dict:
    """The suite ``datacheck suite`` infers from the clean table."""
    return infer_suite(clean_csv)


@pytest.fixture(scope="module")
def clean_suite_file(clean_suite, tmp_path_factory):
    return write_suite(clean_suite, tmp_path_factory.mktemp("suites") / "diabetes.json")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by target within each split (train block, then test block)."""
    return frame.sort_values(["split", "target"], ascending=[False, True], kind="stable")


def _high_test(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows, the test split now the rows with the highest targets."""
    order = frame["target"].rank(method="first").to_numpy()
    n_test = int((frame["split"] == "test").sum())
    return frame.assign(split=np.where(order > len(frame) - n_test, "test", "train"))


def _by_type(suite: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in suite["expectations"]:
        out.setdefault(e["type"], []).append(e)
    return out


def _split(e: dict) -> str | None:
    condition = e["kwargs"].get("row_condition")
    return condition["parameter"] if condition else None


def test_suite_frame_keeps_the_regression_target_numeric(clean_csv, clean_table):
    sf = suite_frame(clean_csv)
    assert sf.dataset.task == "regression"
    # The whole-number diabetes target was rebuilt as int64 from its text; it is the file's float64.
    assert sf.frame["target"].dtype == np.float64
    np.testing.assert_array_equal(sf.frame["target"].to_numpy(), clean_table["target"].to_numpy())


def test_missing_targets_stay_missing_in_the_frame(clean_table, tmp_path):
    holed = clean_table.copy()
    holed.loc[[2, 5], "target"] = np.nan
    holed.loc[7, "target"] = 12.345678901234567
    path = tmp_path / "holed.csv"
    holed.to_csv(path, index=False)
    values = suite_frame(path, task="regression").frame["target"]
    assert values.dtype == np.float64 and values.isna().sum() == 2
    assert values[7] == 12.345678901234567


def test_inferred_regression_suite_describes_the_target(clean_suite, clean_table):
    types = _by_type(clean_suite)
    assert clean_suite["meta"]["datacheck"]["task"] == "regression"
    assert not CLASS_TYPES & set(types)
    target = {e["type"]: e for e in clean_suite["expectations"] if e["kwargs"].get("column") == "target"
              and _split(e) is None}
    assert target["expect_column_values_to_be_in_type_list"]["severity"] == "critical"
    assert "float64" in target["expect_column_values_to_be_in_type_list"]["kwargs"]["type_list"]
    assert target["expect_column_values_to_not_be_null"]["severity"] == "critical"
    # Range 25..346 widened by a tenth of its width, but never below 0 for a positive target.
    bounds = target["expect_column_values_to_be_between"]["kwargs"]
    assert (bounds["min_value"], bounds["max_value"]) == (0.0, pytest.approx(346 + 32.1))
    quantiles = target["expect_column_quantile_values_to_be_between"]["kwargs"]["quantile_ranges"]
    assert quantiles["quantiles"] == [0.05, 0.25, 0.5, 0.75, 0.95]
    median = clean_table["target"].median()
    low, high = quantiles["value_ranges"][2]
    assert low < median < high and high - low < 0.25 * (346 - 25)
    # Order per split: a material trend on train (6 / sqrt(352) = 0.32), sorted on test.
    correlation = {_split(e): (e["severity"], e["kwargs"]["max_value"]) for e in types[CORRELATION]}
    assert correlation == {"train": ("warning", 0.32), "test": ("warning", 0.9)}
    narrow = {_split(e): (e["severity"], e["kwargs"]["max_value"]) for e in types[NARROW]}
    assert narrow == {"train": ("critical", 0.25), "test": ("warning", 0.25)}
    [shift] = types[SHIFT]
    # GX leaves out arguments at their defaults (split_column "split", reference_split "train").
    assert shift["kwargs"] == {"column": "target", "max_p_value": 3e-07, "max_value": 0.2, "strict_max": True}
    [leak] = types["expect_column_split_leaked_row_count_to_be_between"]
    assert leak["kwargs"]["ignore_columns"] == ["target"]
    # The features are described as for classification.
    assert {e["kwargs"]["column"] for e in types["expect_column_values_to_be_between"]} == set(clean_table.columns) - {
        "split"}


def test_clean_table_passes_its_own_suite(clean_csv, clean_suite_file, clean_suite):
    report = validate_suite(clean_csv, clean_suite_file)
    assert report.findings == ()
    assert report.outcome("suite").status is Status.PASSED
    assert f"{len(clean_suite['expectations'])} expectations, 0 not met" in report.dataset.notes[-1]


def test_sorted_target_fails_the_order_expectations_as_label_order_does(sample_data, tmp_path):
    path = sample_data / "defect_sorted_target.csv"
    shuffled = pd.read_csv(path).sample(frac=1.0, random_state=0)
    clean = tmp_path / "shuffled.csv"
    shuffled.sort_values("split", ascending=False, kind="stable").to_csv(clean, index=False)
    suite_file = write_suite(infer_suite(clean), tmp_path / "suite.json")
    assert validate_suite(clean, suite_file).findings == ()

    report = validate_suite(path, suite_file)
    found = {(f.code, f.split): f for f in report.findings}
    assert set(found) == {(f"suite.{NARROW}", "train"), (f"suite.{CORRELATION}", "train"),
                          (f"suite.{CORRELATION}", "test")}
    assert found[(f"suite.{NARROW}", "train")].severity is Severity.ERROR
    assert found[(f"suite.{NARROW}", "train")].metrics["observed"] == pytest.approx(10 / 11)
    assert found[(f"suite.{CORRELATION}", "test")].severity is Severity.WARNING
    assert all(f.metrics["observed"] > 0.99 for f in report.findings if CORRELATION in f.code)
    assert all(f.checklist == (7, 10) for f in report.findings)
    # The worst severity per split is what label_order reports.
    profile = datacheck.profile(path, checks=["label_order"])
    assert {(f.split, f.severity) for f in profile.findings} == {("train", Severity.ERROR), ("test", Severity.WARNING)}


def test_test_split_of_high_targets_fails_the_shift_expectation(clean_table, clean_suite_file, tmp_path):
    path = tmp_path / "high_test.csv"
    _high_test(clean_table).to_csv(path, index=False)
    report = validate_suite(path, clean_suite_file)
    shift = [f for f in report.findings if f.code == f"suite.{SHIFT}"]
    assert [(f.severity, f.split) for f in shift] == [(Severity.WARNING, "test")]
    assert shift[0].metrics["observed"] > 0.99 and shift[0].checklist == (8, 9)
    assert "Split at random" in shift[0].hint
    # No other target expectation fails: the rows and their order are the same.
    assert not {f"suite.{CORRELATION}", f"suite.{NARROW}"} & {f.code for f in report.findings}
    profile = datacheck.profile(path, checks=["class_balance"])
    assert [(f.split, f.severity) for f in profile.findings if f.code == "class_balance.target_shift"] == [
        ("test", Severity.WARNING)]


def test_regression_cli_suite_then_validate(cli, clean_csv, clean_table, tmp_path):
    suite_file = tmp_path / "cli.json"
    result = cli("suite", clean_csv, "-o", suite_file)
    assert result.exit_code == 0, result.stderr
    assert json.loads(suite_file.read_text())["meta"]["datacheck"]["task"] == "regression"
    assert cli("validate", clean_csv, "--suite", suite_file, "-q", "--no-html").exit_code == 0
    sorted_csv = tmp_path / "sorted.csv"
    _sorted(clean_table).to_csv(sorted_csv, index=False)
    result = cli("validate", sorted_csv, "--suite", suite_file, "--json", "-", "--no-html")
    assert result.exit_code == 1, result.stderr
    codes = {(f["code"], f["split"], f["severity"]) for f in json.loads(result.stdout)["findings"]}
    assert (f"suite.{NARROW}", "train", "error") in codes


def test_task_from_the_suite_reads_a_whole_number_target_as_regression(clean_table, tmp_path, cli):
    whole = tmp_path / "whole.csv"
    clean_table.assign(target=clean_table["target"].astype(int)).to_csv(whole, index=False)
    assert infer_suite(whole)["meta"]["datacheck"]["task"] == "regression"  # 25..346: a quantity
    # counted from 0, the same whole numbers read as class indices, unless the suite says otherwise
    from_zero = clean_table.assign(target=(clean_table["target"] - clean_table["target"].min()).astype(int))
    counts = tmp_path / "counts.csv"
    from_zero.to_csv(counts, index=False)
    inferred = infer_suite(counts)
    assert inferred["meta"]["datacheck"]["task"] == "classification"
    suite_file = tmp_path / "counts.json"
    assert cli("suite", counts, "-o", suite_file, "--task", "regression").exit_code == 0
    suite = json.loads(suite_file.read_text())
    assert TARGET_TYPES <= {e["type"] for e in suite["expectations"]}
    # validate reads the data as the suite's task, so the integer column is a target again.
    report = validate_suite(counts, suite_file)
    assert report.findings == () and report.dataset.task == "regression"
    assert report.dataset.task_reason == "set by suite counts.json"
    high = tmp_path / "high.csv"
    _high_test(from_zero).to_csv(high, index=False)
    assert f"suite.{SHIFT}" in {f.code for f in validate_suite(high, suite_file).findings}


def test_classification_suites_have_no_target_expectations(sample_data, wine_csv):
    for source in (wine_csv, sample_data / "clean_tabular"):
        suite = infer_suite(source)
        assert suite["meta"]["datacheck"]["task"] == "classification"
        assert not TARGET_TYPES & {e["type"] for e in suite["expectations"]}
        assert "expect_column_class_imbalance_ratio_to_be_between" in {e["type"] for e in suite["expectations"]}


def test_inferred_regression_suite_in_plain_gx(clean_suite, clean_csv):
    clean = pd.read_csv(clean_csv)
    assert run_gx(clean_suite, clean).success
    sorted_failures = failed(run_gx(clean_suite, _sorted(clean)))
    assert set(sorted_failures) == {CORRELATION, NARROW}
    shift_failures = failed(run_gx(clean_suite, _high_test(clean)))
    assert set(shift_failures) == {SHIFT}
    details = shift_failures[SHIFT][0].result["details"]
    assert details["split"] == "test"
    details = details["splits"]
    assert details["test"]["ks_statistic"] > 0.99 and details["test"]["p_value"] < 3e-7


def test_target_expectations_by_class_in_plain_gx(clean_table):
    """Observed values are scipy's Spearman and KS statistics; bounds decide success."""
    sorted_frame = _sorted(clean_table).reset_index(drop=True)
    train, test = Column("split") == "train", Column("split") == "test"
    suite = gx.ExpectationSuite(name="targets", expectations=[
        datacheck.gx.ExpectColumnTargetOrderCorrelationToBeBetween(column="target", max_value=0.32,
                                                                   row_condition=train),
        datacheck.gx.ExpectColumnNarrowTargetBatchRatioToBeBetween(column="target", batch_size=16, max_value=0.25,
                                                                   strict_max=True, row_condition=test),
        datacheck.gx.ExpectColumnTargetShiftKsToBeBetween(column="target", max_value=0.2),
        datacheck.gx.ExpectColumnTargetShiftKsToBeBetween(column="target", max_value=0.05, max_p_value=3e-7),
    ])
    results = {}
    for name, frame in (("clean", clean_table), ("sorted", sorted_frame)):
        results[name] = [(r.success, r.result["observed_value"]) for r in run_gx(suite.to_json_dict(), frame).results]
    tr, te = clean_table[clean_table["split"] == "train"], clean_table[clean_table["split"] == "test"]
    rho = abs(spearmanr(tr["target"], np.arange(len(tr))).statistic)
    ks = ks_2samp(tr["target"], te["target"]).statistic
    assert results["clean"] == [(True, pytest.approx(rho)), (True, 0.0), (True, pytest.approx(ks)),
                                (True, 0.0)]
    # 0.074 is above 0.05 but within noise (p = 0.8): counted only without max_p_value.
    assert 0.05 < ks < 0.2
    sorted_train = np.sort(tr["target"].to_numpy())
    assert results["sorted"][0] == (False, pytest.approx(abs(spearmanr(sorted_train, np.arange(len(tr))).statistic)))
    assert results["sorted"][1][0] is False and results["sorted"][1][1] > 0.5
    assert results["sorted"][2:] == results["clean"][2:]


def test_target_metrics_are_the_checks_computations(clean_table, rng):
    values = clean_table["target"].to_numpy()
    for t in (values, np.sort(values), values[::-1], rng.normal(size=90)):
        ours = m.target_order(pd.Series(t), batch_size=16)
        theirs = target_order_stats(t, 16, np.random.default_rng(0))
        assert ours == theirs
    with_gaps = pd.Series([np.nan, *values[:40], None, np.inf])
    assert m.target_order(with_gaps, 8) == target_order_stats(values[:40], 8, np.random.default_rng(0))
    assert m.target_order(pd.Series([3.0] * 50)) is None and m.target_order(pd.Series([1.0, 2.0])) is None
    shifts = m.target_shifts(clean_table["target"], clean_table["split"], "train")
    train, test = (values[clean_table["split"].to_numpy() == s] for s in ("train", "test"))
    assert shifts == {"test": {"ks_statistic": ks_shift(train, test)[0], "p_value": ks_shift(train, test)[1],
                               "n": len(test)}}
    assert m.target_shifts(values[:1], ["train"], "train") == {}


def test_suite_of_half_the_rows_passes_on_the_other_half(clean_table, tmp_path):
    """Fresh rows of the same distribution meet every target expectation (features, whose
    ranges are exact, may not); over 30 random halves no target expectation failed."""
    rows = clean_table.drop(columns="split").sample(frac=1.0, random_state=1).reset_index(drop=True)
    halves = []
    for part in (rows.iloc[:221], rows.iloc[221:]):
        n_train = int(0.8 * len(part))
        halves.append(part.assign(split=["train"] * n_train + ["test"] * (len(part) - n_train)))
    (tmp_path / "a.csv").write_text(halves[0].to_csv(index=False))
    suite = infer_suite(tmp_path / "a.csv")
    # The second half's smallest target (25) is below the first half's (37): the margin keeps it.
    assert halves[1]["target"].min() < halves[0]["target"].min()
    unmet = failed(run_gx(suite, halves[1]))
    assert not {t for t, results in unmet.items()
                if any(r.expectation_config.kwargs.get("column") in ("target", "split") for r in results)}
