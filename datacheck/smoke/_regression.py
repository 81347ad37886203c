"""Reference values for a regression target, shared by the smoke probes.

An untrained model knows nothing of the target, so the best it can do is predict a constant;
for MSE that constant is the target's mean and its loss is the target's variance, for L1 the
median and the mean absolute deviation (``best_constant``). The probes compare the model's
losses with this floor rather than with zero, so a target far from zero (a raw price, an age)
is expected to start high and is judged by how far the model gets towards the floor and
below it. ``initial_fit`` reads the untrained model's outputs against the targets (offset and
spread, computed once per run); ``far_target`` says when they start so far apart that a short
run from scratch cannot be judged; ``held_out_fit`` reads how a trained copy's predictions
follow held-out targets once their offset and scale are fitted away (``recalibrated``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from datacheck.smoke._torch import torch

# Above this initial MSE / Var(y) (the targets' mean about 3 standard deviations from the
# untrained model's outputs) a short run mostly moves the output towards the targets: the
# probes that train from scratch skip with that reason and smoke.init_loss reports it.
FAR_RATIO = 10.0
# Above this initial MSE / Var(y) the offset between the targets and the untrained outputs is
# most of the initial loss, and the first steps at any usual rate move the loss slowly.
OFFSET_RATIO = 2.0
# initial_fit scores at least this many batches, evenly spread over those read.
SPREAD_BATCHES = 4
# A trained model whose predictions are nearly all on one side of their targets has not yet
# reached the targets' range (it still learns the offset): this share or less on the other side.
UNREACHED_SHARE = 0.1


@dataclass(frozen=True)
class InitialFit:
    """The untrained model's predictions against the targets, on batches spread over the
    loader's first batches (a sorted loader's first batches hold only the low targets).

    Attributes
    ----------
    loss : float
        The loss at initialisation (train mode, no gradient), weighted by batch size.
    mse : float
        Mean squared error of the predictions, whatever the loss.
    variance, target_mean : float
        Of the same targets.
    output_mean, output_std : float
        Of the predictions.
    n_samples : int
        Samples scored.
    """

    loss: float
    mse: float
    variance: float
    target_mean: float
    output_mean: float
    output_std: float
    n_samples: int

    @property
    def ratio(self) -> float:
        """``mse / variance``: 1 for a model that predicts the targets' mean."""
        return self.mse / self.variance if self.variance > 0 else math.nan

    @property
    def offset_in_std(self) -> float:
        """(mean output - mean target) in the targets' standard deviations."""
        return (self.output_mean - self.target_mean) / self.variance ** 0.5 if self.variance > 0 else math.nan


def initial_fit(ctx: Any, min_samples: int = 64) -> InitialFit:
    """The untrained model's fit on at least ``min_samples`` samples taken from at least
    ``SPREAD_BATCHES`` batches evenly spread over those read (computed once per size)."""
    return ctx.cached(f"initial_fit_{min_samples}", lambda: _initial_fit(ctx, min_samples))


def _initial_fit(ctx: Any, min_samples: int) -> InitialFit:
    batches = ctx.batches(ctx.max_batches)
    size = max(len(batches[0][1]), 1)
    m = min(len(batches), max(SPREAD_BATCHES, math.ceil(min_samples / size)))
    chosen = [batches[i] for i in np.unique(np.linspace(0, len(batches) - 1, m).round().astype(int))]
    model = ctx.fresh_model().train()
    preds, targets, total = [], [], 0.0
    with ctx.seeded(2), torch.no_grad():
        for x, y in chosen:
            pred = ctx.forward(model, x)
            total += float(ctx.loss(pred, y)) * len(y)
            preds.append(pred.float().reshape(-1))
            targets.append(y.float().reshape(-1))
    p, t = torch.cat(preds), torch.cat(targets)
    n = len(t)
    return InitialFit(loss=total / n, mse=float(((p - t) ** 2).mean()), variance=float(t.var(unbiased=False)),
                      target_mean=float(t.mean()), output_mean=float(p.mean()),
                      output_std=float(p.std(unbiased=False)), n_samples=n)


