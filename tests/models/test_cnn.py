"""The optional CNN (noise_model="cnn"): torch only there, GPU when present."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.checks import CheckContext
from datacheck.data import from_objects
from datacheck.models import estimate_noise, out_of_fold
from datacheck.scan import scan

torch = pytest.importorskip("torch")


def _digits(digits_split, noisy=False):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    if noisy:
        y_train = np.where(np.arange(len(y_train)) % 10 == 0, (y_train + 3) % 10, y_train)
    return from_objects({"train": (x_train.reshape(-1, 8, 8), y_train), "test": (x_test.reshape(-1, 8, 8), y_test)})


def test_cnn_runs_on_cpu_and_is_averaged_with_the_default_models(digits_split, monkeypatch):
    from datacheck.models import cnn

    monkeypatch.setattr(cnn, "EPOCHS", 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    ds = _digits(digits_split)
    oof = out_of_fold(CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_model": "cnn"}))
    assert "small CNN (cpu)" in oof.model
    assert np.allclose(oof.proba.sum(axis=1), 1) and np.mean(oof.proba.argmax(1) == oof.y) > 0.9


def test_cnn_needs_images():
    rng = np.random.default_rng(0)
    ds = from_objects({"train": (rng.normal(size=(60, 3)), np.repeat([0, 1], 30))})
    oof = out_of_fold(CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_model": "cnn"}))
    assert any("needs image inputs" in note for note in oof.notes)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cnn_on_gpu_finds_flips_and_is_deterministic(digits_split):
    ds = _digits(digits_split, noisy=True)
    runs = [out_of_fold(CheckContext(ds, scan(ds, workers=1), {"seed": 0, "noise_model": "cnn"})) for _ in range(2)]
    assert "small CNN (cuda)" in runs[0].model
    assert np.array_equal(runs[0].proba, runs[1].proba)
    est = estimate_noise(runs[0].proba, runs[0].y)
    assert abs(est.noise_ratio - 135 / 1797) < 0.02
