"""A regression target sorted, or in long monotone blocks, in stored order (``label_order``
on a numeric target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from datacheck.checks._time_order import time_order, time_order_text
from datacheck.report.findings import Evidence, Finding, Severity

if TYPE_CHECKING:
    from datacheck.checks.base import Check
    from datacheck.checks.context import CheckContext

# A batch is *narrow* when its target range is under this share of the split's 5-95%
# spread: 32 random draws of a continuous target almost never are; 32 neighbours in a sorted
# file almost always are.
NARROW_SHARE = 0.25
# Rank correlation with position from which a trend in the stored order is material, and
# from which the target is sorted whatever its batches (a split of two or three batches).
MIN_RANK_CORRELATION = 0.3
SORTED_RANK_CORRELATION = 0.9
# Random orders drawn for the share of narrow batches chance gives (fewer for long splits).
NULL_ORDERS = 20
NULL_MAX_VALUES = 4_000_000
MAX_SCATTER_POINTS = 2000
MIN_SAMPLES = 20
_EVAL_SEVERITY = {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.INFO}


@dataclass(frozen=True)
class TargetOrderStats:
    """How one split's target sequence compares with a random order of the same values."""

    n: int
    rank_correlation: float
    rank_z: float
    n_runs: int
    n_runs_expected: float
    runs_z: float
    longest_run: int
    longest_run_start: int
    n_batches: int
    narrow_batch_ratio: float
    expected_narrow_batch_ratio: float


def _narrow_share(t: np.ndarray, batch_size: int, spread: float) -> np.ndarray:
    """Share of full batches whose range is under ``NARROW_SHARE * spread``, per row of ``t``
    (shape (m, n))."""
    n_batches = t.shape[1] // batch_size
    b = t[:, :n_batches * batch_size].reshape(t.shape[0], n_batches, batch_size)
    width = b.max(axis=2) - b.min(axis=2)
    return np.mean(width < NARROW_SHARE * spread, axis=1)


