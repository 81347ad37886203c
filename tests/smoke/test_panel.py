"""The healthy panel (issue 14): textbook models with PyTorch's default initialisation trip no
probe; the thresholds anchored on them still catch collapse, explosion and failing rates."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn

from datacheck.report.findings import Severity, Status
from datacheck.smoke import run_probes, smoke
from tests.smoke import panel, zoo

STEPS = 40
FAST = ["mlp", "small_cnn", "small_cnn_plain_sgd", "bn_cnn", "transformer"]  # resnet18 is in benchmarks/smoke_panel.py


@pytest.fixture(scope="module")
def data():
    return zoo.digits()


@pytest.mark.parametrize("name", FAST)
def test_healthy_panel_member_is_quiet(name, data):
    model, loader, opt = panel.setup(name, *data)
    report = smoke(model, loader, optimizer=opt, steps=STEPS, device="cpu")
    loud = [f"{f.code}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]
    assert not loud
    assert not [o for o in report.checks if o.status in (Status.ERRORED, Status.FAILED)]
    ran = {o.id for o in report.checks if o.status is Status.PASSED}
    assert {"smoke.activations", "smoke.lr_range", "smoke.update_ratio", "smoke.init_loss"} <= ran


def test_default_mlp_on_unit_range_pixels_is_quiet(data):
    """The issue's case: a default 64-64-10 MLP on [0, 1] inputs has fc1 std about 0.25."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    model, _, opt = panel.setup("mlp", x, torch.tensor(y))
    outcomes, findings = run_probes(model, zoo.loader(x, torch.tensor(y)), optimizer=opt, steps=STEPS,
                                    probes=["activations", "lr_range"], device="cpu")
    assert [o.status for o in outcomes] == [Status.PASSED, Status.PASSED]
    (note,) = findings
    assert note.code == "smoke.lr_range.suggestion" and note.severity is Severity.INFO
    assert "so it trains" in note.message


class SmallInit(nn.Module):
    """Four Linear-ReLU layers drawn from N(0, 0.01) (the old Caffe default): signals vanish."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList(nn.Linear(64, 64) for _ in range(4))
        for layer in self.layers:
            nn.init.normal_(layer.weight, std=0.01)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.head(x)


def test_activations_collapsing_over_depth_warn(data):
    x, y = data
    _, findings = run_probes(SmallInit(), zoo.loader(x, y), probes=["activations"], steps=STEPS)
    (f,) = [f for f in findings if f.code == "smoke.activations.std_drift"]
    assert f.severity is Severity.WARNING and f.metrics["ratio"] < 0.01
    assert "vanish" in f.message


def test_raw_pixel_scale_inputs_warn_on_a_default_model(data):
    x, y = data
    model, _, opt = panel.setup("mlp", x, y)
    _, findings = run_probes(model, zoo.loader(x * 255, y), optimizer=opt, probes=["activations"], steps=STEPS)
    assert [(f.code, f.severity) for f in findings] == [("smoke.activations.std_out_of_range", Severity.WARNING)]


@pytest.mark.parametrize("lr, words", [(1e-7, "barely moves the loss"), (10.0, "diverges")])
def test_a_rate_that_fails_in_the_short_run_warns(lr, words, data):
    x, y = data
    model, loader, _ = panel.setup("mlp", x, y)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    _, findings = run_probes(model, loader, optimizer=opt, probes=["lr_range"], steps=STEPS)
    (f,) = findings
    assert f.code == "smoke.lr_range.far_from_suggestion" and f.severity is Severity.WARNING
    assert words in f.message


def test_a_rate_far_from_the_suggestion_that_trains_is_a_note(data):
    x, y = data
    model, loader, _ = panel.setup("mlp", x, y)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    _, findings = run_probes(model, loader, optimizer=opt, probes=["lr_range"], steps=STEPS)
    (f,) = findings
    assert f.code == "smoke.lr_range.suggestion" and f.severity is Severity.INFO
    assert f.metrics["configured_lr"] / f.metrics["suggested_lr"] > 10
    assert f.metrics["end_loss"] < f.metrics["start_loss"]


@pytest.mark.gpu
@pytest.mark.parametrize("name", [*FAST, "resnet18"])
@pytest.mark.parametrize("amp", [False, True])
def test_healthy_panel_is_quiet_on_cuda(name, amp, data):
    model, loader, opt = panel.setup(name, *data)
    report = smoke(model, loader, optimizer=opt, steps=STEPS, device="cuda", amp=amp)
    assert not [f"{f.code}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]


@pytest.mark.gpu
def test_one_based_labels_on_cuda_give_one_error(data):
    x, y = data
    model, _, opt = panel.setup("mlp", x, y)
    report = smoke(model, zoo.loader(x, y + 1), optimizer=opt, steps=STEPS, device="cuda")
    loud = [f.code for f in report.findings if f.severity >= Severity.WARNING]
    assert loud == ["smoke.loader_batches.labels_out_of_range"]
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]


class BiasBeforeBatchNorm(nn.Module):
    """A conv layer with PyTorch's default bias=True right before BatchNorm, which subtracts it."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        return self.net(x)


def test_a_bias_before_batchnorm_that_sgd_cannot_move_is_a_note(data):
    """Its gradient is about 1e-6 of the others': at a small SGD rate it never changes, which
    says nothing about the learning rate."""
    x, y = data
    torch.manual_seed(0)
    model = BiasBeforeBatchNorm()
    _, findings = run_probes(model, zoo.loader(panel.images(x), y), probes=["frozen_params"], steps=STEPS,
                             optimizer=torch.optim.SGD(model.parameters(), lr=1e-3), device="cpu")
    assert {f.code: f.severity for f in findings} == {"smoke.frozen_params.no_effect": Severity.INFO}
    assert next(iter(findings)).metrics["params"] == ["net.0.bias"]
