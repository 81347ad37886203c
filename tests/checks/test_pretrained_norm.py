"""``pretrained_norm`` on arrays and folders built from real images.

RGB: the two photos bundled with scikit-learn (china.jpg, flower.jpg) cut into patches.
Grayscale: the Fashion-MNIST sample in ``sample_data/clean_images``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import datacheck
from datacheck import norms
from datacheck.errors import ConfigError
from tests.helpers import loud

CHECK = "pretrained_norm"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)[:, None, None]
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)[:, None, None]
CAFFE_BGR = np.array([103.939, 116.779, 123.68], np.float32)[:, None, None]


def _patches(image: np.ndarray, size: int) -> np.ndarray:
    h, w, _ = image.shape
    return np.stack([image[i:i + size, j:j + size] for i in range(0, h - size + 1, size)
                     for j in range(0, w - size + 1, size)])


@pytest.fixture(scope="module")
def photos():
    """120 RGB 32x32 patches (uint8 NCHW) of china.jpg and flower.jpg at half resolution, shuffled,
    labelled by photo."""
    from sklearn.datasets import load_sample_images

    parts = [_patches(im[::2, ::2], 32) for im in load_sample_images().images]
    x = np.concatenate(parts).transpose(0, 3, 1, 2)
    y = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    order = np.random.default_rng(0).permutation(len(x))
    return np.ascontiguousarray(x[order]), y[order]


@pytest.fixture(scope="module")
def fashion(sample_data):
    """300 Fashion-MNIST train images (uint8, N x 1 x 28 x 28) and labels."""
    paths = sorted((sample_data / "clean_images" / "train").glob("*/*.png"))[::3]
    x = np.stack([np.asarray(Image.open(p)) for p in paths])[:, None]
    return x, np.array([p.parent.name for p in paths])


def _unit(x):
    return x.astype(np.float32) / 255


def _imagenet(x):
    return (_unit(x) - MEAN) / STD


def _profile(x, y, **options):
    return datacheck.profile(train=(x, y), checks=[CHECK], workers=1, **options)


def _codes(report):
    return {f.code: f.severity.value for f in report.by_check(CHECK)}


def _encoding(report):
    return [f.metrics["encoding"] for f in report.by_check(CHECK) if f.code == f"{CHECK}.encoding"]


def _one(report, code):
    found = [f for f in report.by_check(CHECK) if f.code == f"{CHECK}.{code}"]
    assert len(found) == 1, [f.code for f in report.by_check(CHECK)]
    return found[0]


# -- recognising the encoding ---------------------------------------------------------------

ENCODINGS = {
    "0-255": lambda x: x,
    "0-1": _unit,
    "inception": lambda x: _unit(x) * 2 - 1,
    "imagenet": _imagenet,
    "clip": lambda x: (_unit(x) - CLIP_MEAN) / CLIP_STD,
    "caffe": lambda x: x[:, ::-1].astype(np.float32) - CAFFE_BGR,
    "imagenet-twice": lambda x: (_imagenet(x) - MEAN) / STD,
    "imagenet-reversed": lambda x: (_unit(x) - MEAN[::-1]) / STD[::-1],
    "standardized": lambda x: (_unit(x) - _unit(x).mean(axis=(0, 2, 3), keepdims=True))
    / _unit(x).std(axis=(0, 2, 3), keepdims=True),
}


@pytest.mark.parametrize("name", ENCODINGS)
def test_recognises_encoding_of_rgb_photos_and_only_describes_without_model(photos, name):
    x, y = photos
    report = _profile(ENCODINGS[name](x), y)
    assert _encoding(report) == [name]
    assert _codes(report) == {f"{CHECK}.encoding": "info"}


def test_recognises_float_0_255_and_fashion_mnist_encodings(photos, fashion):
    assert _encoding(_profile(photos[0].astype(np.float32), photos[1])) == ["0-255"]
    x, y = fashion
    assert _encoding(_profile(x, y)) == ["0-255"]
    assert _encoding(_profile(_unit(x), y)) == ["0-1"]
    assert _encoding(_profile(_unit(x) * 2 - 1, y)) == ["inception"]
    assert _encoding(_profile(_imagenet(np.repeat(x, 3, axis=1)), y)) == ["imagenet"]


def test_imagenet_data_that_do_not_span_the_range_stay_imagenet_for_an_imagenet_model(photos):
    x, y = photos
    low_contrast = (0.1 + 0.8 * _unit(x) - MEAN) / STD  # pixels in [0.1, 0.9]: fits CLIP tighter
    report = _profile(low_contrast, y, model="resnet50")
    assert _encoding(report) == ["imagenet"] and not loud(report)


# -- errors and warnings with a model -------------------------------------------------------

@pytest.mark.parametrize("encode", [lambda x: x, lambda x: x.astype(np.float32), _unit])
def test_unnormalized_input_for_resnet50_is_an_error(photos, encode):
    x, y = photos
    report = _profile(encode(x), y, model="resnet50")
    f = _one(report, "not_normalized")
    assert f.severity.value == "error" and f.split == "train"
    assert f.n_samples == len(x) and f.samples[0].startswith("train[")
    assert f.metrics["scale_ratio"] > 3
    assert "Normalize(mean=[0.485, 0.456, 0.406]" in f.hint


def test_correctly_normalized_rgb_for_resnet50_is_quiet(photos):
    x, y = photos
    for options in ({"model": "resnet50"}, {"norm": "imagenet"},
                    {"mean": "0.485,0.456,0.406", "std": [0.229, 0.224, 0.225]},
                    {"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}):
        report = _profile(_imagenet(x), y, **options)
        assert not loud(report), (options, [f.message for f in loud(report)])
        assert not {"domain_shift", "channel_order", "grayscale"} & {c.split(".")[1] for c in _codes(report)}


def test_double_normalization_is_an_error(photos):
    x, y = photos
    f = _one(_profile(ENCODINGS["imagenet-twice"](x), y, model="resnet50"), "double_normalized")
    assert f.severity.value == "error"
    assert np.mean(f.metrics["channel_mean"]) < -1.5


def test_bgr_constants_are_flagged(photos):
    x, y = photos
    f = _one(_profile(ENCODINGS["imagenet-reversed"](x), y, model="resnet50"), "channel_order")
    assert f.severity.value == "warning" and "BGR" in f.message


def test_bgr_pixels_of_warm_photos_are_noted(photos):
    x, y = photos
    rgb = _unit(x).mean(axis=(2, 3))
    warm = (rgb[:, 0] - rgb[:, 2]) > 0.05  # real patches whose red exceeds blue, like ImageNet's
    bgr = _imagenet(x[warm][:, ::-1])
    assert _one(_profile(bgr, y[warm], model="resnet50"), "channel_order").severity.value == "info"
    assert f"{CHECK}.channel_order" not in _codes(_profile(_imagenet(x[warm]), y[warm], model="resnet50"))


@pytest.mark.parametrize("name, options, severity", [
    ("clip", {"model": "resnet50"}, "warning"),
    ("imagenet", {"norm": "clip"}, "warning"),
    ("inception", {"model": "resnet50"}, "warning"),
    ("imagenet", {"norm": "inception"}, "warning"),
    ("caffe", {"model": "resnet50"}, "error"),
    ("imagenet", {"norm": "caffe"}, "error"),
])
def test_wrong_preset_severity_follows_distance(photos, name, options, severity):
    x, y = photos
    f = _one(_profile(ENCODINGS[name](x), y, **options), "wrong_preset")
    assert f.severity.value == severity
    assert (f.metrics["scale_ratio"] > 3) == (severity == "error")


def test_caffe_model_is_quiet_on_caffe_input_and_rgb_order_is_flagged(photos):
    x, y = photos
    assert not loud(_profile(ENCODINGS["caffe"](x), y, norm="caffe"))
    rgb_caffe = x.astype(np.float32) - CAFFE_BGR[::-1]  # RGB pixels, constants in RGB order
    assert _one(_profile(rgb_caffe, y, norm="caffe"), "channel_order").severity.value == "warning"


def test_raw_range_for_a_model_that_normalizes_itself(photos):
    x, y = photos
    assert not loud(_profile(_unit(x), y, model="fasterrcnn_resnet50_fpn"))
    assert _one(_profile(x, y, norm="none"), "wrong_scale").severity.value == "error"


def test_unknown_encoding_outside_the_model_range_is_an_error(photos):
    x, y = photos
    report = _profile(x.astype(np.float32) * 4 - 500, y, model="resnet50")
    assert _encoding(report) == ["unknown"]
    assert _one(report, "unknown_encoding").severity.value == "error"


def test_channel_last_is_flagged_only_for_a_torchvision_model(photos):
    x, y = photos
    nhwc = np.ascontiguousarray(_imagenet(x).transpose(0, 2, 3, 1))
    f = _one(_profile(nhwc, y, model="resnet50"), "channel_last")
    assert f.severity.value == "warning"
    assert not loud(_profile(nhwc, y, norm="imagenet"))


def test_grayscale_and_input_size_are_info(fashion):
    x, y = fashion
    replicated = _profile(_imagenet(np.repeat(x, 3, axis=1)), y, model="resnet18")
    assert not loud(replicated)
    assert "all three channels" in _one(replicated, "grayscale").message
    size = _one(replicated, "input_size")
    assert size.severity.value == "info" and size.metrics["model_crop_size"] == 224
    single = _profile((_unit(x) - 0.449) / 0.226, y, model="resnet18")
    assert "one channel" in _one(single, "grayscale").message and not loud(single)


# -- image folders: domain only -------------------------------------------------------------

def _folder(root: Path, x: np.ndarray, y: np.ndarray) -> Path:
    for i, (img, label) in enumerate(zip(x.transpose(0, 2, 3, 1), y)):
        d = root / str(label)
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(img).squeeze()).save(d / f"{i}.png")
    return root


def test_natural_photo_files_are_quiet_for_resnet50(photos, tmp_path):
    report = datacheck.profile(_folder(tmp_path, *photos), checks=[CHECK], workers=1, model="resnet50")
    assert set(_codes(report)) == {f"{CHECK}.encoding", f"{CHECK}.input_size"}
    assert _encoding(report) == ["image files"] and not loud(report)


def test_far_domains_of_files_are_noted(sample_data, photos, tmp_path):
    gray = datacheck.profile(sample_data / "clean_images", checks=[CHECK], workers=1, model="resnet50")
    assert not loud(gray)
    f = _one(gray, "domain_shift")
    assert f.severity.value == "info" and f.split == "train" and f.metrics["max_std_ratio"] > 1.5
    x, y = photos
    dark = (x * 0.05).astype(np.uint8)  # badly underexposed versions of the photos
    report = datacheck.profile(_folder(tmp_path, dark, y), checks=[CHECK], workers=1, model="resnet50")
    f = _one(report, "domain_shift")
    assert f.severity.value == "warning" and f.metrics["min_std_ratio"] < 1 / 3
    assert f.n_samples == len(x) and f.samples


# -- clean controls -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["clean_images", "clean_digits.npz", "clean_manifest/manifest.csv",
                                  "clean_tabular"])
def test_clean_samples_without_model_are_quiet(sample_data, path):
    report = datacheck.profile(sample_data / path, checks=[CHECK], workers=1)
    assert not loud(report)
    assert all(f.code == f"{CHECK}.encoding" for f in report.by_check(CHECK))


def test_shuffled_digits_images_are_quiet(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # as train_test_split returns them
    report = datacheck.profile(train=(x_train.reshape(-1, 8, 8), y_train),
                               test=(x_test.reshape(-1, 8, 8), y_test), checks=[CHECK], workers=1)
    assert not loud(report) and _encoding(report)


# -- expected input -------------------------------------------------------------------------

def test_expected_input_from_torchvision_metadata():
    pytest.importorskip("torchvision")
    r50 = norms.expected_norm(model="resnet50")
    assert r50.encoding is norms.IMAGENET and (r50.crop_size, r50.resize_size) == (224, 232)
    v1 = norms.expected_norm(model="ResNet50_Weights.IMAGENET1K_V1")
    assert v1.resize_size == 256
    assert norms.expected_norm(model="fasterrcnn_resnet50_fpn").encoding is norms.RANGE_1
    assert norms.expected_norm(model="efficientnet_v2_l").encoding is norms.INCEPTION
    assert "resnet50" in norms.known_models() and "vit_b_16" in norms.known_models()
    with pytest.raises(ConfigError, match="resnet50"):  # lists the names it knows
        norms.expected_norm(model="resnet_5O")
    custom = norms.expected_norm(model="resnet50", norm="clip")
    assert custom.encoding is norms.CLIP and custom.crop_size == 224


def test_presets_and_constants():
    assert norms.expected_norm() is None
    assert norms.expected_norm(norm="imagenet").encoding is norms.IMAGENET
    assert norms.expected_norm(norm="None").encoding is norms.RANGE_1
    in_255 = norms.expected_norm(mean=[123.675, 116.28, 103.53], std="58.395 57.12 57.375")
    assert in_255.encoding.same_as(norms.IMAGENET)
    assert norms.expected_norm(mean=0.5, std=0.5).encoding.same_as(norms.INCEPTION)
    with pytest.raises(ConfigError, match="imagenet, clip, inception, caffe, none"):
        norms.expected_norm(norm="imagenet21k")
    with pytest.raises(ConfigError, match="'mean'"):
        norms.expected_norm(mean=[0.5, 0.5])
    with pytest.raises(ConfigError, match="not both"):
        norms.expected_norm(norm="clip", mean=0.5)


def test_without_torch_model_needs_the_extra_but_presets_work(monkeypatch, photos):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision now fails
    norms._model_input.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"datacheck\[torch\]"):
            norms.expected_norm(model="resnet50")
        x, y = photos
        assert _one(_profile(_unit(x), y, norm="imagenet"), "not_normalized").severity.value == "error"
    finally:
        norms._model_input.cache_clear()


# -- torch input through the Python API ------------------------------------------------------

@pytest.fixture(scope="module")
def photo_folder(photos, tmp_path_factory):
    x, y = photos
    return _folder(tmp_path_factory.mktemp("photos"), x, np.array(["china", "flower"])[y])


def test_imagefolder_without_normalize_is_flagged_for_resnet18(photo_folder):
    pytest.importorskip("torchvision")
    from torchvision import transforms as T
    from torchvision.datasets import ImageFolder

    bare = ImageFolder(photo_folder, transform=T.ToTensor())
    report = datacheck.profile(train=bare, checks=[CHECK], workers=1, model="resnet18")
    f = _one(report, "not_normalized")
    assert f.severity.value == "error" and f.samples[0].startswith("train[")
    normalize = T.Normalize(MEAN.ravel().tolist(), STD.ravel().tolist())
    normalized = ImageFolder(photo_folder, transform=T.Compose([T.ToTensor(), normalize]))
    report = datacheck.profile(train=normalized, checks=[CHECK], workers=1, model="resnet18")
    assert not loud(report) and _encoding(report) == ["imagenet"]
