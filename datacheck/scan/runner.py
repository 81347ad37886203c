"""Run the scan over every split of a ``Dataset``."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from datacheck.data.dataset import Dataset, Split
from datacheck.scan.arrays import array_image_stats, array_info
from datacheck.scan.features import feature_stats, numeric_columns
from datacheck.scan.hashing import combine, hash_columns, hash_rows, hash_table_rows
from datacheck.scan.images import decode_images
from datacheck.scan.result import ScanResult, SplitScan

ProgressFactory = Callable[[str, int], Callable[[int], None]]


def scan(dataset: Dataset, *, workers: int | None = None,
         progress: ProgressFactory | None = None) -> ScanResult:
    """Scan every split once.

    Parameters
    ----------
    dataset : Dataset
        What to scan.
    workers : int, optional
        Image decoding processes; default all available CPUs.
    progress : callable, optional
        ``progress(description, total)`` returns an ``advance(n)`` callable; used for
        image decoding, the one long step.

    Returns
    -------
    ScanResult
    """
    start = time.perf_counter()
    out = {}
    for name, split in dataset.splits.items():
        if split.paths is not None:
            out[name] = _scan_image_files(split, workers, progress)
        elif split.array is not None:
            out[name] = _scan_array(split)
        else:
            out[name] = _scan_table(split, dataset.key_columns)
    return ScanResult(out, time.perf_counter() - start)


def _scan_image_files(split: Split, workers, progress) -> SplitScan:
    advance = progress(f"decoding {split.name} images", len(split.paths)) if progress else None
    chunk = decode_images(split.root, split.paths, workers=workers, advance=advance)
    return SplitScan(split.name, split.y, chunk.hash, images=chunk)


def _scan_array(split: Split) -> SplitScan:
    x = split.array
    info = array_info(x)
    if info.layout == "features":
        columns = np.ascontiguousarray(x.T, dtype=np.float64)
        names = [f"x{j}" for j in range(columns.shape[0])]
        return SplitScan(split.name, split.y, hash_rows(x), columns=columns,
                         feature_stats=feature_stats(columns, names), array=info)
    if info.layout in ("NHWC", "NCHW", "NHW") and x.dtype.kind in "fiub":
        chunk = array_image_stats(x, info)
        return SplitScan(split.name, split.y, chunk.hash, images=chunk, array=info)
    flat = x.reshape(len(x), -1) if x.ndim and x.dtype.kind in "fiub" else np.zeros((len(split.y), 0))
    return SplitScan(split.name, split.y, hash_rows(flat), array=info)


def _scan_table(split: Split, key_columns: list[str]) -> SplitScan:
    # Group and time columns identify a sample; they are not features of it.
    table = split.table.drop_columns(key_columns) if key_columns else split.table
    columns, numeric, other = numeric_columns(table)
    hashes = hash_columns(columns)
    if other:
        hashes = combine(hashes, hash_table_rows(table.select(other)))
    return SplitScan(split.name, split.y, hashes, columns=columns,
                     feature_stats=feature_stats(columns, numeric), other_columns=other)

