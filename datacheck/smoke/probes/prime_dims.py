"""``smoke.prime_dims``: a batch of prime size exposes dimension mix-ups (item 25)."""

from __future__ import annotations

import warnings

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._mixing import measure_leak
from datacheck.smoke._torch import torch
from datacheck.smoke.probes.batch_independence import leak_findings

_PRIMES = (13, 11, 17, 7, 5, 3)


@register
class PrimeDimsProbe(Probe):
    """The model and loss on a batch whose size is a prime that no other dimension shares.

    What it detects: a batch size hard-coded in forward (``x.view(32, -1)``), an output whose
    first dimension is not the batch (axes swapped, a flatten over the batch), a loss that
    silently broadcasts predictions against targets of another shape (e.g. (N, 1) against
    (N,), which torch only warns about), and, on that batch, predictions that depend on other
    samples (as smoke.batch_independence). The size is ``batch_size`` unless the loader's
    batch or another input dimension already has that size, then the next prime that is free.
    Why it matters: with batch 32 and 32 channels, a swapped axis runs without an error; a
    size that matches nothing turns such mix-ups into shape errors or visible leaks.

    Parameters
    ----------
    batch_size : int, default=13
        The preferred prime batch size.
    tol : float, default=1e-6
        Largest allowed other-sample/own gradient ratio.
    rtol : float, default=1e-5
        Largest allowed relative change of a prediction when the other samples change.
    """

    id = "smoke.prime_dims"
    items = (25,)
    needs = ("tensor_input", "valid_targets")
    params = {
        "batch_size": Param(13, "The preferred prime batch size.", int, 2, None),
        "tol": Param(1e-6, "Largest allowed other-sample/own gradient ratio.", float, 0, None),
        "rtol": Param(1e-5, "Largest allowed relative change when other samples change.", float, 0, None),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        x0, _ = ctx.first
        taken = set(x0.shape)
        sizes = [self.config["batch_size"]] + [p for p in _PRIMES if p != self.config["batch_size"]]
        n = next((s for s in sizes if s not in taken), self.config["batch_size"])
        x, y = ctx.samples(n)
        if len(x) < n:
            raise Skip(f"the loader yields fewer than {n} samples")
        model = ctx.fresh_model().eval()
        usual = len(ctx.first[1])
        try:
            with torch.no_grad(), ctx.seeded(8):
                pred = ctx.forward(model, x)
        except Exception as exc:  # noqa: BLE001 - the shape error is the finding
            return [self.finding(
                "forward_fails", Severity.ERROR,
                f"The model fails on a batch of {n} samples (it runs on batches of {usual}): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                hint="Do not hard-code the batch size in forward; use x.shape[0] or -1 in view/reshape.",
                metrics={"batch_size": n, "loader_batch_size": usual})]
        if pred.ndim == 0 or pred.shape[0] != n:
            return [self.finding(
                "batch_dim", Severity.ERROR,
                f"For a batch of {n} samples the model returns a prediction of shape "
                f"{tuple(pred.shape)}: its first dimension is not the batch.",
                hint="Check view/reshape/flatten calls: flatten from dim 1 (torch.flatten(x, 1)) and "
                     "permute instead of view when swapping axes.",
                metrics={"batch_size": n, "shape": list(pred.shape)})]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ctx.loss(pred, y)
            except Exception as exc:  # noqa: BLE001
                return [self.finding(
                    "loss_fails", Severity.ERROR,
                    f"The loss fails on predictions of shape {tuple(pred.shape)} and targets of shape "
                    f"{tuple(y.shape)}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    hint="Make the model's output and the targets agree in shape and dtype.",
                    metrics={"pred_shape": list(pred.shape), "target_shape": list(y.shape)})]
        broadcast = [str(w.message) for w in caught if "target size" in str(w.message).lower()
                     or "broadcast" in str(w.message).lower()]
        if broadcast:
            return [self.finding(
                "loss_broadcast", Severity.ERROR,
                f"The loss broadcasts predictions of shape {tuple(pred.shape)} against targets of "
                f"shape {tuple(y.shape)}, comparing every prediction with every target.",
                hint="Squeeze or reshape so prediction and target shapes match exactly.",
                metrics={"pred_shape": list(pred.shape), "target_shape": list(y.shape),
                         "warning": broadcast[0]})]
        return leak_findings(self, measure_leak(ctx, model, x), n)
