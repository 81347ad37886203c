"""The context a check reads: the scan, what the scan can read again, and a cache of derived data.

Checks read the dataset only through the scan side (``ScanResult``: per-split scans, a
``SplitSource`` per split and the ``DatasetFacts``), so a new layout or engine is known to the
scan alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from datacheck.data.dataset import Dataset
from datacheck.scan.result import ScanResult, SplitScan
from datacheck.scan.source import SplitSource


@dataclass
class CheckContext:
    """Everything a check may read; expensive derived data is computed once and cached.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset; kept for callers outside the checks (checks read ``scan``).
    scan : ScanResult
        The scan of every split.
    options : dict
        Run-wide options (``seed``, ``model``, ``norm``...), read-only for checks.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``, for a check's long steps (reading a
        streamed split again).
    """

    dataset: Dataset
    scan: ScanResult
    options: dict[str, Any] = field(default_factory=dict)
    progress: Callable[[str, int], Callable[[int], None]] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Return the value stored under ``key``, computing it once with ``compute()``."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def classes(self) -> list[str]:
        """Class names; label codes index into this list."""
        return self.scan.facts.classes

    @property
    def task(self) -> str:
        """``classification`` or ``regression``."""
        return self.scan.facts.task

    @property
    def is_regression(self) -> bool:
        """Whether the target is a number to predict rather than a class."""
        return self.task == "regression"

    @property
    def modality(self) -> str:
        """``image``, ``tabular`` or ``array``."""
        return self.scan.facts.modality

    @property
    def ordered(self) -> bool:
        """Whether row order is meaningful (a table, an array, a manifest; not an image folder)."""
        return self.scan.facts.ordered

    @property
    def train_name(self) -> str:
        """Name of the training split: ``train`` if present, else the first split."""
        return self.scan.facts.train

    @property
    def split_names(self) -> list[str]:
        """Split names in canonical order."""
        return list(self.scan.splits)

    @property
    def malformed(self) -> dict[str, tuple[int, list[str]]]:
        """Text tables with rows left out for a wrong number of fields: path -> (count, examples)."""
        return self.scan.facts.malformed

    def target(self, split: str) -> np.ndarray:
        """A split's target as float64 numbers in stored order (NaN where missing), cached.

        Meaningful for a regression target; a class label's codes map to NaN unless the class
        names are numbers.
        """
        return self.cached(f"target:{split}", lambda: self._target(split))

    def _target(self, split: str) -> np.ndarray:
        y, values = self.scan[split].y, self.scan.facts.target_values
        return np.where(y >= 0, values[np.maximum(y, 0)] if len(values) else np.nan, np.nan)

    @property
    def seed(self) -> int:
        """Random seed of the run."""
        return int(self.options.get("seed", 0))

    def splits(self) -> list[SplitScan]:
        """Scans of every split, in canonical order."""
        return list(self.scan.splits.values())

    def source(self, split: str) -> SplitSource:
        """The scan's reader of one split's samples (schema, ids, rows, images read again)."""
        return self.scan.sources[split]

    def rows(self, split: str, columns: list[str]):
        """Every row of a table split, the given columns only (a pyarrow Table, row order)."""
        return self.source(split).rows(columns)

    def batches(self, split: str, columns: list[str]):
        """Every row of a table split in batches: ``(first split row, pyarrow Table)`` pairs."""
        return self.source(split).batches(columns)

    def gray_images(self, split: str, indices) -> list[np.ndarray | None]:
        """Grayscale pixels of some samples of an image split, read again at full resolution.

        The scan-side reader (``SplitSource.gray_images``): files in worker processes, or rows
        of an image array; None where a file can no longer be read.
        """
        return self.source(split).gray_images(indices)

    def sample_ids(self, split: str, indices) -> list[str]:
        """Report names of samples of one split (paths relative to the source, or ``split[row]``)."""
        return self.source(split).sample_ids(indices)
