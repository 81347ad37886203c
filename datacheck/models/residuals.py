"""Targets the out-of-fold regression models confidently contradict: robust standardized residuals.

A sample's residual (given target minus out-of-fold prediction) is standardized robustly:
centred on the median residual and divided by 1.4826 times the median absolute deviation,
which is the standard deviation for normal residuals and is not inflated by the wrong
targets themselves. Wrong targets also distort the models that train on them (a target ten
times too large pulls a least-squares fit), so where at least ``REFIT_FROM`` of the samples
are beyond the cut, the models are refit once without those samples in their training
folds, and the residuals are standardized again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from datacheck.models.noise import wilson_low
from datacheck.models.oof import fit_threads, fits_beside, pooled_features, sub_steps
from datacheck.models.regression import fit_predict, r2_score, regression_out_of_fold

# 1.4826 * MAD estimates the standard deviation of normal residuals.
MAD_TO_SD = 1.4826
# The default cut (label_noise's ``residual_z``): clean residuals, heavy-tailed ones included
# (t-distributed noise with 2 degrees of freedom, a log-normal target), put about 1% or less
# beyond it; normal ones almost none.
DEFAULT_CUT = 5.0
# The models are refit without the targets beyond the cut from this share of the samples.
# Fewer barely move a fit: on friedman1, linear, t(2)-noise and diabetes targets (1,000 to
# 30,000 samples) with 0-10% planted wrong targets (ten times too large, beyond the range,
# shifted by three standard deviations), every set with under 0.5% beyond the cut kept under
# 0.7% after the refit, far below label_noise's warning share (2%); the refit is half the
# models' time.
REFIT_FROM = 0.005


@dataclass(frozen=True)
class TargetNoise:
    """Robust standardized residuals of a regression target and the samples beyond a cut.

    Parameters
    ----------
    predicted : numpy.ndarray
        float64 out-of-fold prediction per pooled sample (after the refit, if any).
    z : numpy.ndarray
        Robust standardized residual per pooled sample.
    scale : float
        1.4826 times the median absolute deviation of the residuals, in target units.
    suspects : numpy.ndarray
        Pool positions with ``|z|`` above the cut, most extreme first.
    ratio : float
        ``len(suspects) / n``.
    low : float
        One-sided 95% (Wilson) lower bound of ``ratio``.
    r2 : float
        Out-of-fold R² of the predictions on the samples within the cut.
    refit : bool
        Whether the models were refit without the suspects (``REFIT_FROM``).
    skewness : float
        Bowley skewness of the residuals from their 10th, 50th and 90th percentiles, in
        [-1, 1]: noise that grows with the target (a log-normal one) skews the bulk, a few
        wrong targets do not.
    spread_growth : float
        How much wider the residuals spread where the models predict the most than where
        they predict the least (``spread_growth``): counts, whose noise grows with their
        mean, spread several times wider at the top without being skewed.
    shoulder : float
        Samples between half the cut and the cut per sample beyond it (``shoulder``): a
        heavy tail of noise thins out gradually and puts more samples just inside the cut
        than beyond it, while wrong targets stand apart from the bulk.
    centre : float
        The median residual, which ``z`` is centred on.
    models : list of list
        Where the other samples are to be judged (``oof.keeps_models``): each fold's fitted
        models that gave ``predicted``, one per family; else empty.
    weights : numpy.ndarray or None
        Each family's weight in ``predicted`` (one family's, or the average), with ``models``.
    """

    predicted: np.ndarray
    z: np.ndarray
    scale: float
    suspects: np.ndarray
    ratio: float
    low: float
    r2: float
    refit: bool
    skewness: float
    spread_growth: float
    shoulder: float
    centre: float = 0.0
    models: list = field(default_factory=list, compare=False)
    weights: np.ndarray | None = field(default=None, compare=False)


def robust_z(residual: np.ndarray) -> tuple[np.ndarray, float]:
    """Residuals centred on their median and divided by 1.4826 times their MAD (and that scale)."""
    centred = residual - np.median(residual)
    scale = MAD_TO_SD * float(np.median(np.abs(centred)))
    if scale <= 0:  # more than half the residuals equal: use the mean deviation instead
        scale = float(np.mean(np.abs(centred))) or 1.0
    return centred / scale, scale


def target_noise(ctx, cut: float) -> TargetNoise:
    """The cached residual analysis of ``ctx`` at ``cut`` (robust z beyond which a target is
    contradicted)."""
    return ctx.cached(f"target_noise:{cut}", lambda: _estimate(ctx, cut))


def _estimate(ctx, cut: float) -> TargetNoise:
    oof = regression_out_of_fold(ctx)
    y, predicted = oof.target, oof.predicted
    z, scale = robust_z(y - predicted)
    refit = bool(np.mean(np.abs(z) > cut) >= REFIT_FROM)
    models, weights = oof.models, oof.weights()
    if refit:
        keep = np.abs(z) <= cut
        families = oof.families
        advance = sub_steps(ctx, f"regression models refit without {int(np.sum(~keep)):,} contradicted targets",
                            len(oof.folds) * len(families))
        threads = fit_threads(oof.x, pooled_features(ctx).kind, ctx.options)
        models = [] if oof.models else None
        preds = fit_predict(oof.x, y, oof.folds, families, keep=keep, threads=threads, advance=advance,
                            beside=fits_beside(ctx), rounds=partial(sub_steps, ctx), models=models)
        candidates = preds + [np.mean(preds, axis=0)]
        best = max(range(len(candidates)), key=lambda i: r2_score(y[keep], candidates[i][keep]))
        predicted = candidates[best]
        weights = oof.weights(families[best][0] if best < len(families) else "average")
        z, scale = robust_z(y - predicted)
    beyond = np.flatnonzero(np.abs(z) > cut)
    suspects = beyond[np.argsort(-np.abs(z[beyond]), kind="stable")]
    n = len(y)
    within = np.abs(z) <= cut
    return TargetNoise(predicted=predicted, z=z, scale=scale, suspects=suspects, ratio=len(suspects) / n,
                       low=wilson_low(len(suspects), n), r2=r2_score(y[within], predicted[within]),
                       refit=refit, skewness=quantile_skewness(z), spread_growth=spread_growth(predicted, z),
                       shoulder=shoulder(z, cut), centre=float(np.median(y - predicted)), models=models or [],
                       weights=weights)


def shoulder(z: np.ndarray, cut: float) -> float:
    """Samples with ``cut / 2 < |z| <= cut`` per sample with ``|z| > cut`` (inf when none is
    beyond).

    With t-distributed noise of 2 degrees of freedom, 2.6% of the residuals lie beyond a cut
    of 5 robust standard deviations and 2.6 times as many between 2.5 and 5; with normal
    noise and 3% of the targets wrong, 0.4 times as many.
    """
    a = np.abs(z)
    beyond = int(np.count_nonzero(a > cut))
    inside = int(np.count_nonzero((a > cut / 2) & (a <= cut)))
    return inside / beyond if beyond else float("inf")


def spread_growth(predicted: np.ndarray, residual: np.ndarray) -> float:
    """Median absolute deviation of the residuals of the highest fifth of the predictions over
    that of the lowest fifth (inf when the lowest fifth's is 0 and the highest's is not; 1
    without five samples a fifth)."""
    if len(predicted) < 25:
        return 1.0
    order = np.argsort(predicted, kind="stable")
    fifth = len(order) // 5

    def mad(part: np.ndarray) -> float:
        return float(np.median(np.abs(part - np.median(part))))

    low, high = mad(residual[order[:fifth]]), mad(residual[order[-fifth:]])
    if low <= 0:
        return float("inf") if high > 0 else 1.0
    return high / low


def quantile_skewness(values: np.ndarray) -> float:
    """Bowley skewness from the 10th, 50th and 90th percentiles (0 when they coincide)."""
    low, mid, high = np.quantile(values, [0.1, 0.5, 0.9])
    return float((high + low - 2 * mid) / (high - low)) if high > low else 0.0
