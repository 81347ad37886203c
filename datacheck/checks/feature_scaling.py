"""Numeric features far from standardized, with scales far apart, and a regression target on
a large scale (checklist item 12)."""

from __future__ import annotations

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.scan.features import FeatureStats
from datacheck.scan.result import SplitScan

_MAX_ROWS = 10
_EXACT = 1e-6  # a min-max scaled train split has min 0 and max 1 up to rounding
# ... and at most this share of its values at 0 or 1 (beyond its min and max: ties, clipping)
_MAX_ENDS = 0.01
# A standardized column as a scaler leaves it: |mean| and |log std| at most these (a split of
# data standardized as a whole: a train split of 100 rows has a mean within about 0.1).
_SCALED_MEAN = 0.1
_SCALED_LOG_STD = np.log(1.25)


@register
class FeatureScalingCheck(Check):
    """Numeric features that are far from standardized, on scales far apart.

    What it detects
    ---------------
    Numeric features of tables and 2-D arrays (image arrays are ``pretrained_norm``'s) whose
    training-split statistics are far from standardized, judged on two numbers:

    - the *spread of scales*: how many times larger the largest feature scale is than the
      smallest, taken as the smaller of the ratio of standard deviations and the ratio of
      ranges (max - min). A scale only counts as different when both differ: a sparse pixel
      that is mostly 0 has a small std but shares the unit of its neighbours (digits pixel
      counts 0..16 are on one scale), and a single outlier widens a range without changing
      the std.
    - the *magnitude*: the largest absolute value of a feature that is not standardized.

    Features already standardized (mean near 0, std near 1), within [-1, 1] (so [0, 1] too),
    binary or one-hot (at most two distinct values), constant, or without finite values are
    left out of both.

    On a regression target, also the *target's scale* in train: the larger of its |mean| and
    its std.

    Why it matters
    --------------
    Gradient descent takes steps of one size for every weight: when one input is a thousand
    times larger than another, the loss surface is a narrow valley, the learning rate that
    suits the large feature freezes the small one, and inputs in the thousands saturate
    activations or blow up the first layer's outputs at initialization. Standardizing with
    statistics fit on the training split (never on test, which leaks) removes the problem.
    A network starts by predicting about 0, so a target of mean m and std s gives a first
    mean squared error of about m**2 + s**2: with targets in the thousands the first steps
    chase the offset with huge gradients.

    Notes
    -----
    A table stored in its raw units (prices, areas, counts) is how data is kept: the
    scaler belongs to the training pipeline, so raw features are reported as info with the
    numbers and a hint. A warning needs evidence that the data was meant to be standardized
    and a scaler missed part of it: at least two features as a scaler leaves them
    (standardized: |mean| at most 0.1 and std within 1.25x of 1; or min-max scaled: train
    min exactly 0 and max exactly 1, few values at either end), at least as many as the
    unscaled ones, and the unscaled ones past a warning threshold. The same goes for
    the target: in the thousands beside standardized features, a warning; beside raw
    features, info.

    Default thresholds: a spread of 100 (two decades: for plain gradient descent on a
    linear layer the condition number grows as the square, 10**4) or values of 1000 (a
    default-initialized first layer then starts with pre-activations in the hundreds) reach
    the warning level; a spread of 10 or values of 100 (raw 0..255 pixels in a table, say)
    the info level. Below both, features on comparable, moderate scales are left alone,
    standardized or not. A regression target reaches the warning level from a scale of
    1000 (a first MSE of a million) and info from 10: diabetes' raw target (mean 152,
    std 77) is info, since a careful engineer would standardize it but a network still
    trains on it with a well-tuned learning rate.
    """

    id = "feature_scaling"
    items = (12,)
    needs = ("features",)
    params = {
        "warn_spread": Param(100.0, "Spread of feature scales (largest over smallest) at which "
                             "to warn.", low=1.0),
        "info_spread": Param(10.0, "Spread of feature scales at which to report info.", low=1.0),
        "warn_magnitude": Param(1000.0, "Largest absolute value of an unscaled feature at which "
                                "to warn.", low=0.0, low_open=True),
        "info_magnitude": Param(100.0, "Largest absolute value of an unscaled feature at which "
                                "to report info.", low=0.0, low_open=True),
        "mean_tol": Param(0.5, "Largest |mean| of a feature that counts as standardized.", low=0.0),
        "std_tol": Param(2.0, "A standardized feature's std lies in [1/std_tol, std_tol].", low=1.0),
        "warn_target_scale": Param(1000.0, "Regression: train target |mean| or std at which to "
                                   "warn.", low=0.0, low_open=True),
        "info_target_scale": Param(10.0, "Regression: train target |mean| or std at which to "
                                   "report info.", low=0.0, low_open=True),
    }

    def validate(self) -> None:
        """Info bounds must not exceed warning bounds."""
        self._order("info_target_scale", "warn_target_scale")

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Judge the first split with numeric features (train, when there is one), and a
        regression target's scale."""
        split = next(s for s in ctx.splits() if s.columns is not None and s.columns.shape[0])
        scaled = self._scaled(split.feature_stats, split.columns)
        prepared = _prepared(scaled)
        findings = self._judge(split, scaled, prepared)
        return findings + (self._target(ctx, prepared) if ctx.is_regression else [])

    def _scaled(self, st: FeatureStats, columns: np.ndarray) -> np.ndarray:
        """Per feature: 1 where considered and scaled (standardized by a scaler, or min-max
        scaled), -1 where considered and unscaled, 0 elsewhere (left out, near standardized,
        or within [-1, 1] as raw ratios are).

        A min-max scaled column has train min 0 and max 1 with few values at either end: a
        raw share (of purchases made online, say) reaches 0 and 1 too, but piles up there."""
        cfg = self.config
        considered = _considered(st)
        standardized = ((np.abs(st.mean) <= cfg["mean_tol"]) & (st.std >= 1 / cfg["std_tol"])
                        & (st.std <= cfg["std_tol"]))
        # a scaler's output: mean 0 and std 1 up to the sampling of a split (raw counts of a
        # rare event, mean 0.3 and std 0.6, pass the looser test above but are no evidence)
        with np.errstate(divide="ignore", invalid="ignore"):  # std 0 or NaN: not considered
            by_scaler = (np.abs(st.mean) <= _SCALED_MEAN) & (np.abs(np.log(st.std)) <= _SCALED_LOG_STD)
        min_max = considered & (np.abs(st.min) <= _EXACT) & (np.abs(st.max - 1) <= _EXACT)
        for j in np.flatnonzero(min_max):
            values = columns[j]
            ends = np.count_nonzero((np.abs(values) <= _EXACT) | (np.abs(values - 1) <= _EXACT))
            min_max[j] = ends <= max(2, _MAX_ENDS * len(values))  # its min and max at least
        bounded = (st.min >= -1) & (st.max <= 1)
        return np.where(~considered, 0, np.where(by_scaler | min_max, 1,
                                                  np.where(standardized | bounded, 0, -1)))

    def _target(self, ctx: CheckContext, prepared: bool) -> list[Finding]:
        train = ctx.train_name
        t = ctx.target(train)
        t = t[np.isfinite(t)]
        if not len(t):
            return []
        mean, std = float(t.mean()), float(t.std())
        scale = max(abs(mean), std)
        if scale >= self.config["warn_target_scale"] and prepared:
            severity = Severity.WARNING
        elif scale >= self.config["info_target_scale"]:
            severity = Severity.INFO
        else:
            return []
        first_mse = mean ** 2 + std ** 2
        beside = " beside standardized features" if prepared else ""
        return [self.finding(
            "target_scale", severity,
            f"The {train} target is not standardized{beside} (mean {mean:,.4g}, std {std:,.4g}): "
            f"a network starts by predicting about 0, so its first mean squared error is about "
            f"{first_mse:,.3g} and the early steps mostly learn the offset.",
            split=train,
            hint="Standardize the target with the train mean and std (or predict log(target)), "
                 "train on that, and invert the transform on the predictions.",
            metrics={"mean": mean, "std": std, "scale": scale, "initial_mse": first_mse,
                     "features_standardized": prepared})]

    def _judge(self, split: SplitScan, scaled: np.ndarray, prepared: bool) -> list[Finding]:
        cfg = self.config
        st = split.feature_stats
        considered = _considered(st)
        unscaled = scaled < 0
        if not unscaled.any():
            return []
        mean, std, lo, hi = st.mean, st.std, st.min, st.max
        magnitude = np.maximum(np.abs(lo), np.abs(hi))
        # The spread counts every considered feature: one raw feature among standardized
        # ones is exactly the case to catch.
        std_spread = _spread(std[considered])
        range_spread = _spread((hi - lo)[considered])
        spread = min(std_spread, range_spread)
        big = float(magnitude[unscaled].max())
        if spread >= cfg["warn_spread"] or big >= cfg["warn_magnitude"]:
            severity = Severity.WARNING if prepared else Severity.INFO
        elif spread >= cfg["info_spread"] or big >= cfg["info_magnitude"]:
            severity = Severity.INFO
        else:
            return []
        names = np.asarray(st.names, dtype=object)
        worst = _worst_first(np.flatnonzero(unscaled), std, magnitude)
        top = int(np.flatnonzero(unscaled)[np.argmax(magnitude[unscaled])])
        rows = [[names[j], float(mean[j]), float(std[j]), float(lo[j]), float(hi[j])]
                for j in worst[:_MAX_ROWS]]
        n_considered, n_unscaled = int(considered.sum()), int(unscaled.sum())
        n_scaled = int((scaled > 0).sum())
        scales = (f"their scales differ up to {spread:,.0f}x and values reach {big:,.4g} "
                  f"({names[top]})")
        if prepared:
            message = (f"{n_scaled} of {n_considered} numeric features in {split.name} are "
                       f"standardized but {n_unscaled} are not, as if a scaler missed them: "
                       f"{scales}.")
        else:
            message = (f"{n_unscaled} of {n_considered} numeric features in {split.name} are in "
                       f"raw units, far from standardized: {scales}.")
        return [self.finding(
            "unscaled", severity, message, split=split.name,
            hint=_hint(names[worst], prepared),
            metrics={"n_features": n_considered, "n_unscaled": n_unscaled,
                     "n_standardized": n_scaled,
                     "n_large_magnitude": int((unscaled & (magnitude >= cfg["warn_magnitude"])).sum()),
                     "scale_spread": spread, "std_spread": std_spread,
                     "range_spread": range_spread, "max_magnitude": big},
            evidence=[Evidence("table", f"Features farthest from standardized ({split.name})",
                               {"columns": ["feature", "mean", "std", "min", "max"],
                                "rows": rows})],
        )]


