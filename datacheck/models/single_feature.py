"""How well each feature alone predicts the label: one vectorized pass over every column.

Leave-one-out, for every column at once: each row's label is predicted from the other rows
with the same value (a column with few distinct values, a category; a missing value is a
value of its own, since "filled in only for one class" is a leak too) or from its
neighbours on either side in the column's sorted order (a numeric column: a one-dimensional
nearest-neighbour model, which follows any threshold, step or monotone map). The vote is
class-balanced and scored by balanced accuracy; a numeric target is predicted by the
neighbours' mean and scored by R², together with the squared correlation of a straight-line
fit (neighbour means are noisier than a line where the relation is one).

``rest_skill`` is the cheap baseline the single columns are compared with: a random forest
and logistic regression (regression: a random forest and ridge) on the other columns,
cross-validated, fitted once for a whole group of suspicious columns.
"""

from __future__ import annotations

import warnings

import numpy as np

from datacheck.scan.parallel import run_blocks

# A column with at most this many distinct values, and ROWS_PER_GROUP rows per value on
# average, is judged value by value; others by the neighbours of each value in the column's
# sorted order (an integer score of many values with a few rows each is ordinal, not a set of
# categories).
MAX_GROUPS = 64
ROWS_PER_GROUP = 10
# Neighbours on each side in sorted order: about sqrt(n) / 2, within these bounds.
MIN_HALF, MAX_HALF = 2, 15
# Columns times rows times classes held at a time: bounds the memory of the vote arrays.
CHUNK_CELLS = 4_000_000
# Rows the rest-of-the-features models see at most; the forest sees at most REST_FOREST
# columns (screened within each fold) and has REST_TREES trees.
REST_ROWS = 3_000
REST_FOREST = 30
REST_TREES = 50


def half_width(n: int) -> int:
    """Neighbours on each side of a value in sorted order for ``n`` rows."""
    return int(np.clip(round(np.sqrt(n) / 2), MIN_HALF, MAX_HALF))


