"""Full-resolution confirmation of near-copy candidates: scores, reader, ranking."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from datacheck.data.dataset import Split
from datacheck.scan.arrays import array_info
from datacheck.scan.full_resolution import _resampled, copy_scores, gray_images, rank_candidates


@pytest.fixture()
def photo(rng):
    from scipy.ndimage import gaussian_filter

    x = gaussian_filter(rng.random((60, 80)), 2.5)
    return ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)


def _jpeg(im: Image.Image) -> np.ndarray:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=75)
    return np.asarray(Image.open(buf), dtype=np.float32)


def test_resampling_is_pillows_bilinear(photo):
    want = np.asarray(Image.fromarray(photo.astype(np.float32), "F").resize((45, 33), Image.Resampling.BILINEAR))
    np.testing.assert_allclose(_resampled([photo.astype(np.float32)], (33, 45))[0], want, atol=1e-3)


def test_copies_score_high_and_other_images_low(photo, rng):
    im = Image.fromarray(photo)
    copies = [
        np.asarray(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), dtype=np.float32),
        _jpeg(im.resize((72, 54), Image.Resampling.LANCZOS)),
        np.clip(photo * 0.8 + 30, 0, 255).astype(np.float32),
    ]
    original = photo.astype(np.float32)
    scores = copy_scores([original] * 3, copies)
    assert (scores >= 0.994).all(), scores
    other = (rng.random((60, 80)) * 255).astype(np.float32)
    assert copy_scores([original, original], [other, np.zeros_like(other)]).tolist()[1] == -1.0
    assert copy_scores([original], [other])[0] < 0.5


def test_arrays_are_read_in_their_layout(photo):
    nchw = np.stack([photo, photo[::-1]])[:, None]  # (2, 1, 60, 80)
    split = Split("train", np.zeros(2, np.int64), array=nchw)
    gray = gray_images(split, array_info(nchw), np.array([1, 0]))
    np.testing.assert_array_equal(gray[0], photo[::-1])
    np.testing.assert_array_equal(gray[1], photo)


def test_files_are_read_and_a_missing_one_is_none(tmp_path, photo):
    Image.fromarray(np.stack([photo] * 3, axis=2)).save(tmp_path / "a.png")
    split = Split("train", np.zeros(2, np.int64), paths=["a.png", "gone.png"], root=tmp_path)
    gray = gray_images(split, None, np.array([0, 1]))
    np.testing.assert_array_equal(gray[0], photo)  # gray saved as RGB: the same luma
    assert gray[1] is None


def test_ranking_picks_the_copy_among_the_candidates(photo, rng):
    original = photo.astype(np.float32)
    lookalike = np.clip(original + rng.normal(0, 25, original.shape), 0, 255).astype(np.float32)
    refs = [lookalike, original[:, ::-1].copy()]
    choice, best, runner_up = rank_candidates([original], refs, np.array([[0, 1, -1]]))
    assert choice[0] == 1 and best[0] == pytest.approx(1.0) and runner_up[0] < best[0]
