"""Estimate label noise from out-of-fold probabilities: confident learning plus anchors.

Confident learning's filter (cleanlab's ``prune_by_noise_rate``, ``models.confident``, on our
own out-of-fold probabilities) finds the candidate issues. On its own it over-reports whenever
the model is weak on genuinely ambiguous classes (a linear model on Fashion-MNIST thumbnails
flags 12-14% of a clean set), because it cannot tell a model's confusion from a wrong label.

A wrong label that does not depend on the input (the kind that breaks training: a shuffled
column, a bad mapping, careless annotation) shows up even where the model is most certain.
So the noise rate of each class is also measured on its *anchors*, the samples the model
predicts as that class with the highest confidence (the anchor-point estimate of a noise
transition matrix): the share of anchors labelled otherwise. Genuine ambiguity lives near
decision boundaries, away from the anchors, and in a few confusable classes; noise of that
kind is everywhere. The reported rate is the smaller of confident learning's rate and the
anchors' mean; the rate that decides severity averages the anchors over the least noisy classes
only, those holding ``WIDESPREAD_SHARE`` of the samples, so that a group of confusable
classes (half of Fashion-MNIST's) cannot raise a warning on its own.

Ordered grades (ratings 1-5, severity 0-4: class values that are consecutive integers, which
the models confuse with their neighbours more than with distant grades) have anchors only at
their ends: a middle grade is a band of one underlying quantity, and its most confident
predictions still sit next to both neighbours. Measured on clean grades cut from a noisy
score, the middle grades' anchors disagree with 15-45% of their labels. For grades, both rates
are measured on the anchors of the lowest and highest grade (``neighbour_share``).

Severity is decided on evidence, not on these point estimates: each rate comes with a
one-sided 95% (Wilson) lower bound over the anchors that measured it, so a handful of
anchors of a small set cannot raise a warning, and a class mapping error (samples of one
class labelled as one other class, and few the other way) is measured pair by pair on
confident learning's flags (``PairNoise``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.models.confident import prune_by_noise_rate

# Anchors: the top ANCHOR_SHARE of a predicted class by confidence, at least ANCHOR_MIN
# samples (all of a smaller class). A larger minimum makes every sample of a small class an
# anchor, and its anchors then measure the models' errors, not the labels'; the statistical
# uncertainty of few anchors is carried by the lower bounds instead.
ANCHOR_SHARE = 0.1
ANCHOR_MIN = 10
# Widespread noise: the anchors' mean over the least noisy classes holding this share of
# the samples; with fewer than WIDESPREAD_MIN_CLASSES classes, over all of them.
WIDESPREAD_SHARE = 0.7
WIDESPREAD_MIN_CLASSES = 5
# One-sided 95% normal quantile of the Wilson lower bounds (and of the slope's upper bound).
BOUND_Z = 1.645
# The confidence slope (``confidence_slope``) is measured on this share of each class's most
# confident predictions.
SLOPE_SHARE = 0.6
# Class pairs kept in the estimate, most evident first.
MAX_PAIRS = 5
# Consecutive integer classes are ordered grades when the classes of at least this share of
# the samples are confused most with a neighbouring class (``neighbour_share``). Measured:
# clean grades cut from a latent score (3, 5 and 7 grades, 1,000-20,000 samples, noise from a
# third to above the score's spread) 0.86-1, with 10-20% of the labels moved at random 1,
# ratings 3-9 like wine quality's (grade 9 of 7 samples in 6,497) 0.97; classes that are not
# grades 0-0.40 (digits clean, with 10% moved, with two neighbouring digits swapped or moved
# one way; Fashion-MNIST; make_classification with 3-8 classes). Three classes of which the
# middle one lies between the others (iris, wine) are grades to this test, and to the models.
GRADE_SHARE = 0.8


@dataclass(frozen=True)
class PairNoise:
    """Labels of one class that look like another: a class-mapping error, or look-alikes.

    Parameters
    ----------
    given : int
        The label the samples carry (pool column).
    suggested : int
        The class the models see in them.
    n_moved : int
        Samples labelled ``given`` that confident learning flags as ``suggested``.
    n_reverse : int
        The other way round: labelled ``suggested``, flagged as ``given``. Look-alike
        classes are confused both ways; a mapping error moves labels one way.
    moved_ratio : float
        ``n_moved`` as a share of the samples of ``suggested``, moved ones included.
    low : float
        One-sided 95% lower bound of ``moved_ratio``.
    """

    given: int
    suggested: int
    n_moved: int
    n_reverse: int
    moved_ratio: float
    low: float


@dataclass(frozen=True)
class NoiseEstimate:
    """What confident learning found in one set of out-of-fold probabilities.

    Parameters
    ----------
    noise_ratio : float
        Estimated share of wrong labels (smaller of cleanlab's rate and the anchor mean).
    widespread_ratio : float
        The part of it spread over most classes (anchor mean over the least noisy classes).
    widespread_low : float
        One-sided 95% lower bound of ``widespread_ratio`` over the anchors that measured it.
    slope_high : float
        One-sided 95% upper bound of how fast the share of labels the models contradict falls
        as their confidence rises, among the most confident predictions of the classes that
        measured ``widespread_ratio`` (``confidence_slope``): about 1 where the inputs do not
        determine the label (an outcome), about 0 for labels flipped at random.
    cleanlab_ratio : float
        Share of samples cleanlab's filter flags.
    anchor_ratio : numpy.ndarray
        Per predicted class: share of its anchors labelled otherwise.
    suspects : numpy.ndarray
        Pool positions of the suspected samples, most suspicious first.
    given : numpy.ndarray
        Given class (pool column) per suspect.
    suggested : numpy.ndarray
        Suggested class (pool column) per suspect.
    quality : numpy.ndarray
        Label quality per suspect: the probability the model gives the given label.
    class_ratio : numpy.ndarray
        Per given class (pool column): share of its samples among the suspects.
    joint : numpy.ndarray
        (K, K) estimated joint of given (rows) and suggested (columns) labels, as shares of
        all samples.
    pairs : tuple of PairNoise
        The class pairs with the most evident label moves (by lower bound), at most
        ``MAX_PAIRS``.
    grade_share : float
        For classes whose values are consecutive integers, the share of the samples whose class
        the models confuse most with a neighbouring grade (``neighbour_share``); NaN for other
        classes.
    grade_of : numpy.ndarray or None
        (K,) each class's value, where they are consecutive integers; else None.
    """

    noise_ratio: float
    widespread_ratio: float
    widespread_low: float
    slope_high: float
    cleanlab_ratio: float
    anchor_ratio: np.ndarray
    suspects: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    quality: np.ndarray
    class_ratio: np.ndarray
    joint: np.ndarray
    pairs: tuple[PairNoise, ...]
    grade_share: float = float("nan")
    grade_of: np.ndarray | None = None

    @property
    def grades(self) -> bool:
        """Whether the classes behave as ordered grades: rates measured on the end grades."""
        return bool(self.grade_share >= GRADE_SHARE)


def estimate_noise(proba: np.ndarray, y: np.ndarray, values: np.ndarray | None = None) -> NoiseEstimate:
    """Confident learning on out-of-fold probabilities, with anchor-based calibration.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) out-of-fold predicted probabilities; columns are classes 0..K-1.
    y : numpy.ndarray
        Given labels in 0..K-1.
    values : numpy.ndarray, optional
        (K,) the number each class stands for (NaN for a name that is not one): consecutive
        integers, in any column order, may be ordered grades.

    Returns
    -------
    NoiseEstimate
    """
    n, k = proba.shape
    flagged = prune_by_noise_rate(y, proba)
    cleanlab_ratio = float(flagged.mean()) if n else 0.0
    ranks = _confidence_ranks(proba)  # shared by the anchors and the confidence slope
    size, wrong, weight = anchor_counts(proba, y, ranks)
    anchor = wrong / np.maximum(size, 1)
    near = grade_share(proba, y, values)
    graded = near >= GRADE_SHARE
    grade_of = np.asarray(values, np.float64) if np.isfinite(near) else None
    if graded:  # the end grades' anchors only
        ends = (int(np.argmin(grade_of)), int(np.argmax(grade_of)))
        weight = np.where(np.isin(np.arange(k), ends), weight, 0.0)
        weight = weight / max(weight.sum(), 1e-12)
    anchor_mean = float(np.dot(weight, anchor))
    share = (_central_share(anchor, weight) if k >= WIDESPREAD_MIN_CLASSES and not graded
             else (weight > 0).astype(float))
    n_central = float(np.dot(share, size))
    central = float(np.dot(share * size, anchor) / n_central) if n_central > 0 else 0.0
    noise_ratio = min(cleanlab_ratio, anchor_mean)
    widespread = min(cleanlab_ratio, central)

    quality_all = proba[np.arange(n), y]
    candidates = np.flatnonzero(flagged)
    # most suspicious first: the lowest probability of the given label; ties by position
    candidates = candidates[np.lexsort((candidates, quality_all[candidates]))]
    suspects = candidates[:int(round(noise_ratio * n))]
    suggested = proba[suspects].argmax(axis=1)
    counts = np.bincount(y, minlength=k)
    class_ratio = np.bincount(y[suspects], minlength=k) / np.maximum(counts, 1)
    flags = np.zeros((k, k), np.int64)
    np.add.at(flags, (y[flagged], proba[flagged].argmax(axis=1)), 1)
    joint = np.zeros((k, k))
    np.add.at(joint, (y[suspects], suggested), 1.0)
    joint[np.diag_indices(k)] = counts - joint.sum(axis=1)
    slope, error = confidence_slope(proba, y, share > 0, ranks)
    return NoiseEstimate(noise_ratio, widespread, wilson_low(widespread * n_central, n_central),
                         slope + BOUND_Z * error, cleanlab_ratio,
                         anchor, suspects, y[suspects], suggested, quality_all[suspects], class_ratio,
                         joint / max(n, 1), _pairs(flags, counts), near, grade_of)


def contradicted(est: NoiseEstimate, quality: np.ndarray, suggested: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Other samples, predicted by models that never saw them, that the estimate's suspects
    stand for: those whose given label gets no more probability than the estimate's least
    suspicious suspect got, and is not the models' prediction.

    The suspects are the samples confident learning flags with the lowest probability of
    their label. Applied to the estimate's own samples, this rule names every suspect and
    0-12% more (samples nearly as doubtful that confident learning left unflagged), measured
    on logistic out-of-fold probabilities of digits, breast cancer and three
    make_classification tables (2-6 classes, 10% of the labels moved or none); requiring
    another class above its confident-learning threshold as well named only 70-89% of them.

    Parameters
    ----------
    est : NoiseEstimate
        The estimate (of other samples' probabilities).
    quality : numpy.ndarray
        (m,) the probability the models give each other sample's label.
    suggested : numpy.ndarray
        (m,) the column they give the most probability.
    y : numpy.ndarray
        (m,) the labels, as columns.

    Returns
    -------
    numpy.ndarray
        Positions among the other samples, most suspicious first (the lowest quality; ties by
        position).
    """
    if not len(est.suspects) or not len(y):
        return np.zeros(0, np.int64)
    found = np.flatnonzero((quality <= est.quality.max()) & (suggested != y))
    return found[np.lexsort((found, quality[found]))]


