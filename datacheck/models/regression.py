"""Out-of-fold predictions of a regression target, and whether the inputs predict it at all.

The pooled samples and their features are those of the classification path
(``oof.pooled``, ``oof.pooled_features``); a K-fold split (training parts capped at
``MAX_TRAIN``) gives every sample predictions by models that never saw it: ridge regression
(a linear model, its penalty chosen by efficient leave-one-out) and histogram gradient
boosting (a tree ensemble: thresholds, interactions; on a large table only where a cheap
probe shows that it helps, ``boosting_pays_regression``). Their average is kept as a third
candidate; the prediction used is the candidate with the highest out-of-fold R².

``regression_relation`` is the permutation test of ``learnability``, on the target's ranks:
a cheap ridge model, 3-fold on a subsample, refit on a few seeded permutations of the ranks
gives the correlation of out-of-fold predictions with a target unrelated to the inputs.
Where neither family beats it, gradient boosting on the unreduced features that best split
the target one at a time is tried before the target is called unrelated (one informative
column among thousands).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from datacheck.models.estimators import (FOLD_BINS, HGB_FROM, PROBE_TEST, PROBE_TRAIN, SCREENED_FEATURES,
                                         SCREENED_ROUNDS, probe_booster)
from datacheck.models.oof import (DEFAULT_MAX_SAMPLES, MAX_TRAIN, SINGLE_THREAD_BELOW, fit_threads,
                                  fits_beside, keeps_models, model_threads, n_folds, pooled, pooled_features,
                                  reduced_inputs, sub_steps, threadpool_limits_to)
from datacheck.models.permutation import PERMUTATION_FOLDS, PERMUTATION_SAMPLES, RELATED_Z, WEAK_SKILL
from datacheck.models import workers
from datacheck.models.pool import Pool
from datacheck.scan.sample import stratified_sample, target_bins

RIDGE_ALPHAS = np.logspace(-3, 3, 7)
# Gradient boosting joins ridge regression on a large table where a probe shows that it, or
# the average of the two, scores this much more than ridge alone (``boosting_pays_regression``),
# trained on targets clipped this many robust standard deviations around their median.
PROBE_MARGIN = 0.01
PROBE_CLIP = 5.0


@dataclass
class RegressionOutOfFold:
    """Out-of-fold predictions of the pooled samples' target.

    Parameters
    ----------
    pool : Pool
        Which samples (split, row) were modelled.
    target : numpy.ndarray
        float64 given target per pooled sample.
    predicted : numpy.ndarray
        float64 out-of-fold prediction of the best candidate.
    r2 : dict
        Out-of-fold R² per candidate (family name, or ``average``).
    best : str
        The candidate whose predictions are kept.
    x : numpy.ndarray
        (n, d) model inputs (reduced features), for the permutation test.
    model : str
        The models, in words.
    features : str
        The features, in words.
    folds : list of (numpy.ndarray, numpy.ndarray)
        The (train, test) positions of each fold.
    families : list of (str, callable)
        The families fitted (``regression_factories``, boosting left out where its probe
        showed no gain), for a refit.
    notes : list of str
        Sampling and left-out columns, for the findings.
    models : list of list
        Where the other samples are to be judged by these models (``oof.keeps_models``):
        each fold's fitted models, one per family; else empty.
    """

    pool: Pool
    target: np.ndarray
    predicted: np.ndarray
    r2: dict
    best: str
    x: np.ndarray
    model: str
    features: str
    folds: list
    families: list
    notes: list[str] = field(default_factory=list)
    models: list = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of modelled samples."""
        return int(len(self.target))

    @property
    def best_r2(self) -> float:
        """Out-of-fold R² of the kept predictions."""
        return float(self.r2[self.best])

    def sample_ids(self, ctx, positions) -> list[str]:
        """Report names of pooled samples, in the order given."""
        return self.pool.sample_ids(ctx, positions)

    def weights(self, best: str | None = None) -> np.ndarray:
        """Each family's weight in the candidate ``best`` (default the kept one): one family's
        predictions, or the average of all."""
        best = self.best if best is None else best
        names = [name for name, _ in self.families]
        if best == "average":
            return np.full(len(names), 1 / len(names))
        return np.array([float(name == best) for name in names])


