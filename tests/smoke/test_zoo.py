"""The bug zoo (issue 8, "Must show"): each planted bug trips its own probe; the healthy
model and loader trip none."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from datacheck.report.findings import Report, Severity, Status
from datacheck.smoke import describe_probes, run_probes, smoke
from tests.smoke import zoo

STEPS = 40


@pytest.fixture(scope="module")
def data():
    return zoo.digits()


@pytest.fixture(scope="module")
def healthy_run(data):
    x, y = data
    model = zoo.Healthy()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = smoke(model, zoo.loader(x, y), optimizer=opt, steps=STEPS, device="cpu")
    return model, opt, before, report


def test_healthy_trips_no_probe(healthy_run):
    _, _, _, report = healthy_run
    bad = [f"{f.code}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]
    assert not bad
    assert {o.id for o in report.checks} == {p["id"] for p in describe_probes()}
    assert all(o.status is Status.PASSED for o in report.checks), [
        (o.id, o.status, o.reason) for o in report.checks if o.status is not Status.PASSED]


def test_healthy_run_leaves_model_and_optimizer_untouched(healthy_run):
    model, opt, before, _ = healthy_run
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not opt.state  # never stepped
    assert all(p.grad is None for p in model.parameters())


def test_healthy_report_round_trips_json(healthy_run):
    report = healthy_run[3]
    again = Report.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    assert all(f.code.startswith(f.check + ".") and f.check.startswith("smoke.") for f in report.findings)


def test_healthy_sequence_model_passes_the_mixing_probes(data):
    x, y = data
    outcomes, findings = run_probes(zoo.SeqModel(), zoo.loader(zoo.sequences(x), y), steps=STEPS,
                                    probes=["batch_independence", "prime_dims", "train_eval"])
    assert [o.status for o in outcomes] == [Status.PASSED] * 3
    assert not findings


def _adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3)


def _frozen(x, y):
    model = zoo.Healthy()
    model.fc1.requires_grad_(False)
    return model, zoo.loader(x, y), {"optimizer": torch.optim.Adam(model.parameters())}


def _left_out(x, y):
    model = zoo.Healthy()
    params = list(model.fc2.parameters()) + list(model.head.parameters())
    return model, zoo.loader(x, y), {"optimizer": torch.optim.Adam(params)}


def _sgd(lr):
    def build(x, y):
        model = zoo.Healthy()
        return model, zoo.loader(x, y), {"optimizer": torch.optim.SGD(model.parameters(), lr=lr)}
    return build


def _plain(model_cls, **kwargs):
    def build(x, y):
        return model_cls(), zoo.loader(x, y), dict(kwargs)
    return build


ZOO = {
    # bug: (build(x, y) -> (model, loader, kwargs), probe, expected code, severity)
    "softmax into CrossEntropyLoss": (_plain(zoo.SoftmaxOutput), "loss_input",
                                      "smoke.loss_input.softmax_into_ce", Severity.ERROR),
    "softmax plateau when overfitting": (_plain(zoo.SoftmaxOutput), "overfit_batch",
                                         "smoke.overfit_batch.softmax_plateau", Severity.ERROR),
    "frozen layer": (_frozen, "frozen_params", "smoke.frozen_params.requires_grad_off", Severity.WARNING),
    "detached layer": (_plain(zoo.DetachedLayer), "frozen_params", "smoke.frozen_params.no_grad",
                       Severity.ERROR),
    "parameter left out of the optimizer": (_left_out, "frozen_params",
                                            "smoke.frozen_params.not_in_optimizer", Severity.ERROR),
    "view instead of permute": (lambda x, y: (zoo.SeqModel(mix=True), zoo.loader(zoo.sequences(x), y), {}),
                                "batch_independence", "smoke.batch_independence.mixes_samples",
                                Severity.ERROR),
    "view instead of permute, prime batch": (
        lambda x, y: (zoo.SeqModel(mix=True), zoo.loader(zoo.sequences(x), y), {}),
        "prime_dims", "smoke.prime_dims.mixes_samples", Severity.ERROR),
    "F.dropout without training=": (_plain(zoo.FunctionalDropout), "train_eval",
                                    "smoke.train_eval.eval_nondeterministic", Severity.ERROR),
    "log(0) gives a non-finite loss": (_plain(zoo.LogOfZero, loss_fn=torch.nn.NLLLoss()), "nan_origin",
                                       "smoke.nan_origin.non_finite_loss", Severity.ERROR),
    "NaN only in the backward": (_plain(zoo.SqrtNaNGrad), "nan_origin",
                                 "smoke.nan_origin.non_finite_grad", Severity.ERROR),
    "non-finite gradient": (_plain(zoo.SqrtNaNGrad), "gradients", "smoke.gradients.non_finite",
                            Severity.ERROR),
    "lr of 10": (_sgd(10.0), "lr_range", "smoke.lr_range.far_from_suggestion", Severity.WARNING),
    "lr of 0": (_sgd(0.0), "frozen_params", "smoke.frozen_params.unchanged", Severity.WARNING),
    "lr of 10, update ratio": (_sgd(10.0), "update_ratio", "smoke.update_ratio.too_high", Severity.WARNING),
    "lr of 1e-7, update ratio": (_sgd(1e-7), "update_ratio", "smoke.update_ratio.too_low", Severity.WARNING),
    "sorted loader": (lambda x, y: (zoo.Healthy(), zoo.sorted_loader(x, y), {}), "loader_batches",
                      "smoke.loader_batches.sorted_labels", Severity.ERROR),
    "loader returning the same batch": (lambda x, y: (zoo.Healthy(), zoo.same_batch_loader(x, y), {}),
                                        "loader_batches", "smoke.loader_batches.repeated_batch",
                                        Severity.ERROR),
    "all-zero inputs": (lambda x, y: (zoo.Healthy(), zoo.loader(x * 0, y), {}), "loader_batches",
                        "smoke.loader_batches.constant_input", Severity.ERROR),
    "model ignores its input": (_plain(zoo.IgnoresInput), "zero_input", "smoke.zero_input.no_gain",
                                Severity.ERROR),
    "model ignores its input, at any rate": (_plain(zoo.IgnoresInput), "lr_range", "smoke.lr_range.no_drop",
                                             Severity.WARNING),
    "labels shuffled apart from inputs": (
        lambda x, y: (zoo.Healthy(), zoo.loader(x, zoo.shuffled_labels(y)), {}),
        "zero_input", "smoke.zero_input.no_gain", Severity.ERROR),
    "huge logits at init": (_plain(zoo.BigLogits), "init_loss", "smoke.init_loss.high", Severity.ERROR),
    "vanishing gradient": (_plain(zoo.TinyFirstLayer), "gradients", "smoke.gradients.vanishing",
                           Severity.WARNING),
    "dead ReLUs": (_plain(zoo.DeadRelu), "activations", "smoke.activations.dead_relu", Severity.ERROR),
    "unscaled inputs": (lambda x, y: (zoo.Healthy(), zoo.loader(x * 100, y), {}), "activations",
                        "smoke.activations.std_out_of_range", Severity.WARNING),
    "hard-coded batch size": (_plain(zoo.HardcodedBatch), "prime_dims", "smoke.prime_dims.forward_fails",
                              Severity.ERROR),
}


@pytest.mark.parametrize("bug", list(ZOO))
def test_bug_trips_its_probe(bug, data):
    build, probe, code, severity = ZOO[bug]
    model, loader, kwargs = build(*data)
    outcomes, findings = run_probes(model, loader, probes=[probe], steps=STEPS, device="cpu", **kwargs)
    assert [o.id for o in outcomes] == [f"smoke.{probe}"]
    assert outcomes[0].status is Status.FAILED, outcomes[0]
    hits = [f for f in findings if f.code == code]
    assert hits, [(f.code, f.message) for f in findings]
    assert hits[0].severity is severity


def test_nan_origin_names_module_op_and_input_range(data):
    model, loader, kwargs = _plain(zoo.LogOfZero, loss_fn=torch.nn.NLLLoss())(*data)
    _, findings = run_probes(model, loader, probes=["nan_origin"], steps=STEPS, **kwargs)
    (f,) = findings
    assert f.metrics["module"] == "logprob" and f.metrics["module_type"] == "LogProb"
    assert f.metrics["op"] == "torch.log"
    assert f.metrics["input_min"] == 0.0 and f.metrics["step"] == 0
    assert "torch.log" in f.message and "logprob" in f.message


def test_backward_nan_is_named_by_anomaly_mode(data):
    model, loader, _ = _plain(zoo.SqrtNaNGrad)(*data)
    _, findings = run_probes(model, loader, probes=["nan_origin"], steps=STEPS)
    assert findings[0].metrics["op"] == "SqrtBackward0"


def test_softmax_is_diagnosed_without_autograd_graph(data):
    """The value fallback: probabilities built by hand (exp / sum) still count."""
    class HandSoftmax(zoo.Healthy):
        def forward(self, x):
            e = super().forward(x).exp()
            return e / e.sum(dim=1, keepdim=True)

    x, y = data
    _, findings = run_probes(HandSoftmax(), zoo.loader(x, y), probes=["loss_input"], steps=STEPS)
    assert [f.code for f in findings] == ["smoke.loss_input.softmax_into_ce"]
    assert findings[0].metrics["detected_by"] == "values"


def test_log_softmax_into_cross_entropy_is_only_noted(data):
    class LogSoftmaxOut(zoo.Healthy):
        def forward(self, x):
            return torch.log_softmax(super().forward(x), dim=1)

    x, y = data
    outcomes, findings = run_probes(LogSoftmaxOut(), zoo.loader(x, y), probes=["loss_input"], steps=STEPS)
    assert outcomes[0].status is Status.PASSED
    assert [(f.code, f.severity) for f in findings] == [("smoke.loss_input.log_softmax_into_ce", Severity.INFO)]


def test_prior_initialised_bias_is_judged_against_the_prior_entropy(data):
    x, y = data
    keep = (y < 2) | (torch.arange(len(y)) % 10 == 0)  # classes 0 and 1 dominate
    xs, ys = x[keep], y[keep]
    prior = torch.bincount(ys, minlength=10).float() / len(ys)
    model = zoo.Healthy()
    with torch.no_grad():
        model.head.weight.mul_(0.01)
        model.head.bias.copy_(prior.clamp_min(1e-6).log())
    _, findings = run_probes(model, zoo.loader(xs, ys), probes=["init_loss"], steps=STEPS)
    assert not findings  # ~ the prior entropy, far below ln 10
    model.head.bias.data.zero_()
    model.head.weight.data.mul_(0)
    _, findings = run_probes(model, zoo.loader(xs, ys), probes=["init_loss"], steps=STEPS)
    assert not findings  # uniform bias: ln C is the reference
