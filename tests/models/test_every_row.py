"""The labelled rows beyond the modelled pool, judged by the fold models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.models import every_row, out_of_fold
from datacheck.models.every_row import beyond_pool, with_second
from datacheck.models.features import encode_table
from datacheck.models.oof import (apply_fold, keeps_models, model_inputs, pooled, reduce_like_pool, second_models,
                                  second_opinion)
from datacheck.scan import scan


def _ctx(n: int = 3000, max_samples: int = 1000, width: int = 6, **options) -> CheckContext:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, width))
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(width)])
    frame["kind"] = rng.choice(["a", "b", "c"], n)
    frame["label"] = np.digitize(x[:, 0] + x[:, 1] ** 2 + rng.normal(size=n) * 0.3, [0.3, 1.5])
    frame.loc[[5, 500, n - 10], "label"] = 9  # too rare a class for the models: neither pooled nor judged
    ds = from_objects({"train": frame.iloc[:2 * n // 3], "test": frame.iloc[2 * n // 3:]})
    return CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_max_samples": max_samples, **options})


# Rows are judged in float32 blocks, the expected values here on all rows at once: a product's
# rounding depends on its shape and on the BLAS kernels of the CPU (an RBF kernel model's
# squared distances cancel), up to 2e-5 apart on AVX2 kernels; a row judged by another fold's
# models is 0.01-0.3 off.
FLOAT32_ATOL = 1e-4


def _same_choices(proba: np.ndarray, suggested: np.ndarray) -> None:
    """``suggested`` is each row's most probable class, but where the top two are within
    ``FLOAT32_ATOL`` (either may come first)."""
    top = np.sort(proba, axis=1)
    near_tie = top[:, -1] - top[:, -2] < FLOAT32_ATOL
    assert np.array_equal(proba.argmax(axis=1)[~near_tie], suggested[~near_tie])
    assert np.allclose(proba[np.arange(len(proba)), suggested], top[:, -1], rtol=0, atol=FLOAT32_ATOL)


def _fold_probabilities(ctx, beyond, models, reduced=True):
    """Each fold's averaged probabilities of every row beyond the pool."""
    x = encode_table(ctx, ctx.cached("oof_features", None).encoding, beyond.pool)
    x = reduce_like_pool(ctx, x) if reduced else x
    return np.stack([apply_fold(m, x, len(out_of_fold(ctx).classes)) for m in models]), x


def test_every_labelled_row_beyond_the_pool_is_predicted_once():
    ctx = _ctx()
    oof = out_of_fold(ctx)
    beyond = beyond_pool(ctx)
    assert oof.models and beyond is not None and beyond_pool(ctx) is beyond, "cached"
    assert oof.n + beyond.n == 2997 and 9 not in beyond.pool.y
    pooled = set(zip(oof.pool.split.tolist(), oof.pool.row.tolist()))
    others = set(zip(beyond.pool.split.tolist(), beyond.pool.row.tolist()))
    assert len(others) == beyond.n and not pooled & others
    assert np.array_equal(oof.classes[beyond.y], beyond.pool.y)
    assert beyond.quality.dtype == np.float32 and ((beyond.quality >= 0) & (beyond.quality <= 1)).all()
    # as well predicted as the pooled samples, out of fold
    assert abs(np.mean(beyond.suggested == beyond.y) - np.mean(oof.proba.argmax(axis=1) == oof.y)) < 0.05


def test_each_row_gets_the_probabilities_of_one_folds_models():
    """No model saw a row beyond the pool; each row is judged by the models of its fold (as a
    pooled row is by its fold's), about as many rows by each fold."""
    ctx = _ctx()
    oof, beyond = out_of_fold(ctx), beyond_pool(ctx)
    per_fold, _ = _fold_probabilities(ctx, beyond, oof.models)
    mine = per_fold[beyond.fold, np.arange(beyond.n)]
    assert np.allclose(mine[np.arange(beyond.n), beyond.y], beyond.quality, rtol=0, atol=FLOAT32_ATOL)
    _same_choices(mine, beyond.suggested)
    assert np.bincount(beyond.fold).min() > 0.8 * beyond.n / len(oof.models)