def group_codes(x: np.ndarray) -> np.ndarray:
    """Codes of the distinct values of each column with few of them (at most ``MAX_GROUPS``, and
    ``ROWS_PER_GROUP`` rows per value on average), -1 for the other columns; NaN gets code
    ``MAX_GROUPS``.

    Parameters
    ----------
    x : numpy.ndarray
        float (n, d).

    Returns
    -------
    numpy.ndarray
        int32 (n, d).
    """
    n, d = x.shape
    most = min(MAX_GROUPS, max(2, n // ROWS_PER_GROUP))
    codes = np.full((n, d), MAX_GROUPS, np.int32)
    for j in range(d):
        col = x[:, j]
        ok = ~np.isnan(col)
        if not ok.any():
            continue
        values, inverse = np.unique(col[ok], return_inverse=True)
        if len(values) <= most:
            codes[ok, j] = inverse
        else:
            codes[:, j] = -1
    return codes


def _chunks(d: int, per_column: int):
    step = max(1, CHUNK_CELLS // max(1, per_column))
    for start in range(0, d, step):
        yield slice(start, min(d, start + step))


def _neighbour_sums(x: np.ndarray, v: np.ndarray, half: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``v`` (n, K) over each row's ``half`` neighbours on each side in every column's
    sorted order, itself left out, at sorted positions: (n, d, K), and the order (n, d) (rows
    in each column's sorted order). Ties are ordered at random (seeded); NaN sorts last."""
    n = x.shape[0]
    shuffle = np.random.default_rng(seed).permutation(n)
    order = shuffle[np.argsort(x[shuffle], axis=0, kind="stable")]
    at = v[order]
    cum = np.zeros((n + 1, *at.shape[1:]), np.float32 if at.dtype == np.float32 else np.float64)
    np.cumsum(at, axis=0, out=cum[1:])
    pos = np.arange(n)
    hi, lo = np.minimum(pos + half + 1, n), np.maximum(pos - half, 0)
    return cum[hi] - cum[lo] - at, order


def _group_sums(codes: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sums of ``v`` (n, K) over the other rows with each row's code, per column: (n, d, K)."""
    n, d = codes.shape
    k = v.shape[1]
    width = MAX_GROUPS + 1
    c = codes.astype(np.int64) + (np.arange(d) * width)[None, :]
    totals = np.zeros((d * width, k))
    for j in range(k):
        totals[:, j] = np.bincount(c.ravel(), weights=np.repeat(v[:, j], d), minlength=d * width)
    return totals[c] - v[:, None, :]


def balanced_accuracy(x: np.ndarray, codes: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Leave-one-out balanced accuracy of each column alone (see ``classification_skill``)."""
    return classification_skill(x, codes, y, seed)[0]


def classification_skill(x: np.ndarray, codes: np.ndarray, y: np.ndarray,
                         seed: int = 0, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out balanced accuracy of each column alone, and its sorted order's excess changes.

    Each row's class is predicted from the other rows with the same value (a column with few
    distinct values or a category) or from its nearest values on either side (a numeric
    column), by a vote in which each class counts in proportion to its size.

    Parameters
    ----------
    x : numpy.ndarray
        float (n, d) values (codes of a categorical column; NaN where missing).
    codes : numpy.ndarray
        int (n, d) from ``group_codes`` (categories: their codes).
    y : numpy.ndarray
        int class per row, 0..K-1.
    seed : int
        Seed of the order of tied values.
    threads : int
        Threads over chunks of columns; the result does not depend on it.

    Returns
    -------
    skill, excess : numpy.ndarray, numpy.ndarray
        (d,) balanced accuracy; (d,) ``excess_changes`` of the columns judged in sorted order
        (inf for the columns judged value by value).
    """
    n, d = x.shape
    k = int(y.max()) + 1
    sizes = np.bincount(y, minlength=k).astype(np.float64)
    present = sizes > 0
    onehot = np.zeros((n, k), np.float32)
    onehot[np.arange(n), y] = 1.0
    skill, excess = np.empty(d), np.full(d, np.inf)
    grouped = codes[0] >= 0 if n else np.ones(d, bool)

    def recall(hit: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Balanced accuracy per column from hits (n, m) at rows whose classes are ``labels``."""
        m = hit.shape[1]
        per = np.bincount((labels + k * np.arange(m)[None, :]).ravel(), weights=hit.ravel(),
                          minlength=m * k).reshape(m, k)
        return (per[:, present] / sizes[present]).mean(axis=1)

    def by_value(idx: np.ndarray) -> None:
        votes = _group_sums(codes[:, idx], onehot)
        # each class in proportion to its size (itself left out); an empty group ties
        score = votes / np.maximum(sizes[None, None, :] - onehot[:, None, :], 1)
        score[..., ~present] = -1.0
        skill[idx] = recall(score.argmax(axis=2) == y[:, None], np.broadcast_to(y[:, None], (n, len(idx))))

    def by_order(idx: np.ndarray) -> None:
        # at sorted positions: each column's rows in sorted order, ties at random
        votes, order = _neighbour_sums(x[:, idx], onehot, half_width(n), seed)
        ys = y[order]
        score = votes / np.maximum(sizes[None, None, :] - onehot[order], 1)
        score[..., ~present] = -1.0
        skill[idx] = recall(score.argmax(axis=2) == ys, ys)
        excess[idx] = ((ys[1:] != ys[:-1]).sum(axis=0) - (int(present.sum()) - 1)) / max(n, 1)

    # chunks of columns in threads (numpy's sorts and sums release the GIL); each writes its own
    for judge, where in ((by_value, np.flatnonzero(grouped)), (by_order, np.flatnonzero(~grouped))):
        chunks = [where[cols] for cols in _chunks(len(where), n * k * 2)]
        run_blocks(lambda i: judge(chunks[i]), range(len(chunks)), workers=threads)
    return skill, excess


def r2(x: np.ndarray, codes: np.ndarray, y: np.ndarray, numeric: np.ndarray | None = None,
       seed: int = 0, threads: int = 1) -> np.ndarray:
    """Leave-one-out R² of each column alone: the better of its neighbours' mean and a line.

    Parameters
    ----------
    x : numpy.ndarray
        float (n, d) values (NaN where missing).
    codes : numpy.ndarray
        int (n, d) from ``group_codes``.
    y : numpy.ndarray
        float target per row.
    numeric : numpy.ndarray, optional
        bool (d,): columns whose straight-line fit counts too (not categories); default all.
    seed : int
        Seed of the order of tied values.
    threads : int
        Threads over chunks of columns; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        (d,) R² (0 or less: no better than the mean).
    """
    n, d = x.shape
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0 or n < 3:
        return np.zeros(d)
    v = np.column_stack([y, np.ones(n)])
    mean_other = (y.sum() - y) / (n - 1)
    out = np.empty(d)
    grouped = codes[0] >= 0

    def judge(idx: np.ndarray, sort: bool) -> None:
        if sort:  # at sorted positions (the squared errors do not depend on the order)
            sums, order = _neighbour_sums(x[:, idx], v, half_width(n), seed)
            target, fallback = y[order], mean_other[order]
        else:
            sums, target, fallback = _group_sums(codes[:, idx], v), y[:, None], mean_other[:, None]
        pred = np.where(sums[..., 1] > 0, sums[..., 0] / np.maximum(sums[..., 1], 1), fallback)
        out[idx] = 1 - ((target - pred) ** 2).sum(axis=0) / total

    # chunks of columns in threads, as classification_skill's
    chunks = []
    for sort in (False, True):
        where = np.flatnonzero(grouped != sort)
        chunks += [(where[cols], sort) for cols in _chunks(len(where), n * 8)]
    run_blocks(lambda i: judge(*chunks[i]), range(len(chunks)), workers=threads)
    line = _line_r2(x, y)
    if numeric is not None:
        line = np.where(numeric, line, -np.inf)
    return np.maximum(out, line)


def _line_r2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Squared correlation of each column with ``y`` over its finite values (0 for too few)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    xz = np.where(ok, x, 0.0)
    yz = np.where(ok, y[:, None], 0.0)
    mx, my = xz.sum(0) / np.maximum(n, 1), yz.sum(0) / np.maximum(n, 1)
    dx, dy = np.where(ok, x - mx, 0.0), np.where(ok, y[:, None] - my, 0.0)
    sxy, sxx, syy = (dx * dy).sum(0), (dx * dx).sum(0), (dy * dy).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho2 = sxy ** 2 / (sxx * syy)
    # the fit is on every row, not cross-fitted; it has two parameters, so ask for enough rows,
    # and weigh a column by the share of rows it covers
    return np.where((n >= 30) & np.isfinite(rho2), rho2 * n / len(y), 0.0)


def rest_skill(x: np.ndarray, y: np.ndarray, *, regression: bool, seed: int) -> tuple[float, str]:
    """Cross-validated skill of models on the given columns (the rest of the features).

    Parameters
    ----------
    x : numpy.ndarray
        float (n, d) features (NaN where missing; categories as codes), d may be 0.
    y : numpy.ndarray
        Class per row (0..K-1), or the numeric target.
    regression : bool
        R² of a random forest and ridge regression; else balanced accuracy of a random
        forest and logistic regression. The better of the two.
    seed : int
        Seed of the folds and the subsample.

    Returns
    -------
    skill, model : float, str
        Chance (1/K) or 0 without columns.
    """
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    if x.shape[1] == 0:
        return (0.0 if regression else 1.0 / len(np.unique(y))), "no other features"
    if len(y) > REST_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), REST_ROWS, replace=False))
        x, y = x[keep], y[keep]
    missing = np.isnan(x)
    if missing.any():
        fill = np.nan_to_num(np.nanmedian(np.where(missing.all(axis=0), 0.0, x), axis=0))
        x = np.where(missing, fill, x)
    sd = x.std(axis=0)
    standardized = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if regression:
        cv = KFold(3, shuffle=True, random_state=seed)
        models = [("random forest", _screened(RandomForestRegressor(REST_TREES, min_samples_leaf=2, max_features=0.5,
                                                                    random_state=seed), x.shape[1], True), x),
                  ("ridge regression", Ridge(1.0), standardized)]
        score = r2_score
    else:
        folds = int(min(3, np.bincount(np.unique(y, return_inverse=True)[1]).min()))
        if folds < 2:
            return 1.0 / len(np.unique(y)), "too few samples"
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        models = [("random forest", _screened(RandomForestClassifier(REST_TREES, min_samples_leaf=2, random_state=seed),
                                              x.shape[1], False), x),
                  ("logistic regression", LogisticRegression(max_iter=300), standardized)]
        score = balanced_accuracy_score
    best, name = -np.inf, ""
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, model, inputs in models:
            value = float(score(y, cross_val_predict(model, inputs, y, cv=cv)))
            if value > best:
                best, name = value, label
    return best, name


def _screened(model, d: int, regression: bool):
    """``model`` on the ``REST_FOREST`` columns of highest F statistic, chosen inside each fold
    (screening on every row first would leak the held-out labels into the choice)."""
    if d <= REST_FOREST:
        return model
    from sklearn.feature_selection import SelectKBest, f_classif, f_regression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(SelectKBest(f_regression if regression else f_classif, k=REST_FOREST), model)


def excess_changes(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Label changes between neighbours in each column's sorted order, beyond the fewest
    possible (one fewer than the classes), as a share of the rows.

    0 when the column sorts the rows into one run per class: its values map one-to-one to
    classes through thresholds. Ties are ordered at random (seeded), so a column of few
    distinct values scores high unless each value holds one class.

    Parameters
    ----------
    x : numpy.ndarray
        float (n, d).
    y : numpy.ndarray
        int class per row.
    seed : int
        Seed of the order of tied values.

    Returns
    -------
    numpy.ndarray
        (d,) share of rows.
    """
    n, d = x.shape
    shuffle = np.random.default_rng(seed).permutation(n)
    order = shuffle[np.argsort(x[shuffle], axis=0, kind="stable")]
    ys = y[order]
    changes = (ys[1:] != ys[:-1]).sum(axis=0)
    return (changes - (len(np.unique(y)) - 1)) / max(n, 1)
