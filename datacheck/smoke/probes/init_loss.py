"""``smoke.init_loss``: the loss at initialisation against ln C, or against the target's
variance for a regression (checklist item 17)."""

from __future__ import annotations

import math

import numpy as np

from datacheck.spec.params import Param
from datacheck.report.findings import Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt, output_layer
from datacheck.smoke._regression import FAR_RATIO, OFFSET_RATIO, best_constant, initial_fit
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

    On a regression target (MSELoss, L1Loss, HuberLoss, SmoothL1Loss) the reference is what
    predicting the target's mean gives, the target's variance, and the comparison is made in
    squared error whatever the loss: the untrained model's mean squared error on at least
    ``min_samples`` samples over their variance. A near-zero initial output scores
    ``Var(y) + mean(y)^2``, so a target as the data has it, not standardised, starts above 1
    (1 + (mean/std)^2: about 5 for scikit-learn's diabetes, which trains well); above
    ``regression_warn_high`` (the mean more than 3 standard deviations from the initial
    outputs, or outputs 3 times wider than the target) the first steps are spent moving the
    output to the target's scale; above ``regression_error_high`` (10 standard deviations)
    a short run will not get there. Below ``regression_warn_low`` the untrained model already
    tracks the target, which chance does not give (the target leaks into the inputs). Between
    2 and ``regression_warn_high``, when the offset of the mean is the larger part, the
    offset is noted (info).

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
    regression_warn_low : float, default=0.5
        Regression: warn when MSE at init over Var(y) is below this.
    regression_warn_high, regression_error_high : float, default=10.0, 100.0
        Regression: warn / error when MSE at init over Var(y) is above this.
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
        "regression_warn_low": Param(0.5, "Regression: warn when MSE at init / Var(y) is below this.",
                                     float, 0, 1),
        "regression_warn_high": Param(10.0, "Regression: warn when MSE at init / Var(y) is above this.",
                                      float, 1, None),
        "regression_error_high": Param(100.0, "Regression: error when MSE at init / Var(y) is above this.",
                                       float, 1, None),
    }

    def validate(self) -> None:
        self._order("error_low", "warn_low", "warn_high", "error_high")
        self._order("regression_warn_high", "regression_error_high")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        if ctx.is_regression:
            return self._regression(ctx)
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

    def _regression(self, ctx: SmokeContext) -> list[Finding]:
        """MSE of the untrained model against the variance of the same targets."""
        fit = initial_fit(ctx, self.config["min_samples"])
        l0, ratio, var = fit.loss, fit.ratio, fit.variance
        if not (math.isfinite(l0) and math.isfinite(fit.mse)):
            raise Skip("the initial loss is not finite (smoke.nan_origin looks for where it comes from)")
        if var <= 0:
            raise Skip(f"the {fit.n_samples} targets scored are all equal (smoke.loader_batches)")
        std, offset = var ** 0.5, fit.output_mean - fit.target_mean
        metrics = {"initial_loss": l0, "initial_mse": fit.mse, "target_variance": var, "ratio": ratio,
                   "target_mean": fit.target_mean, "output_mean": fit.output_mean,
                   "output_std": fit.output_std, "offset_in_std": fit.offset_in_std,
                   "n_samples": fit.n_samples}
        if ctx.loss_kind != "mse":
            metrics["constant_loss"] = best_constant(ctx, ctx.batches(ctx.max_batches))[1]
        cfg = self.config
        if ratio < cfg["regression_warn_low"]:
            return [self.finding(
                "low", Severity.WARNING,
                f"The untrained model's squared error is only {fmt(ratio)}x the targets' variance "
                f"({fmt(var)}): before any training it already tracks the target, which a random "
                "initialisation does not do by chance.",
                hint="Check that the target (or a copy of it) is not among the inputs.", metrics=metrics)]
        if ratio <= cfg["regression_warn_high"]:
            if ratio <= OFFSET_RATIO or offset ** 2 < fit.output_std ** 2:
                return []
            return [self.finding(
                "target_offset", Severity.INFO,
                f"The targets average {fmt(fit.target_mean)}, {fmt(abs(offset) / std)} standard "
                f"deviations from the untrained model's outputs: the loss starts at {fmt(ratio)}x "
                "the targets' variance and its first steps mostly move the output to the targets.",
                hint=f"Fine as it is; standardising the target, or starting the output bias at "
                     f"{fmt(fit.target_mean)}, makes the first epochs count.", metrics=metrics)]
        severity = Severity.ERROR if ratio > cfg["regression_error_high"] else Severity.WARNING
        spread = fit.output_std / std
        start = (f"The loss at initialisation is {fmt(l0)}: the untrained model's squared error is "
                 f"{fmt(ratio)}x the targets' variance ({fmt(var)}, what predicting their mean gives)")
        skipped = (" (the probes that train from scratch are skipped for this reason)"
                   if ratio > FAR_RATIO else "")
        if offset ** 2 >= (spread * std) ** 2:
            return [self.finding(
                "high", severity,
                f"{start}, because its outputs average {fmt(metrics['output_mean'])} while the "
                f"targets average {fmt(metrics['target_mean'])}, {fmt(abs(offset) / std)} standard "
                f"deviations away: the first steps only move the output to the target's scale{skipped}.",
                hint=f"Standardise the target (and undo it on the predictions), or initialise the "
                     f"output layer's bias to the target mean ({fmt(metrics['target_mean'])}).",
                metrics=metrics)]
        return [self.finding(
            "high", severity,
            f"{start}, because its outputs spread {fmt(spread)}x wider than the targets: the "
            f"untrained model is confidently wrong{skipped}.",
            hint="Initialise the output layer with small weights and check that the inputs are "
                 "normalised.", metrics=metrics)]

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
