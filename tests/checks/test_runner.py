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


def _beside_ctx(monkeypatch):
    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: 2)
    dataset = load(SAMPLE / "defect_target_leakage.csv")
    return CheckContext(dataset, scan(dataset), {"seed": 0, "workers": 2})


def test_the_second_thread_is_decided_from_the_pool_before_any_model_input_is_built(monkeypatch):
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.checks.runner import _models_beside
    from datacheck.models.oof import fit_threads, model_inputs, model_threads

    ctx = _beside_ctx(monkeypatch)
    assert _models_beside(ctx, [ClassBalanceCheck(), LabelNoiseCheck()])
    assert ctx.peek("oof_features") is None  # built in the second thread, beside the others
    # the decision the built inputs give
    assert model_threads(ctx.options) > 1 and fit_threads(model_inputs(ctx), "table", ctx.options) == 1
    one = CheckContext(ctx.dataset, ctx.scan, {"seed": 0, "workers": 1})
    assert not _models_beside(one, [ClassBalanceCheck(), LabelNoiseCheck()])


def test_the_callers_work_runs_in_this_thread_while_the_model_checks_still_run(monkeypatch):
    import threading

    from datacheck.checks.label_noise import LabelNoiseCheck

    overview_done = threading.Event()
    seen = {}

    class _Waiting(LabelNoiseCheck):
        def run(self, ctx):
            seen["done_while_running"] = overview_done.wait(timeout=30)
            return super().run(ctx)

    def meanwhile():
        seen["thread"] = threading.current_thread()
        overview_done.set()

    outcomes, _ = run_checks(_beside_ctx(monkeypatch), [ClassBalanceCheck(), _Waiting()], meanwhile=meanwhile)
    assert seen == {"thread": threading.main_thread(), "done_while_running": True}
    assert [o.status.value for o in outcomes][0] == "passed" and outcomes[1].status.value != "errored"
    calls = []
    run_checks(_beside_ctx(monkeypatch), [ClassBalanceCheck()], meanwhile=lambda: calls.append(1))
    assert calls == [1]  # no second thread: once, after the checks
