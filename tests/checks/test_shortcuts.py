"""shortcuts: a file format, a frame colour or a size planted per class in Fashion-MNIST images
is a warning naming the property; clean sets, whose classes differ in brightness by nature,
get info at most."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import datacheck
from tests import panel
from tests.helpers import loud

CHECK = "shortcuts"


def profile(path, **kwargs):
    return datacheck.profile(path, checks=[CHECK], workers=1, **kwargs)


def by_code(report):
    return {f.code.split(".", 1)[1]: f for f in report.findings}


@pytest.fixture(scope="module")
def fashion(sample_data):
    """The clean Fashion-MNIST sample as arrays: 96 train and 24 test images per class."""
    return panel.image_folder_subset(sample_data / "clean_images", 96, 24)


def subset(data: panel.Splits, names: tuple[str, ...]) -> panel.Splits:
    """Only some classes, relabelled 0..k-1."""
    codes = [data.classes.index(n) for n in names]
    lut = np.full(len(data.classes), -1)
    lut[codes] = np.arange(len(codes))
    parts = []
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        keep = np.isin(y, codes)
        parts.append((x[keep], lut[y[keep]]))
    return panel.Splits(parts[0][0], parts[1][0], parts[0][1], parts[1][1], names)


def write(data: panel.Splits, folder, save=None):
    """Write an image folder; ``save(image, class_name, path_without_suffix)`` writes each image."""
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        for i, (image, c) in enumerate(zip(x, y)):
            name = data.classes[c]
            (folder / split / name).mkdir(parents=True, exist_ok=True)
            stem = folder / split / name / f"{i:05d}"
            if save is None:
                Image.fromarray(image).save(f"{stem}.png")
            else:
                save(image, name, stem)
    return folder


def test_format_per_class_is_a_warning(fashion, tmp_path):
    data = subset(fashion, ("Shirt", "T-shirt_top"))

    def save(image, name, stem):
        if name == "Shirt":
            Image.fromarray(image).save(f"{stem}.jpg", quality=95)
        else:
            Image.fromarray(image).save(f"{stem}.png")

    report = profile(write(data, tmp_path / "set", save))
    f = by_code(report)["property_predicts_label"]
    assert f.severity.value == "warning"
    assert f.metrics["property"] == "file format" and f.metrics["balanced_accuracy"] == 1.0
    assert f.metrics["chance"] == 0.5
    assert "'Shirt' images are JPEG (100%)" in f.message and "'T-shirt_top' images are PNG (100%)" in f.message
    assert {s.split("/")[1] for s in f.samples} == {"Shirt", "T-shirt_top"}


def test_a_coloured_border_per_class_is_a_warning(fashion, tmp_path):
    data = subset(fashion, ("Coat", "Pullover", "Shirt"))
    colours = {"Coat": (200, 30, 30), "Pullover": (30, 200, 30), "Shirt": (30, 30, 200)}

    def save(image, name, stem):
        rgb = np.repeat(image[:, :, None], 3, axis=2)
        rgb[:2], rgb[-2:], rgb[:, :2], rgb[:, -2:] = (colours[name],) * 4
        Image.fromarray(rgb).save(f"{stem}.png")

    f = by_code(profile(write(data, tmp_path / "set", save)))["property_predicts_label"]
    assert f.severity.value == "warning" and f.metrics["property"] == "border colour"
    assert f.metrics["balanced_accuracy"] >= 0.99
    table = {row[0]: row[2] for row in f.evidence[0].data["rows"]}
    assert table["Coat"] == "(78%, 12%, 12%)"


def test_one_class_resized_is_a_warning(fashion, tmp_path):
    data = subset(fashion, ("Sandal", "Sneaker"))

    def save(image, name, stem):
        im = Image.fromarray(image)
        (im.resize((32, 32), Image.Resampling.BILINEAR) if name == "Sandal" else im).save(f"{stem}.png")

    f = by_code(profile(write(data, tmp_path / "set", save)))["property_predicts_label"]
    assert f.severity.value == "warning" and f.metrics["property"] == "image size"
    assert "'Sandal' images have median 1,024 pixels" in f.message


def test_clean_fashion_is_info_at_most(sample_data):
    report = profile(sample_data / "clean_images")
    assert not loud(report, CHECK)
    f = by_code(report)["property_signal"]
    # Sandals are darker than pullovers: brightness helps, far from deciding the label.
    assert f.severity.value == "info"
    assert 0.15 < f.metrics["brightness"] < 0.5 and f.metrics["chance"] == pytest.approx(0.1)


def test_two_clean_classes_are_info_at_most(fashion, tmp_path):
    """Trousers and bags differ in shape and brightness by nature; no property decides."""
    report = profile(write(subset(fashion, ("Bag", "Trouser")), tmp_path / "set"))
    assert not loud(report, CHECK)


def test_clean_digits_arrays_are_quiet(tmp_path):
    path = panel.write_npz(panel.digits_images(300, 100, seed=1), tmp_path / "digits.npz")
    assert not loud(datacheck.profile(path, checks=[CHECK]), CHECK)


def test_photo_tiles_are_quiet(tmp_path):
    """Tiles of three photos labelled by photo: brightness and colour differ by nature (the
    Hubble field is dark), yet none decides the label alone."""
    pytest.importorskip("skimage.data")
    split = panel.three_photo_tiles()
    report = profile(panel.write_image_folder(split, tmp_path / "tiles"))
    assert not loud(report, CHECK)
