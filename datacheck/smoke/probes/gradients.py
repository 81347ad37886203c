"""``smoke.gradients``: non-finite, exploding and vanishing gradients (item 35)."""

from __future__ import annotations

import numpy as np

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt, names_list
from datacheck.smoke._trace import get_trace


@register
class GradientsProbe(Probe):
    """Per-layer gradient norms over the short training run.

    What it detects: gradients that are not finite while the loss is (error); with AMP, a
    GradScaler that skipped every step (error); and, on the median norm of each weight tensor
    over the run's steps, a spread between the largest and smallest layer above
    ``max_ratio`` (exploding or vanishing through depth), or a layer below ``vanish`` while
    another is above ``alive`` (warnings). Norms are taken in float32 after
    ``GradScaler.unscale_``; parameters without gradient are left to smoke.frozen_params.
    Why it matters: when gradients explode the loss jumps or turns NaN; when they vanish the
    early layers stop learning and the network behaves like a shallow one.

    Parameters
    ----------
    max_ratio : float, default=1e4
        Largest allowed ratio between the largest and smallest layer gradient norms.
    vanish : float, default=1e-8
        A layer's median gradient norm below this counts as vanished...
    alive : float, default=1e-4
        ...when another layer's is above this.
    """

    id = "smoke.gradients"
    items = (35,)
    needs = ("trainable", "valid_targets")
    params = {
        "max_ratio": Param(1e4, "Largest allowed max/min ratio of layer gradient norms.", float, 1, None),
        "vanish": Param(1e-8, "A layer gradient norm below this has vanished...", float, 0, None),
        "alive": Param(1e-4, "...when another layer's is above this.", float, 0, None),
    }

    def validate(self) -> None:
        self._order("vanish", "alive")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        trace = get_trace(ctx)
        failure = trace.failure
        if failure is not None and failure.kind == "grad":
            return [self.finding(
                "non_finite", Severity.ERROR,
                f"At step {failure.step} the loss is finite ({fmt(failure.loss)}) but the gradients of "
                f"{len(failure.bad_params)} parameter tensors are not ({names_list(failure.bad_params)}).",
                hint="A backward through sqrt/log/pow/div near 0 or a very large activation; "
                     "smoke.nan_origin names the operation.",
                metrics={"step": failure.step, "params": failure.bad_params})]
        if trace.n_steps == 0:
            raise Skip("the loss was not finite at the first step (see smoke.nan_origin)")
        if ctx.amp and trace.skipped_steps and len(trace.skipped_steps) == trace.n_steps:
            return [self.finding(
                "amp_all_skipped", Severity.ERROR,
                f"The GradScaler skipped all {trace.n_steps} steps: the float16 gradients are never finite.",
                hint="Look for overflow in float16 (large activations, an unscaled loss); try bfloat16.",
                metrics={"steps": trace.n_steps})]
        taken = [s for s in range(trace.n_steps) if s not in set(trace.skipped_steps)]
        cols = [i for i, (n, shape) in enumerate(zip(trace.names, trace.shapes)) if len(shape) >= 2]
        if not taken or len(cols) < 2:
            raise Skip("fewer than two weight tensors with gradients to compare")
        norms = trace.grad_norms[np.ix_(taken, cols)]
        with np.errstate(all="ignore"):
            median = np.nanmedian(np.where(np.isfinite(norms), norms, np.nan), axis=0)
        names = [trace.names[i] for i in cols]
        keep = [(n, float(m)) for n, m in zip(names, median) if np.isfinite(m) and m > 0]
        if len(keep) < 2:
            raise Skip("fewer than two weight tensors with non-zero gradients")
        evidence = (Evidence("bars", "Median gradient norm per weight tensor",
                             {"labels": [n for n, _ in keep], "series": {"grad_norm": [m for _, m in keep]}}),)
        lo_name, lo = min(keep, key=lambda t: t[1])
        hi_name, hi = max(keep, key=lambda t: t[1])
        metrics = {"max_norm": hi, "max_layer": hi_name, "min_norm": lo, "min_layer": lo_name,
                   "ratio": hi / lo, "steps": len(taken)}
        findings = []
        cfg = self.config
        vanished = [n for n, m in keep if m < cfg["vanish"]]
        if vanished and hi > cfg["alive"]:
            findings.append(self.finding(
                "vanishing", Severity.WARNING,
                f"The gradients of {names_list(vanished)} are below {fmt(cfg['vanish'])} while "
                f"{hi_name}'s is {fmt(hi)}: those layers do not learn.",
                hint="Check the initialisation and activations between them and the loss (saturated "
                     "sigmoid/tanh, dead ReLUs); add normalization or residual connections.",
                metrics={**metrics, "params": vanished}, evidence=evidence))
        elif hi / lo > cfg["max_ratio"]:
            findings.append(self.finding(
                "norm_ratio", Severity.WARNING,
                f"Gradient norms differ {fmt(hi / lo)}x across layers (largest {hi_name}: {fmt(hi)}, "
                f"smallest {lo_name}: {fmt(lo)}): gradients explode or vanish through the depth.",
                hint="Check the initialisation (He/Kaiming for ReLU), add normalization, or clip "
                     "gradients; an unnormalised input scales the first layer's gradient.",
                metrics=metrics, evidence=evidence))
        return findings
