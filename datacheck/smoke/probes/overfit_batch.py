"""``smoke.overfit_batch``: can the model memorise a tiny batch? (items 27, 5)."""

from __future__ import annotations

import copy
import math

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext, adam, train_step
from datacheck.smoke._hooks import dropout_types, fmt
from datacheck.smoke._regression import best_constant
from datacheck.smoke._torch import nn


def softmax_plateau(n_classes: int) -> float:
    """The lowest CrossEntropyLoss reachable when the model outputs probabilities:
    ln(1 + (C-1)/e), reached when the "logits" are one-hot."""
    return math.log(1 + (n_classes - 1) / math.e)


@register
class OverfitBatchProbe(Probe):
    """Memorising a tiny batch, with regularization off.

    What it detects: a model that cannot drive the loss on ``n_samples`` samples to
    ``target_ratio`` of its initial value within ``max_steps`` Adam steps (dropout modules
    off, no weight decay, no label smoothing). A loss stuck at ln(1 + (C-1)/e) is diagnosed as
    softmax fed to CrossEntropyLoss.
    On a regression target the loss is measured against what predicting the batch's mean (or
    median) gives, the batch's variance for MSE, not against the initial loss, which for a
    target far from zero is mostly the offset the first steps remove: it passes at
    ``target_ratio`` of that, and ``warn_ratio`` warns. For L1-like losses (L1Loss, HuberLoss,
    SmoothL1Loss), which grow linearly with the error, the ratios are square-rooted. Adam's
    rate is then ``regression_lr``: the output must also travel to the target's scale (a mean
    of 150 for a raw target), and Adam moves each weight by about the rate per step.
    Why it matters: any network with enough parameters can memorise 13 samples. If it cannot,
    something between the input and the loss is broken (a detached or frozen path, a wrong
    loss, labels not reaching the loss, a bad architecture), and training on the full data
    will fail too, only more slowly and less visibly.

    Parameters
    ----------
    n_samples : int, default=13
        Size of the batch to memorise (taken from the loader's first batches).
    lr : float, default=3e-3
        Adam's learning rate.
    regression_lr : float, default=1e-2
        Adam's learning rate on a regression target.
    max_steps : int, default=1000
        Most steps; the run stops as soon as the target is reached.
    target_ratio : float, default=0.01
        Pass when the loss falls to this fraction of the initial loss (regression: of the
        batch's constant-prediction loss).
    warn_ratio : float, default=0.1
        Warn (instead of error) when the loss reached only this fraction.
    patience : int, default=200
        Stop early after this many steps without a 0.1% improvement of the best loss.
    plateau_tolerance : float, default=0.03
        Relative distance to ln(1 + (C-1)/e) read as the softmax plateau.
    """

    id = "smoke.overfit_batch"
    items = (27, 5)
    needs = ("trainable", "valid_targets", "target_scale")
    params = {
        "n_samples": Param(13, "Samples in the batch to memorise.", int, 1, None),
        "lr": Param(3e-3, "Adam's learning rate.", float, 0, None, low_open=True),
        "regression_lr": Param(1e-2, "Adam's learning rate on a regression target.", float, 0, None,
                               low_open=True),
        "max_steps": Param(1000, "Most training steps.", int, 1, None),
        "target_ratio": Param(0.01, "Pass when the loss reaches this fraction of the initial loss.",
                              float, 0, 1, low_open=True),
        "warn_ratio": Param(0.1, "Warn instead of error when the loss reached this fraction.",
                            float, 0, 1, low_open=True),
        "patience": Param(200, "Stop after this many steps without a 0.1% improvement.", int, 1, None),
        "plateau_tolerance": Param(0.03, "Relative distance to ln(1 + (C-1)/e) read as the "
                                         "softmax plateau.", float, 0, 1),
    }

    def validate(self) -> None:
        self._order("target_ratio", "warn_ratio")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        cfg = self.config
        x, y = ctx.samples(cfg["n_samples"])
        loss_fn = ctx.loss_fn
        if isinstance(loss_fn, nn.CrossEntropyLoss) and loss_fn.label_smoothing > 0:
            loss_fn = copy.copy(loss_fn)
            loss_fn.label_smoothing = 0.0
        target, warn, reference, lr = cfg["target_ratio"], cfg["warn_ratio"], None, cfg["lr"]
        if ctx.is_regression:
            lr = cfg["regression_lr"]
            reference = best_constant(ctx, [(x, y)])[1]
            if not reference > 0:
                raise Skip(f"the {len(y)} targets of the batch are all equal")
            if ctx.loss_kind in ("l1", "huber"):
                target, warn = target ** 0.5, warn ** 0.5
        with ctx.seeded(4):
            model = ctx.fresh_model().train()
            for m in model.modules():
                if isinstance(m, dropout_types()):
                    m.eval()
            opt, scaler = adam(model, lr), ctx.grad_scaler()
            losses: list[float] = []
            best, best_step = math.inf, 0
            for step in range(cfg["max_steps"]):
                value = train_step(ctx, model, opt, scaler, x, y, loss_fn)
                losses.append(value)
                if not math.isfinite(value) or value <= target * (reference or losses[0]):
                    break
                if value < best * (1 - 1e-3):
                    best, best_step = value, step
                elif step - best_step >= cfg["patience"]:
                    break  # a plateau: more steps will not reach the target
        l0 = losses[0]
        finite = [v for v in losses if math.isfinite(v)]
        if not math.isfinite(l0) or l0 <= 0:
            raise Skip(f"the initial loss on the batch is {l0} (smoke.nan_origin and smoke.init_loss look at it)")
        best = min(finite)
        reference = reference or l0
        ratio = best / reference
        stride = max(1, len(losses) // 200)
        evidence = (Evidence("scatter", "Loss while memorising the batch",
                             {"x": list(range(0, len(losses), stride)), "y": losses[::stride],
                              "series": "loss"}),)
        metrics = {"initial_loss": l0, "best_loss": best, "ratio": ratio, "steps": len(losses),
                   "n_samples": len(y), "lr": lr}
        if ctx.is_regression:
            metrics["constant_loss"] = reference
        if ratio <= target:
            return []
        what = f"{len(y)} samples"
        if ctx.loss_kind == "ce" and ctx.n_classes >= 2:
            plateau = softmax_plateau(ctx.n_classes)
            metrics["softmax_plateau"] = plateau
            if abs(best - plateau) <= cfg["plateau_tolerance"] * plateau:
                return [self.finding(
                    "softmax_plateau", Severity.ERROR,
                    f"Memorising {what} stalls at a loss of {fmt(best)}, the floor ln(1 + (C-1)/e) = "
                    f"{fmt(plateau)} that CrossEntropyLoss reaches when the model outputs probabilities.",
                    hint="Return raw logits from the model (drop the final softmax); CrossEntropyLoss "
                         "applies log-softmax itself.",
                    metrics=metrics, evidence=evidence, items=(27, 19))]
        if not finite or len(finite) < len(losses):
            metrics["diverged"] = True
        severity = Severity.WARNING if ratio <= warn else Severity.ERROR
        against = ("what predicting their mean gives" if ctx.is_regression else "its initial value")
        return [self.finding(
            "not_memorised", severity,
            f"After {len(losses)} Adam steps (lr {fmt(lr)}) on {what} the best loss is still "
            f"{fmt(best)}, {fmt(ratio)}x {against} (target {fmt(target)}x): the model cannot "
            "memorise a tiny batch.",
            hint="Look for a path that does not train (detached tensors, frozen layers), targets that "
                 "do not match the outputs, a loss on the wrong tensor, or too little capacity; "
                 "smoke.frozen_params and smoke.gradients often name the layer.",
            metrics=metrics, evidence=evidence)]
