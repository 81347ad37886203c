"""Grayscale thumbnails of many same-size 8-bit images at once, equal to Pillow's.

Per image, ``im.convert("L").resize((16, 16), Image.Resampling.BOX)`` costs more Python
overhead than decoding a small PNG. This reproduces Pillow's arithmetic exactly (the ITU-R
601-2 luma of ``convert("L")`` in 16-bit fixed point, and the two-pass BOX resampling of
``Resample.c`` with 22-bit fixed-point weights and rounding to 8 bits between the passes)
on a whole stack of images with a handful of numpy operations.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_PRECISION_BITS = 32 - 8 - 2  # Pillow's fixed-point precision for 8-bit resampling


def luma(rgb: np.ndarray) -> np.ndarray:
    """Pillow's RGB to L conversion of a uint8 (..., 3) array: (19595 R + 38470 G + 7471 B + 2**15) >> 16."""
    # channel by channel into one uint32 buffer: no uint32 copy of the whole (..., 3) array
    y = np.multiply(rgb[..., 0], np.uint32(19595), dtype=np.uint32)
    y += np.multiply(rgb[..., 1], np.uint32(38470), dtype=np.uint32)
    y += np.multiply(rgb[..., 2], np.uint32(7471), dtype=np.uint32)
    y += np.uint32(0x8000)
    y >>= np.uint32(16)
    return y.astype(np.uint8)


@lru_cache(maxsize=64)
def _box_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and fixed-point weights, (out_size, taps) each, of a BOX resize on one axis.

    Follows ``precompute_coeffs`` and ``normalize_coeffs_8bpc`` of Pillow's ``Resample.c``
    step by step in double precision, so the integer weights are bit-identical.
    """
    scale = filterscale = float(in_size) / out_size
    filterscale = max(filterscale, 1.0)
    support = 0.5 * filterscale
    ss = 1.0 / filterscale
    rows = []
    for xx in range(out_size):
        center = 0.0 + (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [1.0 if -0.5 < (x + xmin - center + 0.5) * ss <= 0.5 else 0.0 for x in range(xmax)]
        total = 0.0
        for v in w:
            total += v
        if total != 0.0:
            w = [v / total for v in w]
        rows.append([(xmin + x, int(0.5 + v * (1 << _PRECISION_BITS))) for x, v in enumerate(w)])
    taps = max(len(r) for r in rows)
    index = np.zeros((out_size, taps), dtype=np.intp)
    weight = np.zeros((out_size, taps), dtype=np.int32)
    for xx, r in enumerate(rows):
        for t, (i, v) in enumerate(r):
            index[xx, t], weight[xx, t] = i, v
    return index, weight


def _resample_last_axis(x: np.ndarray, out_size: int) -> np.ndarray:
    """One BOX pass over the last axis of a uint8 stack, rounded to uint8 as Pillow does.

    int32 holds the sums: the weights of one output add up to about 2**22, times 255 < 2**31.
    """
    index, weight = _box_taps(x.shape[-1], out_size)
    acc = np.multiply(x[..., index[:, 0]], weight[:, 0], dtype=np.int32)
    for t in range(1, index.shape[1]):
        acc += x[..., index[:, t]] * weight[:, t]
    acc += 1 << (_PRECISION_BITS - 1)
    acc >>= _PRECISION_BITS
    return np.clip(acc, 0, 255).astype(np.uint8)


@lru_cache(maxsize=256)
def _pass_order(height: int, width: int, size: int) -> str | None:
    """Which order of passes reproduces Pillow's resize of this image size: ``hv``, ``vh`` or None.

    Pillow 13 runs the vertical pass first for tall images (measured: for a square output of
    side s, when height + s > 2 * width); rather than trusting that for every version, one
    random probe image per size is resized by Pillow and compared with both orders. None
    (neither matches) sends the caller back to Pillow.
    """
    from PIL import Image

    probe = np.random.default_rng(height * 100003 + width).integers(0, 256, (1, height, width), dtype=np.uint8)
    want = np.asarray(Image.fromarray(probe[0]).resize((size, size), Image.Resampling.BOX))
    hv, vh = (np.array_equal(_resize(probe, size, order)[0], want) for order in ("hv", "vh"))
    if hv and vh:
        return "vh" if height + size > 2 * width else "hv"
    return "hv" if hv else "vh" if vh else None


def _resize(gray: np.ndarray, size: int, order: str) -> np.ndarray:
    out = gray
    for axis in order:
        if axis == "h" and out.shape[2] != size:
            out = _resample_last_axis(out, size)
        elif axis == "v" and out.shape[1] != size:
            out = _resample_last_axis(out.transpose(0, 2, 1), size).transpose(0, 2, 1)
    return np.ascontiguousarray(out)


def box_thumbnails(gray: np.ndarray, size: int) -> np.ndarray | None:
    """``Image.resize((size, size), BOX)`` of every image in a (k, h, w) uint8 stack.

    Parameters
    ----------
    gray : numpy.ndarray
        uint8, shape (k, h, w).
    size : int
        Side of the square thumbnails.

    Returns
    -------
    numpy.ndarray or None
        uint8, shape (k, size, size); None when this Pillow's result cannot be reproduced.
    """
    order = _pass_order(gray.shape[1], gray.shape[2], size)
    return None if order is None else _resize(gray, size, order)


@lru_cache(maxsize=64)
def _area_weights(in_size: int, out_size: int) -> np.ndarray:
    """(out_size, in_size) weights of an area-average resize on one axis: each output cell
    averages the input pixels it covers, in proportion to the part of each it covers."""
    edges = np.arange(out_size + 1) * (in_size / out_size)
    lo, hi = edges[:-1, None], edges[1:, None]
    pix = np.arange(in_size)[None, :]
    cover = np.clip(np.minimum(hi, pix + 1) - np.maximum(lo, pix), 0.0, None)
    return (cover / cover.sum(axis=1, keepdims=True)).astype(np.float32)


def area_thumbnails(gray: np.ndarray, size: int) -> np.ndarray:
    """Area-averaged thumbnails of a (k, h, w) grayscale stack, uint8 (k, size, size).

    Unlike Pillow's BOX filter, whose whole-pixel taps shift with the image size, the
    fractional coverage makes the thumbnail of a mirrored image the mirrored thumbnail, and
    that of a 0.9x or 1.1x rescale nearly the same: the near-copy search compares these.

    Parameters
    ----------
    gray : numpy.ndarray
        (k, h, w) numbers in 0..255 (uint8 or float).
    size : int
        Side of the square thumbnails.

    Returns
    -------
    numpy.ndarray
    """
    k, h, w = gray.shape
    # two float32 products over the whole stack (not k small ones): columns, then rows
    cols = gray.reshape(k * h, w).astype(np.float32) @ _area_weights(w, size).T
    rows = _area_weights(h, size) @ cols.reshape(k, h, size).transpose(1, 0, 2).reshape(h, k * size)
    out = rows.reshape(size, k, size).transpose(1, 0, 2)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