@dataclass(frozen=True)
class RegressionRelation:
    """How well the inputs predict a regression target, against permuted targets.

    Parameters
    ----------
    r2 : float
        Out-of-fold R² of the best candidate of the main models.
    best_r2 : float
        The best of the families tried (the screened family only where the main models find
        no signal).
    found_by : str
        The family that reached it, in words.
    null_r2 : float
        Mean R² of the cheap model under permuted targets (ranks).
    correlation : float
        The test statistic: the best rank correlation of out-of-fold predictions with the
        target (the cheap model is fit to the target's ranks); more powerful than R², which
        also charges the variance of the predictions, and robust to outlying targets.
    null_mean, null_std : float
        That correlation for the cheap model under permuted targets.
    z_score : float
        Of the observed correlation against the null.
    p_value : float
        Share of permutations scoring at least the observed score (with the usual +1).
    n_permutations : int
        Permutations run.
    related : bool
        Whether the target is related to the inputs (``z_score >= RELATED_Z``).
    """

    r2: float
    best_r2: float
    found_by: str
    null_r2: float
    correlation: float
    null_mean: float
    null_std: float
    z_score: float
    p_value: float
    n_permutations: int
    related: bool


def r2_score(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination: 1 - SSE / SST (0 predicts the mean, below 0 worse)."""
    sst = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / sst if sst > 0 else 0.0


def regression_out_of_fold(ctx) -> RegressionOutOfFold:
    """The cached out-of-fold regression predictions of ``ctx`` (computed on first use)."""
    return ctx.cached("oof_regression", lambda: _compute(ctx))


def _compute(ctx) -> RegressionOutOfFold:
    pool = pooled(ctx)
    feats = pooled_features(ctx)
    target = targets_of(ctx, pool)
    seed = ctx.seed
    x = reduced_inputs(ctx)
    folds = regression_folds(pool.y, seed)
    families = regression_factories(seed, len(folds[0][0]))
    if feats.kind == "table" and len(folds[0][0]) >= HGB_FROM and not boosting_pays_regression(
            x, target, folds[0][0], folds[0][1], seed):
        families = families[:1]
    advance = sub_steps(ctx, f"cross-validated regression models ({len(folds)} folds, {len(target):,} samples)",
                        len(folds) * len(families))
    models = [] if keeps_models(ctx, pool, feats.kind) else None
    preds = fit_predict(x, target, folds, families, threads=fit_threads(x, feats.kind, ctx.options),
                        advance=advance, beside=fits_beside(ctx),
                        rounds=partial(sub_steps, ctx), models=models)
    candidates = dict(zip([name for name, _ in families], preds))
    candidates["average"] = np.mean(preds, axis=0)
    r2 = {name: r2_score(target, p) for name, p in candidates.items()}
    best = max(r2, key=r2.get)
    model = " + ".join(name for name, _ in families) + f", {len(folds)}-fold"
    return RegressionOutOfFold(pool, target, candidates[best], r2, best, x, model, feats.description, folds,
                               families, list(pool.notes), models or [])


def targets_of(ctx, pool: Pool) -> np.ndarray:
    """The float64 target values of the samples of ``pool``, in its order."""
    target = np.empty(len(pool))
    for k, name in enumerate(pool.split_names):
        at, rows = pool.rows_of(k)
        target[at] = ctx.target(name)[rows]
    return target


def start_worker_early(dataset, options: dict) -> None:
    """Start the worker process of ``workers.fit_all`` now where the regression models will
    send it gradient boosting fits, judged from the loaded dataset before its scan.

    That is a regression table (its fits run in one thread, ``oof.fit_threads``) with CPUs
    to spare (``oof.model_threads``), whose labelled rows and columns give folds of
    ``workers.OFFLOAD_CELLS`` (training samples times columns) or more. The worker takes a
    second or two to start; begun while the data is scanned and the model libraries are
    imported, it is ready for the first fold. Started after the scan instead, a fresh profile
    of 100,000 x 50 took 1.12x as long (median of five pairs); with the first fit, the worker
    came only as the first fold's boosting ended. A wrong guess costs the worker's start,
    never a result.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset, its task set.
    options : dict
        Run-wide options (``workers``, ``noise_max_samples``).
    """
    try:
        if not dataset.is_regression or dataset.modality != "tabular" or model_threads(options) < 2:
            return
        schemas = [split.schema for split in dataset.splits.values() if split.schema is not None]
        width = max(len(schema.names) for schema in schemas) - len(dataset.key_columns) if schemas else 0
        labelled = sum(int(np.count_nonzero(split.y >= 0)) for split in dataset.splits.values())
    except Exception:  # noqa: BLE001 - the checks that model the target report it when they run
        return
    n = min(labelled, int(options.get("noise_max_samples", DEFAULT_MAX_SAMPLES)))
    smallest_train = n - -(-n // n_folds(n))  # a fold's training part, before the MAX_TRAIN cap
    if width > 0 and min(MAX_TRAIN, smallest_train) * width >= workers.OFFLOAD_CELLS:
        workers.start()


def regression_folds(codes: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold (train, test) positions, stratified by quantile bins of the target; training
    parts capped at ``MAX_TRAIN``.

    Parameters
    ----------
    codes : numpy.ndarray
        Target codes in value order (ranks), one per sample.
    seed : int
        Seed of the split and of the caps.
    """
    from sklearn.model_selection import StratifiedKFold

    k = n_folds(len(codes))
    # bins of about k samples or more each, so that every fold sees the whole range of the
    # target; tied values can leave a bin a few short, which only spreads it over fewer folds
    bins = target_bins(codes, max(1, min(10, len(codes) // k)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(codes)), bins))
    out = []
    for i, (train, test) in enumerate(splits):
        if len(train) > MAX_TRAIN:
            train = train[stratified_sample(bins[train], MAX_TRAIN, 1, seed + i)]
        out.append((train, test))
    return out


def regression_factories(seed: int, n_train: int) -> list[tuple[str, object]]:
    """The two families, as (name, factory) pairs returning unfitted scikit-learn regressors,
    for folds of ``n_train`` training samples."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV

    def linear():
        return RidgeCV(alphas=RIDGE_ALPHAS)

    def boosting():
        # 140 rounds at 0.15 (scikit-learn's default rate is 0.1), stopped after 20 rounds
        # without a better validation loss: with 10 the stop fell on a noisy plateau (on two
        # halves of a 100,000 x 50 Friedman table, 64 of 200 rounds at 0.1 gave a held-out R²
        # of 0.960 where all 200 gave 0.979; 87 of 140 at 0.15 gave 0.965), with 20 both
        # halves reach 0.977-0.979; Friedman's function on 1,000-50,000 samples scores within
        # 0.002 of 200 rounds at 0.1, in 0.7x the rounds from 50,000. Below HGB_FROM training
        # samples features are binned into FOLD_BINS quantiles, as the classifiers' are, where
        # finding each node's split costs more than filling its histograms: Ames house prices
        # (2,930 x 73, 40 columns one-hot) profiled in 0.6x the time (9.1 s to 5.6 s), R² 0.875
        # and 0.872. Not above: a smooth target then needs the finer bins, and more rounds
        # without them (100,000 x 50 Friedman: 2.1 s and R² 0.961 with 255, 2.9 s and 0.947 with 63)
        bins = FOLD_BINS if n_train < HGB_FROM else 255
        return HistGradientBoostingRegressor(max_iter=140, learning_rate=0.15, max_bins=bins,
                                             early_stopping=True, n_iter_no_change=20, random_state=seed)

    return [("ridge regression", linear), ("gradient boosting", boosting)]


def boosting_pays_regression(x: np.ndarray, target: np.ndarray, train: np.ndarray, test: np.ndarray,
                             seed: int) -> bool:
    """Whether gradient boosting helps ridge regression predict the target: a cheap probe.

    Ridge regression and the probes' small gradient boosting (``estimators.probe_booster``)
    are fitted on a seeded sample of ``train`` (at most ``PROBE_TRAIN``) and scored on one
    of ``test`` (at most ``PROBE_TEST``); boosting helps where it, or its average with ridge,
    scores ``PROBE_MARGIN`` above ridge alone. Both the fit and the score resist wrong
    targets, which would otherwise decide the verdict: the training targets are clipped to
    ``PROBE_CLIP`` robust standard deviations (1.4826 median absolute deviations) around
    their median, and the score is one minus the median absolute error over the median
    absolute deviation of the targets (with R², 3% of targets ten times too large on a
    Friedman table made boosting look useless).

    Parameters
    ----------
    x, target : numpy.ndarray
        Model inputs and target of every sample.
    train, test : numpy.ndarray
        Disjoint positions (a fold's parts).
    seed : int
        Seed of the samples and the boosting.

    Returns
    -------
    bool
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV

    rng = np.random.default_rng(seed)
    if len(train) > PROBE_TRAIN:
        train = np.sort(rng.choice(train, PROBE_TRAIN, replace=False))
    if len(test) > PROBE_TEST:
        test = np.sort(rng.choice(test, PROBE_TEST, replace=False))
    fit_on = target[train]
    centre = float(np.median(fit_on))
    spread = 1.4826 * float(np.median(np.abs(fit_on - centre)))
    if spread > 0:
        fit_on = np.clip(fit_on, centre - PROBE_CLIP * spread, centre + PROBE_CLIP * spread)
    boosting = probe_booster(HistGradientBoostingRegressor, seed)
    with threadpool_limits_to(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear, boosted = (model.fit(x[train], fit_on).predict(x[test])
                           for model in (RidgeCV(alphas=RIDGE_ALPHAS), boosting))
    y = target[test]
    typical = float(np.median(np.abs(y - np.median(y))))
    if typical <= 0:
        return True

    def score(pred: np.ndarray) -> float:
        return 1.0 - float(np.median(np.abs(y - pred))) / typical

    return max(score(boosted), score((linear + boosted) / 2)) >= score(linear) + PROBE_MARGIN


def fit_predict(x: np.ndarray, target: np.ndarray, folds, families, keep=None, threads: int | None = None,
                advance=None, beside: bool = False, rounds=None, models: list | None = None) -> list[np.ndarray]:
    """Out-of-fold predictions of each family, fold by fold.

    Parameters
    ----------
    x, target : numpy.ndarray
        Inputs and target of every sample.
    folds : list of (numpy.ndarray, numpy.ndarray)
        (train, test) positions.
    families : list of (str, callable)
        Factories of unfitted regressors.
    keep : numpy.ndarray, optional
        Boolean mask of the samples a model may train on (all by default).
    threads : int, optional
        OpenMP threads of the fits (BLAS runs in one, ``threadpool_limits_to``); default
        ``model_threads()``; 1 for few samples.
    advance : callable, optional
        ``advance(1)`` after each fit (a progress bar's).
    beside : bool
        Whether large gradient boosting fits may go to a worker process
        (``workers.fit_all``; ``oof.fits_beside``).
    rounds : callable, optional
        ``rounds(description, total)``: a bar over the rounds of each large boosting fit
        made here (``workers.fit_all``).
    models : list, optional
        Filled with one list per fold of its fitted models, one per family; by default none
        is kept.

    Returns
    -------
    list of numpy.ndarray
        One (n,) prediction per family.
    """
    out = [np.zeros(len(target)) for _ in families]
    limit = 1 if len(target) < SINGLE_THREAD_BELOW else (threads or model_threads())
    jobs, where = [], []
    for train, test in folds:
        if keep is not None:
            train = train[keep[train]]
        for j, (name, make) in enumerate(families):
            jobs.append((name, make, train, test))
            where.append(j)
    with threadpool_limits_to(limit), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = [] if models is not None else None
        fitted = workers.fit_all(jobs, x, target, "predict", beside, advance, rounds, kept)
    for j, (_, _, _, test), (_, predicted) in zip(where, jobs, fitted):
        out[j][test] = predicted
    if models is not None:
        models[:] = [kept[i * len(families):(i + 1) * len(families)] for i in range(len(folds))]
    return out


def regression_relation(ctx, n_permutations: int = 10, weak_skill: float = WEAK_SKILL) -> RegressionRelation:
    """The cached permutation test of a regression target (shared by learnability and
    label_noise); the screened family is tried where the main models find no relation, or an
    R² below ``weak_skill``."""
    def build():
        oof = regression_out_of_fold(ctx)
        return _relation(oof, n_permutations, ctx.seed, lambda: pooled_features(ctx).x, weak_skill)
    return ctx.cached(f"regression_relation:{n_permutations}:{weak_skill}", build)


def _relation(oof: RegressionOutOfFold, n_permutations: int, seed: int, inputs,
              weak_skill: float = WEAK_SKILL) -> RegressionRelation:
    y = oof.target
    sub = np.arange(len(y))
    if len(y) > PERMUTATION_SAMPLES:
        sub = stratified_sample(target_bins(oof.pool.y), PERMUTATION_SAMPLES, 1, seed)
    rng = np.random.default_rng(seed)
    # the test runs on the target's ranks: a monotone transform keeps any relation, and a few
    # targets a hundred times too large can neither hide one nor fake one
    x_s, y_s = oof.x[sub], _ranks(y[sub])
    cheap = _cv_predict(x_s, y_s, seed, _cheap)
    null_r2, null_corr = [], []
    for _ in range(n_permutations):
        shuffled = rng.permutation(y_s)
        pred = _cv_predict(x_s, shuffled, seed, _cheap)
        null_r2.append(r2_score(shuffled, pred))
        null_corr.append(correlation(shuffled, pred))
    null_corr = np.array(null_corr)
    score = max(correlation(y_s, _ranks(oof.predicted[sub])), correlation(y_s, cheap))
    null_mean = float(null_corr.mean()) if len(null_corr) else 0.0
    # a floor for few permutations: the spread of the correlation of independent predictions
    null_std = float(max(null_corr.std(ddof=1) if len(null_corr) > 1 else 0.0, 1.0 / np.sqrt(len(sub))))
    best, found_by = oof.best_r2, "the main models"
    if _z(score, null_mean, null_std) < RELATED_Z or best < weak_skill:
        raw = inputs()[sub]

        def screened(target):
            return _cv_predict(raw, target, seed, lambda: screened_boosting_regressor(raw.shape[1], seed))
        other = correlation(y_s, screened(y_s))
        if other > score:
            score, found_by = other, "gradient boosting on screened features"
            best = max(best, r2_score(y[sub], screened(y[sub])))
    z = _z(score, null_mean, null_std)
    p = (1 + int(np.sum(null_corr >= score))) / (1 + len(null_corr))
    return RegressionRelation(r2=oof.best_r2, best_r2=float(best), found_by=found_by,
                              null_r2=float(np.mean(null_r2)) if null_r2 else 0.0, correlation=float(score),
                              null_mean=null_mean, null_std=null_std, z_score=float(z), p_value=float(p),
                              n_permutations=len(null_corr), related=bool(z >= RELATED_Z))


def correlation(y: np.ndarray, pred: np.ndarray) -> float:
    """Pearson correlation of predictions with the target (0 where either is constant)."""
    yc, pc = y - y.mean(), pred - pred.mean()
    denom = float(np.sqrt(np.sum(yc ** 2) * np.sum(pc ** 2)))
    return float(np.sum(yc * pc)) / denom if denom > 0 else 0.0


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks, standardized (ties share their mean rank)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0
    r = mean_rank[inverse]
    return (r - r.mean()) / max(float(r.std()), 1e-12)


def _z(score: float, null_mean: float, null_std: float) -> float:
    return (score - null_mean) / null_std if null_std > 0 else np.inf


def _cheap():
    from sklearn.linear_model import Ridge

    return Ridge(alpha=1.0)


def _cv_predict(x: np.ndarray, y: np.ndarray, seed: int, make) -> np.ndarray:
    """Cross-validated predictions (``PERMUTATION_FOLDS`` folds) of the models ``make()`` returns."""
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    pred = np.zeros(len(y))
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in KFold(PERMUTATION_FOLDS, shuffle=True, random_state=seed).split(x):
            pred[test] = make().fit(x[train], y[train]).predict(x[test])
    return pred


def screened_boosting_regressor(d: int, seed: int):
    """Univariate screening (``variance_gain``) then gradient boosting, as one unfitted pipeline."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.feature_selection import SelectKBest
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        SelectKBest(variance_gain, k=min(SCREENED_FEATURES, d)),
        HistGradientBoostingRegressor(max_iter=SCREENED_ROUNDS, max_depth=3, learning_rate=0.2,
                                      early_stopping=False, random_state=seed))


def variance_gain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per feature, the largest share of the target's variance that one threshold on it explains.

    Vectorized over features: each column is sorted once; the target's sums and sums of
    squares left of every cut are cumulative sums. Cuts between equal values are not allowed.

    Parameters
    ----------
    x : numpy.ndarray
        (n, d) features.
    y : numpy.ndarray
        (n,) target.

    Returns
    -------
    numpy.ndarray
        (d,) explained share in [0, 1], 0 for a constant column.
    """
    n = len(y)
    y = np.asarray(y, np.float64) - np.mean(y)
    sst = float(np.sum(y ** 2))
    if n < 2 or sst <= 0:
        return np.zeros(x.shape[1])
    order = np.argsort(x, axis=0, kind="stable")
    left_n = np.arange(1, n, dtype=np.float64)[:, None]
    left = np.cumsum(y[order], axis=0)[:-1]  # (n-1, d); the right sums are -left (y is centred)
    # between-group sum of squares of a cut: S_l^2/n_l + S_r^2/n_r
    between = left ** 2 / left_n + left ** 2 / (n - left_n)
    values = np.take_along_axis(x, order, axis=0)
    between[values[1:] == values[:-1]] = 0.0
    return between.max(axis=0) / sst
