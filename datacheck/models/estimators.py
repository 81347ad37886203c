"""Which scikit-learn models give the out-of-fold probabilities, by modality and size.

Every choice averages the probabilities of models with different inductive biases: their
confusions differ, so the average makes fewer confident mistakes that confident learning
would take for wrong labels.

- pixels (images, image arrays): the leading PCA components, not whitened; an RBF kernel
  model (Nystroem features and logistic regression) and 15 nearest neighbours.
- tables below ``HGB_FROM`` rows: standardized features; logistic regression, the RBF
  kernel model and 15 nearest neighbours.
- larger tables: logistic regression, and histogram gradient boosting (which handles
  heterogeneous, interacting features at scale) where a probe shows it predicts better:
  boosting costs about a hundred times as much as the linear model per fold (fit and
  prediction, 10 classes), and on labels a linear model already captures it adds no
  skill (``boosting_pays``).

Chosen on Fashion-MNIST, digits, wine and breast cancer (also with 60 irrelevant columns)
with planted flips: these score the highest F1 among the pairs and triples tried, and stay
as quiet on clean Fashion-MNIST as any.

A second family sees what the reduced inputs can hide: gradient boosting on the
``SCREENED_FEATURES`` unreduced features that best split the labels one at a time, chosen
inside each training fold (``screened_boosting``). It finds a label carried by one column
of thousands (PCA spreads that column over many components, distances drown it), and a
non-linear one.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from datacheck.models.nearest import NeighboursModel

PCA_COMPONENTS = 50
# PCA is fit on at most this many samples (unsupervised; enough for 50 components).
PCA_FIT_MAX = 20_000
HGB_FROM = 5_000
# The probe that decides whether boosting joins the linear model on a large table: both are
# fitted on at most PROBE_TRAIN samples and scored on at most PROBE_TEST others; boosting
# joins when the average of their probabilities (what the folds would then give) has a held-out
# log loss at least PROBE_MARGIN nats under the linear model's alone: the probabilities are
# what label noise reads. On a 1M x 20 table of two classes with 10% of the labels moved,
# boosting's balanced accuracy stayed within -0.010 to 0 of the linear model's on four probe
# samples (the rule before, 0.01 more, kept boosting out), while the average's loss was
# 0.012-0.020 lower; with boosting, the suspects' precision and recall rose from 0.78/0.78 to
# 0.86/0.89. On linear labels (10 classes) and on random labels the average's loss was 0.04-0.06
# and 0.01-0.02 higher, where boosting's balanced accuracy had come up to 0.014 above the
# linear model's (over the margin before: boosting joined on random labels).
PROBE_TRAIN = 3_000
PROBE_TEST = 3_000
PROBE_MARGIN = 0.005
# The probe's boosting bins each feature into this many quantiles (the models it chooses keep
# scikit-learn's 255): on 3,000 samples the verdicts of 16 tables (Fashion-MNIST as a
# 784-column table, synthetic clusters, XOR, radial and linear labels, two seeds each) were
# the same with 63 bins as with 255, at 0.6x the time. Its trees have PROBE_LEAVES leaves: on
# 18 tables (the same kinds, random labels and a linear rule plus one threshold added) 7 leaves
# gave the verdicts of 15 but two, both within 0.012 of the margin (15 leaves let boosting join
# on random labels), at 0.65x the time.
PROBE_BINS = 63
PROBE_LEAVES = 7
# The boosting of the folds bins each feature into this many quantiles too (scikit-learn's
# default 255 costs more in finding each node's split than the samples cost in filling the
# histograms): 10% flips on a 60,000 x 20 synthetic table and on 20,000 Fashion-MNIST images
# as a 784-column table, seeds 0 and 1, label-noise F1 0.711/0.694 and 0.814/0.832 with 255
# bins, 0.716/0.691 and 0.842/0.836 with 63, in 0.88x and 0.8x the time; the profile of
# 20,000 clean such rows 0.73x (35.7 s to 26.2 s), as quiet. A learning rate of 0.2 beside it
# (fewer rounds) lost 0.019 of F1 on the synthetic table.
FOLD_BINS = 63
# Nystroem components of the kernel model, at most (its fit costs about linearly in them).
KERNEL_COMPONENTS = 1000
# ... on a table, whose few and noisy columns an RBF kernel of 500 landmarks already spans: 10%
# flips in make_classification tables (3,000-6,000 rows, 20 columns, 3-8 classes) gave
# label-noise F1 within 0.005 of 1,000 landmarks (0.695/0.724/0.737/0.489 to 0.696/0.719/
# 0.735/0.487), their profiles in 0.36-0.82x the time; real tables of 4,300-5,600 rows (credit,
# churn, spam, a survey) 1.9-3.8 s to 0.7-1.3 s, with the same findings.
TABLE_KERNEL_COMPONENTS = 500
# The kernel model maps this many samples at a time (25,000 samples on 1,000 landmarks map to
# 100 MB of float32, and each step of the map makes a temporary as large).
MAP_ROWS = 8_192
# Tables wider than this are reduced with PCA before the kernel model.
MAX_TABLE_WIDTH = 256
# The second family: features kept by univariate screening, and its boosting rounds (at a
# learning rate of 0.2).
SCREENED_FEATURES = 32
SCREENED_ROUNDS = 50
# ...and where it only tests whether the labels are related at all (the relation test, on a
# subsample): fewer, larger steps. On 22 tables (a label on one column of 1,000, 30% and 40%
# of it flipped, its deciles, 60% of them random, a rare threshold, XOR of two columns, random
# labels, two and ten classes; a square on 5,000 x 50; two seeds) 20 rounds at 0.5 gave the
# verdicts of 50 at 0.2, z-scores within 1.7, in 0.4x the time (10 classes: 1.09 s to 0.44 s).
TEST_ROUNDS = 20
TEST_RATE = 0.5
# Thresholds per feature tried by the screening (``split_gain``).
SPLIT_CUTS = 256


def reduce_dimensions(x: np.ndarray, kind: str, seed: int) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Inputs for the models: the leading PCA components of pixels, or of wide tables.

    PCA is unsupervised, so fitting it once on the pooled samples leaks no label
    information into the out-of-fold predictions. It runs in one BLAS thread: the
    randomized PCA's result changes in its last bits with the thread count (and so could
    the findings), and one thread was faster anyway (60,000 x 784 Fashion-MNIST pixels:
    0.70 s against 0.89 s in two, 2 cores).

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) float32 features.
    kind : str
        ``pixels`` or ``table``.
    seed : int
        Seed of the randomized PCA and of its fitting sample.

    Returns
    -------
    reduced : numpy.ndarray
        (n, d') float32.
    apply : callable
        Reduces other rows of features alike (the same components and scales).
    """
    n, d = x.shape
    wide = kind == "pixels" or d > MAX_TABLE_WIDTH
    k = min(PCA_COMPONENTS if kind == "pixels" else MAX_TABLE_WIDTH // 2, d, max(n // 2, 1))
    if not wide or k < 2:
        return x, _unreduced
    # imported here, past the narrow tables: scikit-learn takes about a second to import in a
    # fresh process, and a narrow table's outliers check (which reads these inputs) needs none
    # of it
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    fit_on = x if n <= PCA_FIT_MAX else x[np.sort(rng.choice(n, PCA_FIT_MAX, replace=False))]
    with threadpool_limits(limits=1, user_api="blas"):
        pca = PCA(k, svd_solver="randomized", random_state=seed).fit(fit_on)
        out = pca.transform(x).astype(np.float32)
    if kind == "table":
        scale = np.maximum(out.std(axis=0), 1e-12)
    else:
        # pixels keep their PCA geometry (whitening would blow up the noisy directions that
        # distances should ignore), scaled to unit variance per component on average
        scale = np.float32(max(np.sqrt(np.mean(out.var(axis=0))), 1e-12))

    def apply(other: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):
            return pca.transform(other).astype(np.float32) / scale

    return out / scale, apply


def _unreduced(x: np.ndarray) -> np.ndarray:
    return x


def model_factories(kind: str, n: int, d: int, seed: int, boosting_pays: bool = True,
                    threads: int = 1) -> list[tuple[str, Callable]]:
    """The models whose probabilities are averaged, as (name, factory) pairs.

    Parameters
    ----------
    kind : str
        ``pixels`` or ``table``.
    n : int
        Training samples per fold.
    d : int
        Input width.
    seed : int
        Seed of the randomized parts.
    boosting_pays : bool
        Large tables: whether gradient boosting joins logistic regression (``boosting_pays``
        measures it); without it the table is modelled by logistic regression alone.
    threads : int
        BLAS threads of the kernel model's feature map (``KernelModel``).

    Returns
    -------
    list of (str, callable)
        Each factory returns an unfitted classifier (scikit-learn's, or ``KernelModel``).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    def linear():
        return LogisticRegression(C=1.0, max_iter=300, tol=1e-3)

    def kernel():
        # gamma 0.5/d: unit-variance inputs have squared distances around 2d; tables, fewer
        # and noisier dimensions than pixels, are regularized more
        most = KERNEL_COMPONENTS if kind == "pixels" else TABLE_KERNEL_COMPONENTS
        components = min(most, max(300, n // 4), n)
        return KernelModel(gamma=0.5 / max(d, 1), n_components=components,
                           C=10.0 if kind == "pixels" else 3.0, seed=seed, threads=threads)

    def neighbours():
        return NeighboursModel(n_neighbors=min(15, n))

    def boosting():
        return HistGradientBoostingClassifier(max_iter=100, max_bins=FOLD_BINS, early_stopping=True,
                                              n_iter_no_change=5, random_state=seed)

    if kind == "pixels":
        return [("RBF kernel model", kernel), ("15 nearest neighbours", neighbours)]
    if n >= HGB_FROM:
        return [("logistic regression", linear), ("gradient boosting", boosting)][:2 if boosting_pays else 1]
    return [("logistic regression", linear), ("RBF kernel model", kernel), ("15 nearest neighbours", neighbours)]


class KernelModel:
    """The RBF kernel model: Nystroem features, then multinomial logistic regression.

    The feature map's products are large (samples x landmarks, and landmarks x landmarks),
    where BLAS threads pay; the regression's, once per solver iteration, are thin (samples
    x landmarks by landmarks x classes), where a second thread costs more than it gives.
    The map runs in ``threads`` BLAS threads, the regression in those its caller allows.

    Parameters
    ----------
    gamma : float
        RBF kernel width.
    n_components : int
        Landmarks of the map.
    C : float
        Inverse L2 strength of the regression.
    seed : int
        Seed of the landmarks.
    threads : int
        BLAS threads of the map.
    """

    def __init__(self, gamma: float, n_components: int, C: float, seed: int, threads: int = 1):
        self.gamma, self.n_components, self.C, self.seed, self.threads = gamma, n_components, C, seed, threads

    def fit(self, x: np.ndarray, y: np.ndarray) -> "KernelModel":
        """Fit the map on ``x``, then the regression on the mapped ``x``."""
        from sklearn.kernel_approximation import Nystroem
        from sklearn.linear_model import LogisticRegression

        self.map_ = Nystroem(gamma=self.gamma, n_components=self.n_components, random_state=self.seed)
        with self._map_threads():
            self.map_.fit(x)
        self.regression_ = LogisticRegression(C=self.C, max_iter=300, tol=1e-3).fit(self._mapped(x), y)
        self.classes_ = self.regression_.classes_
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities."""
        return self.regression_.predict_proba(self._mapped(x))

    def _mapped(self, x: np.ndarray) -> np.ndarray:
        """The map of ``x``, ``MAP_ROWS`` rows at a time: the kernel of a block with the
        landmarks, then its product with their normalization, each as large as the result."""
        out = None
        with self._map_threads():
            for lo in range(0, len(x), MAP_ROWS):
                block = self.map_.transform(x[lo:lo + MAP_ROWS])
                if out is None:
                    out = np.empty((len(x), block.shape[1]), block.dtype)
                out[lo:lo + len(block)] = block
        return out

    def _map_threads(self):
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=max(1, int(self.threads)), user_api="blas")


