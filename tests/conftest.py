"""Shared fixtures: paths to the bundled sample data and small real datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The bundled ``sample_data/`` folder."""
    return SAMPLE


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn digits, shuffled and randomly split 75/25: (X_train, X_test, y_train, y_test)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="session")
def wine_frames():
    """scikit-learn wine, standardized on train only, as (train_df, test_df) with a ``label`` column."""
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = load_wine(as_frame=True)
    x, y = data.data, data.target
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(xtr)
    train = pd.DataFrame(scaler.transform(xtr), columns=x.columns).assign(label=ytr.to_numpy())
    test = pd.DataFrame(scaler.transform(xte), columns=x.columns).assign(label=yte.to_numpy())
    return train, test


@pytest.fixture(scope="session")
def rng():
    """A seeded generator for tests that build data."""
    return np.random.default_rng(0)
