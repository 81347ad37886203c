"""The scan's fast paths (blocked, threaded, vectorized) give exactly what the plain forms give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from datacheck.scan.features import _BLOCK, feature_stats, numeric_columns
from datacheck.scan.hashing import hash_rows
from datacheck.scan.images import decode_images
from datacheck.scan.thumbs import box_thumbnails, luma

SIZES = [(28, 28), (28, 20), (20, 28), (60, 20), (20, 60), (16, 16), (16, 40), (33, 17), (5, 3),
         (1, 1), (300, 41), (41, 300), (224, 224)]


@pytest.mark.parametrize("height, width", SIZES)
def test_box_thumbnails_equal_pillow(rng, height, width):
    gray = rng.integers(0, 256, (3, height, width), dtype=np.uint8)
    want = [np.asarray(Image.fromarray(g).resize((16, 16), Image.Resampling.BOX)) for g in gray]
    np.testing.assert_array_equal(box_thumbnails(gray, 16), np.stack(want))


def test_luma_equals_pillow_convert_l(rng):
    rgb = rng.integers(0, 256, (4, 9, 7, 3), dtype=np.uint8)
    want = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in rgb])
    np.testing.assert_array_equal(luma(rgb), want)


def test_image_thumbnails_equal_pillow_per_image(tmp_path, rng):
    paths = []  # stacks of one size and mode (made at once) and a pair made one by one
    for i, (h, w, mode) in enumerate([(28, 20, "L")] * 9 + [(40, 12, "RGB")] * 9 + [(13, 7, "L")] * 2):
        shape = (h, w, 3) if mode == "RGB" else (h, w)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(tmp_path / f"{i}.png")
        paths.append(f"{i}.png")
    out = decode_images(tmp_path, paths, workers=1)
    for i, p in enumerate(paths):
        with Image.open(tmp_path / p) as im:
            want = np.asarray(im.convert("L").resize((16, 16), Image.Resampling.BOX))
        np.testing.assert_array_equal(out.thumb[i], want)


def test_decode_errors_name_the_file(tmp_path):
    (tmp_path / "bad.png").write_text("not pixels")
    out = decode_images(tmp_path, ["bad.png", "missing.png"], workers=1)
    assert str(tmp_path / "bad.png") in out.error[0] and out.n_bytes[0] == 10
    assert "FileNotFoundError" in out.error[1] and out.n_bytes[1] == 0


def _column_hashes(columns: np.ndarray, workers: int | None = None) -> np.ndarray:
    out = np.empty(columns.shape[1], np.uint64)
    feature_stats(columns, [f"f{j}" for j in range(len(columns))], workers=workers, hashes=out)
    return out


def test_column_pass_hashes_equal_hash_rows_of_the_rows(rng):
    columns = rng.normal(size=(4, 2 * _BLOCK + 7))
    columns[1, :50] = -0.0
    columns[2, ::1000] = np.nan
    columns[3, _BLOCK + 3] = -np.inf
    want = hash_rows(np.ascontiguousarray(columns.T))
    np.testing.assert_array_equal(_column_hashes(columns, workers=2), want)
    np.testing.assert_array_equal(_column_hashes(columns, workers=1), want)


def test_structured_rows_do_not_collide():
    # Rows built from few float values that differ only in exponent bits, in every order and
    # combination: the xor-multiply steps alone would let some of these pairs collide.
    values = np.array([0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, -1.0, -2.0, 1024.0])
    grid = np.stack(np.meshgrid(*[values] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    assert len(np.unique(hash_rows(grid))) == len(grid)
    assert len(np.unique(_column_hashes(np.ascontiguousarray(grid.T)))) == len(grid)


def test_hash_rows_of_a_row_does_not_depend_on_the_others(rng):
    x = rng.normal(size=(_BLOCK + 100, 3)).astype(np.float32)
    h = hash_rows(x)
    for i in (0, _BLOCK - 1, _BLOCK, len(x) - 1):
        assert h[i] == hash_rows(x[i:i + 1])[0]


def test_feature_stats_across_blocks(rng):
    n = 2 * _BLOCK + 5
    late_nan = rng.normal(3, 2, n)
    late_nan[-1] = np.nan
    late_third = np.where(np.arange(n) % 2, 5.0, -1.0)
    late_third[-2] = 0.5
    binary = np.where(np.arange(n) % 3, 1.0, 0.0)
    s = feature_stats(np.stack([late_nan, late_third, binary]), ["a", "b", "c"], workers=2)
    finite = late_nan[:-1]
    assert s.n_nan.tolist() == [1, 0, 0] and s.n_finite.tolist() == [n - 1, n, n]
    np.testing.assert_allclose([s.mean[0], s.std[0]], [finite.mean(), finite.std()], rtol=1e-12)
    np.testing.assert_allclose(s.std[1:], [late_third.std(), binary.std()], rtol=1e-12)
    assert s.n_distinct_lo.tolist() == [3, 3, 2]


def test_feature_stats_of_no_rows():
    s = feature_stats(np.zeros((2, 0)), ["a", "b"])
    assert s.n_finite.tolist() == [0, 0] and np.isnan(s.mean).all()


def test_numeric_columns_of_chunked_columns_with_nulls():
    table = pa.table({"f": pa.chunked_array([[1.5, None], [3.0]]),
                      "i": pa.chunked_array([[1], [None, 7]]),
                      "b": pa.chunked_array([[True], [False, True]]),
                      "s": ["x", "y", "z"]})
    columns, numeric, other = numeric_columns(table)
    np.testing.assert_array_equal(columns, [[1.5, np.nan, 3.0], [1, np.nan, 7], [1, 0, 1]])
    assert numeric == ["f", "i", "b"] and other == ["s"]
