"""Smoke on regression targets (issue 15): the healthy regression panel is quiet, the probes
read the target's variance and spread, and planted regression defects are caught, one error
each."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from datacheck.cli import main
from datacheck.report.findings import Severity, Status
from datacheck.smoke import run_probes, smoke
from datacheck.smoke._batch_targets import batch_spread
from tests.smoke import panel, zoo

STEPS = 40
LOSS_PROBES = {"smoke.init_loss", "smoke.overfit_batch", "smoke.zero_input", "smoke.lr_range"}


def _loud(report) -> list[str]:
    return [f"{f.code}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]


def _status(report) -> dict[str, Status]:
    return {o.id: o.status for o in report.checks}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(panel.REGRESSION_PANEL))
def test_healthy_regression_panel_is_quiet(name, seed):
    model, loader, opt = panel.regression_setup(name, seed=seed)
    report = smoke(model, loader, loss_fn=nn.MSELoss(), optimizer=opt, device="cpu", seed=seed)
    assert report.dataset.task == "regression"
    assert not _loud(report)
    status = _status(report)
    assert not [k for k, v in status.items() if v in (Status.ERRORED, Status.FAILED)]
    assert {k for k, v in status.items() if v is Status.PASSED} >= LOSS_PROBES | {"smoke.loader_batches"}
    assert status["smoke.loss_input"] is Status.SKIPPED


def test_clean_diabetes_table_through_the_api_is_quiet(sample_data):
    """sample_data/clean_regression: features standardized on train, the raw target."""
    import pandas as pd

    frame = pd.read_csv(sample_data / "clean_regression" / "train.csv")
    x = torch.tensor(frame.drop(columns="target").to_numpy(), dtype=torch.float32)
    y = torch.tensor(frame["target"].to_numpy(), dtype=torch.float32)[:, None]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Linear(64, 1))
    report = smoke(model, zoo.loader(x, y), loss_fn=nn.MSELoss(), steps=STEPS, device="cpu")
    assert not _loud(report)
    init = next(o for o in report.checks if o.id == "smoke.init_loss")
    assert init.status is Status.PASSED


def test_clean_regression_through_the_cli_is_quiet(sample_data):
    result = CliRunner().invoke(main, ["smoke", str(sample_data / "clean_regression"), "--json", "-",
                                       "--no-html"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"]["task"] == "regression"
    assert report["summary"]["error"] == 0 and report["summary"]["warning"] == 0
    status = {c["id"]: c["status"] for c in report["checks"]}
    assert all(status[p] == "passed" for p in LOSS_PROBES)
    assert status["smoke.loss_input"] == "skipped"


@pytest.mark.parametrize("loss_fn", [nn.L1Loss(), nn.HuberLoss(), nn.SmoothL1Loss(), None],
                         ids=["l1", "huber", "smooth_l1", "inferred"])
@pytest.mark.parametrize("name", list(panel.REGRESSION_PANEL))
def test_other_regression_losses_and_an_inferred_task_are_quiet(loss_fn, name):
    """Without a loss, float targets with one output per sample mean regression and MSELoss."""
    model, loader, _ = panel.regression_setup(name)
    report = smoke(model, loader, loss_fn=loss_fn, steps=STEPS, device="cpu")
    assert report.dataset.task == "regression"
    assert not _loud(report)
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]


def test_regression_outcomes_are_seeded():
    runs = []
    for _ in range(2):
        model, loader, opt = panel.regression_setup("mlp_raw_target")
        _, findings = run_probes(model, loader, nn.MSELoss(), opt, steps=STEPS, device="cpu",
                                 probes=["init_loss", "overfit_batch"])
        runs.append([(f.code, f.metrics) for f in findings])
    assert runs[0] == runs[1]


def test_init_loss_reads_the_target_variance():
    """A raw target (mean 2 standard deviations from zero) starts near 1 + 2^2 times Var(y)."""
    model, loader, _ = panel.regression_setup("mlp_raw_target")
    _, findings = run_probes(model, loader, nn.MSELoss(), steps=STEPS, device="cpu", probes=["init_loss"],
                             params={"init_loss": {"regression_warn_high": 2.0, "regression_error_high": 50.0}})
    (f,) = findings
    assert f.code == "smoke.init_loss.high" and f.severity is Severity.WARNING
    assert 3 < f.metrics["ratio"] < 8
    assert f.metrics["offset_in_std"] < -1.5  # the outputs start near 0, below the target mean
    assert "standard deviations away" in f.message


def test_sorted_target_loader_is_one_error():
    x, y = zoo.diabetes()
    model, _, opt = panel.regression_setup("mlp_raw_target")
    report = smoke(model, zoo.sorted_loader(x, y), loss_fn=nn.MSELoss(), optimizer=opt, steps=STEPS,
                   device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [(f.code, f.severity) for f in loud] == [("smoke.loader_batches.sorted_targets", Severity.ERROR)]
    assert "ascending order" in loud[0].message and "does not shuffle" in loud[0].message
    assert loud[0].metrics["excess"] > 0.9 and loud[0].metrics["rank_correlation"] > 0.9
    assert not [f for f in report.findings if "single label" in f.message or "labels" in f.code]


def test_targets_grouped_by_a_feature_they_follow_warn_or_err_and_shuffled_ones_do_not():
    x, y = zoo.diabetes()
    grouped = torch.argsort(x[:, 2], stable=True)  # bmi, which the target follows (r ~ 0.6)
    _, findings = run_probes(panel.RegressionMLP(), zoo.loader(x[grouped], y[grouped], shuffle=False),
                             nn.MSELoss(), probes=["loader_batches"], steps=STEPS, device="cpu")
    (order,) = [f for f in findings if f.code == "smoke.loader_batches.sorted_targets"]
    assert order.severity >= Severity.WARNING and order.metrics["p_value"] < 1e-3
    for seed in range(5):
        _, findings = run_probes(panel.RegressionMLP(), zoo.loader(x, y, seed=seed), nn.MSELoss(),
                                 probes=["loader_batches"], steps=STEPS, device="cpu")
        assert not [f for f in findings if f.severity >= Severity.WARNING]


@pytest.mark.parametrize("name", list(panel.REGRESSION_PANEL))
def test_targets_shuffled_apart_from_their_inputs_are_one_error(name):
    """Item 2 on a regression: the raw target too, although its outputs start far from it."""
    model, loader, opt = panel.regression_setup(name)
    x, y = loader.dataset.tensors
    report = smoke(model, zoo.loader(x, zoo.shuffled_labels(y)), loss_fn=nn.MSELoss(), optimizer=opt,
                   device="cpu")
    (error,) = [f for f in report.findings if f.severity is Severity.ERROR]
    assert error.code == "smoke.zero_input.no_gain" and error.metrics["real_p_value"] > 0.01
    # a standardized target's loss cannot fall below its variance: lr_range may add that warning
    assert {f.code for f in report.findings if f.severity is Severity.WARNING} <= {"smoke.lr_range.no_drop"}


def test_batch_spread_is_near_zero_when_shuffled_and_one_when_sorted():
    values = np.random.default_rng(0).normal(size=640)
    shuffled = batch_spread(np.split(values, 20))
    ordered = batch_spread(np.split(np.sort(values), 20))
    assert abs(shuffled.excess) < 0.1 and shuffled.p_value > 1e-3
    assert ordered.excess > 0.95 and ordered.rank_correlation == pytest.approx(1.0)
    assert ordered.range_ratio < 0.2 < shuffled.range_ratio


def test_constant_targets_are_an_error():
    x, _ = zoo.diabetes()
    _, findings = run_probes(panel.RegressionMLP(), zoo.loader(x, torch.full((len(x), 1), 3.0)), nn.MSELoss(),
                             probes=["loader_batches"], steps=STEPS, device="cpu")
    assert [f.code for f in findings if f.severity is Severity.ERROR] == ["smoke.loader_batches.constant_target"]


def test_a_nan_target_is_one_error_and_the_loss_probes_skip():
    x, y = zoo.diabetes(standardize_target=True)
    y = y.clone()
    y[7] = float("nan")
    model, _, opt = panel.regression_setup("mlp_standardized_target")
    report = smoke(model, zoo.loader(x, y), loss_fn=nn.MSELoss(), optimizer=opt, steps=STEPS, device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [f.code for f in loud] == ["smoke.loader_batches.non_finite_targets"]
    assert loud[0].metrics["n_bad"] == 1
    status = _status(report)
    assert all(status[p] is Status.SKIPPED for p in LOSS_PROBES | {"smoke.nan_origin", "smoke.gradients"})
    assert not [k for k, v in status.items() if v is Status.ERRORED]


def test_targets_shaped_unlike_the_prediction_are_one_error():
    """(N, 1) predictions against (N,) targets: MSELoss broadcasts to (N, N)."""
    x, y = zoo.diabetes(standardize_target=True)
    model, _, opt = panel.regression_setup("mlp_standardized_target")
    report = smoke(model, zoo.loader(x, y[:, 0]), loss_fn=nn.MSELoss(), optimizer=opt, steps=STEPS,
                   device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [f.code for f in loud] == ["smoke.loader_batches.target_shape"]
    assert "(32, 32)" in loud[0].message
    assert _status(report)["smoke.prime_dims"] is Status.SKIPPED


class ReluOutput(panel.RegressionMLP):
    """A ReLU after the output layer: standardized targets below 0 cannot be reached."""

    def forward(self, x):
        return torch.relu(super().forward(x))


def test_a_relu_clamping_the_output_fails_to_memorise():
    x, y = zoo.diabetes(standardize_target=True)
    torch.manual_seed(0)
    model = ReluOutput()
    report = smoke(model, zoo.loader(x, y), loss_fn=nn.MSELoss(),
                   optimizer=torch.optim.Adam(model.parameters(), lr=1e-3), device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [(f.code, f.severity) for f in loud] == [("smoke.overfit_batch.not_memorised", Severity.ERROR)]
    assert "what predicting their mean gives" in loud[0].message
    assert loud[0].metrics["ratio"] > 0.1


def test_a_target_far_from_zero_warns_once_and_the_runs_from_scratch_skip():
    """A price-like target (mean about 5 standard deviations from zero, in the 100,000s)."""
    x, y = zoo.diabetes()
    model, _, opt = panel.regression_setup("mlp_raw_target")
    report = smoke(model, zoo.loader(x, y * 1000 + 2e5), loss_fn=nn.MSELoss(), optimizer=opt, steps=STEPS,
                   device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [(f.code, f.severity) for f in loud] == [("smoke.init_loss.high", Severity.WARNING)]
    assert "Standardise the target" in loud[0].hint
    status = _status(report)
    assert all(status[p] is Status.SKIPPED for p in ("smoke.overfit_batch", "smoke.zero_input", "smoke.lr_range"))


class Leak(nn.Module):
    """Returns its first input, the standardized target, through a learnable scale."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x[:, :1] * self.scale


