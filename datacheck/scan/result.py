"""What the scan produces: per split, a per-sample summary and aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datacheck.scan.arrays import ArrayInfo
from datacheck.scan.features import FeatureStats
from datacheck.scan.flags import RowFlags
from datacheck.scan.images import ImageChunk
from datacheck.scan.source import DatasetFacts, SplitSource
from datacheck.scan.values import StringCounts


@dataclass
class SplitScan:
    """Scan results of one split.

    Parameters
    ----------
    name : str
        Split name.
    y : numpy.ndarray
        Label codes in stored order (-1 missing).
    hashes : numpy.ndarray
        uint64 content hash per sample (decoded pixels, array sample bytes, or table row).
    columns : numpy.ndarray or None
        Numeric features, column-major: float64 (n_features, m); tables and 2-D arrays. Every
        row (m = n) unless the split was streamed, then the rows in ``column_rows``.
    column_rows : numpy.ndarray or None
        Sorted int64 split rows of the columns of ``columns`` when they are a sample; None
        when they hold every row.
    feature_stats : FeatureStats or None
        Per-feature aggregates over every row (not only the sampled ones).
    flags : RowFlags or None
        Rows with missing or infinite values (tables and 2-D arrays), over every row.
    other_columns : list of str
        Non-numeric feature columns of a table.
    other_values : pyarrow.Table or None
        Those columns, for the rows of ``columns`` (every row, or those in ``column_rows``).
    images : ImageChunk or None
        Per-sample image statistics (image files and image arrays).
    array : ArrayInfo or None
        Shape, dtype, layout and range of an array split.
    string_counts : StringCounts or None
        Value counts of the string feature columns with few distinct values, over every row.
    """

    name: str
    y: np.ndarray
    hashes: np.ndarray
    columns: np.ndarray | None = None
    column_rows: np.ndarray | None = None
    feature_stats: FeatureStats | None = None
    flags: RowFlags | None = None
    other_columns: list[str] = field(default_factory=list)
    other_values: object | None = None
    images: ImageChunk | None = None
    array: ArrayInfo | None = None
    string_counts: StringCounts | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(len(self.y))

    @property
    def sampled(self) -> bool:
        """Whether ``columns`` holds a sample of the rows rather than all of them."""
        return self.column_rows is not None

    @property
    def n_column_rows(self) -> int:
        """Number of rows in ``columns`` (0 without columns)."""
        return 0 if self.columns is None else int(self.columns.shape[1])

    def split_rows(self, positions: np.ndarray) -> np.ndarray:
        """Split rows of the given positions in ``columns``."""
        positions = np.asarray(positions, np.int64)
        return positions if self.column_rows is None else self.column_rows[positions]

    def column_positions(self, rows: np.ndarray) -> np.ndarray:
        """Positions in ``columns`` of split rows that are in it (see ``column_rows``)."""
        rows = np.asarray(rows, np.int64)
        return rows if self.column_rows is None else np.searchsorted(self.column_rows, rows)

    @property
    def features(self) -> np.ndarray | None:
        """Numeric features as an (n, n_features) view, or None."""
        return None if self.columns is None else self.columns.T

    @property
    def readable(self) -> np.ndarray:
        """Boolean mask of samples whose content could be read."""
        return self.images.ok if self.images is not None else np.ones(self.n, bool)

    def summary(self):
        """The per-sample summary table (pandas DataFrame), built on demand.

        Columns: ``label`` and ``hash`` always; for images ``ok``, ``error``, ``bytes``,
        ``height``, ``width``, ``channels``, ``mode``, ``mean_<c>``, ``std_<c>``, ``min_<c>``,
        ``max_<c>`` for channels 0..2.
        """
        import pandas as pd

        data = {"label": self.y, "hash": self.hashes}
        im = self.images
        if im is not None:
            data.update(ok=im.ok, error=im.error, bytes=im.n_bytes, height=im.height,
                        width=im.width, channels=im.channels, mode=im.mode)
            for stat in ("mean", "std", "min", "max"):
                values = getattr(im, stat)
                for ch in range(values.shape[1]):
                    data[f"{stat}_{ch}"] = values[:, ch]
        return pd.DataFrame(data)


@dataclass
class ScanResult:
    """Scan results of every split, in the dataset's split order, and what checks may read again.

    Parameters
    ----------
    splits : dict of str to SplitScan
        Per split.
    sources : dict of str to SplitSource
        Per split, a reader of its samples again (ids, table rows or batches, images).
    facts : DatasetFacts
        What is known of the dataset as a whole (modality, order, classes, task...).
    duration_s : float
        Wall time of the scan.
    """

    splits: dict[str, SplitScan]
    sources: dict[str, SplitSource]
    facts: DatasetFacts
    duration_s: float = 0.0

    @property
    def notes(self) -> list[str]:
        """Facts about the scan for the report: which splits' features are a sample."""
        return [f"{s.name}: the checks that compare rows see a stratified sample of "
                f"{s.n_column_rows:,} of its {s.n:,} rows" for s in self.splits.values() if s.sampled]

    def __getitem__(self, name: str) -> SplitScan:
        return self.splits[name]