def consecutive(values: np.ndarray) -> bool:
    """Whether class values are three or more consecutive integers, in any order (1, 2, ..., 5)."""
    values = np.sort(np.asarray(values, dtype=float))
    return bool(len(values) >= 3 and np.isfinite(values).all() and (values == np.round(values)).all()
                and (np.diff(values) == 1).all())


def grade_share(proba: np.ndarray, y: np.ndarray, values: np.ndarray | None) -> float:
    """``neighbour_share`` of classes whose values are consecutive integers; NaN for others
    (grades from ``GRADE_SHARE``)."""
    if values is None or not consecutive(values):
        return float("nan")
    return neighbour_share(proba, y, np.asarray(values, np.float64))


def neighbour_share(proba: np.ndarray, y: np.ndarray, grade_of: np.ndarray) -> float:
    """Share of the samples whose class the models confuse most with a neighbouring grade.

    A class's confusion with another is the probability the models put on the other one,
    averaged over the class's samples. Weighing the classes by their samples keeps a grade of
    a handful of samples, which the models mistake for the commonest grade, from deciding.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) probabilities, K >= 3.
    y : numpy.ndarray
        Given labels in 0..K-1.
    grade_of : numpy.ndarray
        (K,) each column's grade, consecutive integers.

    Returns
    -------
    float
    """
    k = proba.shape[1]
    counts = np.bincount(y, minlength=k)
    confusion = np.zeros((k, k))
    np.add.at(confusion, y, proba)
    confusion /= np.maximum(counts, 1)[:, None]
    np.fill_diagonal(confusion, -1.0)
    near = np.abs(grade_of[confusion.argmax(axis=1)] - grade_of) == 1
    return float(np.dot(counts, near) / max(counts.sum(), 1))


