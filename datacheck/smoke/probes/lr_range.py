"""``smoke.lr_range``: a learning-rate range test (item 36)."""

from __future__ import annotations

import math

from datacheck.spec.params import Param
from datacheck.errors import ConfigError
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, Skip, register
from datacheck.smoke._context import SmokeContext, train_step
from datacheck.smoke._hooks import fmt
from datacheck.smoke._regression import OFFSET_RATIO, initial_fit
from datacheck.smoke._trace import Trace, get_trace


def valley(losses: list[float]) -> int:
    """Index of the suggested rate: two thirds down the longest decreasing run of the
    smoothed loss (fastai's ``valley``)."""
    n = len(losses)
    lds = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
        if lds[end] < lds[i]:
            end = i
            start = end - lds[end]
    sections = (end - start) / 3
    return min(n - 1, max(0, start + int(sections) + int(sections / 2)))


# Where the sweep shows no drop: fixed-rate runs of this many steps at these multiples of the
# sweep's last rate (one decade apart, below where it diverged or ended) decide.
CONFIRM_STEPS = 30
CONFIRM_FACTORS = (1 / 3, 1 / 30, 1 / 300)


@register
class LrRangeProbe(Probe):
    """An exponential learning-rate sweep, with a suggested rate.

    What it detects: a configured learning rate (of the optimizer you pass; without one there
    is nothing to compare and the suggestion is only noted) that fails in the short training
    run (``steps`` steps at your rate, the loss scored on the same batches before and after)
    and is more than ``max_distance`` times away from the suggested one (warning): a rate that
    diverges (the loss turns non-finite, or ends no lower than it started) or lowers the loss
    by less than ``min_progress`` (not counted on a regression target that starts far from the
    untrained outputs, initial MSE above twice Var(y): the offset, which smoke.init_loss
    reports, slows every rate at first). A rate
    that trains is never a warning, however far from the suggestion: the sweep reads the
    first steps of training, where the valley sits far below the rates that train well
    (SGD at 0.1 on a ResNet, Adam at 1e-3), so the suggestion is a note. It also warns when
    the loss never drops by ``min_drop`` at any rate of the sweep (read on a 10-step running mean
    of the raw loss, since the smoothed curve lags) nor in 30-step runs of fresh copies at a
    third, a thirtieth and a three-hundredth of the sweep's last rate (nothing is learnable at
    any step size). The sweep spends about a dozen steps per decade, too few for a model that
    needs a few dozen steps at a good rate (a CNN under plain SGD); where one of those runs
    learns, its rate is the suggestion.
    A copy of the model is trained with a copy of your optimizer for up to ``n_steps`` steps
    while the rate grows exponentially from ``start_lr`` to ``end_lr``; the loss is smoothed
    (exponential average, ``beta``) and the sweep stops once it exceeds ``diverge_factor``
    times its best. The suggestion is the "valley": two thirds down the longest stretch over
    which the smoothed loss keeps falling. Your weights are untouched (it runs on a copy).
    Why it matters: a rate 10x too high diverges or bounces; 10x too low trains so slowly that
    the run looks broken. The sweep costs about 100 steps (190 where it shows no drop).

    Parameters
    ----------
    start_lr, end_lr : float, default=1e-7, 10.0
        Range of the sweep.
    n_steps : int, default=100
        Most steps of the sweep.
    beta : float, default=0.98
        Smoothing of the loss.
    diverge_factor : float, default=4.0
        Stop when the smoothed loss exceeds this times its best.
    max_distance : float, default=10.0
        A rate that fails is a warning when it is more than this factor from the suggestion.
    min_progress : float, default=0.02
        The short run at your rate fails when it lowers the loss by less than this fraction.
    min_drop : float, default=0.1
        Warn when the loss (10-step mean) never falls this fraction below its start.
    """

    id = "smoke.lr_range"
    items = (36,)
    needs = ("trainable", "valid_targets", "target_scale")
    params = {
        "start_lr": Param(1e-7, "Smallest rate of the sweep.", float, 0, None, low_open=True),
        "end_lr": Param(10.0, "Largest rate of the sweep.", float, 0, None, low_open=True),
        "n_steps": Param(100, "Most steps of the sweep.", int, 10, None),
        "beta": Param(0.98, "Exponential smoothing of the loss.", float, 0, 1, high_open=True),
        "diverge_factor": Param(4.0, "Stop when the smoothed loss exceeds this times its best.",
                                float, 1, None, low_open=True),
        "max_distance": Param(10.0, "A rate that fails warns when it is this factor from the suggestion.",
                              float, 1, None),
        "min_progress": Param(0.02, "The run at your rate fails when it lowers the loss by less than this.",
                              float, 0, 1, high_open=True),
        "min_drop": Param(0.1, "Warn when the loss (10-step mean) never falls this fraction below its start.",
                          float, 0, 1, low_open=True, high_open=True),
    }

    def validate(self) -> None:
        if self.config["start_lr"] >= self.config["end_lr"]:
            raise ConfigError(f"The parameters of {self.id} must satisfy start_lr < end_lr. Got "
                              f"start_lr={self.config['start_lr']!r}, end_lr={self.config['end_lr']!r} instead.")

    def run(self, ctx: SmokeContext) -> list[Finding]:
        cfg = self.config
        configured = ctx.configured_lr()
        with ctx.seeded(9):
            model = ctx.fresh_model().train()
            opt = ctx.make_optimizer(model)
            if opt is None:
                raise Skip("the optimizer holds none of the model's parameters (see smoke.frozen_params)")
            scaler = ctx.grad_scaler()
            lrs, smooth, raw = [], [], []
            avg, best = 0.0, math.inf
            n = cfg["n_steps"]
            for i in range(n):
                lr = cfg["start_lr"] * (cfg["end_lr"] / cfg["start_lr"]) ** (i / (n - 1))
                for group in opt.param_groups:
                    group["lr"] = lr
                value = train_step(ctx, model, opt, scaler, *ctx.batch(i))
                if not math.isfinite(value):
                    break
                avg = cfg["beta"] * avg + (1 - cfg["beta"]) * value
                s = avg / (1 - cfg["beta"] ** (i + 1))
                lrs.append(lr)
                smooth.append(s)
                raw.append(value)
                if i > 0 and s > cfg["diverge_factor"] * best:
                    break
                best = min(best, s)
        if len(smooth) < 10:
            raise Skip(f"the sweep diverged after {len(smooth)} steps, too few to read")
        k = valley(smooth)
        suggested = lrs[k]
        # The drop is read on a 10-step running mean of the raw loss: the beta-smoothed curve
        # lags by ~1/(1-beta) steps, which hides a late drop in a 100-step sweep.
        window = 10
        running = [sum(raw[i:i + window]) / window for i in range(len(raw) - window + 1)]
        drop = 1 - min(running) / running[0] if running[0] > 0 else 0.0
        metrics = {"configured_lr": configured, "suggested_lr": suggested,
                   "min_loss_lr": lrs[smooth.index(min(smooth))], "loss_drop": drop,
                   "steps": len(smooth)}

        def curve(mark: float) -> tuple[Evidence]:
            return (Evidence("scatter", "Smoothed loss against learning rate",
                             {"x": lrs, "y": smooth, "series": "loss", "log_x": True,
                              "marks": {"configured": configured, "suggested": mark}}),)

        evidence = curve(suggested)
        if drop < cfg["min_drop"]:
            # A sweep spends about a dozen steps per decade: a model that needs a few dozen
            # steps at a good rate (plain SGD) shows no drop in it. Runs at fixed rates decide.
            tried, confirmed = self._fixed_rate_runs(ctx, lrs[-1], running[0])
            if confirmed is None:
                rates = ", ".join(fmt(lr) for lr, _ in tried)
                return [self.finding(
                    "no_drop", Severity.WARNING,
                    f"Over a sweep from {fmt(cfg['start_lr'])} to {fmt(lrs[-1])} the loss (10-step mean) never fell more than {fmt(100 * drop)}% below its "
                    f"start, nor in {CONFIRM_STEPS}-step runs at fixed rates ({rates}): no learning rate "
                    "makes it learn.",
                    hint="Look at the other smoke probes (frozen_params, gradients, zero_input): something "
                         "stops learning independently of the step size.",
                    metrics={**metrics, "fixed_rate_drops": {str(lr): round(d, 4) for lr, d in tried}},
                    evidence=evidence)]
            suggested = confirmed[0]
            evidence = curve(suggested)
            metrics = {**metrics, "suggested_lr": suggested, "fixed_rate_drops": {str(lr): round(d, 4) for lr, d in tried}}
            sweep_note = (f" (the sweep was too short to see the loss fall; {CONFIRM_STEPS} steps at that rate "
                          f"lowered it {fmt(100 * confirmed[1])}%)")
        else:
            sweep_note = ""
        if ctx.optimizer is None or not configured or configured <= 0:
            # no rate was configured (the default Adam's is ours), or 0 (a warm-up's start,
            # which smoke.frozen_params reports): nothing to be far from
            return [self.finding(
                "suggestion", Severity.INFO,
                f"A learning-rate range test suggests a rate near {fmt(suggested)} for this model{sweep_note}.",
                hint="Use it as a starting point; pass your optimizer to compare with its rate.",
                metrics=metrics, evidence=evidence)]
        factor = configured / suggested
        trace = get_trace(ctx)
        failure = self._failure(trace, ctx)
        far = factor > cfg["max_distance"] or factor < 1 / cfg["max_distance"]
        direction = "higher" if factor > 1 else "lower"
        metrics = {**metrics, "start_loss": trace.start_loss, "end_loss": trace.end_loss,
                   "run_steps": trace.n_steps}
        distance = (f"{fmt(max(factor, 1 / factor))}x {direction} than the {fmt(suggested)} that a "
                    f"range test suggests{sweep_note}")
        if far and failure is not None:
            return [self.finding(
                "far_from_suggestion", Severity.WARNING,
                f"The configured learning rate {fmt(configured)} {failure}, and it is {distance}.",
                hint=f"Try a learning rate near {fmt(suggested)}"
                     + (" (with warm-up if you go higher)." if factor > 1 else ", or a few times higher."),
                metrics=metrics, evidence=evidence)]
        return [self.finding(
            "suggestion", Severity.INFO,
            f"The configured learning rate {fmt(configured)} is {distance}"
            + (f"; in {trace.n_steps} steps at that rate the loss went from {fmt(trace.start_loss)} to "
               f"{fmt(trace.end_loss)}, so it trains." if failure is None else "."),
            hint="The suggestion reads the first steps of training; keep a rate that trains.",
            metrics=metrics, evidence=evidence)]

    def _fixed_rate_runs(self, ctx: SmokeContext, top: float, start: float) -> tuple[
            list[tuple[float, float]], tuple[float, float] | None]:
        """Short runs of fresh copies at ``CONFIRM_FACTORS`` times the sweep's last rate.

        Returns every (rate, drop) tried, and the (rate, drop) of the largest drop when it
        reaches ``min_drop``, else None. The drop is the lowest 10-step running mean of a run's
        loss below ``start``, the sweep's first 10 steps (the untrained model on the same
        batches): a run that first blows the loss up must still come down below where it began.
        """
        tried = []
        window = 10
        for i, factor in enumerate(CONFIRM_FACTORS):
            lr = top * factor
            if lr < self.config["start_lr"]:
                break
            with ctx.seeded(20 + i):
                model = ctx.fresh_model().train()
                opt = ctx.make_optimizer(model)
                for group in opt.param_groups:
                    group["lr"] = lr
                scaler = ctx.grad_scaler()
                raw = []
                for step in range(CONFIRM_STEPS):
                    value = train_step(ctx, model, opt, scaler, *ctx.batch(step))
                    if not math.isfinite(value):
                        break
                    raw.append(value)
            running = [sum(raw[j:j + window]) / window for j in range(len(raw) - window + 1)]
            drop = 1 - min(running) / start if running and start > 0 else 0.0
            tried.append((lr, drop))
        best = max(tried, key=lambda run: run[1], default=None)
        return tried, best if best is not None and best[1] >= self.config["min_drop"] else None

    def _failure(self, trace: Trace, ctx: SmokeContext) -> str | None:
        """How the short run at the configured rate failed, in words, or None if it trained.

        On a regression target that starts offset from the untrained outputs (initial MSE
        above ``OFFSET_RATIO`` times Var(y)), slow progress is the offset's doing, which
        smoke.init_loss reports, not the rate's: only divergence counts then."""
        if trace.failure is not None:
            return (f"diverges: the {trace.failure.kind} turns non-finite at step "
                    f"{trace.failure.step} of the short training run")
        start, end = trace.start_loss, trace.end_loss
        if not (math.isfinite(start) and math.isfinite(end)) or start <= 0:
            return None
        progress = 1 - end / start
        if progress <= 0:
            return (f"diverges: in {trace.n_steps} steps at that rate the loss on the same batches "
                    f"went from {fmt(start)} to {fmt(end)}")
        if progress < self.config["min_progress"] and not (
                ctx.is_regression and initial_fit(ctx).ratio > OFFSET_RATIO):
            return (f"barely moves the loss: in {trace.n_steps} steps it went from {fmt(start)} to "
                    f"{fmt(end)} on the same batches ({fmt(100 * progress)}% lower)")
        return None
