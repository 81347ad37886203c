"""Tables whose columns are the pixels of small square images: a pixel CSV (Kaggle's MNIST and
Fashion-MNIST ``train.csv``: ``label, pixel0 .. pixel783``), or scikit-learn's digits as 64
columns.

Such a table's label is a category a person can tell from the image, not an outcome its
columns only partly determine, which the label-noise check reads differently
(``label_noise.SLOPE_MAX``); and a bright pixel (255) in a column that is mostly dark is
within the image's range, not a wrong entry (``outliers``). A table is taken for pixels where
its feature columns are numeric alone (in every split), their number is the area of a square
image (of one channel, or of three, as planes or interleaved), every value is a whole number
from 0 to 255, and, each row's mean taken off (an image's brightness), neighbouring pixels
across and down vary together clearly more than pixels half a row or half an image apart. A
survey of 64 answers scored 1-5 has the shape and the values, not the grid; a series of 64 or
784 readings (a random walk, sines) correlates half a row apart as much as a row apart, and is
no grid either.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

import numpy as np

# Images of at least this many pixels a channel (8 x 8, as digits).
MIN_PIXELS = 64
MAX_VALUE = 255
# Rows the grid is measured on, at most (evenly spaced over the training split's).
SAMPLE_ROWS = 1_000
# Neighbouring pixels, across and down, correlate at least this much on average ...
NEIGHBOUR_CORR = 0.25
# ... and each of the two this much more than pixels half a row and half an image apart.
# Measured with each row's mean taken off (1,000 rows): scikit-learn's digits, across 0.29
# and down 0.58, 0.29 above the others; Fashion-MNIST 0.76 and 0.84, 0.75 above; 28 x 28 tiles
# of five scikit-image photos 0.89 and 0.92, 0.91 above. Not pixels: random walks and sines
# of 64 and 784 steps laid out so, 0.07-0.73 under; 64 correlated 1-5 answers, 0.
NEIGHBOUR_MARGIN = 0.15


@dataclass(frozen=True)
class PixelGrid:
    """The image shape of a pixel table's columns.

    Parameters
    ----------
    channels, side : int
        Channels and the side of the square images.
    neighbours, apart : float
        Mean correlation of neighbouring pixels (across or down, the lower) and of pixels half
        a row or half an image apart (the higher), each row's mean taken off.
    """

    channels: int
    side: int
    neighbours: float
    apart: float

    def __str__(self) -> str:
        return f"{self.side}x{self.side}" + (f"x{self.channels}" if self.channels > 1 else "")


def pixel_grid(ctx) -> PixelGrid | None:
    """The square-image grid of a table's feature columns (or a 2-D array's), or None where
    they are no pixels (cached). Read from the scan: the columns' aggregates, then
    ``SAMPLE_ROWS`` training rows.

    Parameters
    ----------
    ctx : CheckContext
        The dataset and its scan.
    """
    return ctx.cached("pixel_grid", lambda: _grid(ctx))


def _grid(ctx) -> PixelGrid | None:
    splits = ctx.splits()
    if any(s.columns is None or s.feature_stats is None or s.other_columns for s in splits):
        return None
    names = splits[0].feature_stats.names
    shapes = [(c, isqrt(len(names) // c)) for c in (1, 3)]
    shapes = [(c, side) for c, side in shapes if side * side * c == len(names) and side * side >= MIN_PIXELS]
    if not shapes or any(s.feature_stats.names != names or not _in_range(s.feature_stats) for s in splits):
        return None
    columns = ctx.scan.splits[ctx.train_name].columns
    rows = np.unique(np.linspace(0, columns.shape[1] - 1, min(columns.shape[1], SAMPLE_ROWS)).astype(np.int64))
    x = columns[:, rows]
    if x.shape[1] < 3 or not np.array_equal(x, np.round(x)):
        return None
    z = _standardized(x)
    for channels, side in shapes:
        for layout in ("planes", "interleaved") if channels > 1 else ("planes",):
            grid = _measure(z, channels, side, layout)
            if grid is not None:
                return grid
    return None


def _in_range(stats) -> bool:
    """Whether every column holds finite values from 0 to ``MAX_VALUE`` alone."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(stats.n_nan + stats.n_inf == 0) and np.all(stats.min >= 0)
                    and np.all(stats.max <= MAX_VALUE))


def _standardized(x: np.ndarray) -> np.ndarray:
    """(columns, rows) float32: each row's mean taken off, then standardized per column;
    constant columns (image borders) NaN."""
    x = x - x.mean(axis=0)
    std = x.std(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, (x - x.mean(axis=1, keepdims=True)) / std, np.nan).astype(np.float32)


def _measure(z: np.ndarray, channels: int, side: int, layout: str) -> PixelGrid | None:
    """The grid where ``z``'s columns, laid out as (channels, side, side) planes or as
    interleaved (side, side, channels) pixels, pass the neighbour tests."""
    index = np.arange(len(z)).reshape((channels, side, side) if layout == "planes" else (side, side, channels))
    if layout == "interleaved":
        index = index.transpose(2, 0, 1)
    half = side // 2
    across = _mean_corr(z, index[:, :, :-1], index[:, :, 1:])
    down = _mean_corr(z, index[:, :-1, :], index[:, 1:, :])
    apart = max(_mean_corr(z, index[:, :, :half], index[:, :, half:2 * half]),
                _mean_corr(z, index[:, :half, :half], index[:, half:2 * half, half:2 * half]))
    if (across + down) / 2 >= NEIGHBOUR_CORR and min(across, down) - apart >= NEIGHBOUR_MARGIN:
        return PixelGrid(channels, side, round(min(across, down), 3), round(apart, 3))
    return None


def _mean_corr(z: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Mean correlation of the column pairs ``a[i]``, ``b[i]`` of which both vary; -1 where
    none do."""
    a, b = a.ravel(), b.ravel()
    varying = np.isfinite(z[:, 0])
    both = varying[a] & varying[b]
    if not both.any():
        return -1.0
    return float(np.einsum("ij,ij->i", z[a[both]], z[b[both]]).mean() / z.shape[1])
