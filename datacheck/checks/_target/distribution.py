"""The distribution of a regression target per split: its range and shape, extreme values,
and a train/test shift beyond sampling noise (``class_balance`` on a numeric target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from datacheck.report.findings import Evidence, Finding, Severity

if TYPE_CHECKING:
    from datacheck.checks.base import Check
    from datacheck.checks.context import CheckContext

# Robust z (distance from the train median in units of 1.4826 MAD, on the log scale for a
# positive, right-skewed target) beyond which a value is extreme: a normal target passes 8
# about once in 1e15 draws.
EXTREME_Z = 8.0
# Octile skewness (robust: the extremes themselves cannot set it) from which a positive target
# is judged on the log scale: 0.52 for a log-normal of sigma 1, 0.21 for diabetes, 0 if symmetric.
LOG_SCALE_SKEW = 0.3
# Extreme values are *isolated*, the mark of wrong entries (a sentinel, a unit slip) rather
# than a heavy tail, when they lie at least this many times farther from the median than any
# other value on their side. Natural tails stay under it: in 60 draws each of t(3),
# Pareto(2.5), log-normal and 40%-zero targets of 120 to 20,000 values the ratio reached 4.3
# (a 40%-zero target of 120); a x100 unit slip in diabetes gives 36, a -999 sentinel 5.5.
ISOLATION_RATIO = 5.0
# Skewness from which the target's shape is reported (a log transform may help).
SKEW_INFO = 2.0
# KS p-value below which a train/other difference is beyond sampling noise (the 5-sigma level
# class_balance's label shift uses); the KS statistic must also reach ``max_target_shift``.
SHIFT_P = 3e-7
HIST_BINS = 30
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_SAMPLES = 50


@dataclass(frozen=True)
class RobustScale:
    """Where the bulk of the train target lies: center and spread, on a log scale or not."""

    log: bool
    center: float
    spread: float

    @classmethod
    def of(cls, train: np.ndarray) -> "RobustScale | None":
        """The scale of a train target; None when its MAD is 0 (over half the values equal)."""
        log = bool(train.min() > 0 and octile_skewness(train) >= LOG_SCALE_SKEW)
        v = np.log(train) if log else train
        center = float(np.median(v))
        spread = 1.4826 * float(np.median(np.abs(v - center)))
        return cls(log, center, spread) if spread > 0 else None

    def z(self, values: np.ndarray) -> np.ndarray:
        """Robust z of values (NaN where a log-scale value is not positive: those are extreme)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log(values) if self.log else values
            z = (v - self.center) / self.spread
        return np.where(np.isnan(z) & np.isfinite(values), -np.inf, z)


def skewness(v: np.ndarray) -> float:
    """Sample skewness (0 for fewer than three values or no spread)."""
    if len(v) < 3:
        return 0.0
    d = v - v.mean()
    m2 = float(np.mean(d ** 2))
    return float(np.mean(d ** 3) / m2 ** 1.5) if m2 > 0 else 0.0


def octile_skewness(v: np.ndarray) -> float:
    """(q87.5 + q12.5 - 2 median) / (q87.5 - q12.5): a skewness the tails cannot move."""
    lo, mid, hi = np.quantile(v, (0.125, 0.5, 0.875))
    return float((hi + lo - 2 * mid) / (hi - lo)) if hi > lo else 0.0


