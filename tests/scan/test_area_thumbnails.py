"""Area-averaged thumbnails: what the near-copy search compares."""

from __future__ import annotations

import numpy as np
from PIL import Image

from datacheck.scan.images import decode_chunk
from datacheck.scan.thumbs import area_thumbnails


def test_mirrored_image_gives_the_mirrored_thumbnail(rng):
    x = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(area_thumbnails(x[:, :, ::-1], 16), area_thumbnails(x, 16)[:, :, ::-1])


def test_equal_cells_are_plain_means(rng):
    x = rng.integers(0, 256, (3, 32, 48), dtype=np.uint8)
    want = x.reshape(3, 16, 2, 16, 3).astype(float).mean(axis=(2, 4))
    got = area_thumbnails(x, 16).astype(float)
    assert np.abs(got - want).max() <= 0.5 + 1e-3  # rounded to the nearest level


def test_a_rescaled_image_keeps_its_thumbnail(rng):
    from scipy.ndimage import gaussian_filter

    x = gaussian_filter(rng.random((56, 56)), 3)
    x = ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)
    small = np.asarray(Image.fromarray(x).resize((50, 50), Image.Resampling.LANCZOS))
    a, b = (area_thumbnails(im[None], 16)[0].astype(float).ravel() for im in (x, small))
    assert np.corrcoef(a, b)[0, 1] > 0.995


def test_decoded_files_carry_area_thumbnails(tmp_path, rng):
    x = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(x).save(tmp_path / "a.png")
    Image.fromarray(np.stack([x] * 3, axis=2)).save(tmp_path / "b.png")
    chunk = decode_chunk(str(tmp_path), ["a.png", "b.png"])
    np.testing.assert_array_equal(chunk.area[0], area_thumbnails(x[None], 16)[0])
    np.testing.assert_array_equal(chunk.area[0], chunk.area[1])  # gray as RGB: the same luma