def test_rows_are_judged_alike_in_blocks_and_by_both_families(monkeypatch):
    whole = beyond_pool(_ctx())
    monkeypatch.setattr(every_row, "BLOCK_ROWS", 150)
    ctx = _ctx()
    blocks = beyond_pool(ctx)
    assert np.allclose(whole.quality, blocks.quality, rtol=0, atol=FLOAT32_ATOL)
    assert np.array_equal(whole.fold, blocks.fold) and np.array_equal(whole.suggested, blocks.suggested)
    # both families: each row by its own fold's models, the second on the unreduced inputs
    second_opinion(ctx)
    both = with_second(ctx)
    main, _ = _fold_probabilities(ctx, blocks, out_of_fold(ctx).models)
    other, _ = _fold_probabilities(ctx, blocks, second_models(ctx), reduced=False)
    mean = (main + other)[blocks.fold, np.arange(blocks.n)] / 2
    assert np.allclose(mean[np.arange(blocks.n), blocks.y], both.quality, rtol=0, atol=FLOAT32_ATOL)
    _same_choices(mean, both.suggested)
    assert not np.allclose(both.quality, blocks.quality, atol=1e-3)


def test_many_classes_are_judged_in_smaller_blocks(monkeypatch):
    """A block holds at most ``BLOCK_VALUES`` probabilities: many classes, fewer rows a block,
    the same judgement."""
    whole = beyond_pool(_ctx())
    monkeypatch.setattr(every_row, "BLOCK_VALUES", 3 * 100)  # 3 classes: 100 rows a block
    monkeypatch.setattr(every_row, "MIN_BLOCK_ROWS", 10)
    sizes = []
    encode = every_row.encode_table
    monkeypatch.setattr(every_row, "encode_table", lambda ctx, enc, pool: sizes.append(len(pool)) or
                        encode(ctx, enc, pool))
    small = beyond_pool(_ctx())
    assert max(sizes) == 100 and np.array_equal(whole.suggested, small.suggested)


def test_nothing_is_beyond_a_pool_of_every_row():
    ctx = _ctx(max_samples=10_000)
    assert not out_of_fold(ctx).models and beyond_pool(ctx) is None


def test_a_wide_table_is_reduced_as_its_pool_was():
    ctx = _ctx(n=1200, max_samples=600, width=300)
    oof, beyond = out_of_fold(ctx), beyond_pool(ctx)
    assert oof.x.shape[1] < model_inputs(ctx).shape[1], "reduced by PCA"
    # the pool's own features, reduced as other rows are, give the pool's model inputs
    assert np.allclose(reduce_like_pool(ctx, model_inputs(ctx)), oof.x, rtol=0, atol=1e-4)
    assert beyond.n == 597 and np.isfinite(beyond.quality).all()


def test_regression_targets_beyond_the_pool_are_predicted_by_the_models_kept():
    """Each target beyond the pool is predicted by one fold's models, weighted as the kept
    candidate, and standardized on the pooled residuals' centre and scale."""
    from datacheck.models import regression_out_of_fold
    from datacheck.models.every_row import beyond_targets
    from datacheck.models.residuals import target_noise

    rng = np.random.default_rng(2)
    x = rng.normal(size=(3000, 5))
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(5)])
    frame["target"] = 3 * x[:, 0] + np.sin(2 * x[:, 1]) + rng.normal(size=3000) * 0.2
    ds = from_objects({"train": frame})
    ds.set_task("regression")
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_max_samples": 1000})
    oof, est = regression_out_of_fold(ctx), target_noise(ctx, 4.0)
    beyond = beyond_targets(ctx, 4.0)
    assert est.models and beyond is not None and beyond_targets(ctx, 4.0) is beyond
    assert oof.n + beyond.n == 3000
    assert not set(oof.pool.row.tolist()) & set(beyond.pool.row.tolist())
    assert np.allclose(beyond.target, frame["target"].to_numpy()[beyond.pool.row])
    assert np.allclose(beyond.z, (beyond.target - beyond.predicted - est.centre) / est.scale)
    inputs = reduce_like_pool(ctx, encode_table(ctx, ctx.cached("oof_features", None).encoding, beyond.pool))
    per_fold = np.stack([sum(w * m.predict(inputs) for w, m in zip(est.weights, models))
                         for models in est.models])
    assert np.isclose(per_fold, beyond.predicted[None], rtol=0, atol=1e-4).any(axis=0).all()
    # as well predicted as the pooled targets, out of fold
    assert abs(np.median(np.abs(beyond.z)) - np.median(np.abs(est.z))) < 0.1


def test_rows_are_predicted_ahead_only_with_cpus_to_spare(monkeypatch):
    from datacheck.models.every_row import predict_ahead

    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: 2)
    one = _ctx(workers=1)
    assert predict_ahead(one) is None and beyond_pool(one) is not None
    two = _ctx(workers=2)
    thread = predict_ahead(two)
    thread.join()
    assert two.peek("beyond_pool") is not None
    assert np.array_equal(beyond_pool(two).suggested, beyond_pool(one).suggested)


