"""The clean panel: small versions of clean, real datasets give no warning and no error from any
check in the default profile (issue 14; the full panel is ``benchmarks/false_alarms.py``)."""

from __future__ import annotations

import pytest

import datacheck
from tests import panel
from tests.conftest import SAMPLE
from tests.helpers import loud


def fashion_300():
    """300 Fashion-MNIST images (24 train and 6 test per class) from ``sample_data/clean_images``: the
    size at which weak models were taken for wrong labels (issue 14)."""
    return panel.image_folder_subset(SAMPLE / "clean_images", 24, 6)


BUILDERS = {
    "fashion_300_png": lambda d: panel.write_image_folder(fashion_300(), d / "fashion"),
    "digits_300.npz": lambda d: panel.write_npz(panel.digits_images(300, 100, seed=1), d / "digits.npz"),
    "digits_300_png": lambda d: panel.write_image_folder(panel.digits_images(300, 100, seed=1), d / "digits"),
    "wine_csv": lambda d: panel.write_csvs(panel.sklearn_table("wine"), d / "wine"),
    "breast_cancer_csv": lambda d: panel.write_csvs(panel.sklearn_table("breast_cancer"), d / "breast_cancer"),
    "raw_wine_csv": lambda d: panel.write_csvs(panel.sklearn_table("wine", raw=True), d / "wine"),
    "raw_breast_cancer_csv": lambda d: panel.write_csvs(panel.sklearn_table("breast_cancer", raw=True),
                                                        d / "breast_cancer"),
    "diabetes_regression_csv": lambda d: panel.write_csvs(panel.diabetes(), d / "diabetes", label="target"),
    "sparse_signal_200x2000": lambda d: panel.write_csvs(panel.sparse_signal(200, 2000), d / "sparse"),
}
SAMPLE_CLEAN = sorted(p.name for p in SAMPLE.glob("clean_*"))


def assert_quiet(report) -> None:
    found = loud(report)
    listed = "\n".join(f"  {f.severity.value} {f.code} [{f.split}]: {f.message}" for f in found)
    assert not found, f"{len(found)} warning/error finding(s) on clean data:\n{listed}"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_built_clean_set_is_quiet(name, tmp_path):
    assert_quiet(datacheck.profile(BUILDERS[name](tmp_path)))


def test_torch_datasets_are_quiet():
    pytest.importorskip("torch")
    assert_quiet(datacheck.profile(**panel.torch_datasets(fashion_300())))


@pytest.mark.parametrize("name", SAMPLE_CLEAN)
def test_sample_clean_set_is_quiet(name):
    assert_quiet(datacheck.profile(SAMPLE / name))


def test_panel_covers_every_sample_clean_set():
    assert len(SAMPLE_CLEAN) >= 4  # clean_digits.npz, clean_images, clean_manifest, clean_tabular
