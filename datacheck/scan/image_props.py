"""Per-image quality properties, computed on pixels the scan has already decoded.

A few float32 numbers per image (``PROPS``), vectorized over a stack of same-shape images:
brightness and contrast of the grey levels, the dark and light ends of their distribution,
the entropy of a 64-bin histogram, the spread of a 3x3 Laplacian (how much fine detail
there is: small for a blurred image) and the mean colour of the outer frame. Values are on a
0..1 scale of the image's value range (0..255 for 8-bit images), so images of one dataset
compare directly. ``datacheck.checks.image_quality`` and ``datacheck.checks.shortcuts`` read
them from ``ImageChunk.props``.
"""

from __future__ import annotations

import numpy as np

PROPS = ("brightness", "contrast", "dark_end", "light_end", "entropy", "laplacian_std",
         "border_0", "border_1", "border_2")
"""Column names of ``ImageChunk.props``:

- ``brightness``, ``contrast``: mean and standard deviation of the grey levels (0..1);
- ``dark_end``, ``light_end``: the grey levels below which 99% and 1% of the pixels lie (upper
  and lower edges of 64-bin histogram cells): a dark image has a low ``dark_end`` (even its
  brightest pixels are dark), a washed-out one a high ``light_end``;
- ``entropy``: Shannon entropy of the 64-bin grey-level histogram, in bits (0 to 6);
- ``laplacian_std``: standard deviation of the 3x3 Laplacian of the grey levels (0..1 units);
  NaN for images under 3 pixels a side;
- ``border_0..2``: mean of each channel over the outer frame (2 pixels wide, 1 below 8 pixels
  a side), 0..1; NaN for absent channels.
"""
COLUMN = {name: j for j, name in enumerate(PROPS)}
BINS = 64
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def empty_props(k: int) -> np.ndarray:
    """NaN properties of ``k`` images (unreadable, or not computed)."""
    return np.full((k, len(PROPS)), np.nan, np.float32)


def value_range(stack: np.ndarray) -> tuple[float, float]:
    """The range that maps a stack's values to 0..1: the dtype's for 8 and 16-bit integers,
    0..1 for floats within it, else the stack's own finite range."""
    if stack.dtype == np.uint8:
        return 0.0, 255.0
    if stack.dtype.kind in "iu" and stack.size and stack.min() >= 0 and stack.max() <= 65535:
        return 0.0, (255.0 if stack.max() <= 255 else 65535.0)
    finite = stack[np.isfinite(stack)] if stack.dtype.kind == "f" else stack
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, (hi if hi > lo else lo + 1.0)


def image_props(stack: np.ndarray, gray: np.ndarray | None = None,
                value_lo: float | None = None, value_hi: float | None = None) -> np.ndarray:
    """Quality properties (``PROPS``) of a stack of same-shape images.

    Parameters
    ----------
    stack : numpy.ndarray
        (k, h, w, c) pixels, c in 1..3.
    gray : numpy.ndarray, optional
        (k, h, w) uint8 grey levels of an 8-bit stack when already at hand (Pillow's luma).
    value_lo, value_hi : float, optional
        The values mapped to 0 and 1; default ``value_range(stack)``.

    Returns
    -------
    numpy.ndarray
        float32 (k, len(PROPS)).
    """
    k, h, w, c = stack.shape
    out = empty_props(k)
    if not k or not h or not w:
        return out
    if value_lo is None or value_hi is None:
        value_lo, value_hi = value_range(stack)
    scale = np.float32(1.0 / (value_hi - value_lo)) if value_hi > value_lo else np.float32(0.0)
    offsets = (np.arange(k, dtype=np.int32) * BINS)[:, None, None]
    if gray is None or gray.dtype != np.uint8 or stack.dtype != np.uint8:
        gray = _gray(stack, value_lo, scale)
        bins = np.clip((gray * BINS).astype(np.int32), 0, BINS - 1)
        bins += offsets
    else:
        bins = np.add(gray >> 2, offsets, dtype=np.int32)  # 256 grey levels into 64 cells
        gray = np.multiply(gray, scale, dtype=np.float32)
    n = h * w
    flat = gray.reshape(k, n)
    mean = flat.sum(axis=1) / np.float32(n)
    out[:, 0] = mean
    # pairwise sums (ndarray.sum), which stay accurate in float32 over millions of pixels
    out[:, 1] = np.sqrt(np.maximum(np.square(flat).sum(axis=1) / np.float32(n) - mean * mean, 0.0))
    hist = np.bincount(bins.ravel(), minlength=k * BINS).reshape(k, BINS)
    cum = np.cumsum(hist, axis=1)
    out[:, 2] = ((cum < 0.99 * n).sum(axis=1) + 1) / BINS
    out[:, 3] = (cum < 0.01 * n).sum(axis=1) / BINS
    p = hist * (1.0 / n)
    out[:, 4] = -(p * np.log2(np.maximum(p, 1e-300))).sum(axis=1)
    if h >= 3 and w >= 3:
        lap = gray[:, 1:-1, 1:-1] * np.float32(4)
        lap -= gray[:, :-2, 1:-1]
        lap -= gray[:, 2:, 1:-1]
        lap -= gray[:, 1:-1, :-2]
        lap -= gray[:, 1:-1, 2:]
        lap = lap.reshape(k, -1)
        m = lap.shape[1]
        lap_mean = lap.sum(axis=1) / np.float32(m)
        np.square(lap, out=lap)
        out[:, 5] = np.sqrt(np.maximum(lap.sum(axis=1) / np.float32(m) - lap_mean * lap_mean, 0.0))
    out[:, 6:6 + c] = _border(stack, value_lo, scale)
    return out


def _gray(stack: np.ndarray, lo: float, scale: np.float32) -> np.ndarray:
    """Grey levels on 0..1 (ITU-R 601-2 luma of RGB), NaN and inf as 0."""
    x = stack.astype(np.float32)
    g = x[..., 0] if x.shape[3] < 3 else x[..., :3] @ _LUMA
    g = (g - np.float32(lo)) * scale
    return np.nan_to_num(g, nan=0.0, posinf=1.0, neginf=0.0)


def _border(stack: np.ndarray, lo: float, scale: np.float32) -> np.ndarray:
    """Mean of each channel over the outer frame, (k, c) on 0..1."""
    k, h, w, c = stack.shape
    b = 2 if min(h, w) >= 8 else 1
    if h <= 2 * b or w <= 2 * b:
        frame = stack.reshape(k, h * w, c).astype(np.float64)
        total, count = frame.sum(axis=1), h * w
    else:
        parts = (stack[:, :b], stack[:, h - b:], stack[:, b:h - b, :b], stack[:, b:h - b, w - b:])
        total = sum(p.sum(axis=(1, 2), dtype=np.float64) for p in parts)
        count = 2 * b * w + 2 * b * (h - 2 * b)
    with np.errstate(invalid="ignore", over="ignore"):
        return ((total / count - lo) * float(scale)).astype(np.float32)