def wilson_low(hits: float, trials: float) -> float:
    """One-sided 95% Wilson lower bound of a proportion (0 without trials)."""
    if trials <= 0:
        return 0.0
    p, z2 = hits / trials, BOUND_Z ** 2
    centre = p + z2 / (2 * trials)
    spread = BOUND_Z * np.sqrt(p * (1 - p) / trials + z2 / (4 * trials ** 2))
    return float(max(centre - spread, 0.0) / (1 + z2 / trials))


def anchor_counts(proba: np.ndarray, y: np.ndarray,
                  ranks: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per predicted class, its anchors and how many of them are labelled otherwise.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) probabilities.
    y : numpy.ndarray
        Given labels.
    ranks : tuple of numpy.ndarray, optional
        ``_confidence_ranks(proba)``, when already at hand.

    Returns
    -------
    size : numpy.ndarray
        (K,) anchors of each predicted class.
    wrong : numpy.ndarray
        (K,) of them labelled another class.
    weight : numpy.ndarray
        (K,) share of samples predicted as each class.
    """
    n, k = proba.shape
    pred, _, counts, rank = ranks if ranks is not None else _confidence_ranks(proba)
    size = np.minimum(counts, np.maximum(np.ceil(ANCHOR_SHARE * counts), ANCHOR_MIN)).astype(np.int64)
    is_anchor = rank < size[pred]
    wrong = np.bincount(pred[is_anchor], weights=(y[is_anchor] != pred[is_anchor]), minlength=k)
    return size, wrong, counts / max(n, 1)


def _confidence_ranks(proba: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each sample's predicted class, confidence in it, the count of each predicted class, and
    each sample's rank within its predicted class, most confident first (ties by position)."""
    n, k = proba.shape
    pred = proba.argmax(axis=1)
    conf = proba[np.arange(n), pred]
    counts = np.bincount(pred, minlength=k)
    order = np.lexsort((-conf, pred))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, counts)
    return pred, conf, counts, rank


