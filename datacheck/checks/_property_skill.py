"""How well one image property alone predicts the label: a cross-fitted binned vote.

Used by ``shortcuts``. A property (one or a few numeric columns, or a category code) is cut
into quantile bins fitted on all folds but one; each held-out image is given the class whose
share of its bin, relative to the class's size, is largest (a class-balanced vote), and the
held-out predictions are scored by balanced accuracy.
"""

from __future__ import annotations

import numpy as np

N_FOLDS = 5
# Images per bin wanted at least; bins per column at most (a few columns share the cells).
ROWS_PER_BIN = 20
MAX_CELLS = 64
SMOOTHING = 0.5


def folds_of(y: np.ndarray, seed: int) -> np.ndarray:
    """A fold number per image, round-robin within each class (seeded)."""
    order = np.random.default_rng(seed).permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]
    fold = np.empty(len(y), np.int64)
    fold[order] = np.arange(len(y)) % N_FOLDS
    return fold


def _bin_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges of one column's bins (``searchsorted(..., side="right")`` applies them).

    A column of at most ``bins`` distinct values gets a bin per value; otherwise quantile
    edges, duplicates dropped (a value repeated across a quantile shares one bin).
    """
    distinct = np.unique(values)
    if len(distinct) <= bins:
        return distinct[1:]
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))


def cell_codes(x: np.ndarray, train: np.ndarray, cells: int) -> np.ndarray:
    """Joint bin code of each row of ``x`` (n, d), with quantile edges fitted on ``train`` rows.

    Each column gets about ``cells ** (1 / d)`` bins, so the joint cells number about ``cells``.
    """
    n, d = x.shape
    per_col = max(2, int(round(cells ** (1.0 / d))))
    code = np.zeros(n, np.int64)
    for j in range(d):
        edges = _bin_edges(x[train, j], per_col)
        code = code * (per_col + 1) + np.searchsorted(edges, x[:, j], side="right")
    return code


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Mean recall over the classes present in ``y``."""
    sizes = np.bincount(y, minlength=k)
    hits = np.bincount(y[pred == y], minlength=k)
    present = sizes > 0
    return float((hits[present] / sizes[present]).mean()) if present.any() else 0.0


def property_skill(x: np.ndarray | None, y: np.ndarray, fold: np.ndarray, *,
                   categories: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Cross-fitted balanced accuracy of one property alone.

    Parameters
    ----------
    x : numpy.ndarray or None
        float (n, d) numeric columns of the property (finite); None for a categorical one.
    y : numpy.ndarray
        int class per image, 0..K-1.
    fold : numpy.ndarray
        Fold per image (``folds_of``).
    categories : numpy.ndarray, optional
        int codes of a categorical property (instead of ``x``).

    Returns
    -------
    (float, numpy.ndarray)
        The balanced accuracy and the held-out prediction per image.
    """
    n = len(y)
    k = int(y.max()) + 1
    sizes = np.bincount(y, minlength=k)
    pred = np.zeros(n, np.int64)
    for f in range(N_FOLDS):
        test = fold == f
        train = ~test
        if not test.any() or not train.any():
            continue
        if categories is not None:
            code = categories.astype(np.int64)
        else:
            cells = int(np.clip(train.sum() // ROWS_PER_BIN, 2, MAX_CELLS))
            code = cell_codes(x, train, cells)
        width = int(code.max()) + 1
        counts = np.bincount(code[train] * k + y[train], minlength=width * k).reshape(width, k)
        per_class = counts.sum(axis=0)
        score = (counts + SMOOTHING) / (per_class + SMOOTHING * width)
        score[:, sizes == 0] = -1.0
        pred[test] = score[code[test]].argmax(axis=1)
    return balanced_accuracy(y, pred, k), pred
