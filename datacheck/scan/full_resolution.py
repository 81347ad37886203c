"""Near-copy candidates confirmed at full resolution, upright and mirrored.

At 16x16 two different garments of one cut correlate as closely as a re-encoded copy does,
so the thumbnail search (``near_duplicates``) only proposes pairs. Here both images of a pair
are read again in grayscale and resampled with an antialiasing (bilinear) filter to three
quarters of the smaller image's size, at most ``MAX_SIDE`` pixels a side: JPEG noise, a
0.9x/1.1x rescale and the resampling kernel then count for little, while the fine detail that
tells one item from a look-alike remains. The score is the larger pixel correlation of the
upright and the mirrored pair; ``benchmarks/near_copies.py`` measures it on copies and on
natural look-alikes.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from datacheck.scan.arrays import ArrayInfo, to_nhwc
from datacheck.scan.parallel import available_cpus, worker_processes

SHRINK = 0.75
MAX_SIDE = 256
# Below this side the images are compared as they are (shrinking 8x8 digits loses them).
_SMALL_SIDE = 24
_CHUNK = 128
_IN_PROCESS_BELOW = 600
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def gray_images(split, info: ArrayInfo | None, indices: np.ndarray) -> list[np.ndarray | None]:
    """Grayscale pixels of some samples of an image split, read again at full resolution.

    Parameters
    ----------
    split : datacheck.data.dataset.Split
        An image split: files (``paths`` under ``root``) or an image array.
    info : ArrayInfo or None
        The scan's description of an array split (its layout); None for files.
    indices : numpy.ndarray
        Sample indices, in the order wanted.

    Returns
    -------
    list of numpy.ndarray or None
        float32 (h, w) per sample; None where a file can no longer be read. Images larger
        than ``4 * MAX_SIDE`` are reduced by an integer factor on reading (large JPEGs are
        decoded at reduced scale).
    """
    indices = np.asarray(indices, np.int64)
    if split.paths is None:
        img = to_nhwc(split.array[indices], info.layout)
        c = min(img.shape[3], 3)
        gray = img[..., 0] if c < 3 else np.tensordot(img[..., :3].astype(np.float32), _LUMA, axes=([3], [0]))
        return list(np.nan_to_num(gray.astype(np.float32)))
    paths = [split.paths[i] for i in indices]
    chunks = [paths[s:s + _CHUNK] for s in range(0, len(paths), _CHUNK)]
    workers = min(available_cpus(), len(chunks))
    if workers <= 1 or len(paths) < _IN_PROCESS_BELOW:
        parts = [read_gray(str(split.root), chunk) for chunk in chunks]
    else:
        with worker_processes(workers) as pool:
            parts = list(pool.map(read_gray, [str(split.root)] * len(chunks), chunks))
    return [g for part in parts for g in part]


def read_gray(root: str, paths: list[str]) -> list[np.ndarray | None]:
    """Decode image files to float32 grayscale (ITU-R 601-2 luma), None where one fails.

    Parameters
    ----------
    root : str
        Folder the paths are relative to.
    paths : list of str
        Relative paths.

    Returns
    -------
    list of numpy.ndarray or None
    """
    from PIL import Image

    out: list[np.ndarray | None] = []
    for rel in paths:
        try:
            with Image.open(os.path.join(root, rel)) as im:
                if max(im.size) > 8 * MAX_SIDE:
                    # A large JPEG decodes at 1/2 to 1/8 scale for little more than its header.
                    im.draft(im.mode, (im.width * 4 * MAX_SIDE // max(im.size),
                                       im.height * 4 * MAX_SIDE // max(im.size)))
                im.load()
                factor = max(im.size) // (4 * MAX_SIDE)
                if factor > 1 and im.mode in ("L", "RGB", "RGBA", "LA"):
                    im = im.reduce(factor)
                if im.mode in ("I;16", "I", "F"):
                    out.append(np.asarray(im, dtype=np.float32))
                else:
                    out.append(np.asarray(im.convert("RGB").convert("L") if im.mode != "L" else im,
                                          dtype=np.float32))
        except Exception:  # noqa: BLE001 - a file that changed since the scan is no copy
            out.append(None)
    return out


def common_shape(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """The (h, w) at which two images are compared.

    Three quarters of the smaller height and width (the whole of them below ``_SMALL_SIDE``),
    scaled down so that neither exceeds ``MAX_SIDE``.
    """
    h, w = min(a[0], b[0]), min(a[1], b[1])
    shrink = 1.0 if min(h, w) < _SMALL_SIDE else SHRINK
    shrink = min(shrink, MAX_SIDE / max(h, w))
    return max(1, int(h * shrink)), max(1, int(w * shrink))


@lru_cache(maxsize=256)
def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Pillow's bilinear resize along one axis as an (n_out, n_in) matrix.

    Resizing only the height of an identity image (mode F, no rounding) applies the vertical
    pass alone, so the result is the pass's weight matrix.
    """
    if n_in == n_out:
        return np.eye(n_in)
    from PIL import Image

    im = Image.fromarray(np.eye(n_in, dtype=np.float32), mode="F")
    return np.asarray(im.resize((n_in, n_out), Image.Resampling.BILINEAR), dtype=np.float64)


