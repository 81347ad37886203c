"""The check runner isolates checks: a crash in one, even while deciding to skip, is its own."""

from __future__ import annotations

import pytest

from datacheck.checks import CheckContext
from datacheck.checks.class_balance import ClassBalanceCheck
from datacheck.checks.runner import run_checks
from datacheck.data import load
from datacheck.scan import scan
from tests.conftest import SAMPLE


class _BrokenSkip(ClassBalanceCheck):
    def skip_reason(self, ctx):
        raise RuntimeError("boom while deciding")


@pytest.fixture(scope="module")
def ctx():
    dataset = load(SAMPLE / "defect_nan.csv")
    return CheckContext(dataset, scan(dataset), {"seed": 0})


def test_a_crash_in_skip_reason_is_an_errored_outcome(ctx):
    outcomes, findings = run_checks(ctx, [_BrokenSkip(), ClassBalanceCheck()])
    assert outcomes[0].status.value == "errored" and "boom while deciding" in outcomes[0].reason
    assert outcomes[1].status.value in ("passed", "failed") and findings


class _ClassificationOnly(ClassBalanceCheck):
    tasks = ("classification",)


@pytest.fixture(scope="module")
def regression_ctx():
    dataset = load(SAMPLE / "clean_regression")
    return CheckContext(dataset, scan(dataset), {"seed": 0})


def test_a_check_that_does_not_apply_to_the_task_is_skipped_saying_so(regression_ctx, ctx):
    outcomes, findings = run_checks(regression_ctx, [_ClassificationOnly(), ClassBalanceCheck()])
    assert outcomes[0].status.value == "skipped"
    assert outcomes[0].reason == "applies to classification targets; this target is regression"
    assert outcomes[1].status.value == "passed" and findings
    assert run_checks(ctx, [_ClassificationOnly()])[0][0].status.value != "skipped"


def test_checks_apply_to_both_tasks_by_default_and_declare_it():
    assert ClassBalanceCheck.tasks == ("classification", "regression")
    assert _ClassificationOnly.describe()["tasks"] == ["classification"]
    with pytest.raises(TypeError, match="tasks"):
        type("Bad", (ClassBalanceCheck,), {"tasks": ("ranking",)})
