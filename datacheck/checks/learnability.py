"""Are the labels learnable from the inputs at all? (checklist items 2, 4 and 5)"""

from __future__ import annotations

from datacheck.checks._grades import grade_correlation
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.models import (oof_skip_reason, out_of_fold, regression_out_of_fold, regression_relation, relation,
                              split_relation, target_noise)
from datacheck.models.permutation import WEAK_SKILL
from datacheck.models.residuals import DEFAULT_CUT
from datacheck.report.findings import Evidence, Finding, Severity

# A split is tested on its own from this many samples; below a z-score of SPLIT_Z its
# out-of-fold balanced accuracy is no better than its predictions would score by chance.
MIN_SPLIT = 30
SPLIT_Z = 2.0
# ...while the rest of the data is clearly learnable (skill at least this).
REST_SKILL = 0.3
# A regression target is called weakly related (a warning) from this many modelled samples;
# below, a low R² says as much about the models as about the target.
MIN_WEAK = 300
# Labels or a target are called unrelated (an error) from this many modelled samples: the
# permutation test at z = 3 finds a correlation of 0.3 from 100 samples (3 / sqrt(n)), and
# with 20 (linnerud's athletes) misses one of 0.6. Below, not finding a relation is info.
MIN_UNRELATED = 100


@register
class LearnabilityCheck(Check):
    """Inputs and labels decoupled or only weakly related: cross-validated skill vs chance.

    What it detects
    ---------------
    The same out-of-fold predictions as ``label_noise`` give a balanced accuracy, compared
    with the majority-class and chance baselines. A permutation test (a cheap model refit
    on a few seeded shufflings of the labels) gives the score labels unrelated to the inputs
    would reach. Labels are called unrelated only when no model family finds signal: where
    the main models (linear, kernel and neighbour models on reduced inputs) score no better
    than the permuted labels, or only weakly, gradient boosting on the unreduced features
    that best split the labels one at a time is tried too, so a label carried by one column
    of thousands or by a threshold is not mistaken for a shuffled or a weak one; and labels whose out-of-fold accuracy
    clearly beats always predicting the commonest class are related whatever the balanced
    accuracy (a class of a handful of samples makes that one noisy). Labels no better than
    chance for every family are an error (info below ``MIN_UNRELATED`` modelled samples,
    where the test misses all but strong relations); labels related to the inputs but only weakly (little
    skill above chance) a warning, where for ordered grades (ratings 3-9) the rank correlation
    of the predicted and the given grade counts as skill too: predicting 6 for a 7 is half
    right. Each split of a classification target is also checked on its
    own: a split whose labels look unrelated to its inputs while the rest of the data is
    learnable was probably shuffled or joined on the wrong key.

    On a regression target the skill is the cross-validated R² of the better of ridge
    regression and gradient boosting (or their average); the permutation test compares the
    correlation of held-out predictions with the target against a cheap ridge model's on
    permuted targets, and the screened family is tried where both find nothing or little. A
    target no family predicts better than permuted is an error; an R² below ``weak_skill``
    a warning from ``MIN_WEAK`` samples, computed without the targets ``label_noise``
    finds contradicted (a few targets ten times too large wreck an R², not the relation).

    Why it matters
    --------------
    When labels were shuffled apart from their inputs (a sort applied to one array and not
    the other, a bad merge, a dataloader that pairs sample i with label j) a network still
    trains: its loss falls a little as it memorises, then stalls at chance on held-out
    data. No hyperparameter fixes that, and it is invisible until someone checks whether
    the inputs predict the labels at all.
    """

    id = "learnability"
    items = (2, 4, 5)
    needs = ("labels",)
    fits_models = True
    params = {
        "weak_skill": Param(WEAK_SKILL, "Skill (balanced accuracy scaled so chance is 0 and perfect is 1; R² for a "
                            "regression target; for ordered grades, the squared rank correlation of the "
                            "predicted and given grade too) below which a learnable relation counts as weak.",
                            float, 0, 1,
                            low_open=True, high_open=True),
        "n_permutations": Param(10, "Label permutations of the permutation test.", int, 2, 1000),
    }

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Also skipped without two learnable classes or without features."""
        return super().skip_reason(ctx) or oof_skip_reason(ctx)

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The overall relation, then any split whose labels look unrelated to its inputs."""
        if ctx.is_regression:
            return self._run_regression(ctx)
        oof = out_of_fold(ctx)
        rel = relation(ctx, self.config["n_permutations"], self.config["weak_skill"])
        per_split = split_relation(oof)
        metrics = {
            "balanced_accuracy": round(rel.best_balanced_accuracy, 4),
            "main_models_balanced_accuracy": round(rel.balanced_accuracy, 4),
            "found_by": rel.found_by,
            "accuracy": round(rel.accuracy, 4),
            "majority_accuracy": round(rel.majority_accuracy, 4),
            "chance_balanced_accuracy": round(rel.chance, 4),
            "skill": round(rel.skill, 4),
            "permuted_balanced_accuracy": round(rel.null_mean, 4),
            "z_score": round(rel.z_score, 2),
            "p_value": round(rel.p_value, 4),
            "n_permutations": rel.n_permutations,
            "n_modelled": oof.n,
            "model": oof.model,
            "rank_auc": round(rel.rank_auc, 4),
            "rank_z_score": round(rel.rank_z, 2),
            "rank_skill": round(rel.rank_skill, 4),
        }
        evidence = [_bars(rel), _split_bars(per_split)]
        numbers = (f"balanced accuracy {rel.best_balanced_accuracy:.2f} against {rel.chance:.2f} by chance "
                   f"and {rel.null_mean:.2f} with permuted labels")
        weak = self.config["weak_skill"]
        if rel.ranked_only or rel.skill < weak <= rel.rank_skill:
            # a rare class and a weak signal: every model predicts the frequent class, while
            # their probabilities still rank the samples
            numbers += (f"; ranked by the held-out probabilities, the classes reach an AUC of "
                        f"{rel.rank_auc:.2f} (z = {rel.rank_z:.1f}), where predicting the most "
                        "frequent class hides it")
        # grades: predicting 6 for a 7 is half right, which the balanced accuracy counts as wrong
        rho = grade_correlation(ctx, oof) if rel.related else None
        if rho is not None:
            metrics["grade_correlation"] = round(rho, 4)
            numbers += (f"; as ordered grades, the predicted grade follows the given one with a rank "
                        f"correlation of {rho:.2f}")
        context = "".join(f"; {note}" for note in oof.notes)
        if rel.best_balanced_accuracy > rel.balanced_accuracy:
            context = (f"; reached by {rel.found_by}, while the main models reach only "
                       f"{rel.balanced_accuracy:.2f} (the signal sits in few columns or a non-linear "
                       "rule)") + context
        if not rel.related:
            return [self.finding(
                "unrelated", _unrelated_severity(oof.n),
                f"The labels look unrelated to the inputs: no model family trained on the inputs predicts "
                f"held-out labels better than chance ({numbers}, p = {rel.p_value:.2f}){context}"
                f"{_few(oof.n)}.",
                hint="Check that labels and inputs are paired correctly (same order, same join key, "
                     "not shuffled or sorted separately); if they are, the inputs carry no signal about "
                     "the label and no network will learn it.",
                metrics=metrics, evidence=evidence)]
        found = []
        if rel.skill < weak and rel.rank_skill < weak and not (rho is not None and rho ** 2 >= weak):
            found.append(self.finding(
                "weak", Severity.WARNING,
                f"The inputs predict the labels only weakly ({numbers}; skill {rel.skill:.2f}){context}.",
                hint="Expect a network to learn little: check the labels for noise, the inputs for lost "
                     "information (wrong columns, images shrunk too far), or add informative features.",
                metrics=metrics, evidence=evidence))
        else:
            found.append(self.finding(
                "score", Severity.INFO,
                f"Models trained on the inputs predict held-out labels above chance ({numbers})"
                f"{context}.", metrics=metrics, evidence=evidence))
        found.extend(self._split_findings(per_split))
        return found

    def _run_regression(self, ctx: CheckContext) -> list[Finding]:
        """Cross-validated R² against permuted targets."""
        oof = regression_out_of_fold(ctx)
        rel = regression_relation(ctx, self.config["n_permutations"], self.config["weak_skill"])
        metrics = {
            "r2": round(rel.best_r2, 4), "main_models_r2": round(rel.r2, 4), "found_by": rel.found_by,
            "r2_by_model": {name: round(v, 4) for name, v in oof.r2.items()},
            "permuted_r2": round(rel.null_r2, 4), "correlation": round(rel.correlation, 4),
            "permuted_correlation": round(rel.null_mean, 4), "z_score": round(rel.z_score, 2),
            "p_value": round(rel.p_value, 4), "n_permutations": rel.n_permutations, "n_modelled": oof.n,
            "model": oof.model,
        }
        numbers = (f"cross-validated R² {rel.best_r2:.2f} against {rel.null_r2:.2f} with permuted targets; "
                   f"correlation of held-out predictions with the target {rel.correlation:.2f}, "
                   f"z = {rel.z_score:.1f}")
        context = "".join(f"; {note}" for note in oof.notes)
        if rel.best_r2 > rel.r2:
            context = (f"; reached by {rel.found_by}, while the main models reach only {rel.r2:.2f}"
                       + context)
        evidence = [Evidence("bars", "R² of held-out predictions", {
            "labels": [*oof.r2, "permuted targets"],
            "series": {"R²": [round(v, 4) for v in oof.r2.values()] + [round(rel.null_r2, 4)]}})]
        if not rel.related:
            return [self.finding(
                "unrelated", _unrelated_severity(oof.n),
                f"The target looks unrelated to the inputs: no model family trained on the inputs predicts "
                f"held-out targets better than with the targets permuted ({numbers}, p = {rel.p_value:.2f})"
                f"{context}{_few(oof.n)}.",
                hint="Check that targets and inputs are paired correctly (same order, same join key, "
                     "not shuffled or sorted separately); if they are, the inputs carry no signal about "
                     "the target and no network will learn it.",
                metrics=metrics, evidence=evidence)]
        skill = rel.best_r2
        noise = target_noise(ctx, DEFAULT_CUT)
        if len(noise.suspects) and noise.r2 > skill:
            skill = noise.r2
            metrics["r2_without_outlying_targets"] = round(noise.r2, 4)
            context = (f"; R² {noise.r2:.2f} without the {len(noise.suspects)} targets the models contradict "
                       "(see label_noise)" + context)
        if skill < self.config["weak_skill"] and oof.n >= MIN_WEAK:
            return [self.finding(
                "weak", Severity.WARNING,
                f"The inputs predict the target only weakly ({numbers}){context}.",
                hint="Expect a network to learn little: check the target for noise, the inputs for lost "
                     "information (wrong columns), or add informative features.",
                metrics=metrics, evidence=evidence)]
        return [self.finding(
            "score", Severity.INFO,
            f"Models trained on the inputs predict held-out targets better than with the targets permuted "
            f"({numbers}){context}.", metrics=metrics, evidence=evidence)]

    def _split_findings(self, per_split: dict[str, dict]) -> list[Finding]:
        out = []
        for name, s in per_split.items():
            rest_skill = (s["rest_balanced_accuracy"] - s["rest_chance"]) / max(1 - s["rest_chance"], 1e-12)
            # rest_skill is NaN when there is no other split to compare with
            if s["n"] < MIN_SPLIT or s["z_score"] >= SPLIT_Z or not rest_skill >= REST_SKILL:
                continue
            out.append(self.finding(
                "split_unrelated", Severity.ERROR,
                f"The {name} split's labels look unrelated to its inputs: held-out balanced accuracy "
                f"{s['balanced_accuracy']:.2f} against {s['chance']:.2f} by chance, while the other "
                f"splits reach {s['rest_balanced_accuracy']:.2f}.",
                hint=f"Check how the {name} labels are read and paired with their inputs (order, join "
                     "key, a shuffle applied to one and not the other).",
                split=name, metrics={"balanced_accuracy": round(s["balanced_accuracy"], 4),
                                     "chance_balanced_accuracy": round(s["chance"], 4),
                                     "other_splits_balanced_accuracy": round(s["rest_balanced_accuracy"], 4),
                                     "z_score": round(s["z_score"], 2), "n_modelled": s["n"]}))
        return out


def _bars(rel) -> Evidence:
    return Evidence("bars", "Balanced accuracy of held-out predictions", {
        "labels": ["models (out-of-fold)", "permuted labels", "chance"],
        "series": {"balanced accuracy": [round(rel.best_balanced_accuracy, 4), round(rel.null_mean, 4),
                                         round(rel.chance, 4)]},
    })


def _split_bars(per_split: dict[str, dict]) -> Evidence:
    names = list(per_split)
    return Evidence("bars", "Held-out balanced accuracy per split", {
        "labels": names,
        "series": {"balanced accuracy": [round(per_split[n]["balanced_accuracy"], 4) for n in names],
                   "by chance": [round(per_split[n]["chance"], 4) for n in names]},
    })


def _unrelated_severity(n: int) -> Severity:
    """An error from ``MIN_UNRELATED`` modelled samples; info below, where the test misses
    all but strong relations."""
    return Severity.ERROR if n >= MIN_UNRELATED else Severity.INFO


def _few(n: int) -> str:
    """What a finding of no relation on few samples says of its own weight."""
    if n >= MIN_UNRELATED:
        return ""
    return (f"; with {n:,} samples only a strong relation can be told from none, so this is no "
            "evidence of a pairing error")