def confidence_slope(proba: np.ndarray, y: np.ndarray, measured: np.ndarray,
                     ranks: tuple[np.ndarray, ...] | None = None) -> tuple[float, float]:
    """How fast the share of contradicted labels falls as the models' confidence rises, with
    its standard error.

    Among the ``SLOPE_SHARE`` most confident predictions of each measured class, the
    least-squares slope of "labelled otherwise" (0 or 1) on the confidence, within each class
    (both centred on the class's means), negated. Where the inputs do not determine the label
    (a churn, a default), calibrated models are contradicted as often as they are unsure at
    every confidence: the slope is about 1. Labels flipped at random are contradicted at one
    rate however sure the models are: about 0. The least confident predictions are left out:
    there a flip and a hard sample look alike.

    Parameters
    ----------
    proba : numpy.ndarray
        (n, K) probabilities.
    y : numpy.ndarray
        Given labels.
    measured : numpy.ndarray
        (K,) bool, the predicted classes to measure.
    ranks : tuple of numpy.ndarray, optional
        ``_confidence_ranks(proba)``, when already at hand.

    Returns
    -------
    slope, error : float
        The negated slope and its standard error; 0 and 0 with fewer than three samples or no
        spread of confidence.
    """
    pred, conf, counts, rank = ranks if ranks is not None else _confidence_ranks(proba)
    kept = np.ceil(SLOPE_SHARE * counts).astype(np.int64)
    top = np.flatnonzero(measured[pred] & (rank < kept[pred]) & (kept[pred] >= 2))
    at = pred[top]
    size = np.maximum(np.bincount(at, minlength=len(counts)), 1)
    x, d = conf[top], (y[top] != at).astype(np.float64)
    # centred within each class
    x = x - (np.bincount(at, weights=x, minlength=len(counts)) / size)[at]
    d = d - (np.bincount(at, weights=d, minlength=len(counts)) / size)[at]
    spread = float(x @ x)
    if len(x) < 3 or spread <= 1e-12:
        return 0.0, 0.0
    b = float(x @ d) / spread
    residual = d - b * x
    return -b, float(np.sqrt(residual @ residual / (len(x) - 2) / spread))


def _central_share(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per class, the part of it inside the least noisy ``WIDESPREAD_SHARE`` of the weight."""
    order = np.argsort(values, kind="stable")
    w = weight[order]
    before = np.cumsum(w) - w
    # each class contributes the part of its weight that falls below the share
    part = np.clip(WIDESPREAD_SHARE * w.sum() - before, 0, w)
    share = np.zeros(len(values))
    share[order] = np.divide(part, w, out=np.zeros_like(part), where=w > 0)
    return share


def _pairs(flags: np.ndarray, counts: np.ndarray) -> tuple[PairNoise, ...]:
    """The class pairs whose flagged samples most evidently moved from one class to the other.

    ``flags[b, a]``: samples labelled ``b`` flagged as ``a``; ``counts``: samples per label.
    """
    given, suggested = np.nonzero(flags * (1 - np.eye(len(counts), dtype=np.int64)))
    moved = flags[given, suggested]
    total = moved + counts[suggested]
    lows = np.array([wilson_low(m, t) for m, t in zip(moved, total)])
    order = np.argsort(-lows, kind="stable")[:MAX_PAIRS]
    return tuple(PairNoise(int(given[i]), int(suggested[i]), int(moved[i]), int(flags[suggested[i], given[i]]),
                           float(moved[i] / total[i]), float(lows[i])) for i in order)
