"""``smoke.train_eval``: train/eval mode honoured (item 32)."""

from __future__ import annotations

from typing import Any

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import first_tensor, hooks, names_list
from datacheck.smoke._torch import nn, torch


def _fingerprints(ctx: SmokeContext, model: Any, x: Any, seed_offset: int) -> list[tuple[str, str, float, float]]:
    """(module, "in"/"out", sum, sum of |.|) of every module call, in call order, for one pass."""
    prints: list[tuple[str, str, float, float]] = []

    def stats(t: Any) -> tuple[float, float]:
        d = t.detach().double()
        return float(d.sum()), float(d.abs().sum())

    def pre(name: str) -> Any:
        def hook(mod: Any, inp: Any) -> None:
            t = first_tensor(inp)
            if t is not None and t.is_floating_point():
                prints.append((name, "in", *stats(t)))
        return hook

    def post(name: str) -> Any:
        def hook(mod: Any, inp: Any, out: Any) -> None:
            t = first_tensor(out)
            if t is not None and t.is_floating_point():
                prints.append((name, "out", *stats(t)))
        return hook

    handles = []
    for name, m in model.named_modules():
        handles += [m.register_forward_pre_hook(pre(name or "<model>")),
                    m.register_forward_hook(post(name or "<model>"))]
    with hooks(handles), torch.no_grad(), ctx.seeded(seed_offset):
        ctx.forward(model, x)
    return prints


@register
class TrainEvalProbe(Probe):
    """Whether the model honours train and eval mode.

    What it detects: modules still in training mode after ``model.eval()`` (error); an eval
    pass that is not deterministic, checked by two eval passes on the same batch under
    different RNG seeds (error: typically ``F.dropout(x, p)`` without
    ``training=self.training``, or sampling in forward), naming the first module whose input
    or output differs; buffers (BatchNorm running statistics) changed by an eval pass (error);
    and, as notes, modules that stay in eval mode under ``model.train()`` (a frozen BatchNorm,
    often on purpose) and BatchNorm layers whose statistics do not move in train mode.
    Why it matters: dropout left on at evaluation makes validation noisy and pessimistic;
    BatchNorm updated at evaluation leaks test statistics into the model; both are silent.

    Parameters
    ----------
    rtol : float, default=1e-6
        Relative difference allowed between two eval passes (GPU kernels may differ in the
        last bits).
    """

    id = "smoke.train_eval"
    items = (32,)
    params = {
        "rtol": Param(1e-6, "Relative difference allowed between two eval passes.", float, 0, None),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        findings: list[Finding] = []
        x, _ = ctx.first
        model = ctx.fresh_model()
        model.train()
        stuck_eval = [n for n, m in model.named_modules() if not m.training]
        model.eval()
        stuck_train = [n or "<model>" for n, m in model.named_modules() if m.training]
        if stuck_train:
            findings.append(self.finding(
                "train_in_eval", Severity.ERROR,
                f"After model.eval(), {len(stuck_train)} modules are still in training mode "
                f"({names_list(stuck_train)}).",
                hint="A module overrides train()/eval() without calling super(), or sets .training "
                     "itself; let model.eval() reach every submodule.",
                metrics={"modules": stuck_train}))
        if stuck_eval:
            findings.append(self.finding(
                "eval_in_train", Severity.INFO,
                f"After model.train(), {len(stuck_eval)} modules stay in eval mode "
                f"({names_list(stuck_eval)}); fine for a frozen BatchNorm.",
                hint="Check that this is intended.", metrics={"modules": stuck_eval}))
        buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
        first = _fingerprints(ctx, model, x, 11)
        second = _fingerprints(ctx, model, x, 12)
        changed = [n for n, b in model.named_buffers() if n in buffers and not torch.equal(b, buffers[n])]
        diff = self._first_difference(first, second)
        if diff is not None:
            name, side, rel = diff
            where = (f"the output of '{name}', whose input is the same: the randomness is inside it"
                     if side == "out" else
                     f"the input of '{name}': the randomness is in the code that runs before it, "
                     "in its parent's forward")
            findings.append(self.finding(
                "eval_nondeterministic", Severity.ERROR,
                f"Two eval passes on the same batch give different outputs (relative difference "
                f"{rel:.2g}); the first difference is at {where}.",
                hint="Pass training=self.training to F.dropout and similar functional calls, or use "
                     "nn.Dropout modules; keep sampling out of eval.",
                metrics={"module": name, "where": side, "relative_difference": rel}))
        if changed:
            findings.append(self.finding(
                "eval_updates_buffers", Severity.ERROR,
                f"An eval pass changed {len(changed)} buffers ({names_list(changed)}): normalization "
                "statistics are updated during evaluation.",
                hint="Make sure model.eval() reaches the BatchNorm layers (no train() override, no "
                     "training=True in F.batch_norm).",
                metrics={"buffers": changed}))
        findings += self._bn_moves(ctx, x)
        return findings

    def _first_difference(self, a: list, b: list) -> tuple[str, str, float] | None:
        if len(a) != len(b):
            return ("<model>", "out", float("inf"))
        for (name, side, s1, a1), (_, _, s2, a2) in zip(a, b):
            rel = (abs(s1 - s2) + abs(a1 - a2)) / max(abs(a1), 1e-12)
            if rel > self.config["rtol"]:
                return name, side, rel
        return None

    def _bn_moves(self, ctx: SmokeContext, x: Any) -> list[Finding]:
        model = ctx.fresh_model().train()
        bns = {n: m for n, m in model.named_modules()
               if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
               and m.momentum != 0 and m.training}
        if not bns:
            return []
        before = {n: m.running_mean.detach().clone() for n, m in bns.items() if m.running_mean is not None}
        with torch.no_grad(), ctx.seeded(13):
            ctx.forward(model, x)
        still = [n for n, m in bns.items() if n in before and torch.equal(m.running_mean, before[n])]
        if not still:
            return []
        return [self.finding(
            "bn_stats_frozen", Severity.INFO,
            f"{len(still)} BatchNorm layers in training mode did not update their running statistics "
            f"({names_list(still)}).",
            hint="Fine if the inputs to them are constant; otherwise check their momentum.",
            metrics={"modules": still})]
