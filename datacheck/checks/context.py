"""The context a check reads: the dataset, its scan, and a cache of shared derived data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from datacheck.data.dataset import Dataset
from datacheck.scan.full_resolution import gray_images
from datacheck.scan.result import ScanResult, SplitScan


@dataclass
class CheckContext:
    """Everything a check may read; expensive derived data is computed once and cached.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset.
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
        return self.dataset.classes

    @property
    def task(self) -> str:
        """``classification`` or ``regression``."""
        return self.dataset.task

    @property
    def is_regression(self) -> bool:
        """Whether the target is a number to predict rather than a class."""
        return self.dataset.is_regression

    def target(self, split: str) -> np.ndarray:
        """A split's target as float64 numbers in stored order (NaN where missing), cached.

        Meaningful for a regression target; a class label's codes map to NaN unless the class
        names are numbers.
        """
        return self.cached(f"target:{split}", lambda: self.dataset.target(split))

    @property
    def seed(self) -> int:
        """Random seed of the run."""
        return int(self.options.get("seed", 0))

    def splits(self) -> list[SplitScan]:
        """Scans of every split, in canonical order."""
        return list(self.scan.splits.values())

    def gray_images(self, split: str, indices) -> list[np.ndarray | None]:
        """Grayscale pixels of some samples of an image split, read again at full resolution.

        The scan-side reader (``datacheck.scan.full_resolution.gray_images``): files in worker
        processes, or rows of an image array; None where a file can no longer be read.
        """
        return gray_images(self.dataset.splits[split], self.scan[split].array, indices)

    def sample_ids(self, split: str, indices) -> list[str]:
        """Report names of samples of one split (paths relative to the source, or ``split[row]``)."""
        return self.dataset.splits[split].sample_ids(indices)
