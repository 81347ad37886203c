"""The shipped default suites (``expectations/``) and ``profile --suite``'s thresholds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import datacheck
from datacheck.checks import REGISTRY
from datacheck.suite_file import thresholds_from_suite
from datacheck.errors import InputError
from tests.conftest import ROOT

PACKAGE = ROOT / "datacheck" / "expectations"
REPO = ROOT / "expectations"
NAMES = ("tabular_classification.json", "image_classification.json", "tabular_regression.json")


@pytest.mark.parametrize("name", NAMES)
def test_repo_copy_is_identical_to_the_packaged_suite(name):
    assert (REPO / name).read_bytes() == (PACKAGE / name).read_bytes()
    assert sorted(p.name for p in PACKAGE.glob("*.json")) == sorted(p.name for p in REPO.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_shipped_thresholds_are_the_checks_defaults(name):
    params = thresholds_from_suite(PACKAGE / name)
    assert {"label_order", "class_balance"} <= set(params)
    for cid, values in params.items():
        assert values == {n: p.default for n, p in REGISTRY[cid].params.items()}, (
            f"{cid} defaults changed: regenerate with `python -m datacheck.gx.defaults`")


@pytest.mark.parametrize("modality, name", [("tabular", NAMES[0]), ("image", NAMES[1]),
                                            ("tabular_regression", NAMES[2])])
def test_shipped_suite_is_what_the_generator_writes(modality, name):
    pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")
    from datacheck.gx.defaults import default_suite

    shipped = json.loads((PACKAGE / name).read_text())
    assert default_suite(modality, shipped["meta"]["datacheck"]["params"]) == shipped, (
        "regenerate with `python -m datacheck.gx.defaults`")


@pytest.mark.parametrize("data, name, codes", [
    ("clean_tabular", NAMES[0], set()),
    ("clean_images", NAMES[1], set()),
    ("clean_manifest", NAMES[1], set()),
    ("defect_sorted_labels.csv", NAMES[0], {"suite.expect_column_single_label_batch_ratio_to_be_between"}),
    ("defect_imbalance", NAMES[1], {"suite.expect_column_class_imbalance_ratio_to_be_between",
                                    "suite.expect_column_min_class_share_to_be_between"}),
    ("defect_corrupt_images", NAMES[1], {"suite.expect_column_values_to_be_in_set"}),
    ("defect_label_variants.csv", NAMES[0], {"suite.expect_column_label_variant_count_to_be_between",
                                             "suite.expect_column_class_imbalance_ratio_to_be_between",
                                             "suite.expect_column_min_class_share_to_be_between"}),
    ("clean_regression", NAMES[2], set()),
    ("defect_sorted_target.csv", NAMES[2], {"suite.expect_column_narrow_target_batch_ratio_to_be_between",
                                            "suite.expect_column_target_order_correlation_to_be_between"}),
])
def test_shipped_suites_on_sample_data(sample_data, data, name, codes):
    pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")
    from datacheck.gx import validate_suite

    report = validate_suite(sample_data / data, PACKAGE / name)
    assert {f.code for f in report.findings} == codes
    assert all(f.split == "train" for f in report.findings
               if "class" in f.code or "batch" in f.code or "order" in f.code)


def test_suite_thresholds_change_what_profile_reports(sample_data, tmp_path):
    suite = json.loads((PACKAGE / NAMES[1]).read_text())
    suite["meta"]["datacheck"]["params"]["class_balance"].update(max_imbalance_ratio=100.0, min_share_ratio=0.01,
                                                                 min_class_samples=2)
    edited = tmp_path / "lenient.json"
    edited.write_text(json.dumps(suite))
    path = sample_data / "defect_imbalance"
    default = datacheck.profile(path, checks=["class_balance"], params=thresholds_from_suite(PACKAGE / NAMES[1]))
    lenient = datacheck.profile(path, checks=["class_balance"], params=thresholds_from_suite(edited))
    assert "class_balance.imbalance" in {f.code for f in default.findings}
    assert not {"class_balance.imbalance", "class_balance.few_samples"} & {
        f.code for f in lenient.findings if f.split == "train"}


@pytest.mark.parametrize("meta, problem", [
    ({"datacheck": {"params": {"no_such_check": {}}}}, "unknown check 'no_such_check'"),
    ({"datacheck": {"params": {"label_order": {"batch": 3}}}}, "unknown parameter 'batch'"),
    ({"datacheck": {"params": {"label_order": {"batch_size": 0}}}}, "'batch_size' parameter of label_order"),
    ({"datacheck": {"params": ["label_order"]}}, "must map check ids"),
])
def test_bad_thresholds_raise_input_error_naming_the_file(tmp_path, meta, problem):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "s", "expectations": [], "meta": meta}))
    with pytest.raises(InputError, match=problem) as err:
        thresholds_from_suite(path)
    assert err.value.path == str(path)


def test_suite_without_datacheck_meta_has_no_thresholds(tmp_path):
    path = tmp_path / "plain.json"
    path.write_text(json.dumps({"name": "plain", "expectations": [], "meta": {"great_expectations_version": "1"}}))
    assert thresholds_from_suite(path) == {}


def test_datacheck_and_its_cli_do_not_import_great_expectations():
    code = ("import sys, datacheck, datacheck.cli, datacheck.cli_gx, datacheck.api;"
            "assert 'great_expectations' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
