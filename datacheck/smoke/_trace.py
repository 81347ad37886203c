"""The short training run that several probes read (computed once per smoke run).

A copy of the model is trained for ``ctx.steps`` steps with a copy of the user's optimizer
on the loader's batches. Each step records the loss and, after ``GradScaler.unscale_``, the
float32 norm of every parameter's gradient; the first steps also record the true relative
update ``||W_after - W_before|| / ||W_before||`` of every weight. The run stops at the first
non-finite loss (or non-finite gradient without AMP), keeping the model, batch and RNG state
of that step so ``smoke.nan_origin`` can replay it. One device sync per step. Before and
after the run the loss is also scored on the same first batches (train mode, no gradient,
one seeded RNG), so whether the run moved the loss does not hang on batch-to-batch noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datacheck.smoke._context import SmokeContext
from datacheck.smoke._torch import torch

RATIO_STEPS = 32  # relative updates are recorded for steps 0..RATIO_STEPS-1
SCORE_BATCHES = 4  # batches the loss is scored on before and after the run


@dataclass
class Failure:
    """The first step whose loss (``kind="loss"``) or gradient (``kind="grad"``) was not finite."""

    step: int
    kind: str
    loss: float
    model: Any
    x: Any
    y: Any
    rng: tuple[Any, Any]
    bad_params: list[str] = field(default_factory=list)


@dataclass
class Trace:
    """What the short training run recorded.

    ``grad_norms`` is (steps taken, parameters), NaN where a gradient was None
    (``grad_present`` False);
    ``update_ratios`` is (steps, weights) for the first ``RATIO_STEPS`` steps, NaN where a
    step was not taken (GradScaler skipped it);
    ``start_loss`` and ``end_loss`` score the first ``SCORE_BATCHES`` batches before and after
    the run (``end_loss`` is NaN when the run stopped at a non-finite value).
    """

    names: list[str]
    shapes: list[tuple[int, ...]]
    losses: list[float]
    grad_norms: np.ndarray
    grad_present: np.ndarray
    changed: np.ndarray
    weight_names: list[str]
    update_ratios: np.ndarray
    skipped_steps: list[int]
    lrs: dict[str, float]
    has_optimizer: bool
    start_loss: float
    end_loss: float
    failure: Failure | None = None

    @property
    def n_steps(self) -> int:
        """Steps whose gradients were recorded."""
        return int(self.grad_norms.shape[0])


def get_trace(ctx: SmokeContext) -> Trace:
    """The run's trace, computed on first use."""
    return ctx.cached("trace", lambda: _record(ctx))


def _score(ctx: SmokeContext, model: Any) -> float:
    """Mean loss of ``model`` (train mode, no gradient, seeded) on the first batches."""
    batches = ctx.batches(SCORE_BATCHES)
    with torch.no_grad(), ctx.seeded(14):
        total = sum(float(ctx.loss(ctx.forward(model, x), y)) * len(y) for x, y in batches)
    value = total / max(sum(len(y) for _, y in batches), 1)
    return value if math.isfinite(value) else float("nan")


def _record(ctx: SmokeContext) -> Trace:
    start_loss = _score(ctx, ctx.fresh_model().train())  # its own copy: BN statistics move
    with ctx.seeded(1):
        model = ctx.fresh_model().train()
        opt = ctx.make_optimizer(model)
        scaler = ctx.grad_scaler()
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        names = [n for n, _ in named]
        weights = [(n, p) for n, p in named if p.ndim >= 2]
        start = [p.detach().clone() for _, p in named]
        lrs = {}
        if opt is not None:
            ids = {id(p): n for n, p in named}
            for group in opt.param_groups:
                for p in group["params"]:
                    if id(p) in ids:
                        lrs[ids[id(p)]] = float(group["lr"])
        losses: list[float] = []
        norms: list[np.ndarray] = []
        presence: list[np.ndarray] = []
        ratios: list[np.ndarray] = []
        skipped: list[int] = []
        failure = None
        nan = torch.tensor(float("nan"), device=ctx.device)
        for step in range(ctx.steps):
            x, y = ctx.batch(step)
            rng = ctx.rng_state()
            model.zero_grad(set_to_none=True)
            loss = ctx.loss(ctx.forward(model, x), y)
            value = float(loss.detach())
            if not math.isfinite(value):
                failure = Failure(step, "loss", value, model, x, y, rng)
                break
            losses.append(value)
            scaler.scale(loss).backward()
            if opt is not None:
                scaler.unscale_(opt)
            step_norms = torch.stack([p.grad.detach().float().norm() if p.grad is not None else nan
                                      for _, p in named]) if named else nan.reshape(0)
            host = step_norms.cpu().numpy().astype(np.float64)
            present = np.array([p.grad is not None for _, p in named], dtype=bool)
            norms.append(host)
            presence.append(present)
            bad = [names[i] for i in np.flatnonzero(present & ~np.isfinite(host))]
            if bad and not scaler.is_enabled():
                failure = Failure(step, "grad", value, model, x, y, rng, bad)
                break
            before = [p.detach().clone() for _, p in weights] if step < RATIO_STEPS else None
            if opt is not None:
                scale = scaler.get_scale() if scaler.is_enabled() else 1.0
                scaler.step(opt)
                scaler.update()
                if scaler.is_enabled() and scaler.get_scale() < scale:
                    skipped.append(step)
            if before is not None:
                if step in skipped or not weights:
                    ratios.append(np.full(len(weights), np.nan))
                else:
                    r = torch.stack([(p.detach().float() - b.float()).norm() / b.float().norm()
                                     for (_, p), b in zip(weights, before)])
                    ratios.append(r.cpu().numpy().astype(np.float64))
        changed = np.array([not torch.equal(p.detach(), s) for (_, p), s in zip(named, start)],
                           dtype=bool)
    end_loss = float("nan") if failure is not None else _score(ctx, model)
    return Trace(
        names=names,
        shapes=[tuple(p.shape) for _, p in named],
        losses=losses,
        grad_norms=np.array(norms).reshape(len(norms), len(named)),
        grad_present=np.array(presence, dtype=bool).reshape(len(presence), len(named)),
        changed=changed,
        weight_names=[n for n, _ in weights],
        update_ratios=np.array(ratios).reshape(len(ratios), len(weights)),
        skipped_steps=skipped,
        lrs=lrs,
        has_optimizer=opt is not None,
        start_loss=start_loss,
        end_loss=end_loss,
        failure=failure,
    )
