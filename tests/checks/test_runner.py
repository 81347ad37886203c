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


def _run(path, workers, monkeypatch):
    import datacheck
    from datacheck.checks import runner

    used = []
    decide = runner._models_beside
    monkeypatch.setattr(runner, "_models_beside", lambda ctx, checks: used.append(decide(ctx, checks)) or used[-1])
    report = datacheck.profile(str(path), workers=workers)
    return report, used[0]


def test_the_model_checks_beside_the_others_find_what_a_run_one_check_at_a_time_finds(monkeypatch):
    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: 2)
    import warnings

    from threadpoolctl import threadpool_info

    path = SAMPLE / "defect_target_leakage.csv"
    alone, beside_alone = _run(path, 1, monkeypatch)
    filters, pools = list(warnings.filters), [p["num_threads"] for p in threadpool_info()]
    beside, beside_used = _run(path, 2, monkeypatch)
    assert (beside_alone, beside_used) == (False, True)
    # the process-wide settings the checks change in either thread are restored
    assert list(warnings.filters) == filters and [p["num_threads"] for p in threadpool_info()] == pools
    assert [(o.id, o.status, o.reason) for o in beside.checks] == [(o.id, o.status, o.reason) for o in alone.checks]
    assert [f.to_dict() for f in beside.findings] == [f.to_dict() for f in alone.findings]
    # target_leakage reads the learnability models' skill, computed in the other thread
    leak = [f for f in beside.findings if f.check == "target_leakage" and f.severity.value == "warning"]
    assert leak and "whole_model_skill" in leak[0].metrics
    assert beside.samples.equals(alone.samples)
    assert {"label_noise.quality", "outliers.isolation"} <= set(beside.samples.columns)


def test_a_crash_in_a_model_check_beside_the_others_is_its_own(monkeypatch):
    from datacheck.checks.learnability import LearnabilityCheck
    from datacheck.checks.runner import _models_beside

    class _Broken(LearnabilityCheck):
        def run(self, ctx):
            raise RuntimeError("boom in the model thread")

    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: 2)
    dataset = load(SAMPLE / "defect_target_leakage.csv")
    ctx = CheckContext(dataset, scan(dataset), {"seed": 0, "workers": 2})
    checks = [ClassBalanceCheck(), _Broken()]
    assert _models_beside(ctx, checks)
    outcomes, findings = run_checks(ctx, checks)
    assert [o.status.value for o in outcomes] == ["passed", "errored"]
    assert "boom in the model thread" in outcomes[1].reason and findings


def test_what_the_second_thread_raises_is_raised_by_join_and_frees_its_waiters():
    import threading

    from datacheck.checks.runner import _Lane

    freed = threading.Event()
    lane = _Lane(lambda: 1 / 0, freed.set)
    with pytest.raises(ZeroDivisionError):
        lane.join()
    assert freed.is_set() and lane.thread.daemon
