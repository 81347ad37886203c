"""The scan: hashes, per-feature statistics, image decoding and array layouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from datacheck.data import from_objects, load
from datacheck.scan import scan
from datacheck.scan.arrays import infer_layout
from datacheck.scan.features import feature_stats
from datacheck.scan.hashing import hash_rows
from datacheck.scan.images import decode_images


def test_hash_rows_equal_rows_equal_hashes(rng):
    x = rng.normal(size=(500, 7))
    x[10] = x[3]
    h = hash_rows(x)
    assert h[10] == h[3]
    assert len(np.unique(h)) == 499


def test_hash_rows_folds_negative_zero_and_nan():
    x = np.array([[0.0, np.nan], [-0.0, np.nan]])
    h = hash_rows(x)
    assert h[0] == h[1]
    assert x[1, 0] == 0.0 and np.signbit(x[1, 0])  # input untouched


def test_hash_rows_sees_column_order():
    assert hash_rows(np.array([[1.0, 2.0]]))[0] != hash_rows(np.array([[2.0, 1.0]]))[0]


def test_feature_stats_match_numpy(rng):
    x = rng.normal(5, 3, size=(200, 4))
    x[0, 1] = np.nan
    x[1, 2] = np.inf
    x[:, 3] = 7.0
    s = feature_stats(np.ascontiguousarray(x.T), ["a", "b", "c", "d"])
    assert s.n_nan.tolist() == [0, 1, 0, 0] and s.n_inf.tolist() == [0, 0, 1, 0]
    np.testing.assert_allclose(s.mean[0], x[:, 0].mean())
    np.testing.assert_allclose(s.std[0], x[:, 0].std())
    finite_b = x[1:, 1]
    np.testing.assert_allclose([s.mean[1], s.std[1], s.min[1], s.max[1]],
                               [finite_b.mean(), finite_b.std(), finite_b.min(), finite_b.max()])
    assert s.std[3] == 0 and s.n_distinct_lo[3] == 1 and s.n_distinct_lo[0] == 3


def test_feature_stats_precise_with_large_offset(rng):
    x = 1e9 + rng.normal(size=1000)
    s = feature_stats(x.reshape(1, -1), ["a"])
    np.testing.assert_allclose(s.std[0], x.std(), rtol=1e-6)


@pytest.mark.parametrize("shape, layout", [((5, 8, 8, 3), "NHWC"), ((5, 3, 8, 8), "NCHW"), ((5, 28, 28), "NHW"),
                                           ((5, 10), "features"), ((5,), "unexpected"), ((5, 3, 8, 3), "ambiguous"),
                                           ((5, 1, 28, 28), "NCHW"), ((5, 28, 28, 1), "NHWC")])
def test_infer_layout(shape, layout):
    assert infer_layout(shape) == layout


def test_decode_images_records_errors_and_stats(tmp_path):
    Image.fromarray(np.full((6, 4), 9, np.uint8)).save(tmp_path / "gray.png")
    rgb = np.zeros((5, 5, 3), np.uint8)
    rgb[..., 2] = 200
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    (tmp_path / "bad.png").write_text("x")
    (tmp_path / "empty.png").write_bytes(b"")
    out = decode_images(tmp_path, ["gray.png", "rgb.png", "bad.png", "empty.png"], workers=1)
    assert out.ok.tolist() == [True, True, False, False]
    assert out.error[0] is None and "not an image" in out.error[2] and "empty" in out.error[3]
    assert (out.height[0], out.width[0], out.channels[0], out.mode[0]) == (6, 4, 1, "L")
    assert out.mean[0, 0] == 9 and np.isnan(out.mean[0, 1])
    np.testing.assert_allclose(out.mean[1], [0, 0, 200])
    assert out.hist[0, 9] == 24


def test_decode_in_workers_equals_in_process(tmp_path, rng):
    paths = []
    for i in range(700):
        Image.fromarray(rng.integers(0, 255, (6, 6), dtype=np.uint8)).save(tmp_path / f"{i}.png")
        paths.append(f"{i}.png")
    one = decode_images(tmp_path, paths, workers=1)
    two = decode_images(tmp_path, paths, workers=2)
    np.testing.assert_array_equal(one.hash, two.hash)
    np.testing.assert_array_equal(one.mean, two.mean)
    np.testing.assert_array_equal(one.thumb, two.thumb)


def test_same_pixels_same_hash_across_files_and_arrays(tmp_path):
    img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(img).save(tmp_path / "a.png")
    Image.fromarray(img).save(tmp_path / "b.bmp")
    out = decode_images(tmp_path, ["a.png", "b.bmp"], workers=1)
    assert out.hash[0] == out.hash[1]


def test_scan_every_modality(sample_data):
    for name in ("clean_images", "clean_tabular", "clean_digits.npz"):
        result = scan(load(sample_data / name), workers=1)
        for s in result.splits.values():
            assert len(s.hashes) == s.n == len(s.summary())


def test_table_with_text_column_hashes_it():
    df = pd.DataFrame({"num": [1.0, 1.0], "txt": ["a", "b"], "label": [0, 0]})
    s = scan(from_objects({"train": df}))["train"]
    assert s.other_columns == ["txt"] and s.hashes[0] != s.hashes[1]


def test_key_columns_are_not_features_or_hashed(wine_frames):
    import datacheck

    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)) * 1000.0)
    train.iloc[5, :-2] = train.iloc[3, :-2]  # the same sample recorded under another id
    train.iloc[5, train.columns.get_loc("label")] = train.iloc[3]["label"]
    test = test.assign(patient=np.arange(len(test)) * 1000.0 + 1e6)
    report = datacheck.profile(train=train, test=test, group_col="patient",
                               checks=["feature_scaling", "duplicates"])
    assert not report.by_check("feature_scaling")
    assert [f.code for f in report.by_check("duplicates")] == ["duplicates.exact"]


def test_decoded_images_are_summarised_by_the_values_they_hold(tmp_path, rng, monkeypatch):
    """A chunk summarises its images whenever they hold ``GROUP_VALUES`` values (so that a
    chunk of photos never holds them all), with histograms counted by Pillow or in a stack:
    the same statistics, thumbnails and properties as one summary of the whole chunk; 8-bit
    means and deviations are exact (float64 over the pixels), for RGB and L."""
    from datacheck.scan import images

    paths, pixels = [], []
    for i in range(12):
        shape = (40, 30, 3) if i % 3 else (40, 30)
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(img).save(tmp_path / f"{i}.png")
        paths.append(f"{i}.png")
        pixels.append(img.reshape(40, 30, -1).astype(np.float64))
    whole = images.decode_chunk(str(tmp_path), paths)
    monkeypatch.setattr(images, "GROUP_VALUES", 2 * 40 * 30 * 3)
    monkeypatch.setattr(images, "_PILLOW_HISTOGRAM_FROM", 1)  # large images' histograms: Pillow's
    parts = images.decode_chunk(str(tmp_path), paths)
    for name in ("mean", "std", "min", "max", "hash", "thumb", "area", "props", "hist"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name), err_msg=name)
    for i, p in enumerate(pixels):
        c = p.shape[2]
        np.testing.assert_allclose(whole.mean[i, :c], p.mean(axis=(0, 1)), rtol=1e-6)
        np.testing.assert_allclose(whole.std[i, :c], p.std(axis=(0, 1)), rtol=1e-6)
        assert whole.min[i, :c].tolist() == p.min(axis=(0, 1)).tolist()


def test_large_files_go_to_the_workers_in_small_chunks(tmp_path, monkeypatch):
    """Chunks hold at most ``_CHUNK_BYTES`` of files: few large images still spread over
    the workers, while small ones are decoded here."""
    from datacheck.scan import images

    seen = []
    monkeypatch.setattr(images, "decode_chunk", lambda root, chunk: seen.append(len(chunk)) or
                        images._empty_chunk(len(chunk)))

    class Pool:
        def __init__(self, n):
            seen.append(f"pool of {n}")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, fn, *args):
            return map(fn, *args)

    monkeypatch.setattr(images, "worker_processes", Pool)
    for i in range(10):
        (tmp_path / f"{i}.jpg").write_bytes(b"x" * 6_000)
    images.decode_images(tmp_path, [f"{i}.jpg" for i in range(10)], workers=2)
    assert seen == [10]  # 60 kB: here, in one chunk
    seen.clear()
    monkeypatch.setattr(images, "_CHUNK_BYTES", 20_000)
    monkeypatch.setattr(images, "_IN_PROCESS_BYTES", 40_000)
    images.decode_images(tmp_path, [f"{i}.jpg" for i in range(10)], workers=2)
    assert seen == ["pool of 2", 3, 3, 3, 1]


@pytest.mark.parametrize("shape, dtype", [((300, 12, 10, 3), np.uint8), ((200, 3, 9, 8), np.float32),
                                          ((250, 11, 7), np.int16)])
def test_an_image_array_gives_the_same_statistics_whatever_its_chunks(shape, dtype, monkeypatch):
    from datacheck.scan import arrays

    rng = np.random.default_rng(0)
    x = (rng.random(shape) * 200).astype(dtype)
    if dtype == np.float32:
        x[3, 0, 1, 1], x[5, 2, 0, 0] = np.nan, np.inf
    info = arrays.array_info(x)
    fields = ("mean", "std", "min", "max", "hash", "thumb", "hist", "area", "props")
    whole = arrays.array_image_stats(x, info)
    monkeypatch.setattr(arrays, "_CHUNK_BYTES", 1)  # one image a chunk
    done = []
    chunked = arrays.array_image_stats(x, info, done.append)
    for field in fields:
        np.testing.assert_array_equal(getattr(chunked, field), getattr(whole, field), err_msg=field)
    assert done == [1] * shape[0]
    assert whole.hist.sum() == (x.size if dtype == np.uint8 else 0)


def test_scanning_an_image_array_has_a_bar(monkeypatch):
    from datacheck.scan import arrays

    monkeypatch.setattr(arrays, "_CHUNK_BYTES", 8 * 64 * 100)  # 100 8x8 images a chunk
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (450, 8, 8)).astype(np.uint8), rng.integers(0, 3, 450)
    bars = {}

    def progress(description, total):
        bars[description] = [total, 0]
        return lambda n: bars[description].__setitem__(1, bars[description][1] + n)

    scan(from_objects({"train": (x[:400], y[:400]), "test": (x[400:], y[400:])}), progress=progress)
    assert bars == {"scanning train images": [400, 400], "scanning test images": [50, 50]}
