"""Targets the loss cannot take (issue 14): one clear error, and no probe raises."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from datacheck.report.findings import Severity, Status
from datacheck.smoke import smoke
from tests.smoke import panel, zoo

STEPS = 20


@pytest.fixture(scope="module")
def data():
    return zoo.digits()


def _run(x, y, targets, loss_fn=None):
    model, _, opt = panel.setup("mlp", x, y)
    return smoke(model, zoo.loader(x, targets), loss_fn=loss_fn, optimizer=opt, steps=STEPS, device="cpu")


def test_one_based_labels_give_one_error_and_no_probe_raises(data):
    x, y = data
    report = _run(x, y, y + 1)
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [(f.code, f.severity) for f in loud] == [("smoke.loader_batches.labels_out_of_range", Severity.ERROR)]
    assert "labels run 1..10 but the model has 10 outputs (0..9)" in loud[0].message
    assert "1-based" in loud[0].message
    assert loud[0].metrics["kind"] == "one_based"
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]
    skipped = [o for o in report.checks if o.status is Status.SKIPPED]
    assert {o.id for o in skipped} >= {"smoke.init_loss", "smoke.overfit_batch", "smoke.lr_range",
                                       "smoke.zero_input", "smoke.gradients", "smoke.nan_origin"}
    assert all("1-based" in o.reason for o in skipped)


@pytest.mark.parametrize("change, kind, words", [
    (lambda y: torch.where(y == 3, 12, y), "too_high", "are 10 or more"),
    (lambda y: torch.where(y == 3, -1, y), "negative", "are negative"),
])
def test_other_out_of_range_labels_say_what_was_seen(change, kind, words, data):
    x, y = data
    report = _run(x, y, change(y))
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert len(loud) == 1 and loud[0].metrics["kind"] == kind and words in loud[0].message
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]


def test_ignore_index_labels_are_fine(data):
    x, y = data
    report = _run(x, y, torch.where(torch.arange(len(y)) % 7 == 0, -100, y))
    assert not [f for f in report.findings if f.code == "smoke.loader_batches.labels_out_of_range"]
    assert not [o.id for o in report.checks if o.status is Status.ERRORED]


def test_binary_targets_outside_unit_range_are_one_error(data):
    x, y = data

    class OneLogit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(64, 1)

        def forward(self, z):
            return self.fc(z).squeeze(1)

    mask = (y % 2).float() * 255  # a 0/255 mask never divided by 255
    report = smoke(OneLogit(), zoo.loader(x, mask), loss_fn=torch.nn.BCEWithLogitsLoss(), steps=STEPS,
                   device="cpu")
    loud = [f for f in report.findings if f.severity >= Severity.WARNING]
    assert [f.code for f in loud] == ["smoke.loader_batches.labels_out_of_range"]
    assert loud[0].metrics["kind"] == "binary_range" and "0..255" in loud[0].message
