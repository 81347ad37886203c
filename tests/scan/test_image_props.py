"""Image quality properties: computed in the scan's decode pass for files and arrays, equal to
a per-image reference computation, mergeable over tasks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from datacheck.scan.image_props import BINS, COLUMN, PROPS, image_props, value_range
from datacheck.scan.images import decode_images
from datacheck.scan.thumbs import luma


def reference(image: np.ndarray, lo: float, hi: float) -> dict:
    """The properties of one (h, w, c) image, computed plainly, one by one."""
    x = image.astype(np.float64)
    g = x[..., 0] if x.shape[2] < 3 else x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114
    g = (g - lo) / (hi - lo)
    hist = np.bincount(np.clip((g * BINS).astype(int), 0, BINS - 1).ravel(), minlength=BINS)
    p = hist[hist > 0] / g.size
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    frame = np.ones(g.shape, bool)
    frame[2:-2, 2:-2] = False
    border = (x[frame] - lo) / (hi - lo)
    return {"brightness": g.mean(), "contrast": g.std(), "entropy": -(p * np.log2(p)).sum(),
            "laplacian_std": lap.std(), "border": border.mean(axis=0)}


@pytest.fixture(scope="module")
def photos():
    """Real pixels: crops of scikit-learn's bundled sample photos (RGB and grey)."""
    from sklearn.datasets import load_sample_images

    china, flower = load_sample_images().images
    rgb = np.stack([china[100:164, 200:264], flower[50:114, 300:364], china[300:364, 10:74]])
    return rgb


def test_properties_match_a_plain_computation(photos):
    gray = np.asarray(Image.fromarray(photos[0]).convert("L"))
    for stack, lo, hi in ((photos, 0.0, 255.0), (gray[None, :, :, None], 0.0, 255.0),
                          (photos.astype(np.float32) / 255, 0.0, 1.0)):
        got = image_props(stack)
        assert value_range(stack) == (lo, hi)
        for i, image in enumerate(stack):
            want = reference(image, lo, hi)
            for name in ("brightness", "contrast", "laplacian_std"):
                assert got[i, COLUMN[name]] == pytest.approx(want[name], abs=2e-3), name
            assert got[i, COLUMN["entropy"]] == pytest.approx(want["entropy"], abs=0.05)
            c = image.shape[2]
            assert got[i, COLUMN["border_0"]:COLUMN["border_0"] + c] == pytest.approx(want["border"], abs=1e-4)
            assert np.isnan(got[i, COLUMN["border_0"] + c:]).all()


def test_dark_and_light_ends_bound_the_pixels(photos):
    got = image_props(photos)
    g = photos.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255
    for i, image in enumerate(g):
        assert (image <= got[i, COLUMN["dark_end"]] + 1e-6).mean() >= 0.99
        assert (image >= got[i, COLUMN["light_end"]] - 1e-6).mean() >= 0.99
        assert got[i, COLUMN["dark_end"]] - np.quantile(image, 0.99) <= 2 / BINS
        assert np.quantile(image, 0.01) - got[i, COLUMN["light_end"]] <= 2 / BINS


def test_blur_lowers_the_laplacian_not_the_brightness(photos):
    blurred = np.stack([np.asarray(Image.fromarray(p).filter(ImageFilter.GaussianBlur(2))) for p in photos])
    sharp, soft = image_props(photos), image_props(blurred)
    lap = COLUMN["laplacian_std"]
    assert (soft[:, lap] < 0.5 * sharp[:, lap]).all()
    b = COLUMN["brightness"]
    assert soft[:, b] == pytest.approx(sharp[:, b], abs=0.01)


def test_decoded_files_carry_props_and_format(photos, tmp_path):
    names = []
    for i, p in enumerate(photos):
        names.append(f"{i}.png")
        Image.fromarray(p).save(tmp_path / names[-1])
    Image.fromarray(photos[0]).save(tmp_path / "q.jpg", quality=95)
    Image.fromarray(photos[1]).convert("L").save(tmp_path / "gray.png")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    names += ["q.jpg", "gray.png", "broken.png"]
    chunk = decode_images(tmp_path, names, workers=1)
    assert chunk.props.shape == (len(names), len(PROPS)) and chunk.props.dtype == np.float32
    assert chunk.format == ["PNG", "PNG", "PNG", "JPEG", "PNG", ""]
    # the scan hands over Pillow's integer luma, which it computed already
    np.testing.assert_allclose(chunk.props[:3], image_props(photos, luma(photos)), rtol=1e-5)
    np.testing.assert_allclose(chunk.props[:3], image_props(photos), atol=0.01)
    assert np.isnan(chunk.props[5]).all()
    # the JPEG differs from its PNG by compression noise only
    assert chunk.props[3, COLUMN["brightness"]] == pytest.approx(chunk.props[0, COLUMN["brightness"]], abs=0.01)
    assert np.isnan(chunk.props[4, COLUMN["border_1"]]) and np.isfinite(chunk.props[4, COLUMN["border_0"]])


def test_array_props_use_the_split_range(tmp_path):
    """An image array's properties are scaled by the split's value range, like its thumbnails."""
    import datacheck.scan.runner as runner
    from datacheck.data import load

    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.images.astype(np.uint8)  # 0..16
    path = tmp_path / "d.npz"
    np.savez(path, X=x, y=digits.target)
    result = runner.scan(load(path))
    props = next(iter(result.splits.values())).images.props
    np.testing.assert_allclose(props, image_props(x[..., None], value_lo=0.0, value_hi=16.0), rtol=1e-5)
    assert props[:, COLUMN["dark_end"]].max() <= 1.0 and props[:, COLUMN["dark_end"]].min() > 0.5


def test_partitioned_scan_gives_the_same_props(sample_data):
    import datacheck.scan.runner as runner
    from datacheck.data import load

    ds = load(sample_data / "clean_images")
    whole = runner.scan(ds, workers=1)
    parts = runner.scan(ds, workers=1, partitions=3)
    for name in whole.splits:
        np.testing.assert_array_equal(whole[name].images.props, parts[name].images.props)
        assert whole[name].images.format == parts[name].images.format
