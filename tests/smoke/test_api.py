"""The smoke API contract: probe descriptions, parameter validation, usage errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from datacheck.errors import ConfigError
from datacheck.report.findings import Report, Status
from datacheck.smoke import REGISTRY, describe_probes, get_probe, run_probes
from tests.smoke import zoo

PROBES = ["init_loss", "loss_input", "overfit_batch", "zero_input", "frozen_params", "gradients",
          "update_ratio", "activations", "nan_origin", "train_eval", "batch_independence",
          "lr_range", "loader_batches", "prime_dims"]


def test_every_issue_probe_is_described_with_its_contract():
    described = {d["id"]: d for d in describe_probes()}
    assert set(described) == {f"smoke.{p}" for p in PROBES}
    for d in described.values():
        assert "What it detects" in d["doc"] and "Why it matters" in d["doc"], d["id"]
        assert d["checklist"] and all(isinstance(i, int) for i in d["checklist"])
        for name, spec in d["params"].items():
            assert spec["doc"] and spec["allowed"], (d["id"], name)
            # every default passes its own validation
            assert REGISTRY[d["id"]](**{name: spec["default"]}).config[name] == spec["default"]


@pytest.mark.parametrize("probe_id", sorted(REGISTRY))
def test_probe_module_class_and_id_agree(probe_id):
    cls = REGISTRY[probe_id]
    name = probe_id.split(".", 1)[1]
    assert cls.__module__ == f"datacheck.smoke.probes.{name}"
    assert cls.__name__ == "".join(p.title() for p in name.split("_")) + "Probe"


@pytest.mark.parametrize("probe, params, needle", [
    ("init_loss", {"warn_low": -1}, "'warn_low' parameter of smoke.init_loss"),
    ("init_loss", {"warn_low": 0.9, "error_low": 0.95}, "error_low <= warn_low"),
    ("overfit_batch", {"n_samples": 2.5}, "'n_samples'"),
    ("gradients", {"max_ratio": "big"}, "'max_ratio'"),
    ("nan_origin", {"anomaly": 1}, "'anomaly'"),
    ("lr_range", {"start_lr": 1.0, "end_lr": 0.1}, "start_lr < end_lr"),
    ("lr_range", {"typo": 1}, "Unknown parameter(s) typo for probe smoke.lr_range"),
])
def test_bad_parameters_raise_config_error_naming_them(probe, params, needle):
    with pytest.raises(ConfigError) as err:
        get_probe(probe)(**params)
    assert needle in str(err.value)


def test_bad_usage_raises_config_error_before_running():
    x, y = zoo.digits()
    loader = zoo.loader(x, y)
    model = zoo.Healthy()
    with pytest.raises(ConfigError, match="Unknown smoke probe"):
        run_probes(model, loader, probes=["no_such_probe"])
    with pytest.raises(ConfigError, match="'device'"):
        run_probes(model, loader, device="tpu")
    with pytest.raises(ConfigError, match="'steps'"):
        run_probes(model, loader, steps=3)
    with pytest.raises(ConfigError, match="'model'"):
        run_probes("not a model", loader)
    with pytest.raises(ConfigError, match="yield"):
        run_probes(model, [x[:4]], probes=["init_loss"])
    with pytest.raises(ConfigError, match="no batch"):
        run_probes(model, [], probes=["init_loss"])
    with pytest.raises(ConfigError, match="'max_ratio'"):
        run_probes(model, loader, params={"gradients": {"max_ratio": 0}})
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            run_probes(model, loader, device="cuda")


def test_smoke_module_is_callable_and_returns_a_report():
    from datacheck import smoke

    x, y = zoo.digits()
    report = smoke(zoo.Healthy(), zoo.loader(x, y), probes=["loss_input", "init_loss"], steps=10)
    assert isinstance(report, Report)
    assert [c.id for c in report.checks] == ["smoke.loss_input", "smoke.init_loss"]


def test_probes_run_in_registry_order_and_skip_drops_them():
    x, y = zoo.digits()
    outcomes, _ = run_probes(zoo.Healthy(), zoo.loader(x, y), probes=["smoke.init_loss", "loader_batches"],
                             skip=["init_loss"], steps=10)
    assert [o.id for o in outcomes] == ["smoke.loader_batches"]


def test_a_probe_that_raises_is_errored_and_the_run_goes_on(monkeypatch):
    def boom(self, ctx):
        raise RuntimeError("planted failure")

    monkeypatch.setattr(get_probe("loss_input"), "run", boom)
    x, y = zoo.digits()
    outcomes, _ = run_probes(zoo.Healthy(), zoo.loader(x, y), probes=["loss_input", "init_loss"], steps=10)
    by_id = {o.id: o for o in outcomes}
    assert by_id["smoke.loss_input"].status is Status.ERRORED
    assert "planted failure" in by_id["smoke.loss_input"].reason
    assert by_id["smoke.init_loss"].status is Status.PASSED


def test_probes_that_cannot_apply_are_skipped_with_a_reason():
    x, y = zoo.digits()
    tokens = (x * 4).round().clamp(-8, 8).long() + 8  # integer inputs, e.g. token ids

    class Embed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(17, 8)
            self.head = torch.nn.Linear(64 * 8, 10)

        def forward(self, t):
            return self.head(self.emb(t).flatten(1))

    outcomes, _ = run_probes(Embed(), zoo.loader(tokens, y), steps=20,
                                    probes=["zero_input", "batch_independence", "prime_dims"])
    by_id = {o.id: o for o in outcomes}
    assert by_id["smoke.zero_input"].status is Status.SKIPPED
    assert "not floating point" in by_id["smoke.zero_input"].reason
    # integer inputs: the forward-perturbation test still runs
    assert by_id["smoke.batch_independence"].status is Status.PASSED
    assert by_id["smoke.prime_dims"].status is Status.PASSED

    outcomes, _ = run_probes(zoo.Healthy(), zoo.loader(x, y), loss_fn=lambda p, t: p.pow(2).mean(),
                             probes=["init_loss", "loss_input"], steps=10)
    assert all(o.status is Status.SKIPPED and "no reference value" in o.reason for o in outcomes)

    frozen = zoo.Healthy().requires_grad_(False)
    outcomes, _ = run_probes(frozen, zoo.loader(x, y), probes=["overfit_batch", "gradients"], steps=10)
    assert all(o.status is Status.SKIPPED and "no trainable parameter" in o.reason for o in outcomes)


def test_same_seed_same_findings():
    x, y = zoo.digits()
    runs = [run_probes(zoo.BigLogits(), zoo.loader(x, y), steps=20, seed=3,
                       probes=["init_loss", "activations", "lr_range", "zero_input"])[1] for _ in range(2)]
    assert [f.to_dict() for f in runs[0]] == [f.to_dict() for f in runs[1]]


def test_torch_compile_wrapper_is_unwrapped():
    from datacheck.smoke._context import unwrap_model

    model = zoo.Healthy()
    wrapped = torch.nn.DataParallel(model) if not torch.cuda.is_available() else model
    assert unwrap_model(wrapped) is model

    class Fake(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self._orig_mod = model

    assert unwrap_model(Fake()) is model


def test_dict_batches_and_optimizer_factories_are_accepted():
    x, y = zoo.digits()
    batches = [{"image": x[i:i + 32], "label": y[i:i + 32]} for i in range(0, 320, 32)]
    outcomes, findings = run_probes(zoo.Healthy(), batches, optimizer=lambda ps: torch.optim.SGD(ps, lr=0.05),
                                    probes=["frozen_params", "update_ratio"], steps=25)
    assert [o.status for o in outcomes] == [Status.PASSED, Status.PASSED], findings


def test_probes_are_listed_in_run_order():
    from datacheck.smoke.probes import RUN_ORDER

    assert [d["id"] for d in describe_probes()] == list(RUN_ORDER)
