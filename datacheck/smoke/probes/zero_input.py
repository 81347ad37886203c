"""``smoke.zero_input``: does the model learn more from the inputs than from nothing? (item 2)."""

from __future__ import annotations

import math

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext, adam, eval_loss, train_step
from datacheck.smoke._hooks import fmt
from datacheck.smoke._regression import held_out_fit
from datacheck.smoke._torch import torch


@register
class ZeroInputProbe(Probe):
    """A seeded twin trained on zeroed inputs against one trained on the real inputs.

    What it detects: inputs that carry no usable signal for the model: labels shuffled apart
    from the inputs, a model that ignores its input (multiplied by zero, overwritten, detached
    before the first layer), inputs wiped by preprocessing. Two identical copies train for
    ``steps`` Adam steps with the same seed, one on the real batches, one on zeros; both are
    then scored on real held-out batches (the last ``holdout_ratio`` of the batches read, or
    the training batches when fewer than 5 were read). The real twin's loss must be at least
    ``min_gain`` lower. On a regression target each twin's held-out predictions are first
    mapped onto the targets by the least-squares offset and (non-negative) scale, and scored
    in squared error whatever the loss (1 - r^2 of the prediction, in the targets' variance):
    a short run on a target far from zero is still moving its output towards the target's
    scale, the same for both twins, and what tells them apart is whether the prediction
    follows the target. The twins then train at ``regression_lr``: their outputs must first
    travel to the target's scale (a mean of 150 for a raw target), and Adam moves each
    weight by about the rate per step. The real twin also passes when its held-out
    predictions correlate with the targets beyond chance (one-sided p below
    ``max_p_value``): on a few held-out batches the zero twin's chance correlation is noisy.
    When the real twin does neither and 90% or more of its predictions are still on one side
    of their targets, it is too early to tell: skipped.
    Why it matters: a model that learns only the label prior still shows a falling loss, so
    the training curve looks healthy while nothing is learnt from the data.

    Parameters
    ----------
    lr : float, default=1e-3
        Adam's learning rate for both twins.
    regression_lr : float, default=1e-2
        Adam's learning rate for both twins on a regression target.
    max_p_value : float, default=0.01
        Regression: the real twin also passes when its held-out predictions correlate with
        the targets at a one-sided p-value below this (t-test).
    min_gain : float, default=0.1
        The real twin's held-out loss must be at most (1 - min_gain) times the zero twin's.
    holdout_ratio : float, default=0.2
        Share of the batches read that is kept for scoring.
    """

    id = "smoke.zero_input"
    items = (2,)
    needs = ("float_input", "trainable", "valid_targets", "target_scale")
    params = {
        "lr": Param(1e-3, "Adam's learning rate for both twins.", float, 0, None, low_open=True),
        "regression_lr": Param(1e-2, "Adam's learning rate for both twins on a regression target.",
                               float, 0, None, low_open=True),
        "max_p_value": Param(0.01, "Regression: the real twin passes when its held-out correlation "
                                   "has a one-sided p-value below this.", float, 0, 1, low_open=True),
        "min_gain": Param(0.1, "Real must beat zeros by this fraction of the zero twin's loss.",
                          float, 0, 1, low_open=True, high_open=True),
        "holdout_ratio": Param(0.2, "Share of the batches kept for scoring.", float, 0, 1,
                               low_open=True, high_open=True),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        batches = ctx.batches(ctx.max_batches)
        if len(batches) >= 5:
            n_hold = max(1, round(len(batches) * self.config["holdout_ratio"]))
            if ctx.is_regression:  # spread over the range, whatever the loader's order
                picks = {int((k + 0.5) * len(batches) / n_hold) for k in range(n_hold)}
                held = [b for i, b in enumerate(batches) if i in picks]
                train = [b for i, b in enumerate(batches) if i not in picks]
            else:
                train, held = batches[:-n_hold], batches[-n_hold:]
            scored_on = "held-out batches"
        else:
            train = held = batches
            scored_on = "the training batches (fewer than 5 batches)"
        scores, fits = [], []
        for zeros in (False, True):
            with ctx.seeded(5):
                model = ctx.fresh_model().train()
                lr = self.config["regression_lr" if ctx.is_regression else "lr"]
                opt, scaler = adam(model, lr), ctx.grad_scaler()
                for step in range(ctx.steps):
                    x, y = train[step % len(train)]
                    train_step(ctx, model, opt, scaler, torch.zeros_like(x) if zeros else x, y)
                if ctx.is_regression:
                    fits.append(held_out_fit(ctx, model, held))
                    scores.append(fits[-1].squared_error)
                else:
                    scores.append(eval_loss(ctx, model, held))
        real, zero = scores
        if not (math.isfinite(real) and math.isfinite(zero)):
            raise Skip("a twin's loss is not finite (smoke.nan_origin looks for where it comes from)")
        gained = real <= (1 - self.config["min_gain"]) * zero
        metrics = {"real_loss": real, "zero_loss": zero, "ratio": real / zero if zero > 0 else None,
                   "steps": ctx.steps, "scored_on": scored_on}
        if fits:
            if not gained and fits[0].unreached:
                raise Skip(f"after {ctx.steps} steps the real twin's outputs {fits[0].unreached}: too "
                           "early to tell what it learns from its inputs")
            metrics.update(real_correlation=fits[0].correlation, real_p_value=fits[0].p_value)
            gained = gained or fits[0].p_value < self.config["max_p_value"]
        if gained:
            return []
        score = "a squared error (offset and scale fitted)" if ctx.is_regression else "a loss"
        return [self.finding(
            "no_gain", Severity.ERROR,
            f"After {ctx.steps} steps, a copy trained on the real inputs scores {score} of {fmt(real)} on "
            f"{scored_on}, no better than a twin trained on all-zero inputs ({fmt(zero)}): the model "
            "learns nothing from its inputs.",
            hint="Check that inputs and labels stay paired (no separate shuffles), that the model's "
                 "forward uses its input, and that preprocessing does not blank the data.",
            metrics=metrics)]

