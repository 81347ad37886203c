"""Noisy labels by cross-validated confident learning (checklist item 6)."""

from __future__ import annotations

import warnings

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.checks._grades import class_values
from datacheck.checks._pixel_tables import pixel_grid
from datacheck.spec.params import Param
from datacheck.models import (NoiseEstimate, estimate_noise, oof_skip_reason, out_of_fold,
                              regression_out_of_fold, regression_relation, relation, second_opinion, target_noise)
from datacheck.models.every_row import (STREAMED_MAX_ROWS, Judged, JudgedTargets, judge_every_row, judge_every_target,
                                        predict_ahead)
from datacheck.models.oof import second_family_adds, threadpool_limits_to
from datacheck.models.permutation import balanced_accuracy
from datacheck.models.residuals import DEFAULT_CUT
from datacheck.report.findings import Evidence, Finding, Severity

# Rows of the suspects table and images shown; classes drawn in the matrix and the bars.
MAX_ROWS = 50
MAX_MATRIX = 20
MAX_BARS = 50
MAX_NAMED = 3
# A class pair is named in a warning from this many flagged samples moved one way, and when
# the move is one-way: at most ONE_WAY as many flagged the other way. Measured on clean
# Fashion-MNIST (83 profiles of 600 to 10,000 images, sample_data's 1,200 under 42 seeds):
# look-alike classes (Shirt and T-shirt) are confused unevenly, down to 0.18 the other way,
# and 0.25 (20 against 5) warned on 3 of the 42; a class moved to another (Fashion-MNIST and
# digits, 20-40% of it, about 100 profiles) shows at most 0.10.
PAIR_MIN = 10
ONE_WAY = 0.15
# ...and when the models are strong enough to tell a moved label from a look-alike sample:
# skill (balanced accuracy scaled so chance is 0 and perfect is 1) at least PAIR_SKILL.
# Measured: clean photo tiles labelled by source photo 0.43-0.47 (a false pair warning without
# this), Fashion-MNIST with 40% of one class moved 0.62 at 300 samples and 0.75 at 1,000.
PAIR_SKILL = 0.55
# Ordered grades (``NoiseEstimate.grades``) warn only where the models are strong enough to
# tell a wrong grade from the grading's own spread: skill at least GRADE_SKILL. Measured on
# grades cut from a noisy score (3-7 grades, 1,000-20,000 samples): clean ones of skill 0.13-0.33
# (a weak score, as wine quality's) put 8-32% of the end grades' anchors on other grades, those of
# skill 0.42 and more at most 2.9%; with 10-20% of the labels moved at random, skill 0.40-0.60,
# 7-26%.
GRADE_SKILL = 0.4
# The second family's balanced accuracy above the main models' from which it joins the estimate.
SECOND_MARGIN = 0.05
# On a table, noise spread over most classes is a warning only where the share of contradicted
# labels stays level as the models grow surer: the one-sided 95% upper bound of
# ``confidence_slope`` at most SLOPE_MAX. Where it falls as fast as their doubt (about 1), the
# label may be an outcome the inputs do not determine (a churn, a default, a survival),
# contradicted without being wrong; an image's label is a category a person can tell. Measured
# where the anchors disagree: clean tables whose label is drawn from a softmax of the inputs
# (2-3 classes, 1,000-20,000 rows, Bayes accuracy 0.56-0.94; 12 of 24 warned before)
# 0.72-1.39; deterministic labels with 10% or 20% flipped at random 0.09-0.48 from 5,000 rows
# and 0.42-0.96 at 1,000; breast cancer and digits with 20% flipped 0.11-0.45. Small tables
# (wine, 300 digits) cannot narrow the bound enough and are info now, as an outcome would be.
SLOPE_MAX = 0.7
# ... except on a table whose columns are the pixels of images (``_pixel_tables``): its labels
# are categories a person can tell, as an image set's, and the slope does not hold its warning
# back where this many samples a class or more were modelled. The table models (standardized
# pixels) are weaker than the image models, so too few samples leave the anchors measuring
# their errors. Clean Fashion-MNIST subsets as 784-column tables: the anchors disagreed with
# at most 0.5% of the labels from 1,000 rows (16 draws of 1,000-20,000), 0.5-1.7% at 600, and
# 4.4-11.2% at 300 (30 a class: one of three draws would warn but for the slope's bound, 1.79).
# With 10% of the labels moved (12 draws of 1,000-20,000 rows), 5.9-16%: 11 warn, where the
# slope (bounds 0.63-1.49) let 2 warn before; at 600 rows (4 draws) none does, as before.
PIXEL_CLASS_SAMPLES = 100
# Below this estimated share, suspects are "a few" and no class is named.
FEW_RATIO = 0.02
# Noise across most classes is claimed from this many modelled samples a class (on average):
# a class's anchors (``noise.ANCHOR_MIN`` at least) are then a third of it at most, the models'
# surest predictions. With fewer, they are half of it or more, and measure the models' own
# errors: clean Fashion-MNIST subsets of 100, 150 and 200 images (10 classes, two draws each)
# had their anchors disagree with 3.7-24% of their labels (lower bounds 1.3-15%: five of six
# warned), as many as with 10% of the labels moved (13.5-40%); from 300 images (30 a class)
# clean sets measured 0.4-0.8% and 10% moved 3.4-9.5% (lower bounds; 300 and 600 images).
MIN_CLASS_SAMPLES = 30
# Regression: below this out-of-fold R² (on the targets within the cut) the models are too
# weak to tell a wrong target from a rare one.
MIN_R2 = 0.1
# Regression: from this many residuals between half the cut and the cut per residual beyond it,
# the tail thins out gradually (noise) instead of holding targets set apart (``shoulder``).
# Clean t(2)-distributed noise measured 2.1-3.7 and put 1.3-3.0% beyond the cut (a warning at
# 10,000 rows before); log-normal noise 1.3-5.4; 3% planted wrong targets 0.05-0.8 with normal
# noise and 1.0-1.3 with t(2) noise (friedman1, linear, diabetes; 442-10,000 rows).
SHOULDER = 1.75
# Bins of the histogram of robust standardized residuals.
Z_BINS = 40
# Regression: residuals skewed beyond this (Bowley skewness, 10/50/90th percentiles) come from
# noise that grows with the target, not from wrong targets: clean log-normal targets measure
# 0.32-0.55, clean symmetric noise and 5% planted wrong targets -0.03-0.20.
SKEWED = 0.3
# Regression: residuals spread this many times wider at the highest fifth of the predictions
# than at the lowest come from noise that grows with the target too, skewed or not: clean
# counts (Poisson, negative binomial; 2,000-17,000 samples, means 5-150) measure 3.4-7.8 and put
# 1-5% beyond the cut; diabetes clean and with 5% planted wrong targets 1.5-2.2, friedman1
# 0.9-1.0, log-normal noise 1.7-2.2.
GROWING = 3.0


