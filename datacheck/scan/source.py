"""What checks may read besides the scan: the dataset's facts and a narrow reader per split.

The scan builds one ``SplitSource`` per split and one ``DatasetFacts`` and carries them on the
``ScanResult``, for every layout and engine. Checks read them through ``CheckContext`` and
never touch a ``Dataset``, a ``Split`` or a raw table: a new layout or engine changes this
module, not the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from datacheck.data.dataset import Dataset, Split
from datacheck.scan.arrays import ArrayInfo, to_nhwc
from datacheck.scan.full_resolution import gray_images

# Samples of an array split counted for NaN and inf at a time: bounds the boolean masks.
_ROWS_PER_CHUNK = 4096


@dataclass(frozen=True)
class DatasetFacts:
    """What is known of a dataset as a whole, for the checks.

    Parameters
    ----------
    modality : str
        ``image``, ``tabular`` or ``array``.
    ordered : bool
        Whether row order is meaningful (not an image folder).
    train : str
        Name of the training split (``train`` if present, else the first).
    classes : list of str
        Class names; label codes index into this list.
    task : str
        ``classification`` or ``regression``.
    target_values : numpy.ndarray
        The number each label code stands for (float64; NaN for a non-numeric class).
    malformed : dict of str to tuple
        Text tables with rows left out for a wrong number of fields: path -> (number of rows,
        the first few described).
    """

    modality: str
    ordered: bool
    train: str
    classes: list[str]
    task: str
    target_values: np.ndarray = field(repr=False)
    malformed: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, dataset: Dataset) -> "DatasetFacts":
        """The facts of a loaded dataset."""
        return cls(dataset.modality, dataset.ordered, dataset.train.name, list(dataset.classes),
                   dataset.task, dataset.target_values(), dict(dataset.malformed))


@dataclass(frozen=True)
class SplitSource:
    """Read access to one split's samples again, whatever its layout (files, array, table,
    streamed table) and wherever the scan ran.

    Parameters
    ----------
    _split : Split
        The split read (private: checks use the methods).
    info : ArrayInfo or None
        The scan's description of an array split (its layout); None otherwise.
    """

    _split: Split = field(repr=False)
    info: ArrayInfo | None = None

    @property
    def name(self) -> str:
        """Split name."""
        return self._split.name

    @property
    def streamed(self) -> bool:
        """Whether the split's features stay in files and are read in batches."""
        return self._split.stream is not None

    @property
    def schema(self):
        """Column names and types of a table split (pyarrow Schema), or None."""
        return self._split.schema

    @property
    def has_files(self) -> bool:
        """Whether the samples are image files (with paths for ids)."""
        return self._split.paths is not None

    @property
    def ignored(self) -> list[str]:
        """Files beside the samples that are not samples (non-image files in class folders)."""
        return list(self._split.ignored)

    @property
    def loose(self) -> list[str]:
        """Image files beside the class folders, in none of them (left out: no class)."""
        return list(self._split.loose)

    def sample_ids(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """Report names of samples (paths relative to the source, or ``split[row]``), in order."""
        return self._split.sample_ids(indices)

    def rows(self, columns: list[str]):
        """Every row of a table split, the given columns only.

        Parameters
        ----------
        columns : list of str
            Column names of the split's schema.

        Returns
        -------
        pyarrow.Table
            In row order; a streamed split's columns are read from memory when held there
            (group and time columns), else in one pass over its files.
        """
        split = self._table_split()
        held = split.table
        if held is not None and all(c in held.column_names for c in columns):
            return held.select(columns)
        return split.stream.read_columns(list(columns))

    def batches(self, columns: list[str]) -> Iterator[tuple[int, object]]:
        """Every row of a table split in consecutive batches, the given columns only.

        Yields
        ------
        (int, pyarrow.Table)
            The split row of the batch's first row, and the batch (one batch for a table held
            in memory).
        """
        split = self._table_split()
        if split.stream is not None:
            yield from split.stream.batches(list(columns))
        else:
            yield 0, split.table.select(columns)

    def gray_images(self, indices) -> list[np.ndarray | None]:
        """Grayscale pixels of some samples of an image split, read again at full resolution.

        See ``datacheck.scan.full_resolution.gray_images``: files in worker processes, or rows
        of an image array; None where a file can no longer be read.
        """
        return gray_images(self._split, self.info, indices)

    def images(self) -> np.ndarray | None:
        """The samples of an image array split as an (n, h, w, c) view; None for other splits.

        Only arrays whose layout the scan read as images (NHWC, NCHW or NHW) qualify.
        """
        x = self._split.array
        if x is None or self.info is None or self.info.layout not in ("NHWC", "NCHW", "NHW"):
            return None
        return to_nhwc(x, self.info.layout)

    def non_finite_rows(self) -> tuple[np.ndarray, np.ndarray] | None:
        """NaN and infinite values per sample of an array split, read again.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray) or None
            int64 counts per sample (zeros for an integer array); None when the split is not
            an array.
        """
        x = self._split.array
        if x is None:
            return None
        n = len(x)
        nan_rows = np.zeros(n, np.int64)
        inf_rows = np.zeros(n, np.int64)
        if x.dtype.kind in "fc" and x.size:
            flat = x.reshape(n, -1)
            for s in range(0, n, _ROWS_PER_CHUNK):
                part = flat[s:s + _ROWS_PER_CHUNK]
                nan_rows[s:s + len(part)] = np.isnan(part).sum(axis=1)
                inf_rows[s:s + len(part)] = np.isinf(part).sum(axis=1)
        return nan_rows, inf_rows

    def _table_split(self) -> Split:
        if self._split.schema is None:
            raise ValueError(f"split {self.name!r} is not a table")
        return self._split