def far_target(ctx: Any) -> str | None:
    """Why a short run from scratch cannot be judged on this regression target (its mean far
    from the untrained model's outputs), or None."""
    try:
        fit = initial_fit(ctx)
    except Exception:  # noqa: BLE001 - a broken forward is reported by the probes that run it
        return None
    if not fit.ratio > FAR_RATIO:
        return None
    return (f"the untrained model's squared error is {fit.ratio:.3g}x the targets' variance (see "
            "smoke.init_loss): a short run from scratch mostly moves the output towards the targets")


def constant_loss(ctx: Any, batches: list[tuple[Any, Any]], value: float) -> float:
    """Mean loss over ``batches`` (weighted by size) of the constant prediction ``value``,
    shaped as the targets."""
    total = sum(float(ctx.loss(torch.full_like(y, value, dtype=torch.float32), y)) * len(y)
                for _, y in batches)
    return total / max(sum(len(y) for _, y in batches), 1)


def best_constant(ctx: Any, batches: list[tuple[Any, Any]]) -> tuple[float, float]:
    """The constant (the targets' mean or median, whichever the loss prefers) and its loss."""
    y = torch.cat([t.detach().reshape(-1).float() for _, t in batches])
    candidates = {float(y.mean()), float(y.median())}
    return min(((c, constant_loss(ctx, batches, c)) for c in candidates), key=lambda cl: cl[1])


def recalibrated(pred: Any, y: Any) -> Any:
    """``pred`` with the least-squares offset and non-negative scale that best map it onto
    ``y``: what the prediction says about the target, whatever the scale the model has
    reached so far. A prediction unrelated to (or against) the target becomes the mean."""
    p = pred.detach().float().reshape(-1)
    t = y.detach().float().reshape(-1)
    pc, tc = p - p.mean(), t - t.mean()
    var = float(pc @ pc)
    slope = max(float(pc @ tc) / var, 0.0) if var > 0 else 0.0
    return (t.mean() + slope * pc).reshape(y.shape)


@dataclass(frozen=True)
class HeldOutFit:
    """How a trained model's predictions follow held-out targets, offset and scale aside.

    Attributes
    ----------
    squared_error : float
        Mean squared error after ``recalibrated``, about (1 - r^2) times the targets' variance.
    correlation : float
        Pearson correlation of predictions and targets (0 for constant predictions).
    p_value : float
        One-sided chance of a correlation this high from predictions unrelated to the targets
        (t-test with n - 2 degrees of freedom).
    unreached : str
        When at least ``1 - UNREACHED_SHARE`` of the predictions are still below (or above) their
        targets, that fact in words, else "".
    """

    squared_error: float
    correlation: float
    p_value: float
    unreached: str


def held_out_fit(ctx: Any, model: Any, batches: list[tuple[Any, Any]]) -> HeldOutFit:
    """``model``'s ``HeldOutFit`` on ``batches`` (eval mode, no gradient)."""
    from scipy.stats import t as student

    model.eval()
    with torch.no_grad():
        y = torch.cat([t for _, t in batches])
        pred = torch.cat([ctx.forward(model, x).float().reshape(-1) for x, _ in batches])
        error = float(((recalibrated(pred, y).float() - y.float()) ** 2).mean())
    model.train()
    p, t = pred.double(), y.double().reshape(-1)
    pc, tc = p - p.mean(), t - t.mean()
    norm = float(pc.norm() * tc.norm())
    r = float(pc @ tc) / norm if norm > 0 else 0.0
    n = len(t)
    stat = r * math.sqrt(max(n - 2, 1) / max(1 - r * r, 1e-12))
    below = float((p < t).double().mean())
    side = "below" if below >= 1 - UNREACHED_SHARE else "above" if below <= UNREACHED_SHARE else ""
    unreached = (f"mostly lie {side} their targets ({max(below, 1 - below):.0%}; mean {float(p.mean()):.3g} "
                 f"against {float(t.mean()):.3g})" if side else "")
    return HeldOutFit(squared_error=error, correlation=r, p_value=float(student.sf(stat, max(n - 2, 1))),
                      unreached=unreached)
