"""Does a prediction depend on other samples of the batch? (Karpathy's backprop check.)

Used by ``smoke.batch_independence`` (the loader's batch size) and ``smoke.prime_dims`` (a
prime batch size). Both run the model in eval mode, so normalization layers use running
statistics instead of mixing the batch, and seed the RNG identically for paired passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datacheck.smoke._context import SmokeContext
from datacheck.smoke._torch import torch


@dataclass
class Leak:
    """How much prediction ``i`` depends on sample ``j != i``.

    ``grad_ratio``: max over j of ||d(w . pred_i)/d x_j|| / max over all j (0 when the
    gradient is exactly zero off the diagonal; None when inputs are not floating point).
    ``forward_ratio``: relative change of pred_i when every other sample is replaced.
    """

    grad_ratio: float | None
    forward_ratio: float
    worst_pair: tuple[int, int] | None


def probe_indices(n: int) -> list[int]:
    """The samples whose predictions are examined: the first and the middle one."""
    return sorted({0, n // 2})


def measure_leak(ctx: SmokeContext, model: Any, x: Any) -> Leak:
    """Gradient and forward-perturbation leak of ``model`` (in eval mode) on batch ``x``."""
    n = len(x)
    idx = probe_indices(n)
    grad_ratio, worst = None, None
    if x.is_floating_point():
        grad_ratio = 0.0
        xg = x.detach().clone().requires_grad_(True)
        with ctx.seeded(7):
            pred = ctx.forward(model, xg)
        weights = torch.randn(pred.shape[1:], generator=torch.Generator().manual_seed(ctx.seed),
                              dtype=torch.float32).to(pred.device)
        for i in idx:
            (g,) = torch.autograd.grad((pred[i].float() * weights).sum(), xg,
                                       retain_graph=True, allow_unused=True)
            if g is None:
                continue
            norms = g.detach().float().reshape(n, -1).norm(dim=1)
            top = float(norms.max())
            if top == 0:
                continue
            others = norms.clone()
            others[i] = 0
            ratio = float(others.max()) / top
            if ratio > grad_ratio:
                grad_ratio, worst = ratio, (i, int(others.argmax()))
    with torch.no_grad():
        with ctx.seeded(7):
            base = ctx.forward(model, x).float()
        swapped = x.clone()
        rest = [j for j in range(n) if j not in idx]
        if rest:
            perm = torch.tensor(rest, device=x.device)
            swapped[perm] = x[perm.roll(1)]
            if x.is_floating_point() and torch.equal(swapped, x):
                swapped[perm] = swapped[perm] + torch.randn_like(swapped[perm])
        with ctx.seeded(7):
            moved = ctx.forward(model, swapped).float()
    scale = float(base[idx].abs().max()) or 1.0
    forward_ratio = float((moved[idx] - base[idx]).abs().max()) / scale if rest else 0.0
    return Leak(grad_ratio, forward_ratio, worst)