def test_an_untrained_model_that_already_tracks_the_target_warns():
    x, y = zoo.diabetes(standardize_target=True)
    _, findings = run_probes(Leak(), zoo.loader(torch.cat([y, x], dim=1), y), nn.MSELoss(),
                             probes=["init_loss"], steps=STEPS, device="cpu")
    (f,) = findings
    assert f.code == "smoke.init_loss.low" and f.severity is Severity.WARNING


def test_unknown_task_is_refused():
    from datacheck.errors import ConfigError

    model, loader, _ = panel.regression_setup("mlp_raw_target")
    with pytest.raises(ConfigError, match="'task' parameter"):
        smoke(model, loader, task="ranking", device="cpu")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_batches=st.integers(4, 50), batch_size=st.integers(4, 64),
       shape=st.sampled_from(["normal", "lognormal", "counts", "two_values"]))
def test_shuffled_targets_never_look_grouped(seed, n_batches, batch_size, shape):
    """Whatever the target's distribution (heavy tails, ties, two values), shuffled batches
    stay under the reporting line (excess >= 0.25 at p < 1e-3)."""
    rng = np.random.default_rng(seed)
    n = n_batches * batch_size
    values = {"normal": lambda: rng.normal(size=n), "lognormal": lambda: rng.lognormal(0, 2, size=n),
              "counts": lambda: rng.poisson(1.0, size=n).astype(float),
              "two_values": lambda: rng.integers(0, 2, size=n).astype(float)}[shape]()
    if np.ptp(values) == 0:
        return
    spread = batch_spread(np.split(rng.permutation(values), n_batches))
    assert not (spread.excess >= 0.25 and spread.p_value < 1e-3)