def target_order_stats(t: np.ndarray, batch_size: int, rng: np.random.Generator) -> TargetOrderStats:
    """Rank correlation with position, runs above/below the median (Wald-Wolfowitz), and the
    share of narrow batches against random orders.

    Parameters
    ----------
    t : numpy.ndarray
        Finite target values in stored order; at least ``2 * batch_size`` of them.
    batch_size : int
        Batch size of a loader that reads in stored order.
    rng : numpy.random.Generator
        Draws the random orders.

    Returns
    -------
    TargetOrderStats
    """
    from scipy.stats import rankdata

    n = len(t)
    ranks = rankdata(t)
    pos = np.arange(n, dtype=np.float64)
    rho = float(np.corrcoef(ranks, pos)[0, 1]) if ranks.std() > 0 else 0.0
    above = t[t != np.median(t)] > np.median(t)  # values at the median belong to neither side
    n1, n2 = int(above.sum()), int((~above).sum())
    change = np.flatnonzero(above[1:] != above[:-1]) + 1
    n_runs = len(change) + 1 if len(above) else 0
    starts = np.r_[0, change]
    lengths = np.diff(np.r_[starts, len(above)])
    longest = int(np.argmax(lengths)) if len(lengths) else 0
    m = n1 + n2
    mean = 2 * n1 * n2 / m + 1 if m else 0.0
    var = 2 * n1 * n2 * (2 * n1 * n2 - m) / (m * m * (m - 1)) if m > 1 else 0.0
    lo, hi = np.quantile(t, (0.05, 0.95))
    spread = float(hi - lo) or float(t.max() - t.min())
    k = max(1, min(NULL_ORDERS, NULL_MAX_VALUES // n))
    shuffled = rng.permuted(np.tile(t, (k, 1)), axis=1)
    # Position of the longest run among the non-median values, mapped back to ``t``.
    kept = np.flatnonzero(t != np.median(t))
    return TargetOrderStats(
        n=n, rank_correlation=rho, rank_z=rho * np.sqrt(n - 1),
        n_runs=n_runs, n_runs_expected=mean,
        runs_z=(n_runs - mean) / np.sqrt(var) if var > 0 else 0.0,
        longest_run=int(lengths[longest]) if len(lengths) else 0,
        longest_run_start=int(kept[starts[longest]]) if len(kept) else 0,
        n_batches=n // batch_size,
        narrow_batch_ratio=float(_narrow_share(t[None], batch_size, spread)[0]),
        expected_narrow_batch_ratio=float(_narrow_share(shuffled, batch_size, spread).mean()),
    )


def order_verdict(check: "Check", s: TargetOrderStats) -> str | None:
    """``sorted_target`` when most batches are narrow, ``clustered_target`` when the order
    still clearly departs from random; the runs test must agree in both cases."""
    z = check.config["z_threshold"]
    if s.runs_z > -z:
        return None
    excess = s.narrow_batch_ratio - s.expected_narrow_batch_ratio
    if excess >= check.config["single_label_excess"] or abs(s.rank_correlation) >= SORTED_RANK_CORRELATION:
        return "sorted_target"
    if (abs(s.rank_z) >= z and abs(s.rank_correlation) >= MIN_RANK_CORRELATION) or \
            excess >= check.config["batch_excess"]:
        return "clustered_target"
    return None


def target_order_findings(check: "Check", ctx: "CheckContext") -> list[Finding]:
    """``label_order`` findings on a regression target.

    Parameters
    ----------
    check : Check
        The label_order check (finding factory; ``batch_size``, ``z_threshold``,
        ``single_label_excess``, ``batch_excess``).
    ctx : CheckContext
        What it reads; ``ctx.target(split)`` gives the numbers.

    Returns
    -------
    list of Finding
    """
    out = []
    train = ctx.train_name
    batch = check.config["batch_size"]
    for split in ctx.splits():
        values = ctx.target(split.name)
        finite = np.isfinite(values)
        keep = None if finite.all() else np.flatnonzero(finite)
        t = values if keep is None else values[keep]
        if len(t) < max(2 * batch, MIN_SAMPLES) or t.min() == t.max():
            continue
        stats = target_order_stats(t, batch, np.random.default_rng(ctx.seed))
        code = order_verdict(check, stats)
        if code is not None:
            time = time_order(ctx, split.name)
            out.append(_finding(check, ctx, split.name, split.name == train, keep, t, stats, code, time))
    return out


def _finding(check: "Check", ctx: "CheckContext", name: str, is_train: bool,
             keep: np.ndarray | None, t: np.ndarray, s: TargetOrderStats, code: str,
             time: str | None = None) -> Finding:
    batch = check.config["batch_size"]
    severity = Severity.ERROR if code == "sorted_target" else Severity.WARNING
    if time is not None:
        severity = Severity.INFO
    elif not is_train:
        severity = _EVAL_SEVERITY[severity]
    title = name.capitalize()
    facts = (f"rank correlation with position {s.rank_correlation:+.2f}, {s.n_runs} runs above/below "
             f"the median where a random order gives about {s.n_runs_expected:.0f}, and "
             f"{s.narrow_batch_ratio:.0%} of its {s.n_batches} batches of {batch} span under "
             f"{NARROW_SHARE:.0%} of the target's spread ({s.expected_narrow_batch_ratio:.0%} "
             "in a random order)")
    if code == "sorted_target":
        message = f"{title} targets are sorted or in long monotone blocks: {facts}."
    else:
        message = f"{title} targets are clustered in stored order: {facts}."
    if time is not None:
        more, hint = time_order_text(time, "a target that follows time forms")
        message += more
    elif is_train:
        hint = ("Shuffle the training samples every epoch (DataLoader(shuffle=True)), or shuffle the "
                "rows once before saving.")
    else:
        hint = ("Order does not change a full evaluation, but shuffle before taking a subset of this "
                "split, and evaluate in eval mode so BatchNorm does not see narrow batches.")
    run = np.arange(s.longest_run_start, min(s.longest_run_start + 50, len(t)))
    rows = run if keep is None else keep[run]
    stride = max(1, -(-len(t) // MAX_SCATTER_POINTS))
    positions = np.arange(0, len(t), stride)
    evidence = Evidence("scatter", f"{title} target in stored order"
                        + (f" (one sample in {stride})" if stride > 1 else ""),
                        {"x": (positions if keep is None else keep[positions]).tolist(),
                         "y": t[positions].tolist(), "x_label": "row", "y_label": "target"})
    metrics = {"n_labelled": s.n, "rank_correlation": round(s.rank_correlation, 4),
               "rank_z": round(s.rank_z, 2), "n_runs": s.n_runs,
               "n_runs_expected": round(s.n_runs_expected, 1), "runs_z": round(s.runs_z, 2),
               "longest_run": s.longest_run, "batch_size": batch, "n_batches": s.n_batches,
               "narrow_batch_ratio": round(s.narrow_batch_ratio, 4),
               "expected_narrow_batch_ratio": round(s.expected_narrow_batch_ratio, 4)}
    return check.finding(code, severity, message, hint=hint, split=name, metrics=metrics,
                         samples=ctx.sample_ids(name, rows), n_samples=s.longest_run,
                         evidence=[evidence])