def _resampled(images: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Every image at ``shape``, (n, h, w) float64; an image object repeated in the list is
    resampled once, and images of one size together (two matrix products)."""
    out = np.empty((len(images),) + shape)
    first_of: dict[int, int] = {}
    source = np.array([first_of.setdefault(id(im), i) for i, im in enumerate(images)], np.int64)
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i in first_of.values():
        by_shape.setdefault(images[i].shape, []).append(i)
    for (h, w), members in by_shape.items():
        stack = np.stack([images[i] for i in members]).astype(np.float64)
        out[members] = _resize_matrix(h, shape[0]) @ stack @ _resize_matrix(w, shape[1]).T
    return out[source]


def copy_scores(first: list[np.ndarray | None], second: list[np.ndarray | None]) -> np.ndarray:
    """Full-resolution copy score of each pair (``first[i]``, ``second[i]``).

    Parameters
    ----------
    first, second : list of numpy.ndarray or None
        Grayscale images (``gray_images``), one pair per position.

    Returns
    -------
    numpy.ndarray
        float64, the larger pixel correlation of the upright and the mirrored pair at
        ``common_shape``; -1 where an image is missing or flat.
    """
    scores = np.full(len(first), -1.0)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(zip(first, second)):
        if a is not None and b is not None:
            groups.setdefault(common_shape(a.shape, b.shape), []).append(i)
    for shape, members in groups.items():
        a = _resampled([first[i] for i in members], shape).reshape(len(members), -1)
        b = _resampled([second[i] for i in members], shape)
        mirrored = b[:, :, ::-1].reshape(len(members), -1)
        scores[members] = np.maximum(_row_correlation(a, b.reshape(len(members), -1)),
                                     _row_correlation(a, mirrored))
    return scores


def _row_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching rows; -1 where either row is flat."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * b).sum(axis=1) / denom
    return np.where(denom > 0, r, -1.0)


def rank_candidates(queries: list[np.ndarray | None], refs: list[np.ndarray | None],
                    candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference each query copies most closely at full resolution, and the runner-up.

    Parameters
    ----------
    queries : list of numpy.ndarray or None
        Grayscale query images.
    refs : list of numpy.ndarray or None
        Grayscale reference images.
    candidates : numpy.ndarray
        int64 (n_queries, k) positions in ``refs`` of each query's candidates, -1 for none.

    Returns
    -------
    choice : numpy.ndarray
        int64 column of ``candidates`` with the best score.
    best, runner_up : numpy.ndarray
        ``copy_scores`` of the best candidate and of the next one (-1 where none).
    """
    rows, cols = np.nonzero(candidates >= 0)
    scores = np.full(candidates.shape, -1.0)
    scores[rows, cols] = copy_scores([queries[i] for i in rows], [refs[j] for j in candidates[rows, cols]])
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked = np.take_along_axis(scores, order, 1)
    runner_up = ranked[:, 1] if candidates.shape[1] > 1 else np.full(len(candidates), -1.0)
    return order[:, 0], ranked[:, 0], runner_up
