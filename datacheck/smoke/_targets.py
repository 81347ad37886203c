"""Targets the loss cannot take: class labels outside the model's outputs, binary targets
outside [0, 1], regression targets that are not finite or whose shape differs from the
prediction's (the loss would broadcast them).

Read once per run from every batch read; ``smoke.loader_batches`` reports it as one error, and
every probe that computes the loss is skipped with the same reason instead of raising
PyTorch's ``IndexError: Target 10 is out of bounds``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datacheck.smoke._hooks import fmt
from datacheck.smoke._torch import torch

if TYPE_CHECKING:
    from datacheck.smoke._context import SmokeContext


@dataclass(frozen=True)
class TargetMismatch:
    """What is wrong with the targets, in one sentence, and its numbers.

    ``kind`` is ``one_based`` (labels 1..C for C outputs), ``too_high`` (labels >= C),
    ``negative`` (labels below 0 that are not the loss's ignore_index), ``binary_range``
    (targets of a binary loss outside [0, 1]), ``non_finite`` (regression targets that are
    NaN or infinite) or ``shape`` (regression targets shaped unlike the prediction; ``low``
    and ``high`` are then NaN).
    """

    kind: str
    message: str
    low: float
    high: float
    n_outputs: int
    n_bad: int
    n_targets: int


def target_mismatch(ctx: SmokeContext) -> TargetMismatch | None:
    """The run's target mismatch, or None when the targets fit (computed once)."""
    return ctx.cached("target_mismatch", lambda: _find(ctx))


def _find(ctx: SmokeContext) -> TargetMismatch | None:
    kind = ctx.loss_kind
    if kind == "other" and not ctx.is_regression:
        return None
    ys = [y for _, y in ctx.batches(ctx.max_batches)]
    if not all(isinstance(y, torch.Tensor) for y in ys):
        return None
    if ctx.is_regression:
        return _regression(ctx, ys)
    if kind in ("bce", "bce_logits"):
        return _binary(ys)
    if any(y.is_floating_point() or y.is_complex() or y.dtype == torch.bool for y in ys):
        return None  # soft targets (class probabilities) or something the loss will refuse itself
    try:
        c = ctx.n_classes
    except Exception:  # noqa: BLE001 - a broken forward is reported by the probes that run it
        return None
    ignore = getattr(ctx.loss_fn, "ignore_index", -100)
    values = torch.cat([y.detach().reshape(-1) for y in ys])
    values = values[values != ignore]
    if not values.numel():
        return None
    bad = (values < 0) | (values >= c)
    n_bad = int(bad.sum())
    if not n_bad:
        return None
    lo, hi, n = int(values.min()), int(values.max()), int(values.numel())
    seen = f"the labels run {lo}..{hi} but the model has {c} outputs (0..{c - 1})"
    if lo >= 1 and hi == c:
        return TargetMismatch("one_based", f"{seen}: the labels look 1-based", lo, hi, c, n_bad, n)
    if hi >= c:
        share = f"{n_bad} of {n} labels ({fmt(100 * n_bad / n)}%) are {c} or more"
        return TargetMismatch("too_high", f"{seen}: {share}", lo, hi, c, n_bad, n)
    return TargetMismatch("negative", f"{seen}: {n_bad} of {n} labels are negative, and the loss's "
                          f"ignore_index is {ignore}", lo, hi, c, n_bad, n)


def _binary(ys: list) -> TargetMismatch | None:
    values = torch.cat([y.detach().reshape(-1).float() for y in ys])
    finite = values[torch.isfinite(values)]
    if not finite.numel():
        return None
    bad = (finite < 0) | (finite > 1)
    n_bad = int(bad.sum())
    if not n_bad:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    return TargetMismatch(
        "binary_range", f"the targets run {fmt(lo)}..{fmt(hi)} but a binary cross-entropy needs them "
        f"in [0, 1]: {n_bad} of {finite.numel()} are outside", lo, hi, 2, n_bad, int(finite.numel()))


def _regression(ctx: SmokeContext, ys: list) -> TargetMismatch | None:
    values = torch.cat([y.detach().reshape(-1).float() for y in ys])
    n_bad = int((~torch.isfinite(values)).sum())
    if n_bad:
        finite = values[torch.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.numel() else (math.nan, math.nan)
        return TargetMismatch(
            "non_finite", f"{n_bad} of {values.numel()} regression targets "
            f"({fmt(100 * n_bad / values.numel())}%) are NaN or infinite, so the loss is not finite",
            lo, hi, 1, n_bad, int(values.numel()))
    x, y = ctx.first
    try:
        with torch.no_grad(), ctx.seeded(99):
            pred = ctx.forward(ctx.fresh_model().eval(), x)
    except Exception:  # noqa: BLE001 - a broken forward is reported by the probes that run it
        return None
    if tuple(pred.shape) == tuple(y.shape):
        return None
    try:
        joint = tuple(torch.broadcast_shapes(pred.shape, y.shape))
        what = f"the loss broadcasts them to {joint}, comparing every prediction with every target"
    except RuntimeError:
        what = "the loss cannot pair them"
    return TargetMismatch(
        "shape", f"the model predicts shape {tuple(pred.shape)} but the targets have shape "
        f"{tuple(y.shape)}: {what}", math.nan, math.nan, int(pred.numel() // max(len(pred), 1)),
        len(y), len(y))
