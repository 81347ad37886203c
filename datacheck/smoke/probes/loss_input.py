"""``smoke.loss_input``: probabilities fed to a loss that applies its own softmax/sigmoid (item 19)."""

from __future__ import annotations

from typing import Any

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, register
from datacheck.smoke._context import SmokeContext

# Autograd nodes that only move or cast values; the op that produced the prediction is behind them.
_PASS_THROUGH = {
    "ViewBackward0", "UnsafeViewBackward0", "ReshapeAliasBackward0", "CloneBackward0",
    "ToCopyBackward0", "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2",
    "UnsqueezeBackward0", "PermuteBackward0", "TransposeBackward0", "TBackward0",
    "ExpandBackward0", "AliasBackward0", "SliceBackward0", "SelectBackward0",
    "SqueezeDimBackward0", "SqueezeDimsBackward0",
}


def producing_op(t: Any) -> str | None:
    """Name of the autograd node that produced ``t``, looking through views and casts."""
    fn = t.grad_fn
    for _ in range(16):
        if fn is None:
            return None
        name = fn.name()
        if name not in _PASS_THROUGH:
            return name
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return None


@register
class LossInputProbe(Probe):
    """Probabilities fed to a loss that turns logits into probabilities itself.

    What it detects: a model ending in softmax (or sigmoid) whose output goes to
    CrossEntropyLoss (which applies log-softmax), a sigmoid before BCEWithLogitsLoss, and
    NLLLoss given something other than log-probabilities. It reads the operation that
    produced the prediction from the autograd graph (looking through views and casts); when
    the graph says nothing (no gradient, a hand-written softmax) it falls back on the values:
    rows in [0, 1] that sum to 1 within ``sum_tolerance``. LogSoftmax before
    CrossEntropyLoss is harmless (log-softmax is idempotent) and only noted.
    Why it matters: a softmax before CrossEntropyLoss squashes the gradients and puts a floor
    under the loss, at ln(1 + (C-1)/e) instead of 0: the network trains, slowly, to a
    mediocre plateau, and nothing crashes.

    Parameters
    ----------
    sum_tolerance : float, default=1e-3
        How far from 1 a row may sum and still count as a probability vector.
    min_outputs : int, default=16
        Fewest outputs for the value fallback of a sigmoid before BCEWithLogitsLoss.
    """

    id = "smoke.loss_input"
    items = (19,)
    needs = ("classification", "reference_loss")
    params = {
        "sum_tolerance": Param(1e-3, "How far from 1 a row may sum and still be a probability vector.",
                               float, 0, 1, low_open=True),
        "min_outputs": Param(16, "Fewest outputs for the sigmoid value fallback.", int, 1, None),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        x, _ = ctx.first
        model = ctx.fresh_model().train()
        with ctx.seeded(3):
            pred = ctx.forward(model, x)
        op = producing_op(pred)
        values = pred.detach().float()
        kind = ctx.loss_kind
        loss_name = getattr(ctx.loss_fn, "__name__", type(ctx.loss_fn).__name__)
        metrics = {"producing_op": op, "loss": loss_name}
        in_unit = bool(values.numel()) and float(values.min()) >= 0 and float(values.max()) <= 1
        rows_sum_one = (in_unit and values.ndim >= 2 and
                        float((values.sum(dim=1) - 1).abs().max()) <= self.config["sum_tolerance"])
        if kind == "ce":
            by_graph = op in ("SoftmaxBackward0", "SigmoidBackward0")
            if by_graph or rows_sum_one:
                what = "a sigmoid" if op == "SigmoidBackward0" else "a softmax"
                return [self.finding(
                    "softmax_into_ce", Severity.ERROR,
                    f"The model's output comes from {what}, and CrossEntropyLoss applies log-softmax "
                    "again: gradients shrink and the loss cannot go below ln(1 + (C-1)/e).",
                    hint="Return raw logits from the model (drop the final softmax/sigmoid) and apply "
                         "softmax only when you need probabilities at inference.",
                    metrics={**metrics, "detected_by": "graph" if by_graph else "values"})]
            if op == "LogSoftmaxBackward0":
                return [self.finding(
                    "log_softmax_into_ce", Severity.INFO,
                    "The model ends in log-softmax before CrossEntropyLoss; harmless (log-softmax is "
                    "idempotent) but redundant.",
                    hint="Drop the final log_softmax, or use NLLLoss with it.",
                    metrics=metrics)]
        elif kind == "nll":
            if op == "LogSoftmaxBackward0":
                return []
            if op in ("SoftmaxBackward0", "SigmoidBackward0") or rows_sum_one or float(values.max()) > 0:
                return [self.finding(
                    "nll_not_log_probs", Severity.ERROR,
                    "NLLLoss expects log-probabilities, but the model's output "
                    + ("comes from a softmax." if op == "SoftmaxBackward0" else
                       "has positive values, so it is not log-probabilities."),
                    hint="End the model with log_softmax, or use CrossEntropyLoss on raw logits.",
                    metrics={**metrics, "max_output": float(values.max())})]
        elif kind == "bce_logits":
            if op in ("SigmoidBackward0", "SoftmaxBackward0"):
                return [self.finding(
                    "sigmoid_into_bce_logits", Severity.ERROR,
                    "The model's output comes from a sigmoid, and BCEWithLogitsLoss applies a sigmoid "
                    "again: predictions can never get confident and gradients vanish.",
                    hint="Return raw logits (drop the final sigmoid), or use BCELoss on probabilities.",
                    metrics=metrics)]
            if op is None and in_unit and values.numel() >= self.config["min_outputs"]:
                return [self.finding(
                    "sigmoid_into_bce_logits", Severity.WARNING,
                    "Every output of the model lies in [0, 1], as if it were already a probability, "
                    "but BCEWithLogitsLoss expects logits.",
                    hint="Return raw logits (drop any final sigmoid), or use BCELoss on probabilities.",
                    metrics={**metrics, "detected_by": "values"})]
        return []
