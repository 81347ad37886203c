"""image_quality: dark, light, blurred, low-information and oddly shaped Fashion-MNIST images
planted in a copy of ``sample_data/clean_images`` are listed; clean sets stay quiet."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image, ImageFilter

import datacheck
from tests import panel
from tests.helpers import loud

CHECK = "image_quality"


def profile(path, **kwargs):
    return datacheck.profile(path, checks=[CHECK], workers=1, **kwargs)


def by_code(report):
    return {f.code.split(".", 1)[1]: f for f in report.findings}


@pytest.fixture()
def fashion(sample_data, tmp_path):
    """A writable copy of the 1,200 clean Fashion-MNIST PNGs."""
    return shutil.copytree(sample_data / "clean_images", tmp_path / "fashion")


def files(root, split, cls):
    return sorted((root / split / cls).glob("*.png"))


def rewrite(path, change):
    """Replace an image by ``change(uint8 pixels)`` (an array or a PIL image)."""
    pixels = np.asarray(Image.open(path))
    out = change(pixels)
    (out if isinstance(out, Image.Image) else Image.fromarray(np.asarray(out, np.uint8))).save(path)
    return path


def rel(root, path):
    return path.relative_to(root).as_posix()


def darken(a):
    return (a * 0.1).astype(np.uint8)


def lighten(a):
    return (255 - (255 - a.astype(np.float64)) * 0.1).astype(np.uint8)


def blur(a):
    return Image.fromarray(a).filter(ImageFilter.GaussianBlur(1.5))


def blank(a):
    """Black but for a 2x2 speck: almost no information, not constant."""
    out = np.zeros_like(a)
    out[13:15, 13:15] = 200
    return out


def test_planted_defects_are_listed_by_kind(fashion):
    classes = ["Bag", "Coat", "Dress", "Sneaker"]
    planted = {}
    kinds = (("dark_images", darken), ("light_images", lighten), ("blurred_images", blur),
             ("low_information", blank))
    for k, (what, change) in enumerate(kinds):
        # two images in each of four classes: far below a class share
        paths = [p for c in classes for p in files(fashion, "train", c)[2 * k:2 * k + 2]]
        planted[what] = {rel(fashion, rewrite(p, change)) for p in paths}
    wide = files(fashion, "test", "Shirt")[0]
    rewrite(wide, lambda a: Image.fromarray(a).resize((70, 28)))
    report = profile(fashion)
    found = by_code(report)
    assert set(found) == set(planted) | {"odd_aspect_ratio"}
    # the per-sample table flags the same images, by kind
    df = report.samples
    flags = df.dropna(subset=["image_quality.flag"]).set_index("id")["image_quality.flag"].to_dict()
    want = {path: what for what, paths in planted.items() for path in paths}
    assert flags == {**want, rel(fashion, wide): "odd_aspect_ratio"}
    for what, paths in planted.items():
        f = found[what]
        assert set(f.samples) == paths, what
        assert f.n_samples == 8 and f.severity.value == "info"
        assert f.evidence[0].kind == "images" and len(f.evidence[0].data["captions"]) == 8
    aspect = found["odd_aspect_ratio"]
    assert aspect.samples == (rel(fashion, wide),) and aspect.severity.value == "info"


def test_a_large_share_of_one_class_is_a_warning(fashion):
    bags = files(fashion, "train", "Bag")
    dark = {rel(fashion, rewrite(p, darken)) for p in bags[:40]}
    f = by_code(profile(fashion))["dark_images"]
    assert f.severity.value == "warning"
    assert set(f.samples) == dark and f.n_samples == 40
    assert f.metrics["worst_class"] == "Bag" and f.metrics["worst_class_share"] == pytest.approx(40 / 120)
    assert "Bag" in f.message


def test_a_class_dark_by_nature_stays_info(fashion):
    """Every Bag darkened: the class's typical image is dark, so it is what the class looks like
    (night-sky photos), not a defect of some of its images."""
    dark = {rel(fashion, rewrite(p, darken)) for s in ("train", "test") for p in files(fashion, s, "Bag")}
    f = by_code(profile(fashion))["dark_images"]
    assert f.severity.value == "info" and set(f.samples) <= dark and f.n_samples == len(dark)


def test_constant_images_are_left_to_input_integrity(fashion):
    path = rewrite(files(fashion, "train", "Coat")[0], lambda a: np.zeros_like(a))
    report = datacheck.profile(fashion, checks=[CHECK, "input_integrity"], workers=1)
    assert [f.code for f in report.by_check(CHECK)] == []
    assert rel(fashion, path) in report.by_check("input_integrity")[0].samples


def test_clean_fashion_is_quiet(sample_data):
    report = profile(sample_data / "clean_images")
    assert not report.by_check(CHECK)


def test_clean_digits_arrays_are_quiet(tmp_path):
    path = panel.write_npz(panel.digits_images(300, 100, seed=1), tmp_path / "digits.npz")
    report = datacheck.profile(path, checks=[CHECK])
    assert [c.status.value for c in report.checks] == ["passed"]
    assert not loud(report, CHECK)


def test_dark_array_images_are_found(tmp_path):
    data = panel.digits_images(300, 100, seed=1)
    x = data.x_train.copy()
    x[:3] = (x[:3] * 0.1).astype(x.dtype)
    path = panel.write_npz(panel.Splits(x, data.x_test, data.y_train, data.y_test, data.classes),
                           tmp_path / "digits.npz")
    f = by_code(datacheck.profile(path, checks=[CHECK]))["dark_images"]
    assert set(f.samples) == {"train[0]", "train[1]", "train[2]"}


def photo_tiles():
    """Tiles of three scikit-image photos labelled by photo (skipped without scikit-image)."""
    pytest.importorskip("skimage.data")
    return panel.three_photo_tiles()


def test_photo_tiles_are_quiet(tmp_path):
    report = profile(panel.write_image_folder(photo_tiles(), tmp_path / "tiles"))
    assert not loud(report, CHECK)


def test_dark_and_washed_out_photo_tiles_are_found(tmp_path):
    data = photo_tiles()
    x = data.x_train.copy()
    bright = np.flatnonzero(data.y_train != 2)  # astronaut and coffee tiles
    dark, light = bright[:4], bright[-4:]
    x[dark] = (x[dark] * 0.15).astype(np.uint8)
    x[light] = (255 - (255 - x[light].astype(np.float64)) * 0.15).astype(np.uint8)
    root = panel.write_image_folder(panel.Splits(x, data.x_test, data.y_train, data.y_test, data.classes),
                                    tmp_path / "tiles")
    found = by_code(profile(root))

    def ids(rows):
        return {f"train/{data.classes[data.y_train[i]]}/{i:05d}.png" for i in rows}

    # every planted tile is listed; the rest are Hubble tiles of black sky with a few faint
    # stars, very dark indeed, and too few of their class (the class is dark by nature) to warn
    flagged = set(found["dark_images"].samples)
    assert ids(dark) <= flagged and all("/hubble/" in s for s in flagged - ids(dark))
    assert len(flagged - ids(dark)) <= 0.1 * ((data.y_train == 2).sum() + (data.y_test == 2).sum())
    assert set(found["light_images"].samples) == ids(light)
    assert {f.severity.value for f in found.values()} == {"info"}
