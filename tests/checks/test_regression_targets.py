"""The checks that work unchanged on a regression target: each catches its planted defect on
scikit-learn's diabetes table (a float target of 214 values) and is quiet on the clean table.

class_balance, label_order, feature_scaling, learnability and label_noise have regression forms
of their own, tested beside their classification tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import datacheck

CHECKS = ["input_integrity", "duplicates", "preprocessing_leakage", "split_leakage", "split_consistency"]


def _raw(seed: int = 0):
    x, y = load_diabetes(return_X_y=True, as_frame=True)
    return train_test_split(x, y.astype(float), test_size=0.25, random_state=seed)


def _frames(fit_on_all: bool = False, seed: int = 0):
    xtr, xte, ytr, yte = _raw(seed)
    scaler = StandardScaler().fit(pd.concat([xtr, xte]) if fit_on_all else xtr)
    train = pd.DataFrame(scaler.transform(xtr), columns=xtr.columns).assign(target=ytr.to_numpy())
    test = pd.DataFrame(scaler.transform(xte), columns=xte.columns).assign(target=yte.to_numpy())
    return train, test


def _loud(train, test, checks=CHECKS):
    report = datacheck.profile(train=train, test=test, label="target", checks=checks, workers=1)
    assert report.dataset.task == "regression"
    return {(f.code, f.severity.value) for f in report.findings if f.severity.value in ("warning", "error")}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_diabetes_is_quiet_in_every_unchanged_check(seed):
    assert _loud(*_frames(seed=seed)) == set()


def test_nan_features_are_an_error():
    train, test = _frames()
    train.iloc[[3, 40, 77], 2] = np.nan
    assert ("input_integrity.nan", "error") in _loud(train, test, ["input_integrity"])


def test_identical_inputs_with_different_targets_are_found():
    # targets further apart than the target's interquartile range (about 130) conflict; closer
    # ones are the target's own noise, and the twins are copies
    train, test = _frames()
    for shift, code in ((300.0, "duplicates.label_conflicts"), (50.0, "duplicates.exact")):
        twins = train.iloc[:12].assign(target=train.target.iloc[:12] + shift)
        report = datacheck.profile(train=pd.concat([train, twins], ignore_index=True), test=test, label="target",
                                   checks=["duplicates"], workers=1)
        (found,) = report.findings
        assert found.code == code and found.severity.value in ("warning", "error")
        assert found.n_samples >= (24 if code.endswith("conflicts") else 12)  # both members of each pair


def test_a_scaler_fit_on_train_and_test_together_is_an_error():
    found = _loud(*_frames(fit_on_all=True), ["preprocessing_leakage"])
    assert any(code.startswith("preprocessing_leakage.") and sev == "error" for code, sev in found)


def test_test_rows_copied_from_train_are_an_error():
    train, test = _frames()
    leaked = pd.concat([test.iloc[:-30], train.iloc[:30]], ignore_index=True)
    assert ("split_leakage.exact_duplicate", "error") in _loud(train, leaked, ["split_leakage"])


def test_a_test_split_left_unscaled_is_found():
    xtr, xte, ytr, yte = _raw()
    scaler = StandardScaler().fit(xtr)
    train = pd.DataFrame(scaler.transform(xtr), columns=xtr.columns).assign(target=ytr.to_numpy())
    test = (xte * 100).assign(target=yte.to_numpy())  # raw features, in other units
    found = _loud(train, test, ["split_consistency"])
    assert any(code.startswith("split_consistency.") for code, _ in found), found