def boosting_pays(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int) -> bool:
    """Whether gradient boosting joining logistic regression gives better probabilities.

    A cheap probe: both are fitted on a stratified sample of ``train`` (at most
    ``PROBE_TRAIN``; boosting with few, fast rounds on ``PROBE_BINS`` bins); the average of
    their probabilities and the linear model's alone are scored by log loss on a stratified
    sample of ``test`` (at most ``PROBE_TEST``).

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) model inputs.
    y : numpy.ndarray
        (n,) labels 0..K-1.
    train, test : numpy.ndarray
        Disjoint positions (a fold's parts).
    seed : int
        Seed of the samples and the boosting.

    Returns
    -------
    bool
        True when the average's log loss is at least ``PROBE_MARGIN`` nats lower.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from datacheck.scan.sample import stratified_sample

    if len(train) > PROBE_TRAIN:
        train = train[stratified_sample(y[train], PROBE_TRAIN, 1, seed)]
    if len(test) > PROBE_TEST:
        test = test[stratified_sample(y[test], PROBE_TEST, 1, seed + 1)]
    given = []
    for model in (LogisticRegression(C=1.0, max_iter=300, tol=1e-3), probe_booster(HistGradientBoostingClassifier, seed)):
        proba = model.fit(x[train], y[train]).predict_proba(x[test])
        # each test sample's label's probability: none where the sample's class was not trained on
        column = np.minimum(np.searchsorted(model.classes_, y[test]), len(model.classes_) - 1)
        given.append(np.where(model.classes_[column] == y[test], proba[np.arange(len(test)), column], 0.0))
    linear, both = (-np.log(np.clip(p, 1e-6, 1)).mean() for p in (given[0], (given[0] + given[1]) / 2))
    return bool(both <= linear - PROBE_MARGIN)


def probe_booster(family: type, seed: int):
    """The small gradient boosting of the probes (``boosting_pays``, and the regression
    models' ``boosting_pays_regression``): 30 fast rounds of ``PROBE_LEAVES``-leaf trees on
    ``PROBE_BINS`` bins, no early stopping.

    Parameters
    ----------
    family : type
        scikit-learn's ``HistGradientBoostingClassifier`` or ``HistGradientBoostingRegressor``.
    seed : int
        Its random state.
    """
    # no early stopping: on 10 noisy classes a validation loss stalls for a few rounds while
    # accuracy still climbs, and a probe stopped there keeps boosting out where it pays
    # (Fashion-MNIST as a 784-column table: label-noise F1 0.84 with it, 0.78 without)
    return family(max_iter=30, learning_rate=0.3, max_leaf_nodes=PROBE_LEAVES, max_bins=PROBE_BINS,
                  early_stopping=False, random_state=seed)


def cheap_factory() -> Callable:
    """The cheap model of the permutation test: logistic regression, few iterations."""
    from sklearn.linear_model import LogisticRegression

    return lambda: LogisticRegression(C=1.0, max_iter=100, tol=1e-3)


def null_factory() -> Callable:
    """The model refit on permuted labels: a ridge classifier, one least-squares solve.

    Labels unrelated to the inputs score about chance whatever the model; this one needs no
    iterations. On 2,000-sample subsamples of Fashion-MNIST thumbnails, digits-like images,
    a 10-class table and a 2-class table, its held-out balanced accuracy over ten
    permutations had the mean and spread of the cheap logistic regression's (within 0.007),
    in 0.2x its time on the images, whose logistic fits converge slowly.
    """
    return lambda: RidgeNull(alpha=1.0)


class RidgeNull:
    """scikit-learn's ``RidgeClassifier(alpha)`` (intercept, Cholesky solve) in a few numpy
    products: targets +-1 per class (one column for two classes), inputs and targets centred,
    ``(X'X + alpha I) W = X'Y``, the class of the largest decision (of a positive one for two
    classes). It is refit for every fold of every permutation of the permutation test, where
    scikit-learn's input checks and label encoding cost more than the solve: the relation
    step on scikit-learn's digits as PNGs took 0.31 s with ``RidgeClassifier``, 0.14 s so.
    Computed in float64; the predictions equal scikit-learn's.

    Parameters
    ----------
    alpha : float
        L2 strength.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, x: np.ndarray, y: np.ndarray) -> "RidgeNull":
        """Solve for the coefficients and intercepts; ``classes_`` are the distinct labels."""
        x = np.asarray(x, dtype=np.float64)
        self.classes_, codes = np.unique(y, return_inverse=True)
        targets = -np.ones((len(x), len(self.classes_)))
        targets[np.arange(len(x)), codes] = 1.0
        if len(self.classes_) == 2:
            targets = targets[:, 1:]
        x_mean, y_mean = x.mean(axis=0), targets.mean(axis=0)
        xc = x - x_mean
        gram = xc.T @ xc
        gram.flat[::len(gram) + 1] += self.alpha
        self.coef_ = np.linalg.solve(gram, xc.T @ (targets - y_mean))
        self.intercept_ = y_mean - x_mean @ self.coef_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The class of each row of ``x``."""
        decision = np.asarray(x, dtype=np.float64) @ self.coef_ + self.intercept_
        if decision.shape[1] == 1:
            return self.classes_[(decision[:, 0] > 0).astype(np.int64)]
        return self.classes_[decision.argmax(axis=1)]


def screened_boosting(d: int, seed: int, rounds: int = SCREENED_ROUNDS, learning_rate: float = 0.2) -> Callable:
    """The second family: univariate screening (best single split) then gradient boosting.

    Parameters
    ----------
    d : int
        Input width.
    seed : int
        Seed of the boosting.
    rounds, learning_rate : int, float
        Of the boosting (``TEST_ROUNDS`` and ``TEST_RATE`` where it only tests for a relation).

    Returns
    -------
    callable
        Returns an unfitted pipeline; its screening is part of the fit, so it sees only the
        training part of a fold.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_selection import SelectKBest
    from sklearn.pipeline import make_pipeline

    return lambda: make_pipeline(
        SelectKBest(split_gain, k=min(SCREENED_FEATURES, d)),
        HistGradientBoostingClassifier(max_iter=rounds, max_depth=3, learning_rate=learning_rate,
                                       early_stopping=False, random_state=seed))


def split_gain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per feature, the largest drop in Gini impurity that one threshold on it gives.

    The thresholds tried are ``SPLIT_CUTS`` per feature, at evenly spaced ranks, each moved to
    the end of its run of equal values (cuts between equal values are not allowed), as
    gradient boosting's quantile bins would place them; every cut when there are fewer
    samples. Vectorized over blocks of features: each column is sorted once, and the class
    counts left of the cuts come from one histogram of the samples between cuts, so a
    feature costs its sort plus O(n), not O(n x classes).

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) features.
    y : numpy.ndarray
        (n,) labels.

    Returns
    -------
    numpy.ndarray
        (d,) impurity decrease, 0 for a constant column.
    """
    classes, codes = np.unique(y, return_inverse=True)
    n, k = len(y), len(classes)
    gains = np.zeros(x.shape[1])
    if n < 2:
        return gains
    total = np.bincount(codes, minlength=k).astype(np.float64)
    parent = 1.0 - np.sum((total / n) ** 2)
    ranks = np.unique(np.linspace(1, n - 1, min(SPLIT_CUTS, n - 1)).astype(np.int64))
    b = len(ranks)
    positions = np.arange(n)
    # blocks of columns bound the (n, columns) sort orders and cut counts
    step = max(1, int(2_000_000 // n))
    for lo in range(0, x.shape[1], step):
        block = x[:, lo:lo + step]
        c = block.shape[1]
        order = np.argsort(block, axis=0, kind="stable")
        values = np.take_along_axis(block, order, axis=0)
        # per sorted position, the first position at or after it where the value changes
        # (n where none does): the cut after rank r moves there
        change = np.full((n, c), n, np.int64)
        change[1:] = np.where(values[1:] != values[:-1], positions[1:, None], n)
        change = np.minimum.accumulate(change[::-1], axis=0)[::-1]
        cuts = change[ranks]  # (b, c), non-decreasing down each column
        marks = np.bincount((cuts * c + np.arange(c)).ravel(), minlength=(n + 1) * c).reshape(n + 1, c)
        between = np.cumsum(marks[:n], axis=0)  # cuts at or before each sorted position
        index = (np.arange(c) * (b + 1) + between) * k + codes[order]
        counts = np.bincount(index.ravel(), minlength=c * (b + 1) * k).reshape(c, b + 1, k)
        left = np.cumsum(counts[:, :b], axis=1, dtype=np.float64)  # (c, b, k) left of each cut
        left_n = cuts.T.astype(np.float64)
        right_n = n - left_n
        with np.errstate(divide="ignore", invalid="ignore"):
            # n * weighted child impurity: n_l (1 - sum p_l^2) + n_r (1 - sum p_r^2)
            child = (left_n - np.sum(left ** 2, axis=2) / left_n
                     + right_n - np.sum((total - left) ** 2, axis=2) / right_n) / n
        child[cuts.T >= n] = np.inf  # no cut: the rest of the column is one value
        gains[lo:lo + c] = np.maximum(parent - child.min(axis=1), 0.0)
    return gains
