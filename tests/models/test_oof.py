"""Out-of-fold probabilities: cached, deterministic, calibrated to the labels given."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.errors import ConfigError
from datacheck.models import oof as oof_module
from datacheck.models import oof_skip_reason, out_of_fold, validate_options
from datacheck.scan import scan


def _ctx(digits_split, seed=0, **options):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    ds = from_objects({"train": (x_train.reshape(-1, 8, 8), y_train), "test": (x_test.reshape(-1, 8, 8), y_test)})
    return CheckContext(ds, scan(ds, workers=1), {"seed": seed, **options})


def test_probabilities_are_out_of_fold_cached_and_deterministic(digits_split):
    ctx = _ctx(digits_split)
    first = out_of_fold(ctx)
    assert out_of_fold(ctx) is first, "computed once per context"
    assert first.proba.shape == (1797, 10) and np.allclose(first.proba.sum(axis=1), 1)
    assert np.mean(first.proba.argmax(axis=1) == first.y) > 0.95
    assert "nearest neighbours" in first.model and first.n_folds == 5
    again = out_of_fold(_ctx(digits_split))
    assert np.array_equal(first.proba, again.proba)
    other = out_of_fold(_ctx(digits_split, seed=1))
    assert not np.array_equal(first.proba, other.proba)


def test_training_folds_are_capped(digits_split, monkeypatch):
    monkeypatch.setattr(oof_module, "MAX_TRAIN", 300)
    folds = oof_module._folds(np.repeat(np.arange(10), 100), seed=0)
    assert all(len(train) <= 310 for train, _ in folds)
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(1000))
    assert len(folds) == 2  # 500 rows per training part: two folds fill the cap


@pytest.mark.parametrize("n", [500, 1200, 1249, 1250, 1333, 1334, 1500, 100_000])
def test_fewer_folds_only_when_their_models_train_on_as_much(monkeypatch, n):
    monkeypatch.setattr(oof_module, "MAX_TRAIN", 1000)
    k = oof_module.n_folds(n)
    assert oof_module.MIN_FOLDS <= k <= oof_module.N_FOLDS
    train_size = lambda folds: min(1000, n * (folds - 1) // folds)  # noqa: E731
    assert train_size(k) == train_size(oof_module.N_FOLDS)
    assert k == oof_module.N_FOLDS or k == oof_module.MIN_FOLDS or train_size(k - 1) < 1000  # the fewest that fill it


def test_options_are_validated():
    validate_options({})
    validate_options({"noise_model": "cnn", "noise_max_samples": 1000})
    with pytest.raises(ConfigError, match="'auto', 'cnn'"):
        validate_options({"noise_model": "big"})
    with pytest.raises(ConfigError, match="noise_max_samples"):
        validate_options({"noise_max_samples": 10.5})


def test_skip_reason_without_features():
    rng = np.random.default_rng(0)
    import pandas as pd

    frame = pd.DataFrame({"id": [f"r{i}" for i in range(40)], "label": np.repeat([0, 1], 20)})
    ds = from_objects({"train": frame})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    assert "no features" in oof_skip_reason(ctx)


def test_folds_fitted_side_by_side_give_the_same_probabilities(digits_split, monkeypatch):
    monkeypatch.setattr(oof_module, "SINGLE_THREAD_BELOW", 0)  # let 1,797 samples use two threads
    x = np.concatenate(digits_split[:2]).astype(np.float32)
    y = np.concatenate(digits_split[2:]).astype(np.int64)
    folds = oof_module._folds(y, seed=0)
    factories = oof_module.model_factories("pixels", len(folds[0][0]), x.shape[1], seed=0)
    results = {}
    for together in (1, 2):
        calls = []
        proba, model = oof_module._fit_proba(x, y, 10, folds, factories, advance=calls.append, threads=2,
                                             together=together)
        results[together] = proba
        assert calls == [1] * (len(folds) * len(factories)), "every fit reported, from whichever thread"
        assert model == "RBF kernel model + 15 nearest neighbours, 5-fold"
    assert np.allclose(results[1].sum(axis=1), 1) and np.mean(results[1].argmax(axis=1) == y) > 0.95
    assert np.array_equal(results[1], results[2])
