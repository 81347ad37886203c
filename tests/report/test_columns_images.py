"""The column overview of image splits shows the scan's quality properties (``image_props``):
``image.entropy``, ``image.sharpness`` and ``image.border``; a blurred or framed test split
drifts on them, a clean random split does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

import datacheck
from datacheck.scan.image_props import PROPS, image_props

NEW = ("image.entropy", "image.sharpness", "image.border")


def _overview(path) -> dict:
    report = datacheck.profile(path, checks=["class_balance"], workers=1)
    return {c["name"]: c for c in report.columns}


def _copy(src: Path, dst: Path, test_edit=None, every: int = 2) -> Path:
    """Every ``every``-th image of ``src`` (clean_images), the test images passed through ``test_edit``."""
    for split in ("train", "test"):
        for f in sorted((src / split).glob("*/*.png"))[::every]:
            out = dst / split / f.parent.name / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            im = Image.open(f)
            (test_edit(im) if split == "test" and test_edit else im).save(out)
    return dst


@pytest.fixture(scope="module")
def clean(sample_data):
    return _overview(sample_data / "clean_images")


def test_quality_properties_are_columns_of_the_overview(clean, sample_data):
    assert set(NEW) <= set(clean)
    files = sorted((sample_data / "clean_images" / "test").glob("*/*.png"))
    stack = np.stack([np.asarray(Image.open(f)) for f in files])[..., None]
    props = image_props(stack)  # the same properties, from pixels read here
    expected = {"image.entropy": props[:, PROPS.index("entropy")],
                "image.sharpness": props[:, PROPS.index("laplacian_std")],
                "image.border": props[:, PROPS.index("border_0")]}
    for name, values in expected.items():
        col = clean[name]
        assert col["kind"] == "image" and col["dtype"] == "float"
        st = col["splits"]["test"]
        assert st["n"] == len(files) and st["missing"] == 0
        assert st["mean"] == pytest.approx(float(values.mean()), rel=1e-4)
        assert st["max"] == pytest.approx(float(values.max()), rel=1e-4)
        assert sum(st["histogram"]["counts"]) == len(files)


def test_a_clean_random_split_does_not_drift(clean):
    assert not any(clean[n]["drift"]["test"]["drifted"] for n in NEW)


def test_blurred_test_images_drift_on_sharpness(tmp_path, sample_data):
    blur = lambda im: im.filter(ImageFilter.GaussianBlur(1.2))  # noqa: E731
    cols = _overview(_copy(sample_data / "clean_images", tmp_path, blur))
    sharp = cols["image.sharpness"]
    assert sharp["drift"]["test"]["drifted"]
    assert sharp["splits"]["test"]["mean"] < 0.6 * sharp["splits"]["train"]["mean"]
    assert not cols["image.height"]["drift"]["test"]["drifted"]


def test_framed_test_images_drift_on_border(tmp_path, sample_data):
    fills = iter(np.random.default_rng(0).integers(210, 256, 1000).tolist())  # a light frame, not constant
    frame = lambda im: ImageOps.expand(im.crop((2, 2, 26, 26)), border=2, fill=next(fills))  # noqa: E731
    cols = _overview(_copy(sample_data / "clean_images", tmp_path, frame))
    border = cols["image.border"]
    assert border["drift"]["test"]["drifted"]
    assert border["splits"]["test"]["min"] > 0.8 > border["splits"]["train"]["max"]
    assert not cols["image.width"]["drift"]["test"]["drifted"]


def test_colour_images_border_is_the_mean_over_channels(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("test", 30)):
        (tmp_path / split / "a").mkdir(parents=True)
        for i in range(n):
            x = rng.integers(0, 256, (20, 20, 3)).astype(np.uint8)
            x[:2], x[-2:], x[:, :2], x[:, -2:] = (255, 0, 0), (255, 0, 0), (255, 0, 0), (255, 0, 0)
            Image.fromarray(x).save(tmp_path / split / "a" / f"{i}.png")
    border = _overview(tmp_path)["image.border"]
    assert border["splits"]["train"]["min"] == pytest.approx(1 / 3, abs=1e-4)
    assert border["splits"]["train"]["max"] == pytest.approx(1 / 3, abs=1e-4)
