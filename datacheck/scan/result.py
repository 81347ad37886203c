"""What the scan produces: per split, a per-sample summary and aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datacheck.scan.arrays import ArrayInfo
from datacheck.scan.features import FeatureStats
from datacheck.scan.images import ImageChunk


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
        Numeric features, column-major: float64 (n_features, n); tables and 2-D arrays.
    feature_stats : FeatureStats or None
        Per-feature aggregates of ``columns``.
    other_columns : list of str
        Non-numeric feature columns of a table.
    images : ImageChunk or None
        Per-sample image statistics (image files and image arrays).
    array : ArrayInfo or None
        Shape, dtype, layout and range of an array split.
    """

    name: str
    y: np.ndarray
    hashes: np.ndarray
    columns: np.ndarray | None = None
    feature_stats: FeatureStats | None = None
    other_columns: list[str] = field(default_factory=list)
    images: ImageChunk | None = None
    array: ArrayInfo | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(len(self.y))

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
    """Scan results of every split, in the dataset's split order."""

    splits: dict[str, SplitScan]
    duration_s: float = 0.0

    def __getitem__(self, name: str) -> SplitScan:
        return self.splits[name]