def test_rows_read_again_are_encoded_as_the_scan_held_them():
    """``encode_rows`` (a streamed split's batches read again) gives every row the inputs
    ``encode_table`` gives it from the scan's columns, bit for bit: missing numbers filled
    and indicated, integers, text one-hot with its missing values, a category the pool
    never saw."""
    import pyarrow as pa

    from datacheck.models.features import encode_rows
    from datacheck.models.oof import pooled_features

    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 50, n), "c": rng.normal(size=n) * 1e3})
    frame.loc[rng.choice(n, 300, replace=False), "a"] = np.nan
    frame["kind"] = rng.choice(["x", "y", "z", None], n)
    frame.loc[n - 5:, "kind"] = "unseen"
    frame["label"] = (frame["b"] + rng.normal(size=n) * 10 > 25).astype(int)
    ds = from_objects({"train": frame})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_max_samples": 1000})
    beyond = beyond_pool(ctx)
    encoding = pooled_features(ctx).encoding
    assert encoding.text and any(s.indicated for _, s in encoding.numeric)
    columns = [name for name, _ in encoding.numeric] + [name for name, _ in encoding.text]
    table = pa.concat_tables([t for _, t in ctx.batches("train", columns)])
    for rows in (beyond.pool, out_of_fold(ctx).pool):
        np.testing.assert_array_equal(encode_rows(encoding, table.take(pa.array(rows.row))),
                                      encode_table(ctx, encoding, rows))


def _digit_images(moved: float, seed: int = 0):
    """scikit-learn's digits as 8x8 image arrays, ``moved`` of the labels moved to another
    class; the arrays, the labels given and where they are wrong."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    y = digits.target.copy()
    wrong = rng.random(len(y)) < moved
    y[wrong] = (y[wrong] + rng.integers(1, 10, int(wrong.sum()))) % 10
    return digits.images.astype(np.float32)[..., None], y, wrong


def test_images_beyond_the_pool_are_judged_by_their_folds_models():
    """Images drawn down to ``noise_max_samples``: every other image is judged by one fold's
    pixel models (its pixels reduced as the pool's were), and the moved labels among them
    are found."""
    from datacheck.models.features import pixel_features

    x, y, wrong = _digit_images(0.1)
    ds = from_objects({"train": (x, y)})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_max_samples": 600})
    oof, beyond = out_of_fold(ctx), beyond_pool(ctx)
    assert oof.kind == "pixels" and oof.models and oof.n + beyond.n == len(y)
    inputs = reduce_like_pool(ctx, pixel_features(ctx, beyond.pool).x)
    per_fold = np.stack([apply_fold(m, inputs, len(oof.classes)) for m in oof.models])
    mine = per_fold[beyond.fold, np.arange(beyond.n)]
    assert np.allclose(mine[np.arange(beyond.n), beyond.y], beyond.quality, rtol=0, atol=FLOAT32_ATOL)
    _same_choices(mine, beyond.suggested)
    # the moved labels beyond the pool are among the least probable by far
    low = beyond.quality < 0.2
    moved = wrong[beyond.pool.row]
    assert (low & moved).sum() >= 0.8 * moved.sum() and (low & moved).sum() >= 0.7 * low.sum()


def test_label_noise_judges_every_image_and_a_cnn_keeps_the_pool_only():
    import datacheck

    x, y, wrong = _digit_images(0.1)
    report = datacheck.profile(train=(x, y), checks=["label_noise"], noise_max_samples=600)
    (finding,) = [f for f in report.findings if f.check == "label_noise"]
    assert finding.severity.name == "WARNING" and finding.metrics["n_judged"] == len(y)
    flagged = report.samples["label_noise.flag"].notna().to_numpy()
    assert flagged.sum() > 2 * 600 * 0.1 and (flagged & wrong).sum() >= 0.8 * wrong.sum()
    ds = from_objects({"train": (x, y)})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_max_samples": 600, "noise_model": "cnn"})
    assert not keeps_models(ctx, pooled(ctx), "pixels")
    assert keeps_models(ctx, pooled(ctx), "table")


def test_clean_images_beyond_the_pool_raise_no_warning(sample_data):
    """Fashion-MNIST thumbnails (the scan's, the pool's features) drawn down to 400 of 1,200:
    every image judged, no warning."""
    import datacheck

    report = datacheck.profile(sample_data / "clean_images", checks=["label_noise"], noise_max_samples=400)
    (outcome,) = report.checks
    assert outcome.status.name == "PASSED", outcome.reason
    (finding,) = [f for f in report.findings if f.check == "label_noise"] or [None]
    assert finding is None or finding.metrics.get("n_judged") == 1200
