"""Are the labels related to the inputs at all? Cross-validated skill and a permutation test.

The observed score is the out-of-fold balanced accuracy (or that of a cheap logistic
regression, 3 folds, on a stratified subsample, where it is higher); its null distribution
comes from a ridge classifier (one least-squares solve) refit, 3 folds, on a few seeded
permutations of the subsample's labels. Whether labels are independent of the inputs is
decided on the z-score of the observed score against that null, or on the out-of-fold
accuracy's margin over always predicting the most frequent class: predictions independent of
the labels cannot beat that on average, and with a class of a handful of samples the balanced
accuracy's null spreads too wide to show a plain signal (ratings 3-9 whose grade 9 has 7
samples: balanced accuracy z = 2.0, accuracy 0.51 against 0.44 over 6,497 samples, z = 11).
Labels count as unrelated only when no model family finds signal: where the main models (on
reduced inputs) fail, the second family (gradient boosting on screened, unreduced features,
scored like the cheap model) is tried before the labels are called unrelated, so a label
carried by one column of thousands, or by a threshold, is not mistaken for a shuffled one;
and before the main models' skill is called weak, so such a label is not called weakly
related either. The per-split check compares each split's out-of-fold accuracy with the
agreement that chance gives its own class frequencies.

A third route ranks instead of predicting (``ranking``): where a class is rare and the signal
weak (fraud, churn), every model predicts the frequent class and the balanced accuracy stays
at chance however well the probabilities rank the samples. A transactions table of 20,000
rows with 2.7% fraud that depends on the amount, the hour and a store: balanced accuracy 0.51
(z = 0.5, "unrelated"), while the held-out probabilities rank the fraud with an AUC of 0.71
(z = 7.4 against the Mann-Whitney null); on 100 tables of random labels (3,000 rows; binary at
3% and 50%, 5 classes, 10 with one at half the rows) its z-score reached at most 1.6.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from datacheck.models.estimators import TEST_RATE, TEST_ROUNDS, cheap_factory, null_factory, screened_boosting
from datacheck.models.oof import OutOfFold, model_inputs, out_of_fold, sub_steps
from datacheck.scan.sample import stratified_sample

PERMUTATION_SAMPLES = 2_000
PERMUTATION_FOLDS = 3
# z-score above the permutation null from which labels count as related to the inputs
RELATED_Z = 3.0
# Skill below which the relation counts as weak (learnability's default ``weak_skill``): the
# second family is tried before such a claim too.
WEAK_SKILL = 0.1
# The ranking route (``ranking``) reads at most this many pooled samples (stratified).
RANK_SAMPLES = 20_000


@dataclass(frozen=True)
class Relation:
    """How well the inputs predict the labels, against chance.

    Parameters
    ----------
    balanced_accuracy : float
        Out-of-fold balanced accuracy of the main models.
    best_balanced_accuracy : float
        The best of the model families tried (the second family only where the main
        models find no signal).
    found_by : str
        The family that reached it, in words.
    accuracy : float
        Out-of-fold accuracy.
    majority_accuracy : float
        Accuracy of always predicting the most frequent class.
    chance : float
        Balanced accuracy of any predictor unrelated to the labels (1 / K).
    skill : float
        ``(best_balanced_accuracy - chance) / (1 - chance)``: 0 at chance, 1 perfect.
    null_mean, null_std : float
        Balanced accuracy of the null model (``estimators.null_factory``) under permuted
        labels.
    z_score : float
        Of the observed score against the null.
    majority_z : float
        Of the out-of-fold accuracy over the majority accuracy, in binomial standard errors.
    p_value : float
        Share of permutations scoring at least the observed score (with the usual +1).
    n_permutations : int
        Permutations run.
    rank_auc : float
        How well the main models' held-out probabilities rank each class above the others
        (``ranking``): the mean one-vs-rest AUC, 0.5 at chance.
    rank_z : float
        Its z-score against the Mann-Whitney null (the mean of the folds'), the largest over
        the classes.
    rank_skill : float
        The balanced accuracy skill that AUC gives at the best threshold of two normal score
        distributions of one spread, ``2 Phi(Phi^-1(AUC) / sqrt 2) - 1`` (the skill scale;
        AUC 0.57 is skill 0.1, AUC 0.7 skill 0.29).
    related : bool
        Whether the labels are related to the inputs (``z_score`` or ``majority_z`` at least
        ``RELATED_Z``, or ``rank_z`` at least its Bonferroni equivalent over the classes).
    """

    balanced_accuracy: float
    best_balanced_accuracy: float
    found_by: str
    accuracy: float
    majority_accuracy: float
    chance: float
    skill: float
    null_mean: float
    null_std: float
    z_score: float
    majority_z: float
    p_value: float
    n_permutations: int
    rank_auc: float
    rank_z: float
    rank_skill: float
    related: bool

    @property
    def ranked_only(self) -> bool:
        """Whether the ranking alone finds the relation (the predictions do not)."""
        return self.related and self.z_score < RELATED_Z and self.majority_z < RELATED_Z


def relation(ctx, n_permutations: int = 10, weak_skill: float = WEAK_SKILL) -> Relation:
    """The cached relation test of ``ctx`` (shared by learnability and label_noise); below
    ``weak_skill`` the main models' skill is a weak claim, checked with the second family."""
    def build():
        oof = out_of_fold(ctx)
        advance = sub_steps(ctx, f"permutation test ({n_permutations} shuffled-label fits)", n_permutations + 1)
        return _relation(oof, n_permutations, ctx.seed, lambda: model_inputs(ctx), advance, weak_skill)
    return ctx.cached(f"relation:{n_permutations}:{weak_skill}", build)


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Mean recall over the classes present in ``y``."""
    support = np.bincount(y, minlength=n_classes)
    hits = np.bincount(y[pred == y], minlength=n_classes)
    present = support > 0
    return float(np.mean(hits[present] / support[present])) if present.any() else 0.0


def _relation(oof: OutOfFold, n_permutations: int, seed: int, inputs, advance=None,
              weak_skill: float = WEAK_SKILL) -> Relation:
    """The relation test; ``inputs()`` gives the unreduced features for the second family,
    tried where the main models find no signal or a skill below ``weak_skill``;
    ``advance(1)`` after each of its ``n_permutations + 1`` fits."""
    advance = advance or (lambda n: None)
    y, k = oof.y, oof.proba.shape[1]
    pred = oof.proba.argmax(axis=1)
    observed = balanced_accuracy(y, pred, k)
    chance = 1.0 / k
    counts = np.bincount(y, minlength=k)
    sub = np.arange(len(y))
    if len(y) > PERMUTATION_SAMPLES:
        sub = stratified_sample(y, PERMUTATION_SAMPLES, PERMUTATION_FOLDS, seed)
    rng = np.random.default_rng(seed)
    x_s, y_s = oof.x[sub], y[sub]
    with _one_thread():
        cheap = _cv_score(x_s, y_s, k, seed, cheap_factory())
        advance(1)
        null = []
        for _ in range(n_permutations):
            null.append(_cv_score(x_s, rng.permutation(y_s), k, seed, null_factory()))
            advance(1)
    null = np.array(null)
    # the observed score: the better of the main models on the subsample and the cheap model
    score = max(balanced_accuracy(y_s, pred[sub], k), cheap)
    sub_counts = np.bincount(y_s, minlength=k)
    # sd of balanced accuracy of predictions independent of labels (a floor for few permutations)
    analytic = np.sqrt(np.sum(chance * (1 - chance) / np.maximum(sub_counts[sub_counts > 0], 1))) / k
    null_mean = float(null.mean()) if len(null) else chance
    null_std = float(max(null.std(ddof=1) if len(null) > 1 else 0.0, analytic))
    best, found_by = observed, "the main models"
    if _z(score, null_mean, null_std) < RELATED_Z or (observed - chance) / (1 - chance) < weak_skill:
        # no signal on the reduced inputs, or little: does another family find more? (scored
        # like the cheap model, on the same subsample, against the same null) A label carried
        # by one column of a thousand is found weakly, if at all, on their PCA components
        raw = inputs()[sub]
        with _one_thread():
            other = _cv_score(raw, y_s, k, seed, screened_boosting(raw.shape[1], seed, TEST_ROUNDS, TEST_RATE))
        if other > score:
            score = best = other
            found_by = "gradient boosting on screened features"
    z = _z(score, null_mean, null_std)
    p = (1 + int(np.sum(null >= score))) / (1 + len(null))
    accuracy, majority = float(np.mean(pred == y)), float(counts.max() / counts.sum())
    spread = np.sqrt(majority * (1 - majority) / len(y))
    majority_z = _z(accuracy, majority, spread) if spread > 0 else 0.0
    skill = float((best - chance) / (1 - chance))
    rank_auc, rank_z, tested = ranking(oof, seed)
    return Relation(
        balanced_accuracy=observed, best_balanced_accuracy=best, found_by=found_by,
        accuracy=accuracy, majority_accuracy=majority, chance=chance,
        skill=skill, null_mean=null_mean, null_std=null_std,
        z_score=float(z), majority_z=float(majority_z), p_value=float(p), n_permutations=len(null),
        rank_auc=rank_auc, rank_z=rank_z, rank_skill=auc_skill(rank_auc),
        related=bool(z >= RELATED_Z or majority_z >= RELATED_Z or rank_z >= _bonferroni_z(tested)))


def ranking(oof: OutOfFold, seed: int = 0) -> tuple[float, float, int]:
    """How well the held-out probabilities rank each class above the others.

    Per class (for two classes, the second only: the first's ranking is its mirror), the
    Mann-Whitney U of its probability between its samples and the others, within each fold's
    held-out samples, whose model never saw their labels: under labels unrelated to the inputs
    each fold's U has the Mann-Whitney null. The folds' U are not independent (each fold's
    model learnt from the others' labels): their summed z-score spread 1.2-1.5x as wide as
    the null's on random labels (binary, 3% and 50%, 3,000 rows), so the z-score is the mean
    of the folds' own, whose spread is at most 1 whatever their correlation. Ties take average
    ranks; the null's variance is the one without ties, which only widens it. At most
    ``RANK_SAMPLES`` pooled samples are read (a stratified sample).

    Parameters
    ----------
    oof : OutOfFold
        Out-of-fold probabilities and their folds.
    seed : int
        Seed of the sample.

    Returns
    -------
    auc : float
        Mean one-vs-rest AUC over the classes ranked, 0.5 at chance.
    z : float
        The largest over them of the mean of the folds' z-scores (0 where none could be
        ranked).
    tested : int
        Classes ranked.
    """
    from scipy.stats import rankdata

    y, proba = oof.y, oof.proba
    k = proba.shape[1]
    keep = np.ones(len(y), bool)
    if len(y) > RANK_SAMPLES:
        keep[:] = False
        keep[stratified_sample(y, RANK_SAMPLES, PERMUTATION_FOLDS, seed)] = True
    aucs, zs = [], []
    for c in ([1] if k == 2 else range(k)):
        u_sum = pairs = 0.0
        fold_z = []
        for _, test in oof.folds:
            test = test[keep[test]]
            positive = y[test] == c
            n1 = int(positive.sum())
            n0 = len(test) - n1
            if not n1 or not n0:
                continue
            u = float(rankdata(proba[test, c])[positive].sum()) - n1 * (n1 + 1) / 2
            fold_z.append((u - n1 * n0 / 2) / np.sqrt(n1 * n0 * (n1 + n0 + 1) / 12))
            u_sum += u
            pairs += n1 * n0
        if fold_z:
            aucs.append(u_sum / pairs)
            zs.append(float(np.mean(fold_z)))
    if not aucs:
        return 0.5, 0.0, 0
    return float(np.mean(aucs)), float(max(zs)), len(aucs)


def auc_skill(auc: float) -> float:
    """The balanced accuracy skill (0 at chance, 1 perfect) that an AUC gives at the best
    threshold between two normal score distributions of one spread."""
    from scipy.stats import norm

    auc = min(max(auc, 1e-12), 1 - 1e-12)
    return float(2 * norm.cdf(norm.ppf(auc) / np.sqrt(2)) - 1)


def _bonferroni_z(tested: int) -> float:
    """The z-score ``ranking``'s largest of ``tested`` classes must reach: ``RELATED_Z``'s
    one-sided tail shared among them."""
    from scipy.stats import norm

    if tested <= 0:
        return np.inf
    return float(norm.isf(norm.sf(RELATED_Z) / tested))


def _z(score: float, null_mean: float, null_std: float) -> float:
    return (score - null_mean) / null_std if null_std > 0 else np.inf


@contextmanager
def _one_thread():
    """One BLAS/OpenMP thread and no warnings, around the test's fits (set once: each
    ``threadpool_limits`` looks up the loaded libraries afresh)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _cv_score(x: np.ndarray, y: np.ndarray, k: int, seed: int, make) -> float:
    """Cross-validated balanced accuracy of the models ``make()`` returns (inside
    ``_one_thread``)."""
    from sklearn.model_selection import StratifiedKFold

    n_splits = int(min(PERMUTATION_FOLDS, np.bincount(y).min()))
    pred = np.zeros(len(y), np.int64)
    for train, test in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(x, y):
        model = make().fit(x[train], y[train])
        pred[test] = model.predict(x[test])
    return balanced_accuracy(y, pred, k)


def split_relation(oof: OutOfFold) -> dict[str, dict]:
    """Per split: its out-of-fold balanced accuracy, and the same for all the other splits.

    Each is compared with what predictions unrelated to the labels would score given the
    same predictions and class counts: permuting the labels makes each class's hits
    hypergeometric, whose mean and variance are exact (covariances between classes are
    left out, which errs towards a wider null).

    Returns
    -------
    dict
        Split name -> ``{"n", "n_classes", "balanced_accuracy", "chance", "z_score",
        "rest_balanced_accuracy", "rest_chance"}``; splits of fewer than two classes left out.
    """
    pred = oof.proba.argmax(axis=1)
    out = {}
    for s, name in enumerate(oof.pool.split_names):
        mine = oof.pool.split == s
        here, rest = _against_chance(oof.y[mine], pred[mine]), _against_chance(oof.y[~mine], pred[~mine])
        if here is None:
            continue
        out[name] = {"n": int(mine.sum()), "n_classes": here[3], "balanced_accuracy": here[0],
                     "chance": here[1], "z_score": here[2],
                     "rest_balanced_accuracy": rest[0] if rest else float("nan"),
                     "rest_chance": rest[1] if rest else float("nan")}
    return out


def _against_chance(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float, int] | None:
    """Balanced accuracy, its mean and z-score under permuted labels, and the class count."""
    if not len(y):
        return None
    k = int(max(y.max(), pred.max())) + 1
    support = np.bincount(y, minlength=k)
    present = support > 0
    if present.sum() < 2:
        return None
    n = len(y)
    share = np.bincount(pred, minlength=k) / n  # of predictions per class
    hits = np.bincount(y[pred == y], minlength=k)
    n_c, q = support[present], share[present]
    observed = float(np.mean(hits[present] / n_c))
    chance = float(np.mean(q))
    # hypergeometric variance of the hits of each class, as a variance of its recall
    var = q * (1 - q) * (n - n_c) / max(n - 1, 1) / n_c
    sd = float(np.sqrt(var.sum())) / len(n_c)
    z = (observed - chance) / sd if sd > 0 else (np.inf if observed > chance else 0.0)
    return observed, chance, float(z), int(present.sum())
