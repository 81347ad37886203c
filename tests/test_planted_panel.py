"""The planted panel: the clean panel's data with one defect each is caught, at warning or error,
by the check made for it (issue 14: precision must not cost recall)."""

from __future__ import annotations

import pytest

import datacheck
from tests import panel
from tests.conftest import SAMPLE
from tests.helpers import loud


def digits():
    return panel.digits_table(seed=0)


def digit_images():
    return panel.digits_images(300, 100, seed=1)


def fashion():
    return panel.image_folder_subset(SAMPLE / "clean_images", 30, 10)


def cancer():
    return panel.sklearn_table("breast_cancer", seed=0)


CASES = {
    "shuffled_labels": (lambda d: panel.write_csvs(panel.shuffled_labels(digits()), d), "learnability"),
    "uniform_flips_20pct": (lambda d: panel.write_csvs(panel.flipped_labels(digits(), 0.2), d), "label_noise"),
    "class_pair_flip_40pct": (lambda d: panel.write_csvs(panel.pair_flipped_labels(digits(), 1, 7, 0.4), d),
                              "label_noise"),
    "sorted_labels": (lambda d: panel.write_one_csv(panel.sorted_by_label(digits()), d / "sorted.csv"),
                      "label_order"),
    "exact_copies_across_splits": (lambda d: panel.write_image_folder(panel.copied_across(digit_images(), 0.1), d),
                                   "split_leakage"),
    "mirrored_copies_across_splits": (
        lambda d: panel.write_image_folder(panel.copied_across(digit_images(), 0.1, mirrored=True), d),
        "split_leakage"),
    "mirrored_fashion_copies_across_splits": (
        lambda d: panel.write_image_folder(panel.copied_across(fashion(), 0.1, mirrored=True), d),
        "split_leakage"),
    "class_imbalance": (lambda d: panel.write_csvs(panel.imbalanced(cancer(), 0, 0.05), d), "class_balance"),
    "nan_cells": (lambda d: panel.write_csvs(panel.with_nan(cancer(), 10), d), "input_integrity"),
    "unequal_scales": (lambda d: panel.write_csvs(panel.unscaled(cancer()), d), "feature_scaling"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_planted_defect_is_caught(name, tmp_path):
    write, check = CASES[name]
    report = datacheck.profile(write(tmp_path / name))
    found = loud(report)
    listed = ", ".join(f"{f.severity.value} {f.code}" for f in found) or "none"
    assert loud(report, check), f"{name}: no warning or error from {check}; loud findings: {listed}"