def test_a_hand_written_regression_loss_is_read_as_regression_and_quiet():
    """A plain function (no known loss class): float targets and one output mean regression;
    init_loss still compares with the targets' variance."""
    model, loader, opt = panel.regression_setup("mlp_standardized_target")
    report = smoke(model, loader, lambda pred, target: ((pred - target) ** 2).mean(), opt, steps=STEPS,
                   device="cpu")
    assert report.dataset.task == "regression"
    assert not _loud(report)
    assert _status(report)["smoke.init_loss"] is Status.PASSED


def test_task_given_explicitly_is_used_and_reported():
    """Whole-number float targets (counts) with a hand-written loss: the caller says regression."""
    x, y = zoo.diabetes()
    model, _, opt = panel.regression_setup("mlp_raw_target")
    counts = torch.round(y / 50)
    report = smoke(model, zoo.loader(x, counts), lambda p, t: torch.nn.functional.l1_loss(p, t), opt,
                   steps=STEPS, device="cpu", task="regression", probes=["loader_batches", "init_loss"])
    assert report.dataset.task == "regression" and report.dataset.task_reason == "set by task="
    assert not _loud(report)


@pytest.mark.gpu
@pytest.mark.parametrize("amp", [False, True])
@pytest.mark.parametrize("name", list(panel.REGRESSION_PANEL))
def test_healthy_regression_panel_is_quiet_on_cuda(name, amp):
    model, loader, opt = panel.regression_setup(name)
    report = smoke(model, loader, loss_fn=nn.MSELoss(), optimizer=opt, device="cuda", amp=amp)
    assert not _loud(report)
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]
