"""Decode image files once, in worker processes, into per-sample statistics.

Each worker decodes a chunk of files and returns plain numpy arrays (no per-image dicts):
size, mode, per-channel mean/std/min/max, a content hash of the decoded pixels, a 16x16
grayscale thumbnail (Pillow's BOX resize) and an area-averaged one for the near-copy search,
a 256-bin histogram per channel, the file format and a few quality properties
(``image_props``). A file that cannot be decoded is
recorded with its error, never raised.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Callable

import numpy as np

from datacheck.scan.parallel import available_cpus, worker_processes  # noqa: F401 - available_cpus public here since the start
from datacheck.scan.image_props import empty_props, image_props
from datacheck.scan.thumbs import area_thumbnails, box_thumbnails, luma

THUMB = 16
MAX_CHANNELS = 3
# Images go to the workers in chunks of at most _CHUNK images and _CHUNK_BYTES of files (4
# phone photos of 3-4 MB; judged from the first _SIZE_PROBE files), so that large images
# spread over the workers and the bar moves. Fewer than _IN_PROCESS_BELOW images holding
# less than _IN_PROCESS_BYTES are decoded here: a pool costs about a second to start.
_CHUNK = 256
_CHUNK_BYTES = 1 << 24
_SIZE_PROBE = 64
_IN_PROCESS_BELOW = 600
_IN_PROCESS_BYTES = 1 << 25
# Modes whose thumbnails are made per group from the pixels (same as Pillow's, faster).
_GROUP_THUMB_MODES = ("L", "RGB")
_MIN_THUMB_GROUP = 8
# Decoded pixel values a chunk holds before it summarises them (``_summarise``): 256 thumbnail-
# sized images stack at once, while photos of 12 megapixels are summarised one at a time (a
# chunk of them used to hold every one, several GB).
GROUP_VALUES = 1 << 24
# Pixels from which an image's histogram is counted by Pillow rather than in a stack.
_PILLOW_HISTOGRAM_FROM = 1 << 16


@dataclass
class ImageChunk:
    """Statistics of a run of images, in input order."""

    ok: np.ndarray          # bool (k,)
    error: list             # str or None per image
    n_bytes: np.ndarray     # int64 (k,)
    height: np.ndarray      # int32 (k,)
    width: np.ndarray       # int32 (k,)
    channels: np.ndarray    # int8 (k,)
    mode: list              # PIL mode per image ("" when unreadable)
    mean: np.ndarray        # float32 (k, 3), NaN for absent channels
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    hash: np.ndarray        # uint64 (k,)
    thumb: np.ndarray       # uint8 (k, 16, 16)
    hist: np.ndarray        # int64 (3, 256), pixels of 8-bit images only
    area: np.ndarray        # uint8 (k, 16, 16), area-averaged (``thumbs.area_thumbnails``)
    props: np.ndarray       # float32 (k, len(image_props.PROPS)), NaN where not computed
    format: list            # file format per image (Pillow's name, "PNG"); "" when unknown


def _empty_chunk(k: int) -> ImageChunk:
    nan = np.full((k, MAX_CHANNELS), np.nan, dtype=np.float32)
    return ImageChunk(
        ok=np.zeros(k, bool), error=[None] * k, n_bytes=np.zeros(k, np.int64),
        height=np.zeros(k, np.int32), width=np.zeros(k, np.int32), channels=np.zeros(k, np.int8),
        mode=[""] * k, mean=nan.copy(), std=nan.copy(), min=nan.copy(), max=nan.copy(),
        hash=np.zeros(k, np.uint64), thumb=np.zeros((k, THUMB, THUMB), np.uint8),
        hist=np.zeros((MAX_CHANNELS, 256), np.int64), area=np.zeros((k, THUMB, THUMB), np.uint8),
        props=empty_props(k), format=[""] * k,
    )


def _pixels(im) -> np.ndarray:
    """The image as an (h, w, c) array with c in 1..3; alpha dropped, palette expanded."""
    if im.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBA", "RGBX", "LA", "1"):
        im = im.convert("L" if im.mode in ("LA", "1") else "RGB")
    arr = np.asarray(im)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return arr[:, :, :MAX_CHANNELS]


def decode_chunk(root: str, paths: list[str]) -> ImageChunk:
    """Decode ``paths`` (relative to ``root``) and summarise each image.

    Parameters
    ----------
    root : str
        Folder the paths are relative to.
    paths : list of str
        Relative POSIX paths.

    Returns
    -------
    ImageChunk
    """
    from PIL import Image

    out = _empty_chunk(len(paths))
    # (shape, dtype) -> [(index, pixels, thumbnail still to make)], summarised whenever they
    # hold GROUP_VALUES values
    groups: dict[tuple, list[tuple[int, np.ndarray, bool]]] = {}
    held = 0
    with warnings.catch_warnings():  # once per chunk: it is not free to enter per image
        warnings.simplefilter("ignore")
        for i, rel in enumerate(paths):
            full = os.path.join(root, rel)
            try:
                n_bytes, mode, arr, thumb, fmt = _decode_from_memory(full, Image)
            except Exception:  # noqa: BLE001 - redone by name below, for the exact error and size
                try:
                    n_bytes, mode, arr, thumb, fmt = _decode_by_name(full, Image, out, i)
                except Exception as exc:  # noqa: BLE001 - any decode failure is a finding, not a crash
                    out.error[i] = _describe(exc)
                    continue
            out.ok[i] = True
            out.n_bytes[i] = n_bytes
            out.mode[i] = mode
            out.format[i] = fmt
            out.height[i], out.width[i], out.channels[i] = arr.shape
            if thumb is not None:
                out.thumb[i] = thumb
            h = hashlib.blake2b(np.ascontiguousarray(arr), digest_size=8,
                                person=repr(arr.shape).encode()[:16])
            out.hash[i] = int.from_bytes(h.digest(), "little")
            groups.setdefault((arr.shape, arr.dtype.str), []).append((i, arr, thumb is None))
            held += arr.size
            if held >= GROUP_VALUES:
                _summarise(out, groups)
                held = 0
    _summarise(out, groups)
    return out


def _summarise(out: ImageChunk, groups: dict[tuple, list[tuple[int, np.ndarray, bool]]]) -> None:
    """Statistics, thumbnails and properties of the decoded images held in ``groups``, one
    stack per shape and type; empties ``groups``."""
    for items in groups.values():
        index = [i for i, _, _ in items]
        stack = items[0][1][None] if len(items) == 1 else np.stack([a for _, a, _ in items])
        _group_stats(out, index, stack)
        gray = _gray_0_255(stack)
        out.area[index] = area_thumbnails(gray, THUMB)
        out.props[index] = image_props(stack, gray)
        todo = np.array([pending for _, _, pending in items])
        if todo.any():
            _group_thumbs(out, np.asarray(index)[todo], gray[todo])
    groups.clear()


def _decode_from_memory(full: str, Image) -> tuple[int, str, np.ndarray, np.ndarray | None, str]:
    """Read a file whole and decode it from memory (one read, not Pillow's many small ones).

    Returns the size in bytes, the mode, the pixels (``_pixels``), the thumbnail, or None
    for L and RGB images, whose thumbnails ``_group_thumbs`` makes for a whole group at once,
    and the file format.
    Raises on any problem; the caller then decodes by name for Pillow's own error message.
    """
    with open(full, "rb") as fh:
        data = fh.read()
    if not data:
        raise ValueError("empty file (0 bytes)")
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        mode = im.mode
        arr = _pixels(im)
        thumb = None if mode in _GROUP_THUMB_MODES else _thumb(im, Image)
        fmt = im.format or ""
    return len(data), mode, arr, thumb, fmt


def _decode_by_name(full: str, Image, out: ImageChunk, i: int) -> tuple[int, str, np.ndarray, np.ndarray, str]:
    """Decode one file by name, recording its size first (its error, if any, names the path)."""
    out.n_bytes[i] = os.path.getsize(full)
    if out.n_bytes[i] == 0:
        raise ValueError("empty file (0 bytes)")
    with Image.open(full) as im:
        im.load()
        return int(out.n_bytes[i]), im.mode, _pixels(im), _thumb(im, Image), im.format or ""


def _thumb(im, Image) -> np.ndarray:
    gray = im if im.mode == "L" else im.convert("L")
    return np.asarray(gray.resize((THUMB, THUMB), Image.Resampling.BOX))


def _group_thumbs(out: ImageChunk, index: np.ndarray, gray: np.ndarray) -> None:
    """Thumbnails of same-shape L or RGB images from their grey levels (``_gray_0_255``: the
    pixels of L, Pillow's luma of RGB), as Pillow would make them one by one."""
    # A few images of one size (photos of every size) gain nothing from a stack, and
    # box_thumbnails checks itself against Pillow once per size: ask Pillow, image by image.
    thumbs = box_thumbnails(gray, THUMB) if len(gray) >= _MIN_THUMB_GROUP else None
    if thumbs is None:
        from PIL import Image

        thumbs = [np.asarray(Image.fromarray(g).resize((THUMB, THUMB), Image.Resampling.BOX)) for g in gray]
    out.thumb[index] = thumbs


def _gray_0_255(stack: np.ndarray) -> np.ndarray:
    """Gray levels of a (k, h, w, c) stack of one mode: the luma of RGB; deeper than 8 bits,
    each image stretched to 0..255 (the area thumbnails are compared by correlation only)."""
    if stack.dtype == np.uint8:
        return stack[..., 0] if stack.shape[3] == 1 else luma(stack)
    gray = stack.astype(np.float32).mean(axis=3)
    lo = gray.min(axis=(1, 2), keepdims=True)
    span = gray.max(axis=(1, 2), keepdims=True) - lo
    return (gray - lo) * (255 / np.where(span > 0, span, 1))


def _group_stats(out: ImageChunk, index: list[int], stack: np.ndarray) -> None:
    """Per-channel statistics of same-shape images at once (vectorized over the group).

    8-bit images (L and RGB) are summarised from their histograms: exact, and without the
    float copies of the whole stack that a mean and a standard deviation otherwise make.
    Pillow counts a large image's histogram in one pass over its bands (a 12-megapixel
    photo: 0.02 s against 0.2 s); for many small images its per-image calls cost more than
    a bincount of the whole stack.
    """
    k, h, w, c = stack.shape
    flat = stack.reshape(k, h * w, c)
    if stack.dtype != np.uint8 or c == 2:
        f = flat.astype(np.float32)
        out.mean[index, :c] = f.mean(axis=1)
        out.std[index, :c] = f.std(axis=1)
        out.min[index, :c] = flat.min(axis=1)
        out.max[index, :c] = flat.max(axis=1)
        return
    if h * w >= _PILLOW_HISTOGRAM_FROM:
        from PIL import Image

        hist = np.empty((k, c, 256), np.int64)
        for j in range(k):
            hist[j] = np.reshape(Image.fromarray(stack[j] if c == 3 else stack[j, :, :, 0]).histogram(), (c, 256))
    else:
        # small images, many of them: one bincount per channel, values offset by 256 per image
        offsets = (np.arange(k, dtype=np.int32) * 256)[:, None]
        hist = np.stack([np.bincount(np.add(flat[:, :, ch], offsets, dtype=np.int32).ravel(),
                                     minlength=256 * k).reshape(k, 256) for ch in range(c)], axis=1)
    out.hist[:c] += hist.sum(axis=0)
    levels = np.arange(256, dtype=np.float64)
    mean = hist @ levels / (h * w)
    out.mean[index, :c] = mean
    out.std[index, :c] = np.sqrt(np.maximum(hist @ (levels * levels) / (h * w) - mean * mean, 0.0))
    present = hist > 0
    out.min[index, :c] = present.argmax(axis=2)
    out.max[index, :c] = 255 - present[:, :, ::-1].argmax(axis=2)


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = "not an image" if type(exc).__name__ == "UnidentifiedImageError" else type(exc).__name__
    return f"{name}: {text}" if text and name not in text else (text or name)


def concat_chunks(chunks: list[ImageChunk]) -> ImageChunk:
    """Join chunks (in order) into one."""
    if not chunks:
        return _empty_chunk(0)
    cat = np.concatenate
    return ImageChunk(
        ok=cat([c.ok for c in chunks]), error=list(chain.from_iterable(c.error for c in chunks)),
        n_bytes=cat([c.n_bytes for c in chunks]), height=cat([c.height for c in chunks]),
        width=cat([c.width for c in chunks]), channels=cat([c.channels for c in chunks]),
        mode=list(chain.from_iterable(c.mode for c in chunks)), mean=cat([c.mean for c in chunks]),
        std=cat([c.std for c in chunks]), min=cat([c.min for c in chunks]),
        max=cat([c.max for c in chunks]), hash=cat([c.hash for c in chunks]),
        thumb=cat([c.thumb for c in chunks]), hist=sum(c.hist for c in chunks),
        area=cat([c.area for c in chunks]), props=cat([c.props for c in chunks]),
        format=list(chain.from_iterable(c.format for c in chunks)),
    )


def _mean_file_bytes(root: Path, paths: list[str]) -> float:
    """Mean size of the first ``_SIZE_PROBE`` files (0 when none can be read)."""
    sizes = []
    for rel in paths[:_SIZE_PROBE]:
        try:
            sizes.append(os.path.getsize(os.path.join(root, rel)))
        except OSError:
            continue
    return sum(sizes) / len(sizes) if sizes else 0.0


def decode_images(root: Path, paths: list[str], *, workers: int | None = None,
                  advance: Callable[[int], None] | None = None) -> ImageChunk:
    """Decode every image once, in worker processes for large sets.

    Parameters
    ----------
    root : pathlib.Path
        Folder the paths are relative to.
    paths : list of str
        Relative paths.
    workers : int, optional
        Worker processes; default the number of CPUs available. 1 decodes in this process.
    advance : callable, optional
        Called with the number of images finished, for a progress bar.

    Returns
    -------
    ImageChunk
        In the order of ``paths``.
    """
    n_workers = workers or available_cpus()
    file_bytes = _mean_file_bytes(root, paths)
    size = max(1, min(_CHUNK, int(_CHUNK_BYTES // max(file_bytes, 1.0))))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    results: list[ImageChunk] = []
    if n_workers <= 1 or (len(paths) < _IN_PROCESS_BELOW and len(paths) * file_bytes < _IN_PROCESS_BYTES):
        for chunk in chunks:
            results.append(decode_chunk(str(root), chunk))
            if advance:
                advance(len(chunk))
        return concat_chunks(results)
    with worker_processes(n_workers) as pool:
        for chunk, res in zip(chunks, pool.map(decode_chunk, [str(root)] * len(chunks), chunks)):
            results.append(res)
            if advance:
                advance(len(chunk))
    return concat_chunks(results)
