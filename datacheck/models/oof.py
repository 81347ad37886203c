"""Out-of-fold predicted probabilities, computed once per profile and cached on the context.

Every labelled, readable sample of every split is pooled (a stratified sample when there are
more than ``noise_max_samples``), turned into features by modality, and predicted by models
trained on the other folds of a stratified K-fold split. ``label_noise`` and
``learnability`` both read the result.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from datacheck.errors import ConfigError
from datacheck.models.estimators import (HGB_FROM, boosting_pays, model_factories, reduce_dimensions,
                                         screened_boosting)
from datacheck.models.features import FeatureSet, pixel_features, table_features
from datacheck.models.pool import Pool, build_pool
from datacheck.models.workers import apply_in_blocks, fit_all
from datacheck.scan.parallel import available_cpus, run_blocks
from datacheck.scan.sample import stratified_sample

N_FOLDS = 5
MIN_FOLDS = 2
# Each fold trains on at most this many samples (a stratified sample of the other folds).
MAX_TRAIN = 25_000
# Below this many samples BLAS threads cost more than they give (and fight other processes).
SINGLE_THREAD_BELOW = 20_000
NOISE_MODELS = ("auto", "cnn")
# A regression target is modelled from this many labelled samples.
MIN_REGRESSION = 20
DEFAULT_MAX_SAMPLES = 200_000
NO_FEATURES = "the dataset has no features a model can read"


@dataclass
class OutOfFold:
    """Out-of-fold probabilities of the pooled samples.

    Parameters
    ----------
    pool : Pool
        Which samples (split, row) were modelled.
    classes : numpy.ndarray
        Class codes (into ``Dataset.classes``) of the probability columns.
    y : numpy.ndarray
        Given labels as column indices 0..K-1.
    proba : numpy.ndarray
        (n, K) out-of-fold probabilities.
    x : numpy.ndarray
        (n, d) model inputs (reduced features), for the permutation test.
    model : str
        The models, in words.
    features : str
        The features, in words.
    n_folds : int
        Folds of the split.
    notes : list of str
        Sampling, left-out classes or columns, fallbacks, for the findings.
    folds : list of (numpy.ndarray, numpy.ndarray)
        The (train, test) positions of each fold.
    kind : str
        ``pixels`` or ``table``: what the features are.
    models : list of list
        Where the other samples are to be judged by these models (``keeps_models``): each
        fold's fitted models, in ``model``'s order; else empty.
    boosted : bool
        Whether gradient boosting is among the models (a large table where it pays).
    """

    pool: Pool
    classes: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    x: np.ndarray
    model: str
    features: str
    n_folds: int
    notes: list[str] = field(default_factory=list)
    folds: list = field(default_factory=list)
    kind: str = "table"
    models: list = field(default_factory=list)
    boosted: bool = False

    @property
    def n(self) -> int:
        """Number of modelled samples."""
        return int(len(self.y))

    def sample_ids(self, ctx, positions) -> list[str]:
        """Report names of pooled samples, in the order given."""
        return self.pool.sample_ids(ctx, positions)


def validate_options(options: dict) -> None:
    """Raise ``ConfigError`` for a bad ``noise_model`` or ``noise_max_samples`` option.

    Parameters
    ----------
    options : dict
        Run-wide options as given to ``datacheck.profile``.
    """
    model = options.get("noise_model", "auto")
    if model not in NOISE_MODELS:
        raise ConfigError(f"The 'noise_model' option must be one of {', '.join(map(repr, NOISE_MODELS))}. "
                          f"Got {model!r} instead.")
    size = options.get("noise_max_samples", DEFAULT_MAX_SAMPLES)
    if isinstance(size, bool) or not isinstance(size, int) or size < 100:
        raise ConfigError("The 'noise_max_samples' option must be an int >= 100. "
                          f"Got {size!r} instead.")


def oof_skip_reason(ctx) -> str | None:
    """Why out-of-fold probabilities cannot be computed for ``ctx``, or None (builds the
    features, cached, to see that some column varies)."""
    reason = _pool_skip_reason(ctx)
    if reason is None and not _features(ctx).x.shape[1]:
        return NO_FEATURES
    return reason


def _pool_skip_reason(ctx) -> str | None:
    """What ``oof_skip_reason`` tells from the pool alone (cheap): too few labelled samples
    or classes, or no kind of features."""
    pool = _pool(ctx)
    if ctx.is_regression:
        if len(pool) < MIN_REGRESSION or len(np.unique(pool.y)) < 2:
            return f"needs at least {MIN_REGRESSION} labelled samples with more than one target value"
    elif len(np.unique(pool.y)) < 2:
        return f"needs at least two classes with {N_FOLDS} or more labelled samples each"
    if _feature_kind(ctx, pool) is None:
        return NO_FEATURES
    return None


def out_of_fold(ctx) -> OutOfFold:
    """The cached out-of-fold probabilities of ``ctx`` (computed on first use).

    Reads the options ``noise_model`` (``auto`` or ``cnn``), ``noise_max_samples`` and
    ``seed`` from ``ctx.options``.
    """
    return ctx.cached("oof", lambda: _compute(ctx))


def _pool(ctx) -> Pool:
    def build():
        validate_options(ctx.options)
        size = int(ctx.options.get("noise_max_samples", DEFAULT_MAX_SAMPLES))
        return build_pool(ctx, max_samples=size, min_per_class=N_FOLDS, seed=ctx.seed)
    return ctx.cached("oof_pool", build)


def _feature_kind(ctx, pool: Pool) -> str | None:
    """``pixels`` or ``table`` when every pooled split has features of that kind."""
    scans = [ctx.scan.splits[name] for name in pool.split_names]
    if ctx.modality != "tabular" and all(s.images is not None for s in scans):
        return "pixels"
    if all(s.columns is not None for s in scans) and (
            any(s.columns.shape[0] for s in scans) or any(s.other_columns for s in scans)):
        return "table"
    return None


def _features(ctx) -> FeatureSet:
    def build():
        pool = _pool(ctx)
        return pixel_features(ctx, pool) if _feature_kind(ctx, pool) == "pixels" else table_features(ctx, pool)
    return ctx.cached("oof_features", build)


def _compute(ctx) -> OutOfFold:
    pool = _pool(ctx)
    advance = sub_steps(ctx, f"model inputs of {len(pool.y):,} samples (features, then PCA)", 2)
    feats = _features(ctx)
    if advance is not None:
        advance(1)
    classes, y = np.unique(pool.y, return_inverse=True)
    notes = list(pool.notes)
    seed = ctx.seed
    x = reduced_inputs(ctx)
    if advance is not None:
        advance(1)
    folds = _folds(y, seed)
    models = [] if keeps_models(ctx, pool, feats.kind) else None
    proba, model, boosted = _sklearn_proba(
        x, y, len(classes), feats.kind, folds, seed,
        steps=lambda total: sub_steps(ctx, f"cross-validated models ({len(folds)} folds, {len(y):,} samples)", total),
        threads=fit_threads(x, feats.kind, ctx.options), beside=fits_beside(ctx), rounds=partial(sub_steps, ctx),
        models=models)
    if ctx.options.get("noise_model", "auto") == "cnn":
        if feats.image_shape is None:
            notes.append("noise_model='cnn' needs image inputs; the default models were used")
        else:
            try:
                from datacheck.models import cnn

                cnn_proba, model = cnn.out_of_fold_proba(feats, y, len(classes), folds, seed)
                proba = (proba + cnn_proba) / 2
            except ImportError:
                notes.append("noise_model='cnn' needs torch (pip install 'datacheck[torch]'); "
                             "the default models were used")
    return OutOfFold(pool, classes, y, proba, x, model, feats.description, len(folds), notes, folds, feats.kind,
                     models or [], boosted)


def keeps_models(ctx, pool: Pool, kind: str) -> bool:
    """Whether the fold models are kept to judge the labelled samples beyond the pool
    (``models.every_row``): a pool drawn down to ``noise_max_samples`` from every sample at
    hand (a table's rows, or images, whose features the scan holds for every one), or drawn
    from a streamed split's row sample (its other rows are read again). Not where a CNN's
    probabilities join the images' models (``noise_model="cnn"``): its folds are not kept."""
    streamed = any(ctx.scan.splits[name].sampled for name in pool.split_names)
    cnn = kind == "pixels" and ctx.options.get("noise_model", "auto") == "cnn"
    return (bool(pool.capped_from) or streamed) and not cnn


def pooled(ctx) -> Pool:
    """The samples the models see (cached; shared by the classification and regression models)."""
    return _pool(ctx)


def pooled_features(ctx) -> FeatureSet:
    """The features of the pooled samples, unreduced (cached)."""
    return _features(ctx)


def reduced_inputs(ctx) -> np.ndarray:
    """The inputs of the main models: the pooled samples' features reduced
    (``estimators.reduce_dimensions``), cached; the outliers check measures its distances
    on them too."""
    return _reduction(ctx)[0]


def reduce_like_pool(ctx, x: np.ndarray) -> np.ndarray:
    """Other rows' features (``features.encode_table``) reduced as the pooled samples' were."""
    return _reduction(ctx)[1](x)


def _reduction(ctx):
    def build():
        feats = _features(ctx)
        return reduce_dimensions(feats.x, feats.kind, ctx.seed)
    return ctx.cached("oof_inputs", build)


def fits_beside(ctx) -> bool:
    """Whether models may be fitted for ``ctx`` (as far as the pool tells) in one thread
    (``fit_threads``: a table, or few samples) while more are available, so that other work
    can use the rest.

    Cheap: it reads the pool, not the features, so that the runner can decide before any
    model input is built (the features are then built beside the other checks)."""
    if _pool_skip_reason(ctx) is not None or model_threads(ctx.options) < 2:
        return False
    pool = _pool(ctx)
    return _feature_kind(ctx, pool) == "table" or len(pool) < SINGLE_THREAD_BELOW


def model_inputs(ctx) -> np.ndarray:
    """The unreduced features of the pooled samples (cached), as the second family sees them."""
    return _features(ctx).x


def second_opinion(ctx) -> np.ndarray:
    """Out-of-fold probabilities of the second model family, cached (computed on demand).

    Gradient boosting on the unreduced features that best split the labels one at a time
    (``estimators.screened_boosting``), on the same folds as ``out_of_fold``: what
    reduced inputs hide from the main models (one informative column among thousands, a
    non-linear threshold).

    Returns
    -------
    numpy.ndarray
        (n, K) probabilities, columns as ``out_of_fold(ctx).classes``.
    """
    return _second(ctx)[0]


def second_family_adds(ctx) -> bool:
    """Whether the second family can see what the main models miss: not where these include
    gradient boosting on the unreduced features, of which the second family's boosting (trees
    of depth 3 on at most ``SCREENED_FEATURES`` of the same features) is a smaller model.

    Measured on 42 tables whose main models included boosting (``benchmarks/second_family.py``:
    synthetic clusters of 2, 3 and 10 classes, 20,000 and 60,000 rows; XOR, a radius, one column
    of 200, a linear rule with a threshold; clean and with 10% of the labels moved; Satellite,
    income): the second family's balanced accuracy came within -0.077 to +0.011 of theirs, never
    near the ``SECOND_MARGIN`` (0.05) from which it joins the estimate; where they held logistic
    regression alone, up to +0.25 (churn, letters). On a 1M x 20 table of 10 classes with 10%
    moved its fit took 4 s."""
    oof = out_of_fold(ctx)
    return not oof.boosted or reduced_inputs(ctx).shape[1] != model_inputs(ctx).shape[1]


def second_models(ctx) -> list:
    """The second family's fitted models, one list per fold, where ``out_of_fold`` keeps its
    own (``keeps_models``); else empty."""
    return _second(ctx)[1]


def _second(ctx):
    def build():
        oof = out_of_fold(ctx)
        x = model_inputs(ctx)
        advance = sub_steps(ctx, f"second model family ({len(oof.folds)} folds)", len(oof.folds))
        models = [] if oof.models else None
        proba, _ = _fit_proba(x, oof.y, len(oof.classes), oof.folds,
                              [("screened boosting", screened_boosting(x.shape[1], ctx.seed))], advance,
                              fit_threads(x, "table", ctx.options), beside=fits_beside(ctx), models=models)
        return proba, models or []
    return ctx.cached("oof_second", build)


def n_folds(n: int) -> int:
    """Folds for ``n`` samples: ``N_FOLDS``, or fewer (down to ``MIN_FOLDS``) when their
    training parts would still hold ``MAX_TRAIN`` samples; each model then trains on as many
    samples, and fewer models are fitted (from ``2 * MAX_TRAIN`` samples, two)."""
    for k in range(MIN_FOLDS, N_FOLDS):
        if (k - 1) * n >= k * MAX_TRAIN:
            return k
    return N_FOLDS


def _folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold (train, test) positions; training parts capped at ``MAX_TRAIN``."""
    from sklearn.model_selection import StratifiedKFold

    n_splits = int(min(n_folds(len(y)), np.bincount(y).min()))
    out = []
    for i, (train, test) in enumerate(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(
            np.zeros(len(y)), y)):
        if len(train) > MAX_TRAIN:
            train = train[stratified_sample(y[train], MAX_TRAIN, 1, seed + i)]
        out.append((train, test))
    return out


def _sklearn_proba(x, y, n_classes, kind, folds, seed, steps=None, threads=1,
                   beside=False, rounds=None, models=None) -> tuple[np.ndarray, str, bool]:
    """Average probabilities of the chosen scikit-learn models, fold by fold; ``steps(total)``
    gives the ``advance(n)`` of a bar over the fits, if any, and ``rounds`` opens bars over
    the rounds of large boosting fits (``_fit_proba``). Returns the probabilities, the models
    in words, and whether gradient boosting is among them.

    On a large table gradient boosting joins the linear model only where a cheap probe on
    the first fold shows that it predicts better (``estimators.boosting_pays``); ``beside``
    lets its large fits go to a worker process (``_fit_proba``); ``models``, where given, is
    filled with each fold's fitted models."""
    n_train = len(folds[0][0])
    boosted = False
    if kind == "table" and n_train >= HGB_FROM:
        # a few thousand samples: threads cost more than they give
        with threadpool_limits_to(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boosted = boosting_pays(x, y, folds[0][0], folds[0][1], seed)
    # the pixel models (a kernel model's products, a neighbour search) release the GIL: their
    # folds are fitted side by side, each in one thread, rather than one after the other
    together = min(threads, len(folds)) if kind == "pixels" else 1
    factories = model_factories(kind, n_train, x.shape[1], seed, boosting_pays=boosted,
                                threads=1 if together > 1 else threads)
    advance = steps(len(folds) * len(factories)) if steps is not None else None
    return (*_fit_proba(x, y, n_classes, folds, factories, advance, threads, together, beside, rounds, models),
            boosted)


def model_threads(options: dict | None = None) -> int:
    """Threads the model fits may use: the CPUs available (``scan.parallel.available_cpus``:
    affinity and cgroup quota), capped by an explicit ``workers`` option.

    Parameters
    ----------
    options : dict, optional
        Run-wide options; ``workers`` (int) caps the count.

    Returns
    -------
    int
        At least 1.
    """
    n = available_cpus()
    workers = (options or {}).get("workers")
    if isinstance(workers, int) and not isinstance(workers, bool) and workers > 0:
        n = min(n, workers)
    return max(1, int(n))


def fit_threads(x: np.ndarray, kind: str, options: dict | None = None) -> int:
    """Threads for the model fits on inputs ``x``: one for a table or few samples, else
    ``model_threads(options)``.

    A table's fit is many small steps (boosting's nodes, a linear model's gradients), where
    OpenMP threads mostly wait for each other, and spin when another process holds a core:
    on 2 cores with one busy process, gradient boosting on 100,000 x 50 fitted 10-100x slower
    in two threads than in one. A wide table is no exception: its boosting fits go to the
    worker process instead (``fits_beside``), and other checks run beside them. Fashion-MNIST
    as a 784-column table (70,000 rows, 128 PCA components, boosting on 2 folds) profiled in
    34.3 s with its fits in two threads and 27.8 s so; with one busy process beside it, 92.7 s
    and 41.3 s. The outputs do not depend on the threads.

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) model inputs.
    kind : str
        ``pixels`` or ``table``.
    options : dict, optional
        Run-wide options (``workers``).

    Returns
    -------
    int
        At least 1.
    """
    if kind == "table" or len(x) < SINGLE_THREAD_BELOW:
        return 1
    return model_threads(options)


def threadpool_limits_to(threads: int):
    """A ``threadpoolctl`` context for model fits: OpenMP threads (gradient boosting's
    histograms, nearest-neighbour searches) capped at ``threads``, BLAS in one thread.

    The fits' BLAS calls are thin products (samples x features by features x classes,
    once per solver iteration), where a second BLAS thread costs more than it gives:
    a kernel model's logistic regression on 25,000 x 1,000 inputs fits in 4.2 s with one
    BLAS thread and 7.1 s with two (2 cores), while a 15-nearest-neighbour search runs
    2.3x faster in two OpenMP threads.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits={"openmp": max(1, int(threads)), "blas": 1})


def sub_steps(ctx, description: str, total: int):
    """``advance(n)`` of a bar over a model's steps (folds, permutations) through
    ``ctx.progress``, or None when the run shows no progress. Models report steps only: the
    bars are drawn by whoever gave the callback (the CLI), never imported here."""
    progress = getattr(ctx, "progress", None)
    return progress(description, int(total)) if progress is not None and total > 0 else None


def _fit_proba(x, y, n_classes, folds, factories, advance=None, threads=1,
               together=1, beside=False, rounds=None, models=None) -> tuple[np.ndarray, str]:
    """Average out-of-fold probabilities of the given (name, factory) models.

    Parameters
    ----------
    x, y : numpy.ndarray
        Inputs and labels 0..K-1 of every sample.
    n_classes : int
        K.
    folds : list of (numpy.ndarray, numpy.ndarray)
        (train, test) positions.
    factories : list of (str, callable)
        Unfitted models.
    advance : callable, optional
        ``advance(1)`` after each fit.
    threads : int
        Threads the fits may use between them (1 for few samples): OpenMP threads, BLAS in
        one (``threadpool_limits_to``).
    together : int
        Folds fitted at the same time (at most ``threads``), each in its own Python thread
        and in one BLAS/OpenMP thread; for models whose work releases the GIL. Each fold
        writes only its own test rows, and every fit runs single-threaded whatever the
        number of cores, so the result does not depend on either.
    beside : bool
        Whether large gradient boosting fits may go to a worker process (``workers.fit_all``;
        ``fits_beside``), when the folds are fitted one after the other.
    rounds : callable, optional
        ``rounds(description, total)``: a bar over the rounds of each large boosting fit
        made here, when the folds are fitted one after the other (``workers.fit_all``).
    models : list, optional
        Filled with one list per fold of its fitted models, in the order of ``factories``
        (``apply_fold``); by default none is kept.

    Returns
    -------
    proba : numpy.ndarray
        (n, K) probabilities.
    model : str
        The models and folds, in words.
    """
    proba = np.zeros((len(y), n_classes))
    limit = 1 if len(y) < SINGLE_THREAD_BELOW else threads
    together = max(1, min(together, limit, len(folds)))
    lock = threading.Lock()
    kept = [[None] * len(factories) for _ in folds]

    def add(test, fitted) -> None:
        classes, p = fitted
        proba[test[:, None], classes[None, :]] += p

    def fit_fold(i: int) -> None:
        train, test = folds[i]
        for j, (_, make) in enumerate(factories):
            model = make().fit(x[train], y[train])
            add(test, (model.classes_, model.predict_proba(x[test])))
            kept[i][j] = model
            if advance is not None:
                with lock:
                    advance(1)

    # thread limits and warning filters are process-wide: set once, around every fold
    with threadpool_limits_to(1 if together > 1 else limit), warnings.catch_warnings():
        # convergence warnings of a capped solver say nothing a user can act on
        warnings.simplefilter("ignore")
        if together > 1:
            run_blocks(fit_fold, range(len(folds)), workers=together)
        else:
            jobs = [(name, make, train, test) for train, test in folds for name, make in factories]
            fitted_models = [] if models is not None else None
            for (_, _, _, test), fitted in zip(jobs, fit_all(jobs, x, y, "predict_proba", beside, advance, rounds,
                                                             fitted_models)):
                add(test, fitted)  # summed in the order of a fit after the other
            if fitted_models:
                kept = [fitted_models[i * len(factories):(i + 1) * len(factories)] for i in range(len(folds))]
    if models is not None:
        models[:] = kept
    return _averaged(proba, len(factories)), " + ".join(name for name, _ in factories) + f", {len(folds)}-fold"


def _averaged(total: np.ndarray, n_models: int) -> np.ndarray:
    """In place: summed probabilities of ``n_models`` models averaged, each row renormalized
    (a class absent from a training fold got no probability there)."""
    total /= n_models
    total /= np.maximum(total.sum(axis=1, keepdims=True), 1e-12)
    return total


def apply_fold(models: list, x: np.ndarray, n_classes: int) -> np.ndarray:
    """The averaged probabilities of one fold's fitted models on other inputs ``x``, as the
    fold's test samples got theirs (``_fit_proba``).

    Parameters
    ----------
    models : list
        The fold's fitted models (``OutOfFold.models[i]``).
    x : numpy.ndarray
        (m, d) inputs, made as the models' training inputs were.
    n_classes : int
        K.

    Returns
    -------
    numpy.ndarray
        (m, K) probabilities.

    Notes
    -----
    The caller sets the thread limits (``threadpool_limits_to``), once around many calls:
    each setting inspects the loaded libraries, about 5 ms.
    """
    proba = np.zeros((len(x), n_classes))
    for model in models:
        proba[:, model.classes_] += apply_in_blocks(model.predict_proba, x)
    return _averaged(proba, len(models))
