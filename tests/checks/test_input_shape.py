"""input_shape: planted odd sizes, swaps, channels and layouts; quiet on clean data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import datacheck
from tests.helpers import loud

CHECK = "input_shape"


def profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def by_code(report):
    return {f.code.split(".", 1)[1]: f for f in report.findings}


def write_images(folder, images):
    """Write ``{relative path: PIL image}`` under ``folder``."""
    for rel, im in images.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        im.save(path)


def noise(rng, h, w, mode="L"):
    shape = (h, w) if mode == "L" else (h, w, len(mode))
    return Image.fromarray(rng.integers(0, 255, size=shape, dtype=np.uint8), mode)


# -- planted defects ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corrupt_report(sample_data):
    return profile(sample_data / "defect_corrupt_images")


def test_corrupt_images_flag_each_odd_image(corrupt_report, sample_data):
    truth = json.loads((sample_data / "defect_corrupt_images.truth.json").read_text())["majority"]
    found = by_code(corrupt_report)
    assert set(found) == {"swapped_size", "odd_size", "mixed_channels"}
    assert {f.severity.value for f in found.values()} == {"warning"}
    assert found["swapped_size"].samples == ("train/Bag/swapped.png",)
    assert found["odd_size"].samples == ("train/Bag/big.png",)
    assert found["mixed_channels"].samples == ("train/Trouser/rgb.png",)
    for code in ("swapped_size", "odd_size"):
        m = found[code].metrics
        assert (m["majority_height"], m["majority_width"]) == (truth["height"], truth["width"])
    sizes = {(h, w): n for h, w, n in found["odd_size"].evidence[0].data["rows"]}
    assert sizes[(56, 40)] == 1 and sizes[(20, 28)] == 1


def test_layout_mismatch_between_splits_is_left_to_split_consistency(sample_data):
    assert not profile(sample_data / "defect_layout.npz").findings
    both = datacheck.profile(sample_data / "defect_layout.npz", checks=[CHECK, "split_consistency"])
    assert [f.code for f in both.findings if f.severity.value == "error"] == ["split_consistency.layout"]


def test_widely_mixed_sizes_are_info(tmp_path, rng):
    # Natural photos: many sizes, none dominant; a resize transform is the fix, not a warning.
    write_images(tmp_path, {f"cat/{i}.png": noise(rng, 20 + 3 * i, 50 - 2 * i) for i in range(12)})
    report = profile(tmp_path)
    (f,) = report.findings
    assert f.code == f"{CHECK}.mixed_sizes" and f.severity.value == "info"
    assert f.metrics["n_sizes"] == 12


def test_grayscale_in_rgb_set_and_mixed_modes(tmp_path, rng):
    images = {f"a/{i}.png": noise(rng, 16, 16, "RGB") for i in range(20)}
    images["a/gray.png"] = noise(rng, 16, 16, "L")
    images["b/alpha.png"] = noise(rng, 16, 16, "RGBA")
    write_images(tmp_path, images)
    found = by_code(profile(tmp_path))
    assert set(found) == {"mixed_channels", "mixed_modes"}
    assert found["mixed_channels"].severity.value == "warning"
    assert found["mixed_channels"].samples == ("a/gray.png",)
    assert found["mixed_channels"].metrics["majority_channels"] == 3
    # An alpha channel a loader drops is context, not a problem.
    assert found["mixed_modes"].severity.value == "info"
    assert found["mixed_modes"].samples == ("b/alpha.png",)


def test_16_bit_image_among_8_bit_is_a_warning(tmp_path, rng):
    images = {f"a/{i}.png": noise(rng, 16, 16) for i in range(15)}
    images["a/wide.png"] = Image.fromarray(rng.integers(0, 60000, (16, 16)).astype(np.uint16))
    write_images(tmp_path, images)
    (f,) = profile(tmp_path).findings
    assert f.code == f"{CHECK}.mixed_modes" and f.severity.value == "warning"
    assert f.samples == ("a/wide.png",)


@pytest.mark.parametrize("shape, severity", [
    ((30,), "error"),               # one number per sample
    ((30, 1, 8, 8, 1), "error"),    # a stray unsqueeze
    ((30, 4, 8, 8, 3), "info"),     # a genuine 5-D sample (video, volume)
])
def test_unexpected_rank(rng, shape, severity):
    (f,) = profile(train=(rng.normal(size=shape), np.arange(30) % 2)).findings
    assert f.code == f"{CHECK}.unexpected_rank" and f.severity.value == severity
    assert f.split == "train"


def test_ambiguous_layout_is_info(rng):
    (f,) = profile(train=(rng.normal(size=(30, 3, 8, 3)), np.arange(30) % 2)).findings
    assert f.code == f"{CHECK}.ambiguous_layout" and f.severity.value == "info"


@pytest.mark.parametrize("train_shape, test_shape, code", [
    ((40, 6), (20, 5), "split_consistency.sample_shape"),
    ((40, 8, 8, 1), (20, 8, 8), "split_consistency.layout"),
    ((40, 8, 8, 3), (20, 3, 8, 8), "split_consistency.layout"),
])
def test_splits_that_disagree_get_one_error(rng, train_shape, test_shape, code):
    report = datacheck.profile(train=(rng.normal(size=train_shape), np.arange(train_shape[0]) % 2),
                               test=(rng.normal(size=test_shape), np.arange(test_shape[0]) % 2),
                               checks=[CHECK, "split_consistency"])
    assert [(f.code, f.severity.value) for f in report.findings] == [(code, "error")]


# -- clean controls ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    assert not profile(sample_data / name).findings


def test_digits_random_split_is_quiet(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    assert not profile(train=(x_train, y_train), test=(x_test, y_test)).findings
    report = profile(train=(x_train.reshape(-1, 8, 8, 1), y_train),
                     test=(x_test.reshape(-1, 8, 8, 1), y_test))
    assert not report.findings


def test_wine_is_quiet(wine_frames):
    train, test = wine_frames
    assert not loud(profile(train=train, test=test))
