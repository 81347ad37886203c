"""``smoke.frozen_params``: parameters that do not train (item 23)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import names_list
from datacheck.smoke._init_stats import random_init_look
from datacheck.smoke._trace import get_trace


MAX_JUDGED = 64  # frozen weight tensors whose statistics are read, spread over the model
# A parameter whose gradient (root mean square per element) stays below this fraction of the
# model's median at every step has no effect on the loss worth the name: a bias right before
# a normalization layer, which subtracts it, gets 1e-6 to 1e-5 of the median (digits CNNs).
NEGLIGIBLE_GRAD = 1e-3


def _table(title: str, names: list[str], reason: str) -> Evidence:
    return Evidence("table", title, {"columns": ["parameter", "reason"],
                                     "rows": [[n, reason] for n in names[:200]]})


def negligible_gradients(trace) -> list[str]:
    """Parameters whose gradient stays below ``NEGLIGIBLE_GRAD`` times the median parameter's
    at every recorded step, by root mean square per element."""
    sizes = np.array([max(1, math.prod(shape)) for shape in trace.shapes], np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = trace.grad_norms / np.sqrt(sizes)[None, :]
        typical = np.nanmedian(np.where(rms > 0, rms, np.nan), axis=1)
        small = rms < NEGLIGIBLE_GRAD * typical[:, None]
    if not len(small):
        return []
    return [n for n, tiny, present in zip(trace.names, small.all(axis=0), trace.grad_present.all(axis=0))
            if tiny and present]


@register
class FrozenParamsProbe(Probe):
    """Parameters that cannot or do not change during training.

    What it detects, in the short training run (``steps`` steps with a copy of your optimizer):
    trainable parameters missing from the optimizer (error), parameters that never receive a
    gradient, i.e. are not connected to the loss (error), parameters whose gradient is zero at
    every step (error), and parameters that never changed although they had a gradient (warning:
    a learning rate of 0, or a warm-up from 0; AdamW's weight decay moves even zero-gradient
    parameters); where those gradients stay over a thousand times smaller than the model's
    typical one, the parameter has next to no effect on the loss (a bias right before a
    normalization layer, which subtracts it), and that is a note. Parameters with
    ``requires_grad=False`` are a warning when the optimizer holds
    them (you meant to train them), a warning when they still look freshly initialised (i.i.d.
    noise with zero mean and no singular value above the random-matrix edge, such as
    PyTorch's default uniform within +-1/sqrt(fan_in): freezing random weights is always a
    bug), and a note otherwise (fine-tuning with a frozen pretrained backbone is a choice).
    Why it matters: a frozen layer leaves the model training with a fraction of its capacity;
    the loss still falls, so nothing looks wrong.

    Parameters
    ----------
    report_unchanged : bool, default=True
        Whether to warn about parameters that had a gradient but never changed.
    """

    id = "smoke.frozen_params"
    items = (23,)
    needs = ("valid_targets",)
    params = {
        "report_unchanged": Param(True, "Warn about parameters that had a gradient but never changed.", bool),
    }

    def _frozen(self, model: Any, names: list[str]) -> list[Finding]:
        """Frozen parameters outside the optimizer: a warning for layers that still hold random
        initial weights, a note for the others (a frozen pretrained backbone)."""
        params = dict(model.named_parameters())
        weights = [n for n in names if params[n].ndim >= 2]
        step = max(1, math.ceil(len(weights) / MAX_JUDGED))
        looks = {n: look for n in weights[::step] if (look := random_init_look(params[n])) is not None}
        layers = {n.rpartition(".")[0] for n in looks}
        random = [n for n in names if n in looks or n.rpartition(".")[0] in layers]
        rest = [n for n in names if n not in random]
        findings = []
        if random:
            first = next(iter(looks))
            findings.append(self.finding(
                "frozen_random", Severity.WARNING,
                f"{len(random)} frozen parameter tensors (requires_grad=False) still hold random initial "
                f"values ({names_list(random)}; {first} is {looks[first].describe()}): those layers "
                "never learn and stay random projections.",
                hint="Load the pretrained weights before freezing (check the load_state_dict result for "
                     "missing keys), or unfreeze these layers.",
                metrics={"params": random, "n_params": len(random), "n_judged": len(weights[::step]),
                         "looks": {n: {"default_uniform": lk.default_uniform, "mean_z": lk.mean_z,
                                       "kurtosis": lk.kurtosis, "edge_ratio": lk.edge_ratio}
                                   for n, lk in looks.items()}},
                evidence=[_table("Frozen parameters with random initial values", random,
                                 "requires_grad=False, random init")]))
        if rest:
            judged = len(weights[::step]) - len(looks)
            findings.append(self.finding(
                "frozen", Severity.INFO,
                f"{len(rest)} parameter tensors are frozen (requires_grad=False), e.g. {names_list(rest)}"
                + (f"; none of the {judged} frozen weight tensors read looks like a random "
                   "initialisation." if judged else "."),
                hint="Fine if you are fine-tuning on purpose.",
                metrics={"params": rest, "n_params": len(rest), "n_judged": judged}))
        return findings

    def run(self, ctx: SmokeContext) -> list[Finding]:
        findings: list[Finding] = []
        held = ctx.optimizer_names()
        model = ctx.template
        off = [n for n, p in model.named_parameters() if not p.requires_grad]
        if off:
            in_opt = [n for n in off if held is not None and n in held[0]]
            if in_opt:
                findings.append(self.finding(
                    "requires_grad_off", Severity.WARNING,
                    f"{len(in_opt)} parameter tensors held by the optimizer have requires_grad=False "
                    f"({names_list(in_opt)}), so they never train.",
                    hint="Set requires_grad=True on the layers you mean to train (look for a leftover "
                         "freeze loop), or leave them out of the optimizer if freezing is intended.",
                    metrics={"params": in_opt, "n_params": len(in_opt)},
                    evidence=[_table("Frozen parameters held by the optimizer", in_opt, "requires_grad=False")]))
            rest = [n for n in off if n not in in_opt]
            if rest:
                findings += self._frozen(model, rest)
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        if held is not None:
            names, foreign = held
            missing = [n for n in trainable if n not in names]
            if missing:
                lead = ("The optimizer holds none of the model's parameters (was it built for another "
                        "instance of the model?)" if not names else
                        f"{len(missing)} trainable parameter tensors are missing from the optimizer "
                        f"({names_list(missing)})")
                findings.append(self.finding(
                    "not_in_optimizer", Severity.ERROR, lead + ", so they never update.",
                    hint="Build the optimizer from model.parameters() after the model is complete "
                         "(and after moving it to its device), and include every parameter group.",
                    metrics={"params": missing, "n_params": len(missing), "n_foreign": foreign},
                    evidence=[_table("Parameters missing from the optimizer", missing, "not in optimizer")]))
        trace = get_trace(ctx)
        if trace.n_steps == 0:
            raise Skip("the loss was not finite at the first step (see smoke.nan_origin)")
        present = trace.grad_present.any(axis=0)
        with np.errstate(invalid="ignore"):
            nonzero = (np.nan_to_num(trace.grad_norms, nan=0.0) != 0).any(axis=0)
        in_opt = set(trace.lrs)
        no_grad = [n for n, p in zip(trace.names, present) if not p]
        zero = [n for n, p, z in zip(trace.names, present, nonzero) if p and not z]
        if no_grad:
            findings.append(self.finding(
                "no_grad", Severity.ERROR,
                f"{len(no_grad)} trainable parameter tensors never receive a gradient "
                f"({names_list(no_grad)}): they are not connected to the loss.",
                hint="Look for .detach(), .data, .item() or numpy round trips in forward, layers that "
                     "are defined but never called, or outputs that never reach the loss.",
                metrics={"params": no_grad, "n_params": len(no_grad), "steps": trace.n_steps},
                evidence=[_table("Parameters without gradient", no_grad, "grad is None")]))
        if zero:
            findings.append(self.finding(
                "zero_grad", Severity.ERROR,
                f"{len(zero)} parameter tensors get an all-zero gradient at every one of "
                f"{trace.n_steps} steps ({names_list(zero)}).",
                hint="Look for dead ReLUs before the layer, a multiplication by zero, a mask that "
                     "blocks the path, or an output the loss ignores.",
                metrics={"params": zero, "n_params": len(zero), "steps": trace.n_steps},
                evidence=[_table("Parameters with all-zero gradient", zero, "grad == 0")]))
        if self.config["report_unchanged"] and trace.has_optimizer:
            unchanged = [n for n, p, z, c in zip(trace.names, present, nonzero, trace.changed)
                         if p and z and not c and n in in_opt]
            negligible = set(negligible_gradients(trace))
            cancelled = [n for n in unchanged if n in negligible]
            unchanged = [n for n in unchanged if n not in negligible]
            if cancelled:
                findings.append(self.finding(
                    "no_effect", Severity.INFO,
                    f"{len(cancelled)} parameter tensors did not change in {trace.n_steps} optimizer steps "
                    f"because their gradients are over {1 / NEGLIGIBLE_GRAD:,.0f} times smaller than the "
                    f"model's typical one ({names_list(cancelled)}): they have almost no effect on the loss.",
                    hint="A bias right before a normalization layer (BatchNorm, LayerNorm, GroupNorm) is "
                         "subtracted by it and never matters: create that layer with bias=False.",
                    metrics={"params": cancelled, "n_params": len(cancelled)}))
            if unchanged:
                lr0 = sorted({trace.lrs[n] for n in unchanged})
                findings.append(self.finding(
                    "unchanged", Severity.WARNING,
                    f"{len(unchanged)} parameter tensors have gradients but did not change in "
                    f"{trace.n_steps} optimizer steps ({names_list(unchanged)}).",
                    hint="Check their parameter group's learning rate (a warm-up starting at 0 looks "
                         "frozen), and whether the optimizer's step is skipped.",
                    metrics={"params": unchanged, "n_params": len(unchanged), "group_lrs": lr0,
                             "skipped_steps": len(trace.skipped_steps)}))
        return findings