def _hint(worst: np.ndarray, prepared: bool) -> str:
    """Fit one scaler on train; name the columns a scaler missed."""
    fit = ("a scaler fit on the training split only (sklearn's StandardScaler().fit(X_train)), "
           "then apply that same transform to val and test.")
    if not prepared:
        return f"Standardize the features with {fit}"
    missed = ", ".join(map(str, worst[:3])) + (", ..." if len(worst) > 3 else "")
    return f"Standardize every numeric column ({missed} were missed) with {fit}"


def _prepared(scaled: np.ndarray) -> bool:
    """Whether the features went through a scaler: at least two are standardized or
    min-max scaled, and at least as many as are unscaled."""
    n_scaled, n_unscaled = int((scaled > 0).sum()), int((scaled < 0).sum())
    return n_scaled >= 2 and n_scaled >= n_unscaled


def _considered(st: FeatureStats) -> np.ndarray:
    """Features whose scale means something: finite, neither constant nor binary/one-hot."""
    return (st.n_finite > 0) & (st.n_distinct_lo > 2) & np.isfinite(st.std) & (st.std > 0)


def _spread(scales: np.ndarray) -> float:
    """Largest over smallest of positive scales (1.0 when there is nothing to compare)."""
    positive = scales[scales > 0]
    return float(positive.max() / positive.min()) if positive.size else 1.0


def _worst_first(index: np.ndarray, std: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Order features by how many decades their std or magnitude sits away from 1."""
    off = np.maximum(np.abs(np.log10(std[index])), np.log10(np.maximum(magnitude[index], 1.0)))
    return index[np.argsort(-off, kind="stable")]
