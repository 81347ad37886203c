"""split_leakage in the per-sample table: ``split_leakage.copy_in`` names the training sample a
test sample copies (exact, near or mirrored), ``split_leakage.flag`` says how; clean splits
leave both empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.checks._leakage.samples import LeakMarks, mirrored
from tests import panel

CHECK = "split_leakage"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def _flagged(report) -> pd.DataFrame:
    """id -> (copy_in, flag) of the flagged samples."""
    s = report.samples
    hit = s[s[f"{CHECK}.flag"].notna()]
    return hit.set_index("id")[[f"{CHECK}.copy_in", f"{CHECK}.flag"]].astype(object)


def _truth(data: panel.Splits, mirror: bool) -> dict[str, str]:
    """Test image path -> path of the training image it equals (mirrored or not), from the pixels."""
    train = data.x_train[:, :, ::-1] if mirror else data.x_train
    flat = {t.tobytes(): j for j, t in reversed(list(enumerate(train)))}
    out = {}
    for i, x in enumerate(data.x_test):
        j = flat.get(x.tobytes())
        if j is not None:
            out[f"test/{data.classes[data.y_test[i]]}/{i:05d}.png"] = \
                f"train/{data.classes[data.y_train[j]]}/{j:05d}.png"
    return out


@pytest.fixture(scope="module")
def fashion(sample_data):
    return panel.image_folder_subset(sample_data / "clean_images", 40, 10)


@pytest.mark.parametrize("mirror", [False, True])
def test_copies_across_splits_name_their_training_image(tmp_path, fashion, mirror):
    data = panel.copied_across(fashion, 0.2, seed=3, mirrored=mirror)
    truth = _truth(data, mirror)
    assert len(truth) >= 20  # 20 planted (a clean image may have no copy in train: none here)
    report = _profile(panel.write_image_folder(data, tmp_path))
    got = _flagged(report)
    assert set(got.index) == set(truth)
    assert got[f"{CHECK}.copy_in"].to_dict() == truth
    assert set(got[f"{CHECK}.flag"]) == {"mirrored" if mirror else "exact"}
    assert not report.samples.query("split == 'train'")[f"{CHECK}.flag"].notna().any()


def test_clean_images_leave_the_columns_empty(sample_data):
    s = _profile(sample_data / "clean_images").samples
    assert {f"{CHECK}.copy_in", f"{CHECK}.flag"} <= set(s.columns)
    assert len(s) == 1200
    assert s[f"{CHECK}.flag"].isna().all() and s[f"{CHECK}.copy_in"].isna().all()


def test_exact_and_near_rows_name_their_training_row(wine_frames):
    rng = np.random.default_rng(0)
    train, test = wine_frames
    feats = [c for c in train.columns if c != "label"]
    noisy = train.iloc[[5, 6, 9]].copy()
    noisy[feats] += rng.normal(0, 1e-4, (3, len(feats)))
    leaked = pd.concat([test, train.iloc[[3, 40]], noisy], ignore_index=True)
    got = _flagged(_profile(train=train, test=leaked))
    n = len(test)
    expected = {f"test[{n}]": ("train[3]", "exact"), f"test[{n + 1}]": ("train[40]", "exact"),
                f"test[{n + 2}]": ("train[5]", "near"), f"test[{n + 3}]": ("train[6]", "near"),
                f"test[{n + 4}]": ("train[9]", "near")}
    assert {k: tuple(v) for k, v in zip(got.index, got.to_numpy().tolist())} == expected


def test_a_copied_row_of_a_shared_group_carries_both_reasons(wine_frames):
    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)))
    leaked = pd.concat([test.assign(patient=1000 + np.arange(len(test))), train.iloc[[7]],
                        test.iloc[[0]].assign(patient=12)], ignore_index=True)
    got = _flagged(_profile(train=train, test=leaked, group_col="patient"))
    n = len(test)
    assert got.loc[f"test[{n}]"].tolist() == ["train[7]", "exact, shared_group"]
    assert pd.isna(got.loc[f"test[{n + 1}]", f"{CHECK}.copy_in"])
    assert got.loc[f"test[{n + 1}]", f"{CHECK}.flag"] == "shared_group"
    assert len(got) == 2


def test_random_table_split_flags_nothing(wine_frames):
    train, test = wine_frames
    s = _profile(train=train, test=test).samples
    assert s[f"{CHECK}.flag"].isna().all() and s[f"{CHECK}.copy_in"].isna().all()


def test_marks_keep_the_first_partner_and_join_reasons():
    marks = LeakMarks(["train", "val", "test"])
    marks.add("test", [4, 1], "exact", ["train/a.png", "train/b.png"])
    marks.add("test", [4, 2], ["near", "mirrored"], ["val/c.png", "val/d.png"])
    marks.add("test", [4], "shared_group")
    calls = []

    class Ctx:
        def sample_column(self, split, name, values, rows):
            calls.append((split, name, list(np.asarray(rows)), list(values)))

    marks.attach(Ctx())
    assert ("test", "flag", [1, 2, 4], ["exact", "mirrored", "exact, near, shared_group"]) in calls
    assert ("test", "copy_in", [1, 2, 4], ["train/b.png", "val/d.png", "train/a.png"]) in calls
    assert ("train", "flag", [], []) in calls and ("val", "copy_in", [], []) in calls


def test_mirrored_is_told_from_the_thumbnails():
    rng = np.random.default_rng(1)
    ref = rng.integers(0, 256, (3, 16, 16)).astype(np.uint8)
    query = np.stack([ref[0], ref[1, :, ::-1], np.full((16, 16), 7, np.uint8)])
    assert mirrored(ref, query).tolist() == [False, True, False]
    symmetric = np.concatenate([ref[:1, :, :8], ref[:1, :, 7::-1]], axis=2)
    assert mirrored(symmetric, symmetric[:, :, ::-1]).tolist() == [False]
