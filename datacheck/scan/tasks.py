"""The scan as tasks over row ranges of splits, and the merge of their results.

Every per-split aggregate of the scan is mergeable: per-row values (labels, hashes, image
statistics, missing-value flags) concatenate, per-feature moments and ranges pool exactly
(``FeatureStats.merge``), histograms add. So a split scanned as one task, as record batches
streamed from Parquet, or as partitions on the workers of a cluster gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.data.streamed import FilePiece
from datacheck.errors import InputError
from datacheck.scan.arrays import ArrayInfo, array_image_stats, holds_images
from datacheck.scan.features import FeatureStats, feature_stats, numeric_columns
from datacheck.scan.flags import RowFlags, row_flags
from datacheck.scan.hashing import combine, hash_rows, hash_table_rows
from datacheck.scan.images import concat_chunks, decode_images
from datacheck.scan.result import SplitScan
from datacheck.scan.values import StringCounts


@dataclass
class ScanTask:
    """Scan of one range of rows of one split: everything a worker needs to do it.

    Parameters
    ----------
    split : str
        Split name.
    start : int
        Split row of the first row.
    y : numpy.ndarray
        Label codes of the rows.
    data : object
        The rows: a pyarrow Table, a numpy array, a ``FilePiece`` of a Parquet or CSV file (read where it runs) or a
        ``(root, paths)`` pair of image files.
    keep : numpy.ndarray or None
        Rows (relative to ``start``) whose features are kept for the row-level checks; None
        keeps every row.
    key_columns : tuple of str
        Table columns left out of features and hashes.
    info : ArrayInfo or None
        Of the whole array split (its value range scales every part's thumbnails alike).
    workers : int or None
        Image decoding processes (1 inside a cluster's worker).
    """

    split: str
    start: int
    y: np.ndarray
    data: object
    keep: np.ndarray | None = None
    key_columns: tuple[str, ...] = ()
    info: ArrayInfo | None = None
    workers: int | None = None

    @property
    def n(self) -> int:
        """Rows of the task."""
        return int(len(self.y))

    @property
    def images(self) -> bool:
        """Whether the rows are images: files to decode, or an image array."""
        return isinstance(self.data, tuple) or (isinstance(self.data, np.ndarray) and self.info is not None
                                                and holds_images(self.info))

    def run(self, advance=None) -> SplitScan:
        """Scan the rows.

        Parameters
        ----------
        advance : callable, optional
            Called with the number of images done (decoded, or read from an array), for a
            progress bar.

        Returns
        -------
        SplitScan
            Of these rows only (row indices relative to ``start``).
        """
        if isinstance(self.data, FilePiece):
            return self._run_piece()
        if isinstance(self.data, tuple):
            root, paths = self.data
            chunk = decode_images(root, paths, workers=self.workers, advance=advance)
            return SplitScan(self.split, self.y, chunk.hash, images=chunk)
        if isinstance(self.data, np.ndarray):
            return scan_array_rows(self.split, self.data, self.y, self.info, self.keep, advance)
        return scan_table_rows(self.split, self.data, self.y, self.keep, self.key_columns)

    def _run_piece(self) -> SplitScan:
        parts, at = [], 0
        for table in self.data.batches():
            y = self.y[at:at + table.num_rows]
            keep = None
            if self.keep is not None:
                lo, hi = np.searchsorted(self.keep, [at, at + table.num_rows])
                keep = self.keep[lo:hi] - at
            parts.append(scan_table_rows(self.split, table, y, keep, self.key_columns))
            at += table.num_rows
        if at != self.n:
            raise InputError(self.data.path, f"read {at} rows of split {self.split!r} where loading "
                                             f"counted {self.n}; was the file changed "
                                             "during the scan?")
        return merge_scans(parts, y=self.y)


def scan_table_rows(name: str, table, y: np.ndarray, keep: np.ndarray | None = None,
                    key_columns: tuple[str, ...] = ()) -> SplitScan:
    """Scan rows of a table: hashes, feature statistics, missing-value flags, kept features.

    Parameters
    ----------
    name : str
        Split name.
    table : pyarrow.Table
        The rows (label and split columns removed).
    y : numpy.ndarray
        Their label codes.
    keep : numpy.ndarray, optional
        Rows whose features are kept in ``columns`` (default all).
    key_columns : tuple of str
        Group and time columns: they identify a sample, they are not features of it.

    Returns
    -------
    SplitScan
    """
    present = [c for c in key_columns if c in table.column_names]
    if present:
        table = table.drop_columns(present)
    columns, numeric, other = numeric_columns(table)
    hashes = np.empty(columns.shape[1], np.uint64)
    stats = feature_stats(columns, numeric, hashes=hashes)
    other_table = table.select(other) if other else None
    if other:
        hashes = combine(hashes, hash_table_rows(other_table))
    flags = row_flags(columns, stats, other_table)
    other_values = other_table
    if keep is not None:
        columns = np.ascontiguousarray(columns[:, keep])
        other_values = other_table.take(keep) if other_table is not None else None
    return SplitScan(name, y, hashes, columns=columns, column_rows=keep, feature_stats=stats,
                     flags=flags, other_columns=other, other_values=other_values,
                     string_counts=StringCounts.of(other_table) if other else None)


def scan_array_rows(name: str, x: np.ndarray, y: np.ndarray, info: ArrayInfo,
                    keep: np.ndarray | None = None, advance=None) -> SplitScan:
    """Scan samples of an array split (2-D features, or images in ``info.layout``).

    Parameters
    ----------
    name : str
        Split name.
    x : numpy.ndarray
        The samples, first axis the sample axis.
    y : numpy.ndarray
        Their label codes.
    info : ArrayInfo
        Of the whole split.
    keep : numpy.ndarray, optional
        Rows of 2-D features kept in ``columns`` (default all).
    advance : callable, optional
        Called with the number of images done (image layouts only), for a progress bar.

    Returns
    -------
    SplitScan
    """
    if info.layout == "features":
        columns = np.ascontiguousarray(x.T, dtype=np.float64)
        stats = feature_stats(columns, [f"x{j}" for j in range(columns.shape[0])])
        flags = row_flags(columns, stats)
        if keep is not None:
            columns = np.ascontiguousarray(columns[:, keep])
        return SplitScan(name, y, hash_rows(x), columns=columns, column_rows=keep,
                         feature_stats=stats, flags=flags, array=info)
    if holds_images(info):
        chunk = array_image_stats(x, info, advance)
        return SplitScan(name, y, chunk.hash, images=chunk, array=info)
    flat = x.reshape(len(x), -1) if x.ndim and x.dtype.kind in "fiub" else np.zeros((len(y), 0))
    return SplitScan(name, y, hash_rows(flat), array=info)


def merge_scans(parts: list[SplitScan], y: np.ndarray | None = None) -> SplitScan:
    """One split's scan from the scans of its consecutive row ranges, in order.

    Parameters
    ----------
    parts : list of SplitScan
        Non-empty; each with row indices relative to its own first row.
    y : numpy.ndarray, optional
        The labels of all the rows when at hand (saves joining the parts' copies).

    Returns
    -------
    SplitScan
        Equal to scanning the rows at once (feature moments to rounding).
    """
    if len(parts) == 1:
        return parts[0]
    first, cat = parts[0], np.concatenate
    offsets = np.cumsum([0] + [p.n for p in parts[:-1]]).tolist()
    out = SplitScan(first.name, cat([p.y for p in parts]) if y is None else y, cat([p.hashes for p in parts]),
                    other_columns=list(first.other_columns), array=first.array)
    if first.columns is not None:
        out.columns = np.concatenate([p.columns for p in parts], axis=1)
        if any(p.column_rows is not None for p in parts):
            out.column_rows = cat([(p.column_rows if p.column_rows is not None else np.arange(p.n)) + o
                                   for p, o in zip(parts, offsets)]).astype(np.int64)
        if first.other_columns:
            import pyarrow as pa

            out.other_values = pa.concat_tables([p.other_values for p in parts])
        out.feature_stats = FeatureStats.merge([p.feature_stats for p in parts])
        out.flags = RowFlags.merge([p.flags for p in parts], offsets)
    if first.images is not None:
        out.images = concat_chunks([p.images for p in parts])
    if first.string_counts is not None:
        out.string_counts = StringCounts.merge([p.string_counts for p in parts])
    return out
