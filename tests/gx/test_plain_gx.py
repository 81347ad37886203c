"""datacheck's expectations and inferred suites in plain Great Expectations code.

A suite written by ``datacheck suite`` is loaded with ``gx.ExpectationSuite(**json)`` after
``import datacheck.gx`` and run on ``pandas.read_csv`` of the file it came from: it passes,
and each planted defect makes the expectation that watches for it fail.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

gx = pytest.importorskip("great_expectations", reason="great_expectations (the [gx] extra) is not installed")

from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import Column

import datacheck.gx  # registers datacheck's expectations with GX


def run_gx(suite_json: dict, frame: pd.DataFrame):
    """Validate ``frame`` in a fresh ephemeral context, as a GX user would."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("p").add_dataframe_asset("t")
             .add_batch_definition_whole_dataframe("b").get_batch(batch_parameters={"dataframe": frame}))
    return batch.validate(gx.ExpectationSuite(**suite_json))


def failed(result) -> dict[str, list]:
    """Unmet expectation type -> results."""
    out: dict[str, list] = {}
    for r in result.results:
        if not r.success:
            out.setdefault(r.expectation_config.type, []).append(r)
    return out


@pytest.fixture(scope="module")
def wine_suite(cli, wine_csv, tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("suite") / "wine.json"
    result = cli("suite", wine_csv, "-o", target, "--batch-size", "16")
    assert result.exit_code == 0, result.stderr
    assert "expectations written to" in result.stderr
    return json.loads(target.read_text())


def test_custom_expectations_by_class_with_row_condition():
    y = np.tile([0, 1, 2], 40)
    frame = pd.DataFrame({"label": np.concatenate([y, np.sort(y)]),
                          "split": ["train"] * 120 + ["test"] * 120})
    test_only = {"row_condition": Column("split") == "test"}
    suite = gx.ExpectationSuite(name="by-class", expectations=[
        datacheck.gx.ExpectColumnLongestRunToBeBetween(column="label", max_value=1,
                                                       row_condition=Column("split") == "train"),
        datacheck.gx.ExpectColumnLongestRunToBeBetween(column="label", max_value=10, **test_only),
        datacheck.gx.ExpectColumnSingleLabelBatchRatioToBeBetween(column="label", batch_size=8,
                                                                  max_value=0.5, **test_only),
        datacheck.gx.ExpectColumnClassImbalanceRatioToBeBetween(column="label", max_value=1.0),
        datacheck.gx.ExpectColumnMinClassShareToBeBetween(column="label", min_value=1.0),
        datacheck.gx.ExpectColumnSplitLeakedRowCountToBeBetween(column="split", max_value=0),
    ])
    result = run_gx(suite.to_json_dict(), frame)
    observed = [(r.success, r.result["observed_value"]) for r in result.results]
    assert observed == [(True, 1), (False, 40), (False, 1.0), (True, 1.0), (True, 1.0), (False, 240)]


def test_inferred_suite_passes_on_its_own_data_in_plain_gx(wine_suite, wine_csv):
    types = {e["type"] for e in wine_suite["expectations"]}
    assert {"expect_column_longest_run_to_be_between", "expect_column_single_label_batch_ratio_to_be_between",
            "expect_column_class_imbalance_ratio_to_be_between", "expect_column_min_class_share_to_be_between",
            "expect_column_split_leaked_row_count_to_be_between", "expect_column_values_to_be_between",
            "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_null",
            "expect_column_values_to_be_in_type_list"} <= types
    assert wine_suite["meta"]["datacheck"]["params"]["label_order"]["batch_size"] == 16
    result = run_gx(wine_suite, pd.read_csv(wine_csv))
    assert result.success, failed(result)


def _sorted_labels(frame):
    return frame.sort_values(["split", "label"], kind="stable", ascending=[False, True])


def _new_label(frame):
    out = frame.copy()
    out.loc[out.index[-1], "label"] = 7
    return out


def _out_of_range(frame):
    out = frame.copy()
    out.loc[3, "alcohol"] = 40.0
    return out


def _leaked(frame):
    copies = frame[frame["split"] == "train"].head(4).assign(split="test")
    return pd.concat([frame, copies], ignore_index=True)


@pytest.mark.parametrize("plant, expectation, check", [
    (_sorted_labels, "expect_column_single_label_batch_ratio_to_be_between",
     lambda r: r.result["observed_value"] > 0.5),
    (_sorted_labels, "expect_column_longest_run_to_be_between",
     lambda r: r.result["observed_value"] >= 35),
    (_new_label, "expect_column_values_to_be_in_set",
     lambda r: r.result["partial_unexpected_list"] == [7]),
    (_out_of_range, "expect_column_values_to_be_between",
     lambda r: r.expectation_config.kwargs["column"] == "alcohol" and r.result["unexpected_count"] == 1),
    (_leaked, "expect_column_split_leaked_row_count_to_be_between",
     lambda r: r.result["observed_value"] == 8),
])
def test_inferred_suite_fails_on_planted_defect_in_plain_gx(wine_suite, wine_csv, plant, expectation, check):
    result = run_gx(wine_suite, plant(pd.read_csv(wine_csv)))
    unmet = failed(result)
    assert expectation in unmet, sorted(unmet)
    assert any(check(r) for r in unmet[expectation])
    # Only the defect's own expectations fail: range and type checks stay quiet.
    assert set(unmet) <= {"expect_column_single_label_batch_ratio_to_be_between",
                          "expect_column_longest_run_to_be_between", "expect_column_values_to_be_in_set",
                          "expect_column_values_to_be_between", "expect_column_split_leaked_row_count_to_be_between",
                          "expect_column_distinct_values_to_contain_set"}


def test_label_variant_count_names_the_rarer_spellings():
    labels = ["dog"] * 60 + ["cat"] * 50 + ["Dog"] * 4 + ["dgo"] * 2 + ["bird"] * 40
    frame = pd.DataFrame({"label": labels})
    suite = gx.ExpectationSuite(name="variants", expectations=[
        datacheck.gx.ExpectColumnLabelVariantCountToBeBetween(column="label")])
    [r] = run_gx(suite.to_json_dict(), frame).results
    assert not r.success
    assert r.result["observed_value"] == 2 and sorted(r.result["partial_unexpected_list"]) == ["Dog", "dgo"]
    clean = pd.DataFrame({"label": ["cat", "car", "bat"] * 30 + [str(d) for d in range(10)] * 5})
    [r] = run_gx(suite.to_json_dict(), clean).results
    assert r.success and r.result["observed_value"] == 0
