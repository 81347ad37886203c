"""``smoke.batch_independence``: predictions that depend on other samples of the batch."""

from __future__ import annotations

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt
from datacheck.smoke._mixing import measure_leak


@register
class BatchIndependenceProbe(Probe):
    """Whether each prediction depends only on its own sample (Karpathy's backprop check).

    What it detects: a model whose prediction for sample i changes with sample j != i: a
    ``view``/``reshape`` where a ``permute``/``transpose`` was meant (batch and time or
    channel axes swapped), a reduction over the batch axis, a mean/std taken over the whole
    batch in forward. With the model in eval mode (normalization layers use running
    statistics, so BatchNorm's legitimate mixing is excluded, and say so), it backpropagates
    from a random projection of prediction i and requires the gradient on every other input
    to be zero: the largest other-sample gradient over the largest gradient must stay below
    ``tol`` (exact independence gives 0; float32 noise is about 1e-6 at most). It also
    replaces every other sample and requires prediction i to stay within ``rtol``, which
    catches mixing that has no gradient (and is the only test for integer inputs).
    Why it matters: such a model trains (the loss falls) but learns from the wrong samples,
    and its predictions change with batch size and batch company at inference.

    Parameters
    ----------
    tol : float, default=1e-6
        Largest allowed other-sample/own gradient ratio.
    rtol : float, default=1e-5
        Largest allowed relative change of a prediction when the other samples change.
    n_samples : int, default=16
        Batch size of the test (from the loader's first batches).
    """

    id = "smoke.batch_independence"
    items = (25,)
    needs = ("tensor_input",)
    params = {
        "tol": Param(1e-6, "Largest allowed other-sample/own gradient ratio.", float, 0, None),
        "rtol": Param(1e-5, "Largest allowed relative change when other samples change.", float, 0, None),
        "n_samples": Param(16, "Batch size of the test.", int, 2, None),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        x, _ = ctx.samples(self.config["n_samples"])
        if len(x) < 2:
            raise Skip("the loader yields single-sample batches")
        model = ctx.fresh_model().eval()
        leak = measure_leak(ctx, model, x)
        return leak_findings(self, leak, len(x))


def leak_findings(probe: Probe, leak, n: int) -> list[Finding]:
    """The finding for a measured leak (shared with smoke.prime_dims), or none."""
    cfg = probe.config
    grad_bad = leak.grad_ratio is not None and leak.grad_ratio > cfg["tol"]
    fwd_bad = leak.forward_ratio > cfg["rtol"]
    if not (grad_bad or fwd_bad):
        return []
    if grad_bad and leak.worst_pair is not None:
        i, j = leak.worst_pair
        how = (f"the gradient of prediction {i} reaches input {j}, at {fmt(100 * leak.grad_ratio)}% of "
               "the largest input gradient")
    else:
        how = f"prediction changes by {fmt(leak.forward_ratio)} (relative) when the other samples change"
    return [probe.finding(
        "mixes_samples", Severity.ERROR,
        f"In a batch of {n}, with normalization layers in eval mode, predictions depend on other "
        f"samples: {how}.",
        hint="Look for view/reshape where permute/transpose was meant (batch and time/channel axes "
             "swapped), and for reductions over dim 0 in forward.",
        metrics={"grad_ratio": leak.grad_ratio, "forward_ratio": leak.forward_ratio,
                 "batch_size": n, "pair": list(leak.worst_pair) if leak.worst_pair else None})]