@register
class LabelNoiseCheck(Check):
    """Labels that look wrong: confident learning on out-of-fold predicted probabilities.

    What it detects
    ---------------
    Every labelled sample is predicted by models that never saw it (stratified K-fold; for
    images, features from the scan's thumbnails or the pixels of small image arrays, for
    tables standardized and one-hot encoded columns; a small CNN with
    ``noise_model="cnn"``). Confident learning's filter (cleanlab's), run on those
    probabilities, flags the samples whose given label the models confidently contradict.
    Each class's noise is also measured on its *anchors*, the samples the models are
    surest about: wrong labels that do not depend on the input show up there, genuine
    ambiguity between similar classes does not. The finding gives the estimated share of
    wrong labels overall and per class, the estimated joint of given and suggested labels,
    and the suspects ranked by how little probability the models give their label.
    A table (or image set) of more labelled samples than ``noise_max_samples`` is
    cross-fitted on a stratified sample of them; every other labelled sample is then judged by the fold models (each by one
    fold's, none of which saw it), against the sample's cut: its label gets no more
    probability than the least suspicious suspect's and is not the models' prediction
    (``models.every_row``, ``noise.contradicted``); a regression target, by its residual
    on the sample's centre and scale. The estimate is the sample's.

    Severity follows the evidence, not the point estimate. A warning needs noise spread
    over most classes (``warn_ratio`` on the anchors, and a one-sided 95% lower bound over
    the anchors that measured it of at least ``warn_low_ratio``; from 30 modelled samples
    a class, below which the anchors are most of a class and measure the models' own
    errors); or a class-mapping
    error: samples of one class labelled as one other class (their share of the class,
    lower bound at least ``pair_ratio``) while few move the other way, as they would
    between look-alike classes, named as "labels of A look like B".
    On a table the label may be an outcome the inputs do not determine (a churn, a
    default, a survival): even the surest predictions are contradicted, fewer the surer
    they are. Noise over most classes is then a warning only where the share of
    contradicted labels stays level as the models' confidence rises (an upper bound of the
    ``confidence_slope`` of at most ``SLOPE_MAX``), as labels flipped at random do; else the
    finding is info and says why.
    On tables a claim is checked against a second model family (gradient boosting on
    screened features); where that family predicts the labels clearly better, the
    estimate is re-made with both averaged, so that models blind to what the labels
    follow (one column of thousands, a threshold) cannot raise it. Where the
    models flag many labels but their confident predictions do not back it up (weak models
    on a small or hard set), the finding is info and says so with the numbers. Labels that
    look unrelated to the inputs altogether are left to ``learnability`` (one cause, one
    error): an info finding refers to it.

    On a regression target, the models are ridge regression and gradient boosting
    (K-fold, out-of-fold predictions); a target is contradicted when its robust standardized
    residual (residual over 1.4826 times the median absolute deviation of the residuals)
    exceeds ``residual_z``, after the models were refit without such targets where they are
    0.5% of the samples or more (a target ten times too large distorts a least-squares
    fit). A warning needs the share of contradicted targets to reach ``outlier_ratio``
    with a one-sided 95% lower bound of at least
    ``outlier_low_ratio``: residuals with heavy tails (t-distributed noise, skewed targets)
    put about 1-2% beyond the cut on clean data, planted wrong targets put their own share
    there. Skewed residuals, or residuals that spread several times wider where the models
    predict the most (noise that grows with the target, as in prices and counts), put more
    there without any target being wrong: they give an info that suggests a log scale. So
    does a heavy tail of noise, which thins out gradually: where 1.75 or more times as many
    residuals lie between half the cut and the cut as beyond it, the finding is info. The
    suspects are listed with their given and predicted targets, most extreme first.

    Why it matters
    --------------
    A network fits wrong labels as readily as right ones: noise lowers the accuracy it can
    reach, makes it memorise instead of generalise, and a noisy test set measures the
    wrong thing. Relabelling or dropping the few hundred worst suspects is often the
    cheapest accuracy gain there is.
    """

    id = "label_noise"
    items = (6,)
    needs = ("labels",)
    fits_models = True
    params = {
        "warn_ratio": Param(0.06, "Share of wrong labels spread over most classes (measured on the models' "
                            "most confident predictions) from which a warning is raised.", float, 0, 1,
                            low_open=True),
        "warn_low_ratio": Param(0.03, "Its one-sided 95% lower bound must reach this too.", float, 0, 1,
                                low_open=True),
        "pair_ratio": Param(0.1, "One-sided 95% lower bound of the share of a class's samples labelled as "
                            "one other class (one way only) from which a warning names the pair.",
                            float, 0, 1, low_open=True),
        "residual_z": Param(DEFAULT_CUT, "Regression: robust standardized residual (in robust standard deviations) "
                            "beyond which the models contradict a target.", float, 2, 100),
        "outlier_ratio": Param(0.02, "Regression: share of contradicted targets from which a warning is raised.",
                               float, 0, 1, low_open=True),
        "outlier_low_ratio": Param(0.01, "Regression: its one-sided 95% lower bound must reach this too.",
                                   float, 0, 1, low_open=True),
    }

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Also skipped without two learnable classes or without features."""
        return super().skip_reason(ctx) or oof_skip_reason(ctx)

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The noise finding, and a warning per class pair with a one-way label move."""
        if ctx.is_regression:
            return self._run_regression(ctx)
        oof = out_of_fold(ctx)
        rel = relation(ctx)
        context = "".join(f"; {note}" for note in oof.notes)
        metrics = {"n_modelled": oof.n, "n_labelled": oof.pool.n_available, "model": oof.model,
                   "features": oof.features, "balanced_accuracy": round(rel.balanced_accuracy, 4)}
        if not rel.related:
            return [self.finding(
                "not_estimated", Severity.INFO,
                f"Label noise was not estimated: the labels look unrelated to the inputs altogether "
                f"(balanced accuracy {rel.best_balanced_accuracy:.2f} against {rel.chance:.2f} by chance; "
                f"see learnability){context}.",
                hint="Fix the pairing of labels and inputs first (learnability's finding).", metrics=metrics)]
        names = [ctx.classes[c] for c in oof.classes]
        # the samples beyond the pool are predicted beside the estimate, in one BLAS and
        # OpenMP thread each, as the models were fitted (limits and filters are process-wide)
        with threadpool_limits_to(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ahead = predict_ahead(ctx)
            est, second = self.estimate(ctx)
            if ahead is not None:
                ahead.join()
            proba = (oof.proba + second_opinion(ctx)) / 2 if second else oof.proba
            judged = judge_every_row(ctx, est, proba, second)
        widespread, pairs = self._widespread(ctx, est), self._pairs(est)
        # on a table, contradicted fewer the surer the models are: an outcome the inputs do not
        # determine
        uncertain = not widespread and self._anchors_disagree(ctx, est) and oof.kind == "table"
        metrics.update({
            "noise_ratio": round(est.noise_ratio, 4),
            "widespread_noise_ratio": round(est.widespread_ratio, 4),
            "widespread_noise_low": round(est.widespread_low, 4),
            "confidence_slope_high": round(est.slope_high, 3),
            "cleanlab_ratio": round(est.cleanlab_ratio, 4),
            "n_suspects": len(judged.suspects),
            "grades": est.grades,
            "second_family": "gradient boosting on screened features" if second else None,
        })
        grid = pixel_grid(ctx) if widespread and oof.kind == "table" and est.slope_high > SLOPE_MAX else None
        if grid is not None:
            metrics["pixel_grid"] = str(grid)
            context += (f"; the columns read as the pixels of {grid} images (neighbouring pixels vary "
                        "together), whose labels are categories a person can tell, not outcomes")
        if judged.beyond:
            metrics["n_judged"] = judged.n
        found = [self._pair_finding(ctx, oof, p, names, metrics, context, rel) for p in pairs]
        if judged.beyond:
            context += (f"; the other {judged.beyond:,} labelled samples were judged by those models too "
                        "(each by the models of one fold, none of which saw it)")
        _sample_columns(ctx, judged.pool, {"quality": judged.quality}, judged.suspects, "noise_rate",
                        suggested=oof.classes[judged.suggested])
        if not len(judged.suspects):
            return found
        severity = Severity.WARNING if widespread else Severity.INFO
        ids = judged.pool.sample_ids(ctx, judged.suspects[:MAX_ROWS])
        worst = np.argsort(-est.class_ratio, kind="stable")[:MAX_MATRIX]
        metrics["class_noise_ratio"] = {names[c]: round(float(est.class_ratio[c]), 4)
                                        for c in worst if est.class_ratio[c] > 0}
        # many flags, some disagreement on the anchors, too little evidence: weak models
        weak = (not widespread and not uncertain and est.noise_ratio >= self.config["warn_ratio"]
                and est.widespread_ratio >= self.config["warn_low_ratio"])
        # too few samples a class for the anchors to be the models' surest (MIN_CLASS_SAMPLES)
        per_class = oof.n / len(oof.classes) if oof.n < MIN_CLASS_SAMPLES * len(oof.classes) else None
        message = _message(est, names, (len(judged.suspects), judged.n), widespread, weak, rel, uncertain,
                           per_class)
        return [self.finding(
            "noise_rate", severity, message + context + ".",
            hint=(_hint(severity, weak, _few(est), est.grades, uncertain, per_class is not None)
                  + _unjudged(judged.pool, judged.beyond, judged.left)),
            metrics=metrics, samples=ids, n_samples=len(judged.suspects),
            evidence=_evidence(ctx, est, judged, names, ids))] + found

    def _run_regression(self, ctx: CheckContext) -> list[Finding]:
        """Targets the out-of-fold regression models contradict, by robust standardized residual."""
        oof = regression_out_of_fold(ctx)
        rel = regression_relation(ctx)
        context = "".join(f"; {note}" for note in oof.notes)
        metrics = {"n_modelled": oof.n, "n_labelled": oof.pool.n_available, "model": oof.model,
                   "features": oof.features, "r2": round(oof.best_r2, 4)}
        if not rel.related:
            return [self.finding(
                "not_estimated", Severity.INFO,
                f"Target noise was not estimated: the target looks unrelated to the inputs altogether "
                f"(cross-validated R² {rel.best_r2:.2f}, {rel.null_r2:.2f} with permuted targets; "
                f"see learnability){context}.",
                hint="Fix the pairing of targets and inputs first (learnability's finding).", metrics=metrics)]
        cut = self.config["residual_z"]
        est = target_noise(ctx, cut)
        with threadpool_limits_to(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            judged = judge_every_target(ctx, est, cut)
        if judged.beyond:
            metrics["n_judged"] = judged.n
            context += (f"; the other {judged.beyond:,} labelled targets were judged by those models too "
                        "(each by the models of one fold, none of which saw it)")
        _sample_columns(ctx, judged.pool, {"predicted": judged.predicted, "residual_z": judged.z}, judged.suspects,
                        "target_outliers")
        metrics.update({"noise_ratio": round(est.ratio, 4), "noise_low": round(est.low, 4),
                        "n_suspects": len(judged.suspects), "residual_z": cut,
                        "residual_scale": round(est.scale, 6), "r2_within_cut": round(est.r2, 4),
                        "refit_without_suspects": est.refit})
        if not len(judged.suspects):
            return []
        strong, skewed = est.r2 >= MIN_R2, abs(est.skewness) >= SKEWED
        growing, heavy = est.spread_growth >= GROWING, est.shoulder >= SHOULDER
        severity = (Severity.WARNING if strong and not (skewed or growing or heavy)
                    and est.ratio >= self.config["outlier_ratio"]
                    and est.low >= self.config["outlier_low_ratio"] else Severity.INFO)
        metrics["residual_skewness"] = round(est.skewness, 4)
        metrics["residual_shoulder"] = round(est.shoulder, 4)
        metrics["residual_spread_growth"] = round(est.spread_growth, 4) if np.isfinite(est.spread_growth) else None
        ids = judged.pool.sample_ids(ctx, judged.suspects[:MAX_ROWS])
        head = (f"About {est.ratio:.1%} of the targets look wrong ({len(judged.suspects):,} of {judged.n:,} lie more "
                f"than {cut:g} robust standard deviations, {cut:g} x {est.scale:.4g}, from what models trained "
                "on the other samples predict)")
        if severity is Severity.WARNING:
            message = head + f", at least {est.low:.1%} at 95% confidence"
            hint = ("Review the top suspects: fix or drop the wrong targets, and look for the cause (a unit or "
                    "scale slip, a shifted column, a sentinel value such as -1 or 9999) if they share a pattern.")
        elif skewed:
            message = (head + f", but the residuals are skewed (quantile skewness {est.skewness:.2f}): noise "
                       "that grows with the target puts samples that far out without any target being wrong")
            hint = ("A target whose spread grows with its value (prices, counts, durations) is often better "
                    "modelled on a log scale; the top suspects are still worth a look.")
        elif growing:
            wider = (f"{est.spread_growth:.1f} times as wide" if np.isfinite(est.spread_growth)
                     else "wide, against none")
            message = (head + f", but the residuals spread {wider} where the models predict the most "
                       "as where they predict the least: noise that grows with the target, as counts and "
                       "amounts have, puts samples that far out without any target being wrong")
            hint = ("A target whose spread grows with its value (counts, prices, durations) is often better "
                    "modelled on a log scale or with a Poisson loss; the top suspects are still worth a look.")
        elif heavy:
            message = (head + f", but {est.shoulder:.1f} times as many lie between {cut / 2:g} and {cut:g}: the "
                       "residuals thin out gradually, a heavy tail of noise rather than wrong targets set apart "
                       "from the rest")
            hint = ("Rare large deviations are part of some targets; a robust loss (Huber) trains better on "
                    "them. The top suspects are still worth a look.")
        elif not strong:
            message = (head + f", but the models (R² {est.r2:.2f}) are too weak here to tell wrong targets "
                       "from rare ones")
            hint = "The top suspects are still worth a look; more samples or informative features would tell."
        else:
            message = head + ", too few to point to systematic errors (heavy-tailed targets put about 1% there)"
            hint = "A few outlying targets are normal; review the top suspects for a cleaner set."
        return [self.finding(
            "target_outliers", severity, message + context + ".",
            hint=hint + _unjudged(oof.pool, judged.beyond, judged.left),
            metrics=metrics, samples=ids, n_samples=len(judged.suspects),
            evidence=_regression_evidence(judged, ids, cut))]

    def estimate(self, ctx: CheckContext) -> tuple[NoiseEstimate, bool]:
        """The estimate the findings are made from, and whether the second family is in it.

        A claim on a table is checked against the second family: where it predicts the
        labels clearly better (balanced accuracy ``SECOND_MARGIN`` higher), the main models
        missed what the labels follow, and the estimate is re-made with both families'
        probabilities averaged. Not where the main models include gradient boosting on the
        unreduced features (``oof.second_family_adds``): the second family is a smaller model
        of the same kind there.
        """
        oof = out_of_fold(ctx)
        values = class_values(ctx, oof.classes)  # 1..5; "low", "medium", "high"; "1 star" ...
        est = estimate_noise(oof.proba, oof.y, values)
        if (not (self._anchors_disagree(ctx, est) or self._pairs(est)) or oof.kind != "table"
                or not second_family_adds(ctx)):
            return est, False
        second = second_opinion(ctx)
        k = len(oof.classes)
        main = balanced_accuracy(oof.y, oof.proba.argmax(axis=1), k)
        if balanced_accuracy(oof.y, second.argmax(axis=1), k) - main < SECOND_MARGIN:
            return est, False
        return estimate_noise((oof.proba + second) / 2, oof.y, values), True

    def _anchors_disagree(self, ctx: CheckContext, est) -> bool:
        """Whether the models' surest predictions disagree with enough labels to warn, on
        enough samples a class for them to be its surest (``MIN_CLASS_SAMPLES``)."""
        oof = out_of_fold(ctx)
        return (oof.n >= MIN_CLASS_SAMPLES * len(oof.classes)
                and est.widespread_ratio >= self.config["warn_ratio"]
                and est.widespread_low >= self.config["warn_low_ratio"]
                and (not est.grades or relation(ctx).skill >= GRADE_SKILL))

    def _widespread(self, ctx: CheckContext, est) -> bool:
        """Noise over most classes: the anchors disagree, on a table at a rate that does not
        fall as the models grow surer (``SLOPE_MAX``), unless its columns are the pixels of
        images (``_pixel_tables.pixel_grid``), whose labels are categories a person can tell,
        and ``PIXEL_CLASS_SAMPLES`` samples a class or more were modelled."""
        oof = out_of_fold(ctx)
        return self._anchors_disagree(ctx, est) and (oof.kind != "table" or est.slope_high <= SLOPE_MAX
                                                     or (oof.n >= PIXEL_CLASS_SAMPLES * len(oof.classes)
                                                         and pixel_grid(ctx) is not None))

    def _pairs(self, est) -> list:
        # neighbouring grades share a border, which need not be even on both sides
        pairs = [p for p in est.pairs
                 if not (est.grades and abs(est.grade_of[p.given] - est.grade_of[p.suggested]) == 1)]
        return [p for p in pairs[:MAX_NAMED] if p.low >= self.config["pair_ratio"]
                and p.n_moved >= PAIR_MIN and p.n_reverse <= ONE_WAY * p.n_moved]

    def _pair_finding(self, ctx, oof, pair, names: list[str], base: dict, context: str, rel) -> Finding:
        given, seen = names[pair.given], names[pair.suggested]
        moved = np.flatnonzero((oof.proba.argmax(axis=1) == pair.suggested) & (oof.y == pair.given))
        # most confidently the other class first
        moved = moved[np.argsort(-oof.proba[moved, pair.suggested], kind="stable")]
        metrics = {**base, "given": given, "suggested": seen, "n_moved": pair.n_moved,
                   "n_reverse": pair.n_reverse, "moved_ratio": round(pair.moved_ratio, 4),
                   "moved_ratio_low": round(pair.low, 4)}
        ids = oof.sample_ids(ctx, moved[:MAX_ROWS])
        strong = rel.skill >= PAIR_SKILL
        caveat = ("" if strong else
                  f"; but the models (balanced accuracy {rel.balanced_accuracy:.2f}, skill {rel.skill:.2f}) are "
                  f"too weak here to tell a moved label from a sample that merely looks like {seen}")
        return self.finding(
            "class_pair", Severity.WARNING if strong else Severity.INFO,
            f"Labels of class {given} look like they belong to {seen}: {pair.n_moved} samples labelled {given} "
            f"are confidently predicted {seen} (about {pair.moved_ratio:.0%} of what looks like {seen}, at least "
            f"{pair.low:.0%} at 95% confidence), while only {pair.n_reverse} labelled {seen} look like {given} "
            f"(look-alike classes are confused both ways; a wrong mapping moves labels one way){caveat}{context}.",
            hint=f"Look at the samples labelled {given} that the models call {seen}: a class mapping or "
                 "annotation batch that put one class's samples under another's label looks like this.",
            metrics=metrics, samples=ids, n_samples=len(moved),
            evidence=[Evidence("images", f"Labelled {given}, predicted {seen}",
                               {"samples": ids, "captions": [f"{given} → {seen}"] * len(ids)})]
            if ctx.modality == "image" else [])


def _regression_evidence(judged: JudgedTargets, ids: list[str], cut: float) -> list[Evidence]:
    top = judged.suspects[:len(ids)]
    rows = [[sid, float(judged.target[p]), round(float(judged.predicted[p]), 6), round(float(judged.z[p]), 2)]
            for sid, p in zip(ids, top)]
    z = np.clip(judged.z, -4 * cut, 4 * cut)
    counts, edges = np.histogram(z, bins=Z_BINS, range=(-4 * cut, 4 * cut))
    return [
        Evidence("table", "Most contradicted targets (z: robust standardized residual)",
                 {"columns": ["sample", "given", "predicted", "z"], "rows": rows}),
        Evidence("histogram", f"Robust standardized residuals (clipped at ±{4 * cut:g}; |z| > {cut:g} flagged)",
                 {"edges": edges.tolist(), "series": {"samples": counts.tolist()}}),
    ]


def _sample_columns(ctx: CheckContext, pool, scores: dict[str, np.ndarray], suspects: np.ndarray, code: str,
                    suggested: np.ndarray | None = None) -> None:
    """Per-sample columns of the modelled samples: scores (``quality``: the probability the
    models give the given label; regression ``predicted``, ``residual_z``), the ``suggested``
    class, and ``flag`` (the finding's code) on the suspects; samples not modelled stay missing."""
    suspect = np.zeros(len(pool), bool)
    suspect[suspects] = True
    for k, split in enumerate(pool.split_names):
        at, rows = pool.rows_of(k)
        for name, values in scores.items():
            ctx.sample_column(split, name, values[at], rows=rows)
        if suggested is not None:
            ctx.sample_column(split, "suggested", suggested[at], rows=rows, categories=ctx.classes)
        ctx.sample_column(split, "flag", code, rows=rows[suspect[at]])


def _unjudged(pool, beyond: int, left: int = 0) -> str:
    """The hint's last sentence where the samples were drawn down to ``noise_max_samples``
    and the ``beyond`` others were not judged (none): how to have every one judged; or where
    ``left`` rows of streamed splits were not (``every_row.STREAMED_MAX_ROWS``)."""
    if left:
        return (f" {left:,} labelled rows of streamed splits were not judged: at most "
                f"{STREAMED_MAX_ROWS:,} beyond the modelled sample are, drawn at random.")
    if not pool.capped_from or beyond:
        return ""
    n = pool.capped_from
    return (f" Only the {len(pool):,} modelled samples were judged; noise_max_samples={n} "
            f"(--noise-max-samples {n}) judges all {n:,}, in more time.")


def _few(est) -> bool:
    return est.noise_ratio < FEW_RATIO or not est.class_ratio.any()


def _message(est, names: list[str], counts: tuple[int, int], widespread: bool, weak: bool, rel,
             uncertain: bool = False, per_class: float | None = None) -> str:
    """The finding's message; ``counts``: the suspects and the samples judged; ``per_class``:
    the modelled samples a class, where too few for the anchors (``MIN_CLASS_SAMPLES``)."""
    n_suspects, n = counts
    head = (f"About {est.noise_ratio:.1%} of the labels look wrong ({n_suspects:,} of {n:,} "
            f"samples contradict what models trained on the other samples confidently predict)")
    measured = (f"{est.widespread_ratio:.1%} of their labels (at least {est.widespread_low:.1%} at 95% "
                "confidence)")
    neutral = (f"Models trained on the other samples contradict {n_suspects:,} of {n:,} labels "
               f"({est.noise_ratio:.1%})")
    as_expected = (", but that share falls as the models grow surer, as their own doubt does (by up to "
                   f"{est.slope_high:.2f} per unit of confidence, where labels flipped at random keep one rate; "
                   f"a warning needs at most {SLOPE_MAX:g}): the inputs do not fully determine these labels "
                   "(an outcome such as a churn), which does not make them wrong")
    if est.grades:
        most = ("every grade" if est.grade_share == 1
                else f"the grades of {est.grade_share:.0%} of the samples")
        ends = (f"the classes behave as ordered grades (the models confuse {most} most with a neighbouring "
                "one), and a middle grade's most confident predictions still sit next "
                f"to both neighbours, so noise is measured on the lowest and highest grade "
                f"({names[int(np.argmin(est.grade_of))]} and {names[int(np.argmax(est.grade_of))]}): their most "
                f"confident predictions disagree with {measured}")
        if widespread:
            return head + ", across the grades: " + ends
        # not a claim that they are wrong: grades disagree with their neighbours
        head = neutral
        if uncertain:
            return head + "; " + ends + as_expected
        if weak:
            return (head + "; " + ends + f", but the models (skill {rel.skill:.2f}, balanced accuracy "
                    f"{rel.balanced_accuracy:.2f}) are too weak here to tell a wrong grade from the "
                    "grading's own spread")
        return head + "; " + ends + ", too little to point to wrong labels"
    if widespread:
        # two estimates bound the share: the anchors of the least noisy classes, which can miss
        # a little (10% moved in digits: 6-8%), and the flags, which count the models' own
        # confusions too (10% moved in 300-1,000 Fashion-MNIST images: 14-22%)
        return (f"{_about(est.widespread_ratio, est.noise_ratio)} of the labels look wrong, across most classes: "
                f"the models' most confident predictions disagree with {measured}, and {n_suspects:,} of {n:,} "
                f"samples ({est.noise_ratio:.1%}) contradict what models trained on the other samples "
                "confidently predict")
    if uncertain:
        return neutral + "; their most confident predictions disagree with " + measured + as_expected
    if weak and per_class is not None:
        return (head + f", but with {per_class:.0f} modelled samples a class the models' most confident "
                f"predictions are most of each class and measure the models' own errors as much as wrong "
                f"labels: they disagree with {est.widespread_ratio:.1%} of their labels (at least "
                f"{est.widespread_low:.1%} at 95% confidence); from {MIN_CLASS_SAMPLES} a class the two can "
                "be told apart")
    if weak:
        return (head + f", but the models (balanced accuracy {rel.balanced_accuracy:.2f}) are too weak here to tell "
                f"wrong labels from hard samples: their most confident predictions disagree with "
                f"{est.widespread_ratio:.1%} of their labels (at least {est.widespread_low:.1%} at 95% "
                "confidence), too little to point to wrong labels")
    if _few(est):
        return head + ", too few to point to systematic noise"
    order = np.argsort(-est.class_ratio, kind="stable")[:MAX_NAMED]
    worst = [names[c] for c in order if est.class_ratio[c] > 0]
    if len(worst) == len(names):  # every class (both of two): naming them says nothing
        where = "both classes" if len(names) == 2 else "every class"
        return (head + f", in {where}: samples the inputs place between classes, or a group of samples "
                "mislabelled together")
    named = ", ".join(worst[:-1]) + f" and {worst[-1]}" if len(worst) > 1 else worst[0]
    return (head + f", most of them in {named}: classes that are easy to confuse, or a group of "
            "samples mislabelled together")


def _about(low: float, high: float) -> str:
    """``About 11-22%``: two estimates of a share, in whole percents (one where they round alike)."""
    low, high = sorted((round(100 * low), round(100 * high)))
    return f"About {low}%" if low == high else f"About {low}-{high}%"


def _hint(severity: Severity, weak: bool, few: bool, grades: bool, uncertain: bool = False,
          thin: bool = False) -> str:
    if severity is Severity.WARNING:
        return ("Review the top suspects: relabel or drop the wrong ones, and look for the cause "
                "(a bad class mapping, a careless annotation batch) if the errors share a pattern.")
    if uncertain:
        return ("Outcomes that the inputs only partly determine (a churn, a default, a diagnosis from weak "
                "signs) are contradicted this way without being wrong. If each label should follow from its "
                "input (a category a person can tell), review the top suspects.")
    if grades:
        return ("Neighbouring grades are expected to disagree (ratings, severity grades); the top suspects, "
                "labels furthest from what the models predict, are worth a look. Grades of a quantity can "
                "also be modelled as one (--task regression).")
    if weak and thin and not grades:
        return (f"More labelled samples ({MIN_CLASS_SAMPLES} a class or more) would tell wrong labels from the "
                "models' own errors; the top suspects are still worth a look.")
    if weak:
        return ("More samples or stronger models (noise_model='cnn' for images) would tell wrong labels "
                "from hard samples; the top suspects are still worth a look.")
    if few:
        return "A few wrong or ambiguous labels are normal; review the top suspects for a cleaner set."
    return ("Review the top suspects of the classes named: genuinely ambiguous samples are expected "
            "in human-labelled data, but a block of wrong labels between two classes is worth fixing.")


def _evidence(ctx: CheckContext, est, judged: Judged, names: list[str], ids: list[str]) -> list[Evidence]:
    top = judged.suspects[:MAX_ROWS]
    given = [names[c] for c in judged.y[top]]
    suggested = [names[c] for c in judged.suggested[top]]
    rows = [[sid, g, s, round(float(q), 4)] for sid, g, s, q in zip(ids, given, suggested, judged.quality[top])]
    out = [
        _joint(est.joint, names),
        _bars(est, names),
        Evidence("table", "Most suspicious labels (quality: probability the models give the label)",
                 {"columns": ["sample", "given", "suggested", "quality"], "rows": rows}),
    ]
    if ctx.modality == "image":
        out.append(Evidence("images", "Suspects: given → suggested",
                            {"samples": ids, "captions": [f"{g} → {s}" for g, s in zip(given, suggested)]}))
    return out


def _joint(joint: np.ndarray, names: list[str]) -> Evidence:
    """The estimated joint, restricted to the classes with the most off-diagonal mass."""
    keep = np.arange(len(names))
    title = "Estimated joint of given (rows) and suggested (columns) labels, share of samples"
    if len(keep) > MAX_MATRIX:
        off = joint.sum(axis=0) + joint.sum(axis=1) - 2 * np.diag(joint)
        keep = np.sort(np.argsort(-off, kind="stable")[:MAX_MATRIX])
        title += f" ({MAX_MATRIX} most involved classes)"
    values = np.round(joint[np.ix_(keep, keep)], 4)
    labels = [names[c] for c in keep]
    return Evidence("matrix", title, {"rows": labels, "columns": labels, "values": values.tolist(),
                                      "row_label": "given", "column_label": "suggested"})


def _bars(est, names: list[str]) -> Evidence:
    keep = np.arange(len(names))
    if len(keep) > MAX_BARS:
        keep = np.sort(np.argsort(-est.class_ratio, kind="stable")[:MAX_BARS])
    return Evidence("bars", "Estimated share of wrong labels per class", {
        "labels": [names[c] for c in keep],
        "series": {"suspects (share of the class)": np.round(est.class_ratio[keep], 4).tolist(),
                   "most confident predictions labelled otherwise": np.round(est.anchor_ratio[keep], 4).tolist()},
        "n_labels": len(names),
        "percent": True,
    })
