"""An evaluation split without labels (Kaggle's ``test.csv``): loaded with every label missing,
its inputs still checked, nothing loud on clean data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.data import load
from datacheck.errors import InputError
from datacheck.report.html import render_html
from tests import panel
from tests.helpers import loud


def _kaggle_folder(root, data, label="label", copies=0):
    """train.csv with the label, test.csv without it; the first ``copies`` test rows are train rows."""
    train = pd.DataFrame(data.x_train, columns=[f"pixel{j}" for j in range(data.x_train.shape[1])])
    test = pd.DataFrame(data.x_test, columns=train.columns)
    test.iloc[:copies] = train.iloc[:copies].to_numpy()
    train.insert(0, label, data.y_train)
    root.mkdir()
    train.to_csv(root / "train.csv", index=False)
    test.to_csv(root / "test.csv", index=False)
    return root


@pytest.mark.parametrize("labels", [np.array([0, 1, 1, 2]), np.array(["cat", "dog", "dog", "cat"]),
                                    np.array([0.5, 1.25, 3.0, 2.5])])
def test_a_test_table_without_the_label_column_is_unlabelled(tmp_path, labels):
    pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0], "label": labels}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"f": [5.0, 6.0, 7.0]}).to_csv(tmp_path / "test.csv", index=False)
    ds = load(tmp_path)
    assert list(ds.splits) == ["train", "test"]
    assert ds.splits["test"].y.tolist() == [-1, -1, -1] and ds.splits["test"].table.column_names == ["f"]
    assert (ds.splits["train"].y >= 0).all()
    assert ds.task == ("regression" if labels.dtype.kind == "f" else "classification")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("labels", [np.array([0, 1, 1, 2]), np.array(["cat", "dog", "dog", "cat"])])
def test_a_streamed_test_table_without_the_label_column_is_unlabelled(tmp_path, suffix, labels):
    frames = {"train": pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0], "label": labels}),
              "test": pd.DataFrame({"f": [5.0, 6.0, 7.0]})}
    for name, frame in frames.items():
        getattr(frame, f"to_{suffix}")(tmp_path / f"{name}.{suffix}", index=False)
    ds = load(tmp_path, stream=True)
    assert ds.splits["test"].stream is not None and ds.splits["test"].y.tolist() == [-1, -1, -1]
    assert ds.classes == sorted(str(v) for v in set(labels.tolist()))
    assert ds.splits["train"].y.tolist() == [ds.classes.index(str(v)) for v in labels]


def test_a_train_table_without_the_label_column_is_an_input_error(tmp_path):
    pd.DataFrame({"f": [1.0, 2.0]}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"f": [5.0], "label": [1]}).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(InputError, match="train.csv.*label"):
        load(tmp_path)


def test_a_clean_unlabelled_test_split_is_quiet_and_says_so(tmp_path):
    report = datacheck.profile(_kaggle_folder(tmp_path / "digits", panel.digits_table(0)))
    assert not loud(report), [f.message for f in loud(report)]
    [counts] = [f for f in report.findings if f.code == "class_balance.counts"]
    assert "test 360 samples, unlabelled" in counts.message
    [missing] = [f for f in report.findings if f.code == "class_balance.missing_label"]
    assert missing.severity.value == "info" and "inputs are still checked" in missing.message
    assert not missing.samples and "samples to predict" in missing.hint
    [bars] = counts.evidence
    assert "test" not in bars.data["series"], "an unlabelled split has no class bars"
    html = render_html(report)
    assert re.search(r'<td class="mono">test</td><td class="n">360</td><td class="n">[^<]*</td>'
                     r'<td class="n">unlabelled</td>', html)


def test_train_rows_copied_into_an_unlabelled_test_split_are_found(tmp_path):
    report = datacheck.profile(_kaggle_folder(tmp_path / "digits", panel.digits_table(0), copies=36),
                               checks=["split_leakage"])
    [leak] = [f for f in loud(report)]
    assert leak.code == "split_leakage.exact_duplicate" and leak.metrics["n_leaked"] == 36


def test_an_unlabelled_test_split_beside_a_numeric_target_is_quiet(tmp_path):
    report = datacheck.profile(_kaggle_folder(tmp_path / "diabetes", panel.diabetes(0), label="target"))
    assert report.dataset.task == "regression"
    assert not loud(report), [f.message for f in loud(report)]
    assert re.search(r'<td class="mono">test</td><td class="n">89</td><td class="n">[^<]*</td>'
                     r'<td class="n">unlabelled</td>', render_html(report))


def _flat_test_images(root, sample_data, copies=0):
    """clean_images' train folders, and its test images in one flat folder (Kaggle's test/);
    the first ``copies`` train images are also copied into it."""
    import shutil

    shutil.copytree(sample_data / "clean_images" / "train", root / "train")
    (root / "test").mkdir()
    for i, path in enumerate(sorted((sample_data / "clean_images" / "test").rglob("*.png"))[:150]):
        shutil.copy(path, root / "test" / f"{i:04d}.png")
    for i, path in enumerate(sorted((root / "train").rglob("*.png"))[:copies]):
        shutil.copy(path, root / "test" / f"copy{i}.png")
    return root


def test_a_flat_test_folder_of_images_is_an_unlabelled_split(tmp_path, sample_data):
    ds = load(_flat_test_images(tmp_path / "d", sample_data))
    assert list(ds.splits) == ["train", "test"] and len(ds.splits["test"]) == 150
    assert (ds.splits["test"].y == -1).all() and ds.splits["test"].paths[0] == "test/0000.png"
    assert (ds.splits["train"].y >= 0).all() and len(ds.classes) == 10


def test_an_unlabelled_image_split_is_quiet_and_every_model_check_runs(tmp_path, sample_data):
    report = datacheck.profile(_flat_test_images(tmp_path / "d", sample_data))
    assert not loud(report), [f.message for f in loud(report)]
    ran = {o.id: o.status.value for o in report.checks}
    assert ran["learnability"] == ran["label_noise"] == ran["outliers"] == "passed", ran


def test_train_images_copied_into_a_flat_test_folder_are_found(tmp_path, sample_data):
    report = datacheck.profile(_flat_test_images(tmp_path / "d", sample_data, copies=15),
                               checks=["split_leakage"])
    [leak] = loud(report)
    assert leak.code == "split_leakage.exact_duplicate" and leak.metrics["n_leaked"] == 15


def test_x_test_without_y_test_in_an_archive_is_an_unlabelled_split(tmp_path, sample_data):
    with np.load(sample_data / "clean_digits.npz") as d:
        x_train, y_train, x_test = d["x_train"], d["y_train"], d["x_test"].copy()
    x_test[:20] = x_train[:20]
    np.savez(tmp_path / "d.npz", x_train=x_train, y_train=y_train, x_test=x_test)
    ds = load(tmp_path / "d.npz")
    assert (ds.splits["test"].y == -1).all() and len(ds.splits["test"]) == len(x_test)
    report = datacheck.profile(tmp_path / "d.npz", checks=["split_leakage", "class_balance"])
    [leak] = loud(report)
    assert leak.code == "split_leakage.exact_duplicate" and leak.metrics["n_leaked"] == 20
    np.savez(tmp_path / "none.npz", x_train=x_train, x_test=x_test)  # no labels anywhere
    with pytest.raises(InputError, match="expected arrays named x_train and y_train"):
        load(tmp_path / "none.npz")


def test_a_missing_label_in_a_folder_of_archives_stays_missing(tmp_path):
    x = np.zeros((4, 3))
    np.savez(tmp_path / "train.npz", x=x, y=np.array([0.0, 1.0, np.nan, 1.0]))
    np.savez(tmp_path / "test.npz", x=x[:2], y=np.array([1.0, 0.0]))
    ds = load(tmp_path)
    assert ds.splits["train"].y.tolist() == [0, 1, -1, 1]  # not the last class


def test_a_test_archive_with_x_alone_in_a_folder_is_an_unlabelled_split(tmp_path):
    x = np.arange(12.0).reshape(4, 3)
    np.savez(tmp_path / "train.npz", x=x, y=np.array([0, 1, 0, 1]))
    np.savez(tmp_path / "test.npz", x=x[:3] + 100)
    ds = load(tmp_path)
    assert list(ds.splits) == ["train", "test"] and ds.splits["test"].y.tolist() == [-1, -1, -1]
    (tmp_path / "train.npz").unlink()
    np.savez(tmp_path / "train.npz", x=x)  # no labels anywhere: the loader says what it expected
    with pytest.raises(InputError, match="expected arrays named x_train and y_train"):
        load(tmp_path)
