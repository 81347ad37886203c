"""``smoke.update_ratio``: the size of each weight's update relative to the weight (item 33)."""

from __future__ import annotations

import numpy as np

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt, names_list
from datacheck.smoke._trace import RATIO_STEPS, get_trace


@register
class UpdateRatioProbe(Probe):
    """The true relative update ||W_after - W_before|| / ||W_before|| of each weight tensor.

    What it detects: weights whose median relative update over steps ``first_step`` to
    ``last_step`` of the short training run (your optimizer, your learning rate) is above
    ``high`` (the learning rate is too high for that layer: it is rewritten every few steps)
    or below ``low`` (it barely moves). It measures the real change of the weights, so it is
    right for Adam, where the usual lr*|g|/|w| proxy is off by 10-70x. Weights that never
    move at all are left to smoke.frozen_params.
    Why it matters: the ratio is the most direct read of whether the learning rate suits the
    model; about 1e-3 is the classic healthy value.

    Parameters
    ----------
    low : float, default=1e-5
        Warn when a weight's median relative update is below this.
    high : float, default=0.1
        Warn when it is above this.
    first_step, last_step : int, default=5, 20
        Steps of the run (0-based, inclusive) the median is taken over; at most 31.
    burst : float, default=1.0
        Also too high: any single step of the first 32 that changes a weight by more than this
        (a learning rate that blows a layer up in the first steps and then leaves it dead).
    """

    id = "smoke.update_ratio"
    items = (33,)
    needs = ("trainable", "valid_targets")
    params = {
        "low": Param(1e-5, "Warn when a weight's median relative update is below this.", float, 0, None),
        "high": Param(0.1, "Warn when it is above this.", float, 0, None, low_open=True),
        "first_step": Param(5, "First step (0-based) of the median.", int, 0, RATIO_STEPS - 1),
        "last_step": Param(20, "Last step of the median.", int, 0, RATIO_STEPS - 1),
        "burst": Param(1.0, "Warn when any single step changes a weight by more than this.", float, 0, None,
                       low_open=True),
    }

    def validate(self) -> None:
        self._order("low", "high")
        self._order("first_step", "last_step")
        self._order("high", "burst")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        trace = get_trace(ctx)
        if not trace.has_optimizer:
            raise Skip("the optimizer holds none of the model's parameters (see smoke.frozen_params)")
        ratios = trace.update_ratios
        if ratios.shape[1] == 0:
            raise Skip("the model has no trainable weight matrix")
        first, last = self.config["first_step"], self.config["last_step"]
        window = ratios[first:last + 1]
        if not np.isfinite(window).any():
            window = ratios
        if not np.isfinite(window).any():
            raise Skip(f"the training run took no step to measure (it stopped after {trace.n_steps})")
        with np.errstate(all="ignore"):
            median = np.nanmedian(np.where(np.isfinite(window), window, np.nan), axis=0)
            moved = (np.nan_to_num(ratios, nan=0.0) > 0).any(axis=0)
            peak = np.nanmax(np.where(np.isnan(ratios), -np.inf, ratios), axis=0)
        rows = [(n, float(m)) for n, m, mv in zip(trace.weight_names, median, moved)
                if mv and np.isfinite(m)]
        peaks = dict(zip(trace.weight_names, peak.tolist()))
        if not rows:
            return []
        evidence = (Evidence("bars", "Median relative update per weight tensor",
                             {"labels": [n for n, _ in rows], "series": {"update_ratio": [m for _, m in rows]}}),)
        lr = sorted(set(trace.lrs.values()))
        findings = []
        # A single update larger than `burst` x the weight (a blow-up in the first steps that
        # then kills the layer) counts as too high even when the later median is small.
        high = [(n, max(m, peaks[n])) for n, m in rows
                if m > self.config["high"] or peaks[n] > self.config["burst"]]
        flagged = {n for n, _ in high}
        low = [(n, m) for n, m in rows if m < self.config["low"] and n not in flagged]
        steps = f"steps {first}-{min(last, len(ratios) - 1)}"
        if high:
            worst = max(high, key=lambda t: t[1])
            findings.append(self.finding(
                "too_high", Severity.WARNING,
                f"Each step changes {len(high)} weight tensors by more than {fmt(self.config['high'])} of "
                f"their norm ({names_list([n for n, _ in high])}; up to {fmt(worst[1])} for {worst[0]}, "
                f"over {steps} or in a single step): the learning rate is too high for them.",
                hint="Lower the learning rate (smoke.lr_range suggests one) or use warm-up; "
                     "about 1e-3 is a healthy update ratio.",
                metrics={"params": [n for n, _ in high], "max_ratio": worst[1], "lrs": lr},
                evidence=evidence))
        if low:
            worst = min(low, key=lambda t: t[1])
            findings.append(self.finding(
                "too_low", Severity.WARNING,
                f"Each step changes {len(low)} weight tensors by less than {fmt(self.config['low'])} of "
                f"their norm ({names_list([n for n, _ in low])}; down to {fmt(worst[1])} for {worst[0]}, "
                f"median over {steps}): they barely train.",
                hint="Raise the learning rate for them, or check their initialisation scale and "
                     "gradients (smoke.gradients).",
                metrics={"params": [n for n, _ in low], "min_ratio": worst[1], "lrs": lr},
                evidence=evidence))
        return findings
