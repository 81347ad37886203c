"""The per-sample table's image properties: ``image.brightness``, ``image.contrast``,
``image.entropy``, ``image.sharpness`` and ``image.border`` per image, the values the column
overview summarizes; a blurred image ranks low on sharpness, an unreadable one has none."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFilter

import datacheck
from datacheck.scan.image_props import PROPS, image_props

PROPERTIES = ["image.brightness", "image.contrast", "image.entropy", "image.sharpness", "image.border"]


def _profile(path):
    return datacheck.profile(path, checks=["input_integrity"], workers=1)


@pytest.fixture(scope="module")
def clean(sample_data):
    return _profile(sample_data / "clean_images")


def test_every_image_has_its_properties(clean, sample_data):
    df = clean.samples
    assert list(df.columns[:7]) == ["id", "split", "row", "label", "height", "width", "mode"]
    assert set(PROPERTIES) <= set(df.columns)
    assert len(df) == 1200 and df[PROPERTIES].notna().all().all()
    # the values of pixels read here, image by image
    ids = df["id"].to_numpy()[::97]
    pixels = [np.asarray(Image.open(sample_data / "clean_images" / i)) for i in ids]
    props = image_props(np.stack(pixels)[..., None])
    at = df.set_index("id").loc[ids]
    for name, prop in (("image.entropy", "entropy"), ("image.sharpness", "laplacian_std"),
                       ("image.border", "border_0")):
        np.testing.assert_allclose(at[name].to_numpy(), props[:, PROPS.index(prop)], rtol=1e-5)
    np.testing.assert_allclose(at["image.brightness"].to_numpy(), [p.mean() for p in pixels], rtol=1e-4)


def test_the_overview_summarizes_the_same_values(clean):
    df = clean.samples
    overview = {c["name"]: c for c in clean.columns}
    for name in PROPERTIES:
        for split in ("train", "test"):
            values = df.loc[df["split"] == split, name].to_numpy(np.float64)
            st = overview[name]["splits"][split]
            assert st["mean"] == pytest.approx(values.mean(), rel=1e-4)
            assert st["min"] == pytest.approx(values.min(), rel=1e-4)


def test_blurred_images_rank_lowest_on_sharpness(tmp_path, sample_data, clean):
    root = tmp_path / "set"
    shutil.copytree(sample_data / "clean_images", root)
    sharpness = clean.samples.set_index("id")["image.sharpness"]
    # the 5 sharpest test images, blurred: they drop to the bottom of the ranking
    picked = sharpness[sharpness.index.str.startswith("test/")].nlargest(5).index.tolist()
    for rel in picked:
        Image.open(root / rel).filter(ImageFilter.GaussianBlur(2)).save(root / rel)
    (root / "train" / "Bag" / "broken.png").write_bytes(b"not a png")
    df = _profile(root).samples.set_index("id")
    lowest = df["image.sharpness"].nsmallest(5).index.tolist()
    assert sorted(lowest) == sorted(picked)
    assert (df.loc[picked, "image.sharpness"].to_numpy() < 0.5 * sharpness.loc[picked].to_numpy()).all()
    broken = df.loc["train/Bag/broken.png"]
    assert broken["input_integrity.flag"] == "unreadable_files"
    assert broken[PROPERTIES].isna().all() and pd.isna(broken["height"])


def test_image_arrays_have_properties_but_no_file_facts(sample_data):
    df = _profile(sample_data / "clean_digits.npz").samples
    assert set(PROPERTIES) <= set(df.columns) and "height" not in df.columns
    assert df[PROPERTIES].notna().all().all()
    assert (df["image.entropy"] > 0).all() and (df["image.border"] <= 1).all()


def test_tables_have_no_image_columns(sample_data):
    df = _profile(sample_data / "clean_tabular").samples
    assert not [c for c in df.columns if c.startswith("image.")]
