"""Model inputs per modality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datacheck.checks import CheckContext
from datacheck.data import from_objects, load
from datacheck.models.features import encode_table, pixel_features, table_features
from datacheck.models.pool import Pool, build_pool
from datacheck.scan import scan


def _ctx_pool(ds):
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    return ctx, build_pool(ctx, max_samples=10**6, min_per_class=2, seed=0)


def test_table_features_impute_indicate_encode_and_drop_ids():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "a": rng.normal(size=n) * 1000 + 5,
        "b": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "inf": np.where(np.arange(n) == 3, np.inf, 1.0 * np.arange(n)),
        "const": np.ones(n),
        "colour": rng.choice(["red", "green", None], n),
        "id": [f"id-{i}" for i in range(n)],
        "label": rng.integers(0, 2, n),
    })
    ctx, pool = _ctx_pool(from_objects({"train": frame.iloc[:150], "test": frame.iloc[150:]}))
    feats = table_features(ctx, pool)
    # a, b, inf standardized (const dropped) + 2 indicators + colour one-hot (red, green, missing)
    assert feats.x.shape == (n, 3 + 2 + 3) and feats.x.dtype == np.float32
    assert np.isfinite(feats.x).all()
    assert np.allclose(feats.x[:, 0].mean(), 0, atol=1e-5) and np.allclose(feats.x[:, 0].std(), 1, atol=1e-3)
    assert np.array_equal(feats.x[:, 3] == 1, frame["b"].isna().to_numpy())
    assert feats.kind == "table" and "one-hot" in feats.description
    assert any("id" in note for note in pool.notes)


def test_image_arrays_are_flattened_channels_first_whatever_the_layout():
    rng = np.random.default_rng(0)
    nhwc = rng.integers(0, 255, (40, 6, 5, 3), dtype=np.uint8)
    nchw = np.ascontiguousarray(nhwc.transpose(0, 3, 1, 2))
    y = np.repeat([0, 1], 20)
    feats = [pixel_features(*_ctx_pool(from_objects({"train": (x, y)}))) for x in (nhwc, nchw)]
    assert feats[0].image_shape == feats[1].image_shape == (3, 6, 5)
    assert np.array_equal(feats[0].x, feats[1].x)
    expected = nhwc.transpose(0, 3, 1, 2).reshape(40, -1) / np.float32(nhwc.max() - nhwc.min())
    assert np.allclose(feats[0].x, expected - nhwc.min() / float(nhwc.max() - nhwc.min()), atol=1e-6)


def test_large_image_arrays_and_files_use_thumbnails(sample_data):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    big = rng.integers(0, 255, (20, 40, 40), dtype=np.uint8)
    feats = pixel_features(*_ctx_pool(from_objects({"train": (big, y)})))
    assert feats.x.shape == (20, 16 * 16 + 6) and feats.image_shape == (1, 16, 16)
    ctx, pool = _ctx_pool(load(sample_data / "clean_manifest" / "manifest.csv"))
    feats = pixel_features(ctx, pool)
    assert feats.x.shape == (200, 262) and 0 <= feats.x.min() and feats.x.max() <= 1


def test_pixel_features_are_each_pooled_samples_own_in_any_order():
    # a split's pooled rows are written in place when they are one run (as build_pool makes
    # them), by position when they are scattered (a pool in another order)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(400, 6, 6, 1)).astype(np.uint8)
    y = np.repeat(np.arange(4), 100)
    ds = from_objects({"train": (x[:300], y[:300]), "test": (x[300:], y[300:])})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    built = build_pool(ctx, max_samples=150, min_per_class=2, seed=0)
    order = rng.permutation(len(built))
    shuffled = Pool(built.split_names, built.split[order], built.row[order], built.y[order], built.n_available)
    for pool in (built, shuffled):
        feats = pixel_features(ctx, pool)
        source = np.where(pool.split == 0, pool.row, pool.row + 300)
        assert feats.x.shape == (len(pool), 36)
        assert np.allclose(feats.x, x[source].reshape(len(pool), -1) / 255)


def test_numbers_stored_as_text_are_read_as_numbers(tmp_path):
    """A column of numbers with a '?' marker is a model input (the numbers standardized, the
    markers imputed and indicated), not an id-like text column left out: the label depends
    on it, and the models find that."""
    import datacheck

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2)).round(3)
    b = x[:, 1].astype(object)
    b[[5, 60, 300]] = "?"
    pd.DataFrame({"a": x[:, 0], "b": b, "label": (x[:, 0] + x[:, 1] > 0).astype(int)}).to_csv(
        tmp_path / "t.csv", index=False)
    report = datacheck.profile(tmp_path / "t.csv", checks=["learnability"])
    score = next(f for f in report.findings if f.code == "learnability.score")
    assert score.metrics["balanced_accuracy"] > 0.9
    assert "left out" not in score.message


def test_many_numeric_columns_are_standardized_in_order_whatever_the_gathering():
    # more columns than are gathered at a time, constant ones and ones with gaps in
    # different chunks, over two splits: each kept column in the order given, then an
    # indicator per column with gaps
    from datacheck.models.features import GATHER_COLUMNS

    rng = np.random.default_rng(1)
    n, d = 300, 2 * GATHER_COLUMNS + 3
    values = rng.normal(size=(n, d)) * rng.uniform(1, 100, d) + rng.uniform(-50, 50, d)
    constant = [1, GATHER_COLUMNS + 2]
    gaps = [0, GATHER_COLUMNS, d - 1]
    values[:, constant] = 7.0
    for j in gaps:
        values[rng.random(n) < 0.1, j] = np.nan
    frame = pd.DataFrame(values, columns=[f"c{j}" for j in range(d)])
    frame["label"] = rng.integers(0, 2, n)
    ctx, pool = _ctx_pool(from_objects({"train": frame.iloc[:200], "test": frame.iloc[200:]}))
    feats = table_features(ctx, pool)

    rows = np.where(pool.split == 0, pool.row, pool.row + 200)
    expected = []
    for j in [j for j in range(d) if j not in constant]:
        col = values[rows, j].copy()
        col[np.isnan(col)] = np.nanmedian(col)
        expected.append(np.clip((col - col.mean()) / col.std(), -10, 10))
    expected += [np.isnan(values[rows, j]).astype(float) for j in gaps]
    assert feats.x.shape == (n, d - len(constant) + len(gaps)) and feats.x.flags.c_contiguous
    assert np.allclose(feats.x, np.column_stack(expected), atol=1e-5)


def _mixed_frame(n: int, rng) -> pd.DataFrame:
    numbers = np.array([f"{v:.2f}" for v in rng.normal(size=n)], dtype=object)
    numbers[rng.random(n) < 0.05] = "?"
    return pd.DataFrame({
        "a": rng.normal(size=n) * 10,
        "gaps": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "const": np.ones(n),
        "colour": rng.choice(["red", "green", "blue", None], n, p=[0.5, 0.3, 0.15, 0.05]),
        "b": numbers,
        "label": rng.integers(0, 2, n),
    })


def test_other_rows_are_encoded_as_the_pooled_ones_were():
    """``encode_table`` gives the pooled rows the inputs ``table_features`` gave them, bit for
    bit, over two splits and in any order; other rows get the pool's fill values, scales and
    categories (a category the pool never saw gives no one-hot input)."""
    rng = np.random.default_rng(3)
    frame = _mixed_frame(400, rng)
    frame.loc[390:, "colour"] = "violet"  # only outside the pool
    ds = from_objects({"train": frame.iloc[:300], "test": frame.iloc[300:]})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    split = np.r_[np.zeros(150, np.int8), np.ones(50, np.int8)]
    row = np.r_[rng.permutation(300)[:150], rng.permutation(90)[:50]].astype(np.int64)
    pool = Pool(["train", "test"], split, row, np.zeros(200, np.int64), 400)
    feats = table_features(ctx, pool)
    assert feats.encoding is not None
    assert np.array_equal(encode_table(ctx, feats.encoding, pool), feats.x)

    order = rng.permutation(200)
    shuffled = Pool(["train", "test"], split[order], row[order], np.zeros(200, np.int64), 400)
    assert np.array_equal(encode_table(ctx, feats.encoding, shuffled), feats.x[order])

    others = Pool(["train", "test"], np.ones(10, np.int8), np.arange(90, 100, dtype=np.int64),
                  np.zeros(10, np.int64), 400)
    x = encode_table(ctx, feats.encoding, others)
    assert x.shape == (10, feats.x.shape[1])
    (_, a), = [(name, s) for name, s in feats.encoding.numeric if name == "a"]
    assert np.allclose(x[:, 0], np.clip((frame["a"].to_numpy()[390:] - a.mean) / a.std, -10, 10))
    # colour (red, green, blue, and the rest with the missing values) is the first text column:
    # violet, which the pool never saw, is one of the rest
    (name, categories), width = feats.encoding.text[0], feats.encoding.widths[0]
    assert name == "colour" and set(categories) == {"red", "green", "blue"} and width == 4
    start = feats.x.shape[1] - sum(feats.encoding.widths)
    assert np.array_equal(x[:, start:start + 4], np.tile([0, 0, 0, 1], (10, 1)))
