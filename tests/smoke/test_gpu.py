"""The smoke run on a CUDA device (marked ``gpu``; skipped without CUDA)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from datacheck.report.findings import Severity, Status
from datacheck.smoke import run_probes, smoke_dataset
from tests.smoke import zoo

pytestmark = pytest.mark.gpu


def _bad(findings):
    return [(f.code, f.message) for f in findings if f.severity >= Severity.WARNING]


@pytest.mark.parametrize("amp", [False, True])
def test_healthy_on_cuda_trips_no_probe(amp):
    x, y = zoo.digits()
    model = zoo.Healthy()
    outcomes, findings = run_probes(model, zoo.loader(x, y), optimizer=torch.optim.Adam(model.parameters()),
                                    device="cuda", amp=amp, steps=60)
    assert not _bad(findings)
    assert all(o.status is Status.PASSED for o in outcomes), [(o.id, o.status, o.reason) for o in outcomes]
    assert next(model.parameters()).device.type == "cpu"  # the user's model stays where it was


@pytest.mark.parametrize("bug, probe, code", [
    ("softmax", "loss_input", "smoke.loss_input.softmax_into_ce"),
    ("softmax", "overfit_batch", "smoke.overfit_batch.softmax_plateau"),
    ("log0", "nan_origin", "smoke.nan_origin.non_finite_loss"),
    ("dropout", "train_eval", "smoke.train_eval.eval_nondeterministic"),
    ("mix", "batch_independence", "smoke.batch_independence.mixes_samples"),
])
def test_zoo_on_cuda(bug, probe, code):
    x, y = zoo.digits()
    kwargs = {}
    if bug == "softmax":
        model, loader = zoo.SoftmaxOutput(), zoo.loader(x, y)
    elif bug == "log0":
        model, loader, kwargs = zoo.LogOfZero(), zoo.loader(x, y), {"loss_fn": torch.nn.NLLLoss()}
    elif bug == "dropout":
        model, loader = zoo.FunctionalDropout(), zoo.loader(x, y)
    else:
        model, loader = zoo.SeqModel(mix=True), zoo.loader(zoo.sequences(x), y)
    _, findings = run_probes(model, loader, probes=[probe], device="cuda", steps=40, **kwargs)
    assert code in [f.code for f in findings]


def test_amp_float16_overflow_is_not_a_false_alarm():
    """GradScaler starts at 2**16 and skips overflowing steps; that must not read as Inf
    gradients or frozen parameters."""
    x, y = zoo.digits()
    model = zoo.Healthy()
    _, findings = run_probes(model, zoo.loader(x, y), device="cuda", amp=True, steps=40,
                                    probes=["gradients", "frozen_params", "update_ratio", "nan_origin"])
    assert not _bad(findings)


def test_default_cnn_on_cuda(tmp_path):
    from tests.smoke.test_dataset import _digit_images

    ds = _digit_images(tmp_path, n_per_class=30)
    outcomes, findings = smoke_dataset(ds, steps=40, device="cuda")
    assert not _bad(findings)
    assert all(o.status is Status.PASSED for o in outcomes), [(o.id, o.reason) for o in outcomes]
