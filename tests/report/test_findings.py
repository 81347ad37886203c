"""The report model: validation, ordering, summary and the JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from datacheck.report.findings import (
    CheckOutcome, DatasetSummary, Evidence, Finding, Report, Severity, Status, to_jsonable,
)
from datacheck.report.json_out import from_json, to_json


def _report():
    ds = DatasetSummary("tabular", "label", ("a", "b"), {"train": {"n_samples": 3, "n_classes": 2}})
    findings = (
        Finding("x", "x.info", Severity.INFO, "fyi"),
        Finding("x", "x.bad", "error", "bad", metrics={"ratio": np.float32(0.5), "n": np.int64(3),
                                                       "nan": float("nan")},
                samples=[f"train[{i}]" for i in range(80)], split="train",
                evidence=[Evidence("bars", "counts", {"labels": ["a"], "series": {"train": np.array([3])}})]),
        Finding("y", "y.meh", Severity.WARNING, "meh", checklist=[7, 10]),
    )
    checks = (CheckOutcome("x", Status.FAILED, 0.1), CheckOutcome("z", Status.SKIPPED, 0, "no images"))
    return Report("data.csv", ds, checks, findings)


def test_findings_are_ordered_errors_first_and_counted():
    r = _report()
    assert [f.severity for f in r.findings] == [Severity.ERROR, Severity.WARNING, Severity.INFO]
    assert r.summary == {"error": 1, "warning": 1, "info": 1}
    assert r.worst() is Severity.ERROR


def test_samples_truncated_to_50_with_full_count():
    f = _report().findings[0]
    assert len(f.samples) == 50 and f.n_samples == 80


def test_metrics_become_plain_json():
    f = _report().findings[0]
    assert f.metrics == {"ratio": 0.5, "n": 3, "nan": None}
    assert type(f.metrics["n"]) is int


def test_json_round_trip_and_contract_keys():
    r = _report()
    text = to_json(r)
    d = json.loads(text)
    assert set(d) == {"schema_version", "datacheck_version", "source", "dataset", "columns", "checks", "findings", "summary"}
    assert d["findings"][0]["code"] == "x.bad" and d["findings"][0]["split"] == "train"
    assert d["checks"][1] == {"id": "z", "status": "skipped", "duration_s": 0.0, "reason": "no images",
                              "doc": {}}
    assert from_json(text).to_dict() == d


def test_outcomes_carry_the_doc_sections_the_html_shows_so_a_report_from_json_renders_alone(sample_data):
    import datacheck
    from datacheck.report.html import render_html

    report = datacheck.profile(sample_data / "defect_sorted_labels.csv", checks=["label_order"])
    doc = report.checks[0].doc
    assert set(doc) == {"summary", "why it matters"} and "sorted" in doc["summary"].lower()
    again = from_json(to_json(report))
    assert again == report and again.checks[0].doc == doc
    html = render_html(again)
    assert doc["why it matters"].split()[0] in html


def test_code_must_start_with_check_id():
    with pytest.raises(ValueError, match="must start with"):
        Finding("x", "y.z", Severity.INFO, "m")


def test_severity_order():
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert Severity("warning") >= Severity.WARNING


def test_to_jsonable_handles_nested_numpy():
    assert to_jsonable({"a": (np.int8(1), [np.inf])}) == {"a": [1, [None]]}


def test_regression_summary_carries_task_and_target_stats_through_json():
    target = {"n": 3, "min": 1.0, "max": 9.0, "mean": 4.0, "std": 3.0, "quantiles": [[0.5, 2.0]]}
    ds = DatasetSummary("tabular", "target", (), {"train": {"n_samples": 3, "target": target}},
                        task="regression", task_reason="inferred: float target with 3 distinct values")
    report = Report("s", ds, (), ())
    d = json.loads(to_json(report))["dataset"]
    assert d["task"] == "regression" and d["classes"] == [] and d["splits"]["train"]["target"] == target
    again = from_json(to_json(report))
    assert again.dataset == ds
    assert again.dataset.task_text == "regression (inferred: float target with 3 distinct values)"


def test_older_json_without_task_reads_as_classification():
    d = _report().to_dict()
    del d["dataset"]["task"], d["dataset"]["task_reason"]
    assert Report.from_dict(d).dataset.task == "classification"