def ks_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value."""
    from scipy.stats import ks_2samp

    res = ks_2samp(a, b)
    return float(res.statistic), float(res.pvalue)


def _quantile_table(targets: dict[str, np.ndarray]) -> Evidence:
    columns = ["split", "n", "min", *[f"q{int(q * 100):02d}" for q in QUANTILES], "max", "mean", "std"]
    rows = [[name, len(v), float(v.min()), *np.quantile(v, QUANTILES).tolist(), float(v.max()),
             float(v.mean()), float(v.std())] for name, v in targets.items() if len(v)]
    return Evidence("table", "Target quantiles per split", {"columns": columns, "rows": rows})


def _histogram(targets: dict[str, np.ndarray], title: str) -> Evidence:
    both = np.concatenate([v for v in targets.values() if len(v)])
    lo, hi = float(both.min()), float(both.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1, HIST_BINS + 1)
    series = {name: np.histogram(v, edges)[0].tolist() for name, v in targets.items() if len(v)}
    return Evidence("histogram", title, {"edges": edges.tolist(), "series": series})


def target_findings(check: "Check", ctx: "CheckContext") -> list[Finding]:
    """``class_balance`` findings on a regression target (missing labels aside).

    Parameters
    ----------
    check : Check
        The class_balance check (its finding factory and ``max_target_shift``).
    ctx : CheckContext
        What it reads; ``ctx.target(split)`` gives the numbers.

    Returns
    -------
    list of Finding
    """
    targets = {s.name: ctx.target(s.name) for s in ctx.splits()}
    targets = {name: v[np.isfinite(v)] for name, v in targets.items()}
    train = ctx.train_name
    tv = targets[train]
    if not len(tv):
        return []
    out = [_summary(check, targets, train)]
    if len(tv) > 1 and tv.min() == tv.max():
        return out + [check.finding(
            "constant_target", Severity.ERROR,
            f"Every labelled {train} target is {tv[0]:g}, so a model has nothing to learn.",
            split=train, hint="Check the target column and how it was computed.",
            metrics={"value": float(tv[0])})]
    out += _few(check, tv, train)
    scale = RobustScale.of(tv)
    if scale is not None:
        for name in targets:
            out += _extremes(check, ctx, name, scale)
    skew = skewness(tv)
    if abs(skew) >= SKEW_INFO:
        out.append(check.finding(
            "skewed_target", Severity.INFO,
            f"The {train} target is skewed (skewness {skew:.1f}): a mean squared error is "
            "dominated by the long tail.",
            split=train, hint=("Consider predicting log(target)" if tv.min() > 0 else
                               "Consider a transform of the target") +
                              " or a robust loss (Huber), and report errors on the original scale.",
            metrics={"skewness": round(skew, 3)}))
    for name, v in targets.items():
        if name != train and len(v):
            shift = _shift(check, train, tv, name, v)
            out += [shift] if shift else []
    return out


def _few(check: "Check", tv: np.ndarray, train: str) -> list[Finding]:
    """Too few train targets to cover their spread: a network would learn a handful of points."""
    need = check.config["min_target_samples"]
    if len(tv) >= need:
        return []
    q10, q90 = np.quantile(tv, [0.1, 0.9])
    return [check.finding(
        "few_samples", Severity.WARNING,
        f"Train has only {len(tv):,} labelled targets (fewer than {need}) for values spread from "
        f"{tv.min():.4g} to {tv.max():.4g}: a network fits these few points rather than the relation, "
        f"and between them (10% to 90% of the range: {q10:.4g} to {q90:.4g}) it has little to go on.",
        split=train, hint="Collect more labelled samples, or start from a simpler model (linear, "
                          "gradient boosting) that needs fewer.",
        metrics={"n_train": len(tv), "min_target_samples": need})]


def _summary(check: "Check", targets: dict[str, np.ndarray], train: str) -> Finding:
    parts = [f"{name} {len(v):,} values from {v.min():.4g} to {v.max():.4g} (median "
             f"{np.median(v):.4g})" for name, v in targets.items() if len(v)]
    tv = targets[train]
    return check.finding(
        "target_summary", Severity.INFO, "Target: " + "; ".join(parts) + ".",
        metrics={"min": float(tv.min()), "max": float(tv.max()), "mean": float(tv.mean()),
                 "std": float(tv.std()), "skewness": round(skewness(tv), 3),
                 **{f"n_{name}": len(v) for name, v in targets.items()}},
        evidence=[_histogram(targets, "Target distribution per split"), _quantile_table(targets)])


def _extremes(check: "Check", ctx: "CheckContext", name: str, scale: RobustScale) -> list[Finding]:
    values = ctx.target(name)
    z = scale.z(values)
    extreme = np.abs(np.nan_to_num(z, nan=0.0, posinf=np.inf, neginf=-np.inf)) > EXTREME_Z
    rows = np.flatnonzero(extreme)
    if not len(rows):
        return []
    isolated = all(_isolation(z, extreme, side) >= ISOLATION_RATIO for side in (1, -1))
    rows = rows[np.argsort(-np.abs(z[rows]), kind="stable")]
    n = len(rows)
    lo, hi = (np.exp(scale.center + s * EXTREME_Z * scale.spread) if scale.log
              else scale.center + s * EXTREME_Z * scale.spread for s in (-1, 1))
    shown = ", ".join(f"{values[r]:.4g}" for r in rows[:5])
    where = (f"over {EXTREME_Z:g} robust deviations from the train median"
             f"{' on a log scale' if scale.log else ''}, outside {lo:.4g} to {hi:.4g}")
    if isolated:
        severity, message = Severity.WARNING, (
            f"{n} {name} target{'s lie' if n > 1 else ' lies'} far from all the others ({shown}; "
            f"{where}): likely wrong entries, "
            "a sentinel value or a unit slip, and one such value dominates a squared-error loss.")
        hint = "Check these samples' targets at the source; fix or drop the wrong ones."
    else:
        severity, message = Severity.INFO, (
            f"{n} {name} target{'s are' if n > 1 else ' is'} extreme ({shown}; {where}) but "
            "continue a heavy tail rather than stand apart from it.")
        hint = "A robust loss (Huber) or a transform of the target keeps the tail from dominating."
    return [check.finding(
        "extreme_targets", severity, message, split=name, hint=hint,
        metrics={"n_extreme": n, "extreme_ratio": n / max(int(np.isfinite(values).sum()), 1),
                 "max_abs_robust_z": float(np.abs(z[rows[0]])) if np.isfinite(z[rows[0]]) else None,
                 "isolated": bool(isolated), "log_scale": scale.log},
        samples=ctx.sample_ids(name, rows[:MAX_SAMPLES]), n_samples=n,
        items=(6, 8))]


def _isolation(z: np.ndarray, extreme: np.ndarray, side: int) -> float:
    """How many times farther from the median the nearest extreme value on one side (``side``
    1 above, -1 below) lies than the farthest other value there; inf without extremes there."""
    mine = extreme & (side * z > 0)
    if not mine.any():
        return np.inf
    others = side * z[np.isfinite(z) & ~extreme & (side * z > 0)]
    return float(np.min(side * z[mine]) / others.max()) if len(others) and others.max() > 0 else np.inf


def _shift(check: "Check", train: str, tv: np.ndarray, name: str, v: np.ndarray) -> Finding | None:
    if len(v) < 2 or len(tv) < 2:
        return None
    stat, p = ks_shift(tv, v)
    if stat < check.config["max_target_shift"] or p >= SHIFT_P:
        return None
    outside = float(np.mean((v < tv.min()) | (v > tv.max())))
    qt, qo = np.quantile(tv, QUANTILES), np.quantile(v, QUANTILES)
    moves = ", ".join(f"q{int(q * 100):02d} {a:.4g} vs {b:.4g}" for q, a, b in zip(QUANTILES, qt, qo))
    title = name.capitalize()
    message = (f"{title} targets are distributed differently from train's (KS statistic {stat:.2f}, "
               f"p = {p:.1e}, far beyond a random split): quantiles train vs {name}: {moves}")
    if outside:
        message += f"; {outside:.0%} of {name} targets lie outside train's range"
    return check.finding(
        "target_shift", Severity.WARNING, message + ".", split=name,
        hint="Split at random (or stratify on target quantiles) unless the shift is intended; "
             "a model extrapolates poorly beyond the targets it was trained on.",
        metrics={"ks_statistic": round(stat, 4), "p_value": p, "outside_train_range_ratio": outside,
                 "train_quantiles": qt.tolist(), f"{name}_quantiles": qo.tolist()},
        evidence=[_histogram({train: tv, name: v}, f"Target, train vs {name}"),
                  _quantile_table({train: tv, name: v})],
        items=(8, 9, 15))
