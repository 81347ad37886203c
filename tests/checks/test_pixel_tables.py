"""Tables whose columns are the pixels of square images, told from tables of the same shape
and values that are no grid."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.checks._pixel_tables import pixel_grid
from datacheck.scan import scan


def grid_of(x: np.ndarray, y: np.ndarray):
    ds = from_objects({"train": (x, y)})
    return pixel_grid(CheckContext(ds, scan(ds, workers=1), {"seed": 0}))


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def test_digits_columns_are_8x8_pixels(digits):
    x, y = digits
    grid = grid_of(x, y)
    assert grid is not None and (grid.channels, grid.side) == (1, 8) and str(grid) == "8x8"
    assert grid.neighbours - grid.apart >= 0.15
    # as three channels too, planes or interleaved
    assert str(grid_of(np.hstack([x, x, x]), y)) == "8x8x3"
    assert str(grid_of(np.repeat(x, 3, axis=1), y)) == "8x8x3"


def test_tables_of_that_shape_without_the_grid_are_not_pixels(digits):
    x, y = digits
    rng = np.random.default_rng(0)
    # the same columns in another order: the values and shape of pixels, no neighbours
    assert grid_of(x[:, rng.permutation(64)], y) is None
    # 64 answers scored 1-5, correlated through a common factor
    survey = np.clip(np.round(3 + rng.normal(size=(1000, 1)) + rng.normal(size=(1000, 64))), 1, 5)
    assert grid_of(survey, rng.integers(0, 2, 1000)) is None
    # a series of 64 readings: a row apart correlates as half a row apart does
    walk = np.clip(np.round(128 + 10 * np.cumsum(rng.normal(size=(1000, 64)), axis=1)), 0, 255)
    assert grid_of(walk, rng.integers(0, 2, 1000)) is None
    # not whole numbers from 0 to 255
    assert grid_of(x + 0.5, y) is None
    assert grid_of(x * 100, y) is None
    # not a square number of columns
    assert grid_of(x[:, :60], y) is None
