"""Which models fit a large table, and how many threads they get."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.models import estimators
from datacheck.models import oof as oof_module
from datacheck.models import out_of_fold
from datacheck.models.estimators import boosting_pays
from datacheck.models.oof import fit_threads, model_threads
from datacheck.scan import parallel
from datacheck.scan.parallel import cgroup_cpus
from datacheck.scan import scan


def _halves(y):
    at = np.random.default_rng(0).permutation(len(y))
    return np.sort(at[: len(y) // 2]), np.sort(at[len(y) // 2:])


def _xor_table(n=3000, seed=0):
    """Labels by the sign of f0 times f1: no linear model can predict them."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)


def _linear_table(n=3000, seed=0):
    """Labels by the sign of a linear score plus a little noise: boosting's steps can only
    approximate the slanted boundary a linear model fits exactly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8))
    return x, (x @ rng.standard_normal(8) + 0.3 * rng.standard_normal(n) > 0).astype(np.int64)


def test_boosting_joins_only_where_it_predicts_better():
    """Boosting joins where the average of both models' probabilities beats the linear
    model's alone: not on a linear rule nor on random labels, where it would only add cost
    and blur the probabilities; on XOR, and on digits, whose linear probabilities it sharpens
    (held-out log loss 0.093 against 0.119)."""
    for x, y in (_linear_table(), (_linear_table()[0], np.random.default_rng(1).integers(0, 3, 3000))):
        train, test = _halves(y)
        assert not boosting_pays(x, y, train, test, seed=0)
    digits = load_digits()
    for x, y in (_xor_table(), (digits.data, digits.target)):
        train, test = _halves(y)
        assert boosting_pays(x, y, train, test, seed=0)


@pytest.mark.parametrize("xor, expected", [(True, "logistic regression + gradient boosting"),
                                           (False, "logistic regression, ")])
def test_large_table_models_follow_the_probe(monkeypatch, xor, expected):
    monkeypatch.setattr(oof_module, "HGB_FROM", 500)
    monkeypatch.setattr(estimators, "HGB_FROM", 500)
    # a linear rule, where boosting only adds cost
    x, y = _xor_table() if xor else _linear_table()
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])]).assign(label=y)
    ds = from_objects({"train": frame})
    oof = out_of_fold(CheckContext(ds, scan(ds, workers=1), {"seed": 0}))
    assert oof.model.startswith(expected)
    assert oof.boosted == xor
    # every modelled sample is predicted by models that did not see it
    for train, test in oof.folds:
        assert not np.intersect1d(train, test).size
    assert np.mean(oof.proba.argmax(axis=1) == oof.y) > 0.85


def _flipped_table(x, y, rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    moved = rng.random(len(y)) < rate
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])]).assign(label=np.where(moved, 1 - y, y))
    ds = from_objects({"train": frame})
    return CheckContext(ds, scan(ds, workers=1), {"seed": 0})


def test_the_second_family_is_not_fitted_beside_boosting_on_the_same_features(monkeypatch):
    """Where the main models include gradient boosting on the unreduced features, the second
    family (shallower boosting on a screened subset of them) cannot see more: a noise claim
    is not checked against it, and its folds are not fitted. Where they are logistic
    regression alone, or boosting on reduced inputs, it is."""
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.models.oof import second_family_adds

    monkeypatch.setattr(oof_module, "HGB_FROM", 500)
    monkeypatch.setattr(estimators, "HGB_FROM", 500)
    ctx = _flipped_table(*_xor_table())
    found = LabelNoiseCheck().run(ctx)
    assert out_of_fold(ctx).boosted and not second_family_adds(ctx)
    assert any(f.code == "label_noise.noise_rate" and f.severity.value == "warning" for f in found)
    assert "oof_second" not in ctx._cache and found[0].metrics["second_family"] is None
    # logistic regression alone: the claim is checked against the second family
    ctx = _flipped_table(*_linear_table())
    LabelNoiseCheck().run(ctx)
    assert not out_of_fold(ctx).boosted and second_family_adds(ctx)
    assert "oof_second" in ctx._cache
    # boosting on reduced inputs (a table wider than MAX_TABLE_WIDTH): the second family
    # sees the unreduced ones
    monkeypatch.setattr(estimators, "MAX_TABLE_WIDTH", 6)
    ctx = _flipped_table(*_xor_table())
    monkeypatch.setattr(oof_module, "boosting_pays", lambda *args, **kwargs: True)
    assert out_of_fold(ctx).boosted and second_family_adds(ctx)


def test_cgroup_quota_is_read(tmp_path):
    none = str(tmp_path / "no-membership")  # root's own files alone
    assert cgroup_cpus(str(tmp_path), none) is None  # no files: no quota
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpus(str(tmp_path), none) is None
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpus(str(tmp_path), none) == 2
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpus(str(v1), none) is None
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    assert cgroup_cpus(str(v1), none) == 1


def test_cgroup_quota_of_the_process_own_cgroup_and_those_above_it(tmp_path):
    membership = tmp_path / "cgroup"
    root = tmp_path / "fs"
    slice_ = root / "system.slice" / "job.service"
    slice_.mkdir(parents=True)
    (root / "cpu.max").write_text("max 100000\n")
    (root / "system.slice" / "cpu.max").write_text("max 100000\n")
    (slice_ / "cpu.max").write_text("300000 100000\n")
    membership.write_text("0::/system.slice/job.service\n")
    assert cgroup_cpus(str(root), str(membership)) == 3  # a systemd unit's CPUQuota=300%
    # the smallest quota on the way up counts
    (root / "system.slice" / "cpu.max").write_text("50000 100000\n")
    assert cgroup_cpus(str(root), str(membership)) == 1
    # a container shows its own cgroup at the root, under a path of the host's: the root's
    membership.write_text("0::/kubepods/pod1/abc\n")
    (root / "cpu.max").write_text("400000 100000\n")
    assert cgroup_cpus(str(root), str(membership)) == 4
    # cgroup v1: the cpu controller's folder, named with cpuacct as many systems mount it
    v1 = tmp_path / "v1"
    job = v1 / "cpu,cpuacct" / "docker" / "abc"
    job.mkdir(parents=True)
    (job / "cpu.cfs_quota_us").write_text("200000\n")
    (job / "cpu.cfs_period_us").write_text("100000\n")
    membership.write_text("5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n")
    assert cgroup_cpus(str(v1), str(membership)) == 2


def test_model_threads_respect_the_cores_and_workers(monkeypatch):
    monkeypatch.setattr(parallel, "cgroup_cpus", lambda: 3)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert model_threads({}) == 3
    assert model_threads({"workers": 2}) == 2
    assert model_threads({"workers": 1}) == 1
    monkeypatch.setattr(parallel, "cgroup_cpus", lambda: None)
    assert model_threads(None) == 8


def test_fit_threads_keep_tables_and_small_samples_in_one_thread(monkeypatch):
    monkeypatch.setattr(parallel, "cgroup_cpus", lambda: 2)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert fit_threads(np.zeros((30_000, 50), np.float32), "table") == 1
    # a wide table too: its boosting goes to the worker process, beside these fits
    assert fit_threads(np.zeros((30_000, 200), np.float32), "table") == 1
    assert fit_threads(np.zeros((30_000, 50), np.float32), "pixels") == 2
    assert fit_threads(np.zeros((1_000, 200), np.float32), "pixels") == 1
    assert fit_threads(np.zeros((30_000, 200), np.float32), "pixels", {"workers": 1}) == 1


def test_regression_fits_run_blas_in_one_thread_and_openmp_in_those_given():
    from threadpoolctl import threadpool_info

    from datacheck.models.regression import fit_predict

    seen = []

    class Recorder:
        def fit(self, x, y):
            seen.append({info["user_api"]: info["num_threads"] for info in threadpool_info()})
            return self

        def predict(self, x):
            return np.zeros(len(x))

    n = 25_000
    folds = [(np.arange(n // 2), np.arange(n // 2, n))]
    fit_predict(np.zeros((n, 4)), np.arange(n, dtype=float), folds, [("recorder", Recorder)], threads=2)
    assert seen and seen[0].get("blas", 1) == 1
    assert seen[0].get("openmp", 2) == 2


@pytest.mark.parametrize("k", [2, 3, 10])
def test_the_permutation_null_is_scikit_learns_ridge_classifier(k):
    """``RidgeNull`` solves what ``RidgeClassifier(alpha=1)`` solves: the same coefficients,
    intercepts and predictions, for two classes (one decision column) and more, including
    inputs narrower than their samples are many and wider."""
    from sklearn.linear_model import RidgeClassifier

    rng = np.random.default_rng(k)
    for n, d in ((600, 40), (30, 80)):
        x = (rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d)).astype(np.float32)
        y = rng.integers(0, k, n) * 3 + 1  # labels need not be 0..k-1
        y[:k] = np.arange(k) * 3 + 1
        theirs = RidgeClassifier(alpha=1.0).fit(x.astype(np.float64), y)
        ours = estimators.null_factory()().fit(x, y)
        assert list(ours.classes_) == list(theirs.classes_)
        np.testing.assert_allclose(ours.coef_.T, theirs.coef_.reshape(-1, d), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours.intercept_, np.ravel(theirs.intercept_), rtol=1e-6, atol=1e-9)
        test = rng.standard_normal((300, d)).astype(np.float32)
        assert np.array_equal(ours.predict(test), theirs.predict(test.astype(np.float64)))
