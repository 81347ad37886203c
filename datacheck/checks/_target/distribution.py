"""The distribution of a regression target per split: its range and shape, extreme values,
and a train/test shift beyond sampling noise (``class_balance`` on a numeric target)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from datacheck.checks._extremes import EXTREME_Z, ISOLATION_RATIO, RobustScale, isolation
from datacheck.report.findings import Evidence, Finding, Severity

if TYPE_CHECKING:
    from datacheck.checks.base import Check
    from datacheck.checks.context import CheckContext

# Skewness from which the target's shape is reported (a log transform may help).
SKEW_INFO = 2.0
# KS p-value below which a train/other difference is beyond sampling noise (the 5-sigma level
# class_balance's label shift uses); the KS statistic must also reach ``max_target_shift``.
SHIFT_P = 3e-7
HIST_BINS = 30
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_SAMPLES = 50


def skewness(v: np.ndarray) -> float:
    """Sample skewness (0 for fewer than three values or no spread)."""
    if len(v) < 3:
        return 0.0
    d = v - v.mean()
    m2 = float(np.mean(d ** 2))
    return float(np.mean(d ** 3) / m2 ** 1.5) if m2 > 0 else 0.0


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
    isolated = all(isolation(z, extreme, side) >= ISOLATION_RATIO for side in (1, -1))
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
