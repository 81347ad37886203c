"""``smoke.init_loss``: the loss at initialisation against ln C (checklist item 17)."""

from __future__ import annotations

import math

import numpy as np

from datacheck.checks.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt, output_layer
from datacheck.smoke._torch import torch


@register
class InitLossProbe(Probe):
    """Loss at initialisation compared with what an untrained model should score.

    What it detects: an initial loss far from ln C for C classes (ln 2 per output for a
    binary loss), or from the entropy of the label prior when the last layer's bias is
    initialised to the log prior: logits too large at init (the model starts confidently
    wrong), a wrong number of outputs, a loss weighted or reduced so its scale is off, or a
    suspiciously low loss (labels leaking into the inputs).
    Why it matters: an untrained model should be uncertain. A high initial loss spends the
    first epochs undoing the initialisation (the "hockey stick" loss curve) and can saturate
    activations for good; a low one means the task is not what you think.

    The loss is averaged over at least max(``samples_per_class`` x C, ``min_samples``)
    samples from the loader,
    model in train mode, no gradient. ``L0 / reference`` outside [warn_low, warn_high] warns
    and outside [error_low, error_high] is an error.

    Parameters
    ----------
    warn_low, warn_high : float, default=0.8, 1.5
        Warning bounds of ``L0 / reference``.
    error_low, error_high : float, default=0.5, 2.0
        Error bounds of ``L0 / reference``.
    samples_per_class : int, default=4
        The initial loss is averaged over at least this many samples per class...
    min_samples : int, default=64
        ...and at least this many samples (fewer if the loader has fewer).
    prior_tolerance : float, default=0.1
        Total-variation distance under which softmax(last bias) counts as the label prior.
    """

    id = "smoke.init_loss"
    items = (17,)
    needs = ("reference_loss", "valid_targets")
    params = {
        "warn_low": Param(0.8, "Warn when L0/reference is below this.", float, 0, None, low_open=True),
        "warn_high": Param(1.5, "Warn when L0/reference is above this.", float, 0, None, low_open=True),
        "error_low": Param(0.5, "Error when L0/reference is below this.", float, 0, None),
        "error_high": Param(2.0, "Error when L0/reference is above this.", float, 0, None, low_open=True),
        "samples_per_class": Param(4, "Average the initial loss over at least this many samples per class.",
                                   int, 1, None),
        "min_samples": Param(64, "Average the initial loss over at least this many samples.", int, 1, None),
        "prior_tolerance": Param(0.1, "Total-variation distance under which softmax(last bias) "
                                      "counts as the label prior.", float, 0, 1),
    }

    def validate(self) -> None:
        self._order("error_low", "warn_low", "warn_high", "error_high")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        c = ctx.n_classes
        if c < 2:
            raise Skip("the model predicts a single class")
        binary = ctx.loss_kind in ("bce", "bce_logits")
        need = max(self.config["samples_per_class"] * c, self.config["min_samples"])
        model = ctx.fresh_model().train()
        total, count = 0.0, 0
        with ctx.seeded(2), torch.no_grad():
            for x, y in ctx.batches(ctx.max_batches):
                pred = ctx.forward(model, x)
                total += float(ctx.loss(pred, y)) * len(y)
                count += len(y)
                if count >= need:
                    break
        l0 = total / count
        if not math.isfinite(l0):
            raise Skip("the initial loss is not finite (smoke.nan_origin looks for where it comes from)")
        # the label prior is read on every batch read so far, not only the few scored above
        labels = [y.detach().float().reshape(len(y), -1).cpu().numpy() if binary
                  else y.detach().reshape(-1).cpu().numpy() for _, y in ctx.batches(ctx.max_batches)]
        reference, basis = self._reference(ctx, c, binary, np.concatenate(labels))
        ratio = l0 / reference
        metrics = {"initial_loss": l0, "reference": reference, "reference_basis": basis,
                   "ratio": ratio, "n_classes": c, "n_samples": count}
        cfg = self.config
        if cfg["warn_low"] <= ratio <= cfg["warn_high"]:
            return []
        severity = (Severity.ERROR if ratio < cfg["error_low"] or ratio > cfg["error_high"]
                    else Severity.WARNING)
        where = f"{fmt(ratio)}x the {basis} ({fmt(reference)})"
        if ratio > 1:
            return [self.finding(
                "high", severity,
                f"The loss at initialisation is {fmt(l0)}, {where}: the untrained model is confidently wrong.",
                hint="Initialise the last layer with small weights and its bias to 0 (or the log label "
                     "prior), check that inputs are normalised and that the number of outputs equals "
                     "the number of classes.",
                metrics=metrics)]
        return [self.finding(
            "low", severity,
            f"The loss at initialisation is {fmt(l0)}, only {where}: an untrained model should not "
            "predict this well.",
            hint="Check that the labels do not leak into the inputs, that the loss gets the model's "
                 "raw outputs, and the loss's weights and reduction.",
            metrics=metrics)]

    def _reference(self, ctx: SmokeContext, c: int, binary: bool,
                   labels: np.ndarray) -> tuple[float, str]:
        """ln C (ln 2 per binary output), or the label-prior entropy when the last bias is
        initialised to the log prior."""
        if binary:
            p = np.clip(labels.mean(axis=0), 1e-12, 1 - 1e-12)
            prior = np.stack([1 - p, p], axis=-1)
            entropy = float(np.mean(-(prior * np.log(prior)).sum(axis=-1)))
        else:
            counts = np.bincount(labels[(labels >= 0) & (labels < c)].astype(np.int64), minlength=c)
            prior = counts / max(counts.sum(), 1)
            nz = prior[prior > 0]
            entropy = float(-(nz * np.log(nz)).sum())
        uniform = math.log(2) if binary else math.log(c)
        x, _ = ctx.first
        model = ctx.fresh_model().eval()
        with ctx.seeded(2):
            layer = output_layer(model, lambda: ctx.forward(model, x))
        bias = getattr(layer[1], "bias", None) if layer else None
        if bias is None or entropy <= 0:
            return uniform, "ln C" if not binary else "ln 2"
        b = bias.detach().float().cpu()
        if binary:
            q = torch.sigmoid(b).numpy()
            if q.shape != p.shape:
                return uniform, "ln 2"
            tv = float(np.abs(q - p).max())
            skew = float(np.abs(p - 0.5).max())
        else:
            if b.numel() != c:
                return uniform, "ln C"
            q = torch.softmax(b, 0).numpy()
            tv = 0.5 * float(np.abs(q - prior).sum())
            skew = 0.5 * float(np.abs(prior - 1.0 / c).sum())
        tol = self.config["prior_tolerance"]
        if tv < tol and skew >= tol:
            return entropy, "label-prior entropy"
        return uniform, "ln C" if not binary else "ln 2"
