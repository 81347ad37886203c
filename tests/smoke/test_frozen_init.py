"""Frozen parameters that still hold random initial values warn; a frozen trained backbone is
a note (issue 14)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn

from datacheck.report.findings import Severity
from datacheck.smoke import run_probes
from datacheck.smoke._init_stats import random_init_look
from tests.smoke import panel, zoo

STEPS = 20


@pytest.fixture(scope="module")
def data():
    return zoo.digits()


def _trained_mlp(x, y):
    """The panel MLP after three epochs of Adam, with a fresh head: a small pretrained backbone."""
    model, loader, _ = panel.setup("mlp", x, y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
    model.fc2.reset_parameters()
    return model, loader


def _frozen_findings(model, loader):
    model.fc1.requires_grad_(False)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    _, findings = run_probes(model, loader, optimizer=opt, probes=["frozen_params"], steps=STEPS)
    return findings


def test_frozen_default_initialised_layer_warns(data):
    model, loader, _ = panel.setup("mlp", *data)
    (f,) = _frozen_findings(model, loader)
    assert f.code == "smoke.frozen_params.frozen_random" and f.severity is Severity.WARNING
    assert f.metrics["params"] == ["fc1.weight", "fc1.bias"]
    assert "PyTorch's default initialisation" in f.message


def test_frozen_he_initialised_layer_warns(data):
    x, y = data
    (f,) = _frozen_findings(zoo.Healthy(), zoo.loader(x, y))
    assert f.code == "smoke.frozen_params.frozen_random" and f.severity is Severity.WARNING
    assert "i.i.d. noise" in f.message


def test_frozen_trained_backbone_is_a_note(data):
    model, loader = _trained_mlp(*data)
    (f,) = _frozen_findings(model, loader)
    assert f.code == "smoke.frozen_params.frozen" and f.severity is Severity.INFO


@pytest.mark.parametrize("init", [
    nn.init.kaiming_normal_, nn.init.xavier_uniform_, nn.init.orthogonal_,
    lambda w: nn.init.trunc_normal_(w, std=0.02), lambda w: nn.init.normal_(w, std=0.01)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_common_random_initialisations_look_random(init, seed):
    torch.manual_seed(seed)
    w = torch.empty(96, 3, 3, 3)
    init(w)
    assert random_init_look(w) is not None


def test_trained_weights_and_tiny_tensors_do_not_look_random(data):
    model, _ = _trained_mlp(*data)
    assert random_init_look(model.fc1.weight) is None
    assert random_init_look(torch.randn(8, 8)) is None  # too few values to tell
    assert random_init_look(torch.zeros(64, 64)) is None
