"""Out-of-fold regression predictions, the permutation test on a target, robust residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.models import oof as oof_module
from datacheck.models import oof_skip_reason
from datacheck.models.regression import (r2_score, regression_folds, regression_out_of_fold, regression_relation,
                                         variance_gain)
from datacheck.models.residuals import quantile_skewness, robust_z, target_noise
from datacheck.scan import scan


def _ctx(x, y, seed=0, **options):
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).assign(target=y)
    ds = from_objects({"train": frame})
    assert ds.task == "regression"
    return CheckContext(ds, scan(ds, workers=1), {"seed": seed, **options})


def _linear(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(size=n) * 0.5


def test_predictions_are_out_of_fold_cached_and_deterministic():
    x, y = _linear()
    ctx = _ctx(x, y)
    first = regression_out_of_fold(ctx)
    assert regression_out_of_fold(ctx) is first, "computed once per context"
    assert first.n == 400 and np.allclose(np.sort(first.target), np.sort(y))
    assert set(first.r2) == {"ridge regression", "gradient boosting", "average"}
    assert first.best == "ridge regression" and 0.95 < first.best_r2 < 0.99  # noise caps it at 0.98
    assert sorted(np.concatenate([test for _, test in first.folds]).tolist()) == list(range(400))
    again = regression_out_of_fold(_ctx(x, y))
    assert np.array_equal(first.predicted, again.predicted)


def test_every_distinct_target_value_is_modelled_and_large_pools_are_sampled():
    x, y = _linear(300)
    assert len(np.unique(y)) == 300  # one "class" per value: none may be left out as rare
    ctx = _ctx(x, y, noise_max_samples=100)
    assert oof_skip_reason(ctx) is None
    oof = regression_out_of_fold(ctx)
    assert 95 <= oof.n <= 110 and any("sample of" in note for note in oof.notes)
    # sampled by quantile bins: the whole range is kept
    assert oof.target.min() < np.quantile(y, 0.05) and oof.target.max() > np.quantile(y, 0.95)


def test_folds_cover_the_target_range_and_are_capped(monkeypatch):
    monkeypatch.setattr(oof_module, "MAX_TRAIN", 300)
    monkeypatch.setattr("datacheck.models.regression.MAX_TRAIN", 300)
    folds = regression_folds(np.arange(1000), seed=0)
    assert all(len(train) <= 310 for train, _ in folds)
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(1000))
    for _, test in folds:  # stratified by quantile bins of the codes
        assert test.min() < 100 and test.max() > 900


def test_relation_separates_a_related_target_from_a_permuted_one():
    x, y = _linear()
    related = regression_relation(_ctx(x, y))
    assert related.related and related.z_score > 10 and related.best_r2 > 0.9
    unrelated = regression_relation(_ctx(x, np.random.default_rng(1).permutation(y)))
    assert not unrelated.related and unrelated.best_r2 < 0.05
    assert unrelated.n_permutations == 10 and abs(unrelated.null_r2) < 0.1


def test_variance_gain_finds_the_column_a_threshold_explains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 20))
    y = np.where(x[:, 7] > 0.3, 5.0, 0.0) + rng.normal(size=500) * 0.1
    gain = variance_gain(x, y)
    assert gain.argmax() == 7 and gain[7] > 0.95 and np.all((gain >= 0) & (gain <= 1))
    assert variance_gain(np.ones((10, 2)), np.arange(10.0)).tolist() == [0.0, 0.0]


def test_robust_z_is_the_normal_z_and_ignores_outliers():
    rng = np.random.default_rng(0)
    residual = rng.normal(3.0, 2.0, 5000)
    residual[:100] = 1e6
    z, scale = robust_z(residual)
    assert abs(scale - 2.0) < 0.15 and np.all(z[:100] > 1e5)
    assert abs(np.median(z)) < 1e-9
    z, scale = robust_z(np.r_[np.zeros(10), 1.0])  # MAD 0: the mean deviation stands in
    assert scale > 0 and z[-1] > 5


def test_residuals_flag_planted_targets_after_a_refit():
    x, y = _linear(500, seed=2)
    wrong = y.copy()
    wrong[::25] += 40  # 20 targets, far from any prediction
    est = target_noise(_ctx(x, wrong), 5.0)
    assert est.refit and set(est.suspects.tolist()) == set(range(0, 500, 25))
    assert np.all(np.diff(np.abs(est.z[est.suspects])) <= 0), "most extreme first"
    assert est.ratio == 0.04 and 0.02 < est.low < 0.04 and r2_score(y, est.predicted) > 0.9
    clean = target_noise(_ctx(x, y), 5.0)
    assert not clean.refit and not len(clean.suspects) and clean.ratio == 0.0


def test_quantile_skewness_tells_skewed_from_symmetric_residuals():
    rng = np.random.default_rng(0)
    assert abs(quantile_skewness(rng.standard_t(2, 5000))) < 0.05
    assert quantile_skewness(rng.lognormal(0, 1, 5000)) > 0.4
    assert quantile_skewness(-rng.lognormal(0, 1, 5000)) < -0.4
    assert quantile_skewness(np.ones(10)) == 0.0


def _probe(x, y):
    from datacheck.models.regression import boosting_pays_regression

    half = len(y) // 2
    return boosting_pays_regression(x, y, np.arange(half), np.arange(half, len(y)), seed=0)


def test_boosting_probe_keeps_boosting_for_a_non_linear_target_even_with_unit_slips():
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(6000, noise=1.0, random_state=0)
    assert _probe(x, y)
    slipped = y.copy()
    slipped[::33] *= 10  # 3% of the targets ten times too large: R² would hide boosting's gain
    assert _probe(x, slipped)


def test_boosting_probe_leaves_boosting_out_for_a_linear_target_and_the_refit_follows():
    x, y = _linear(7000, seed=3)  # folds of 5,600 training samples: the probe runs
    assert not _probe(x, y)
    wrong = y.copy()
    wrong[::25] += 40  # 4% contradicted targets: a refit, with ridge regression alone
    ctx = _ctx(x, wrong)
    oof = regression_out_of_fold(ctx)
    assert [name for name, _ in oof.families] == ["ridge regression"] and oof.model.startswith("ridge regression,")
    est = target_noise(ctx, 5.0)
    assert est.refit and set(est.suspects.tolist()) == set(range(0, 7000, 25))
