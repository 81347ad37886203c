"""``datacheck suite`` / ``datacheck validate``: suites run on datasets and report through
datacheck's Report, with the right codes, severities, splits and samples."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")

import datacheck
from datacheck.gx import infer_suite, validate_suite, write_suite
from datacheck.gx.run import DOC
from datacheck.report.findings import Severity, Status

LEAK = "suite.expect_column_split_leaked_row_count_to_be_between"
IN_SET = "suite.expect_column_values_to_be_in_set"
BETWEEN = "suite.expect_column_values_to_be_between"
BATCHES = "suite.expect_column_single_label_batch_ratio_to_be_between"
RUN = "suite.expect_column_longest_run_to_be_between"

HAND_WRITTEN = {
    "name": "hand written",
    "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 100}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "label"}},
        {"type": "expect_column_values_to_be_between", "severity": "warning",
         "kwargs": {"column": "alcohol", "min_value": -2.0, "max_value": 2.0}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "alcohol", "min_value": 5.0}},
    ],
}


def by_code(report) -> dict:
    return {f.code: f for f in report.findings}


@pytest.fixture(scope="module")
def wine_suite_file(cli, wine_csv, tmp_path_factory):
    target = tmp_path_factory.mktemp("suites") / "wine.json"
    assert cli("suite", wine_csv, "-o", target).exit_code == 0
    return target


@pytest.mark.parametrize("name", ["clean_tabular", "clean_images", "clean_digits.npz", "clean_manifest"])
def test_suite_inferred_from_clean_data_passes_on_it(sample_data, tmp_path, name):
    suite = infer_suite(sample_data / name)
    report = validate_suite(sample_data / name, write_suite(suite, tmp_path / "s.json"))
    assert report.findings == ()
    assert report.outcome("suite").status is Status.PASSED
    assert f"{len(suite['expectations'])} expectations, 0 not met" in report.dataset.notes[-1]


def test_image_suite_describes_the_summary_table(sample_data):
    suite = infer_suite(sample_data / "clean_images")
    kwargs = {(e["type"], e["kwargs"]["column"]): e["kwargs"] for e in suite["expectations"] if "column" in e["kwargs"]}
    assert kwargs[("expect_column_values_to_be_in_set", "height")]["value_set"] == [28]
    assert kwargs[("expect_column_values_to_be_in_set", "channels")]["value_set"] == [1]
    assert kwargs[("expect_column_values_to_be_in_set", "mode")]["value_set"] == ["L"]
    assert kwargs[("expect_column_values_to_be_between", "max_0")]["max_value"] == 255.0
    assert len(kwargs[("expect_column_values_to_be_in_set", "label")]["value_set"]) == 10
    assert kwargs[("expect_column_split_leaked_row_count_to_be_between", "split")]["columns"] == ["hash"]
    # An image folder has no order, so no label-order expectation.
    assert not any("run" in e["type"] or "batch" in e["type"] for e in suite["expectations"])


def test_validate_reports_planted_table_defects(wine_table, wine_suite_file, tmp_path):
    planted = wine_table.copy()
    planted.loc[planted.index[-1], "label"] = 7          # test[44]: a label train never had
    planted.loc[3, "alcohol"] = 40.0                     # train[3]: far out of range
    copies = planted[planted["split"] == "train"].head(2).assign(split="test")
    planted = pd.concat([planted, copies], ignore_index=True)  # train[0,1] again as test[45,46]
    path = tmp_path / "planted.csv"
    planted.to_csv(path, index=False)

    found = by_code(validate_suite(path, wine_suite_file))
    new_label = found[IN_SET]
    assert new_label.severity is Severity.ERROR and new_label.samples == ("test[44]",)
    assert new_label.metrics["n_unexpected"] == 1 and new_label.checklist == (8, 9)
    leak = found[LEAK]
    assert leak.severity is Severity.ERROR and leak.n_samples == 4
    assert set(leak.samples) == {"train[0]", "train[1]", "test[45]", "test[46]"}
    assert "Remove the shared samples" in leak.hint
    out_of_range = found[BETWEEN]
    assert out_of_range.severity is Severity.WARNING and out_of_range.samples == ("train[3]",)
    assert out_of_range.metrics["column"] == "alcohol"
    assert "1 of 180 values do not (e.g. 40.0)" in out_of_range.message


def test_validate_reports_sorted_labels_per_split(wine_table, wine_suite_file, tmp_path):
    path = tmp_path / "sorted.csv"
    wine_table.sort_values(["split", "label"], ascending=[False, True], kind="stable").to_csv(path, index=False)
    report = validate_suite(path, wine_suite_file)
    batches = [f for f in report.findings if f.code == BATCHES]
    assert [(f.split, f.severity) for f in batches] == [("train", Severity.ERROR)]
    assert batches[0].metrics["observed"] >= 0.5 and batches[0].checklist == (7, 10)
    runs = {f.split: f.severity for f in report.findings if f.code == RUN}
    # The 45 sorted test rows have runs of at most 18, below what chance allows at n=45.
    assert runs == {"train": Severity.WARNING}
    assert report.outcome("suite").status is Status.FAILED


def test_suite_and_profile_agree_on_sorted_labels(sample_data, tmp_path):
    path = sample_data / "defect_sorted_labels.csv"
    suite_file = write_suite(infer_suite(path), tmp_path / "sorted.json")
    suite_view = {(f.split, f.severity, f.metrics["observed"])
                  for f in validate_suite(path, suite_file).findings if f.code == BATCHES}
    profile = datacheck.profile(path, checks=["label_order"])
    profile_view = {(f.split, f.severity, f.metrics["single_label_batch_ratio"]) for f in profile.findings}
    assert suite_view == profile_view == {("train", Severity.ERROR, 0.9), ("test", Severity.WARNING, 0.5)}


def test_hand_written_suite_with_builtin_expectations_runs_through_the_cli(cli, wine_csv, tmp_path):
    suite_file = tmp_path / "hand.json"
    suite_file.write_text(json.dumps(HAND_WRITTEN))
    result = cli("validate", wine_csv, "--suite", suite_file, "--json", "-")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    codes = {f["code"]: f for f in report["findings"]}
    assert set(codes) == {"suite.expect_column_values_to_be_between", "suite.expect_column_mean_to_be_between"}
    mean = codes["suite.expect_column_mean_to_be_between"]
    assert mean["severity"] == "error" and mean["split"] is None and "observed" in mean["message"]
    spread = codes["suite.expect_column_values_to_be_between"]
    assert spread["severity"] == "warning" and spread["n_samples"] == len(spread["samples"]) > 0
    assert report["checks"] == [{"id": "suite", "status": "failed", "duration_s": report["checks"][0]["duration_s"],
                                 "reason": None, "doc": DOC}]
    # Passing the suite leaves exit 0; --fail-on applies as for profile.
    assert cli("validate", wine_csv, "--suite", suite_file, "--fail-on", "never", "-q").exit_code == 0


def test_gx_0x_suite_form_is_accepted(wine_csv, tmp_path):
    legacy = {"expectation_suite_name": "old", "expectations": [
        {"expectation_type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "label", "value_set": [0, 1]}}]}
    (tmp_path / "old.json").write_text(json.dumps(legacy))
    report = validate_suite(wine_csv, tmp_path / "old.json")
    assert [f.code for f in report.findings] == [IN_SET]
    assert report.findings[0].n_samples == 48  # wine class 2


def test_validate_image_manifest_with_leaked_and_new_label_rows(cli, manifest_dir, tmp_path):
    suite_file = tmp_path / "images.json"
    assert cli("suite", manifest_dir, "-o", suite_file).exit_code == 0
    manifest = manifest_dir / "manifest.csv"
    rows = pd.read_csv(manifest)
    train_row = rows[rows["split"] == "train"].iloc[0]
    extra = pd.DataFrame([{**train_row.to_dict(), "split": "test"},
                          {**rows[rows["split"] == "test"].iloc[0].to_dict(), "label": "Unknown"}])
    planted = manifest_dir / "planted.csv"
    pd.concat([rows, extra], ignore_index=True).to_csv(planted, index=False)

    result = cli("validate", planted, "--suite", suite_file, "--json", "-")
    assert result.exit_code == 1, result.stderr
    codes = {f["code"]: f for f in json.loads(result.stdout)["findings"]}
    assert sorted(codes[LEAK]["samples"]) == sorted([train_row["path"]] * 2)
    assert codes[IN_SET]["samples"] == [rows[rows["split"] == "test"].iloc[0]["path"]]


@pytest.mark.parametrize("content, problem", [
    ("{not json", "the suite file is not JSON"),
    ('["a list"]', "must hold a JSON object"),
    ('{"name": "s", "expectations": [{"type": "expect_column_to_be_purple", "kwargs": {"column": "a"}}]}',
     "expectation 1 has unknown type 'expect_column_to_be_purple'"),
    ('{"name": "s", "expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {}}]}',
     "expectation 1 (expect_column_values_to_be_between) is invalid"),
    ('{"expectations": []}', "the suite has no 'name'"),
])
def test_bad_suite_file_is_one_line_exit_2(cli, wine_csv, tmp_path, content, problem):
    suite_file = tmp_path / "bad.json"
    suite_file.write_text(content)
    result = cli("validate", wine_csv, "--suite", suite_file)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"datacheck: error: {suite_file}: ")
    assert problem in lines[0] and "Traceback" not in result.output


def test_missing_suite_file_and_unreadable_data_exit_2(cli, wine_csv, wine_suite_file, tmp_path):
    missing = cli("validate", wine_csv, "--suite", tmp_path / "nope.json")
    assert missing.exit_code == 2 and "no such suite file" in missing.stderr
    no_data = cli("validate", tmp_path / "absent.csv", "--suite", wine_suite_file)
    assert no_data.exit_code == 2 and "no such file or folder" in no_data.stderr
    no_data = cli("suite", tmp_path / "absent.csv", "-o", tmp_path / "x.json")
    assert no_data.exit_code == 2 and not (tmp_path / "x.json").exists()


def test_rows_the_reader_left_out_fail_the_validation(sample_data, tmp_path):
    suite = write_suite(infer_suite(sample_data / "clean_tabular"), tmp_path / "s.json")
    lines = (sample_data / "clean_tabular" / "train.csv").read_text().splitlines()
    lines[7] += ",9.9"
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("\n".join(lines) + "\n")
    (data / "test.csv").write_text((sample_data / "clean_tabular" / "test.csv").read_text())
    report = validate_suite(data, suite)
    bad = by_code(report)["input_integrity.malformed_rows"]
    assert bad.severity is Severity.ERROR and bad.metrics["n_malformed"] == 1
    assert report.worst() is Severity.ERROR
