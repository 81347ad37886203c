"""``smoke.activations``: activation scale and dead ReLU units at initialisation (items 33, 35, 28)."""

from __future__ import annotations

import math
from typing import Any

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import (
    first_tensor,
    fmt,
    hooks,
    names_list,
    norm_layer_types,
    weight_layer_types,
)
from datacheck.smoke._torch import nn, torch


class _Recorder:
    """Forward hooks that accumulate per-layer output moments and per-unit ReLU liveness."""

    def __init__(self, model: Any) -> None:
        self.order: list[str] = []
        self.sums: dict[str, list[Any]] = {}  # name -> [rows, per-unit sum, per-unit sum of squares]
        self.conv: set[str] = set()
        self.normalized: set[str] = set()
        self.final: set[str] = set()
        self.alive: dict[str, Any] = {}
        self.n_samples = 0
        self._outputs: dict[int, tuple[str, Any]] = {}
        handles = []
        for name, m in model.named_modules():
            if isinstance(m, weight_layer_types()):
                if not isinstance(m, (nn.Linear, nn.Bilinear)):
                    self.conv.add(name)
                handles.append(m.register_forward_hook(self._layer(name)))
            elif isinstance(m, norm_layer_types()):
                handles.append(m.register_forward_pre_hook(self._norm))
            elif isinstance(m, (nn.ReLU, nn.ReLU6)):
                handles.append(m.register_forward_hook(self._relu(name)))
        self.handles = handles
        self._calls: dict[str, int] = {}

    def _layer(self, name: str) -> Any:
        def hook(mod: Any, inp: Any, out: Any) -> None:
            t = first_tensor(out)
            if t is None or not t.is_floating_point():
                return
            self._add(name, t.detach().double())
            self._outputs[id(t)] = (name, t)  # keeps t alive, so ids stay unique in this pass
        return hook

    def _add(self, name: str, d: Any) -> None:
        """Accumulate per-unit moments: one row per sample (and position), one column per unit
        (a conv's channel, a linear layer's feature)."""
        if name in self.conv and d.ndim >= 3:
            d = d.movedim(1, -1)
        d = d.reshape(-1, d.shape[-1]) if d.ndim else d.reshape(1, 1)
        if name not in self.sums:
            self.sums[name] = [0, 0.0, 0.0]
            self.order.append(name)
        acc = self.sums[name]
        if acc[0] and acc[1].shape[0] != d.shape[1]:
            return  # a layer called again with another width: keep its first shape
        acc[0] += d.shape[0]
        acc[1] = acc[1] + d.sum(dim=0)
        acc[2] = acc[2] + (d * d).sum(dim=0)

    def _norm(self, mod: Any, inp: Any) -> None:
        t = first_tensor(inp)
        hit = self._outputs.get(id(t)) if t is not None else None
        if hit is not None and hit[1] is t:
            self.normalized.add(hit[0])

    def _relu(self, name: str) -> Any:
        def hook(mod: Any, inp: Any, out: Any) -> None:
            src = self._outputs.get(id(first_tensor(inp)))
            unit_dim = 1 if out.ndim >= 3 and (src is None or src[0] in self.conv) else -1
            if out.ndim < 2:
                return
            units = out.detach().movedim(unit_dim, 0)
            alive = (units.reshape(units.shape[0], -1) > 0).any(dim=1)
            # a ReLU module called several times per pass is one unit set per call
            k = self._calls[name] = self._calls.get(name, 0) + 1
            key = name if k == 1 else f"{name} (call {k})"
            prev = self.alive.get(key)
            self.alive[key] = alive if prev is None or prev.shape != alive.shape else (prev | alive)
        return hook

    def end_pass(self, pred: Any) -> None:
        hit = self._outputs.get(id(pred))
        if hit is not None and hit[1] is pred:
            self.final.add(hit[0])
        elif self.order:
            # the prediction passed through something after the last layer (a view, an
            # activation): treat the last layer executed as the output layer
            self.final.add(self.order[-1])
        self._outputs.clear()
        self._calls.clear()

    def std(self, name: str) -> float:
        """The signal std of a layer: each unit's std over the samples (and positions), as a
        root mean square over the units. A constant bias does not count as signal."""
        n, s, s2 = self.sums[name]
        mean = s / n
        return math.sqrt(float((s2 / n - mean * mean).clamp_min(0).mean()))


@register
class ActivationsProbe(Probe):
    """Activation scale through the layers and dead ReLU units, at initialisation.

    What it detects: signals that collapse or explode through the depth of the network. The
    output std of every Linear/Conv layer (not followed directly by a normalization layer, and
    not the output layer) is taken over at least ``min_samples`` samples; a last/first std
    ratio over that chain outside [ratio_low, ratio_high] warns (``std_drift``), and so does a
    layer whose std is above ``std_high`` (exploded: usually unscaled inputs, such as raw 0-255
    pixels) or below ``std_low`` (the signal is gone) (``std_out_of_range``). ReLU modules whose
    units (channels or features; a unit is dead when it is zero for every sample and position)
    are dead in a share of at least ``dead_warn`` warn, ``dead_error`` is an error. Model in
    train mode, statistics in float64; functional ReLUs (F.relu) are not seen.

    The defaults are anchored on healthy models with PyTorch's default initialisation (an MLP,
    CNNs with and without BatchNorm, resnet18, a transformer block): there a layer's std is
    0.05-1 (0.25 for [0, 1] pixels into a default ``nn.Linear``, lower for sparse inputs) and
    shrinks about 0.4x per default-initialised ReLU layer, so a fixed band around 1 fires on
    every default model; a hundredfold change over the depth does not happen in them.
    Why it matters: activations that shrink or grow layer after layer mean a bad
    initialisation or unscaled inputs; gradients then vanish or explode. A dead unit never
    recovers: it passes no gradient.

    Parameters
    ----------
    std_low, std_high : float, default=1e-4, 10.0
        Warn when a layer's output std is outside this range.
    ratio_low, ratio_high : float, default=0.01, 100.0
        Warn when the last/first layer std ratio is outside this range.
    dead_warn, dead_error : float, default=0.1, 0.5
        Share of dead units in a ReLU module that warns / is an error.
    min_samples : int, default=128
        Samples the statistics are taken over (fewer if the loader has fewer).
    """

    id = "smoke.activations"
    items = (33, 35, 28)
    params = {
        "std_low": Param(1e-4, "Warn when a layer's output std is below this.", float, 0, None),
        "std_high": Param(10.0, "Warn when a layer's output std is above this.", float, 0, None, low_open=True),
        "ratio_low": Param(0.01, "Warn when the last/first layer std ratio is below this.", float, 0, None),
        "ratio_high": Param(100.0, "Warn when the last/first layer std ratio is above this.", float, 0, None,
                            low_open=True),
        "dead_warn": Param(0.1, "Share of dead ReLU units that warns.", float, 0, 1, low_open=True),
        "dead_error": Param(0.5, "Share of dead ReLU units that is an error.", float, 0, 1, low_open=True),
        "min_samples": Param(128, "Samples the statistics are taken over.", int, 1, None),
    }

    def validate(self) -> None:
        self._order("std_low", "std_high")
        self._order("ratio_low", "ratio_high")
        self._order("dead_warn", "dead_error")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        model = ctx.fresh_model().train()
        rec = _Recorder(model)
        with hooks(rec.handles), torch.no_grad(), ctx.seeded(6):
            for x, y in ctx.batches(ctx.max_batches):
                rec.end_pass(ctx.forward(model, x))
                rec.n_samples += len(y)
                if rec.n_samples >= self.config["min_samples"]:
                    break
        if not rec.order and not rec.alive:
            raise Skip("the model has no Linear, Conv or ReLU module to observe")
        cfg = self.config
        findings: list[Finding] = []
        checked = [n for n in rec.order if n not in rec.normalized and n not in rec.final]
        stds = {n: rec.std(n) for n in checked}
        evidence = (Evidence("bars", "Output std per layer at initialisation",
                             {"labels": checked, "series": {"std": [stds[n] for n in checked]}}),)
        base = {"n_samples": rec.n_samples, "stds": stds}
        out = [n for n in checked if not cfg["std_low"] <= stds[n] <= cfg["std_high"]]
        if out:
            low = [n for n in out if stds[n] < cfg["std_low"]]
            high = [n for n in out if stds[n] > cfg["std_high"]]
            parts = []
            if low:
                parts.append(f"below {fmt(cfg['std_low'])} in {names_list(low)} (down to "
                             f"{fmt(min(stds[n] for n in low))})")
            if high:
                parts.append(f"above {fmt(cfg['std_high'])} in {names_list(high)} (up to "
                             f"{fmt(max(stds[n] for n in high))})")
            findings.append(self.finding(
                "std_out_of_range", Severity.WARNING,
                "At initialisation the layer output std is " + " and ".join(parts) + ".",
                hint="Standardise the inputs (a std far above 1 is usually raw, unscaled values), "
                     "check the initialisation scale, or add normalization layers.",
                metrics={**base, "params": out}, evidence=evidence))
        if len(checked) >= 2 and stds[checked[0]] > 0:
            ratio = stds[checked[-1]] / stds[checked[0]]
            if not cfg["ratio_low"] <= ratio <= cfg["ratio_high"]:
                findings.append(self.finding(
                    "std_drift", Severity.WARNING,
                    f"The activation std changes by a factor {fmt(ratio)} from the first layer ({checked[0]}: "
                    f"{fmt(stds[checked[0]])}) to the last ({checked[-1]}: {fmt(stds[checked[-1]])}): "
                    "signals " + ("vanish" if ratio < 1 else "explode") + " through the depth.",
                    hint="Fix the initialisation gain, or add normalization or residual connections.",
                    metrics={**base, "ratio": ratio}, evidence=evidence))
        dead = {n: 1.0 - float(a.float().mean()) for n, a in rec.alive.items()}
        bad = [n for n, share in dead.items() if share >= cfg["dead_warn"]]
        if bad:
            worst = max(dead[n] for n in bad)
            severity = Severity.ERROR if worst >= cfg["dead_error"] else Severity.WARNING
            findings.append(self.finding(
                "dead_relu", severity,
                f"At initialisation {fmt(100 * worst)}% of the units of "
                f"{names_list(sorted(bad, key=lambda n: -dead[n]))} are dead (zero for every one of "
                f"{rec.n_samples} samples): they pass no gradient and never recover.",
                hint="Check the bias initialisation (a large negative bias kills units), the input "
                     "scale, and the learning rate; consider LeakyReLU/GELU.",
                metrics={"dead_ratio": {n: dead[n] for n in bad}, "n_samples": rec.n_samples},
                evidence=(Evidence("bars", "Dead unit share per ReLU module",
                                   {"labels": list(dead), "series": {"dead": list(dead.values())}}),)))
        return findings
