"""The context a check reads: the scan, what the scan can read again, and a cache of derived data.

Checks read the dataset only through the scan side (``ScanResult``: per-split scans, a
``SplitSource`` per split and the ``DatasetFacts``), so a new layout or engine is known to the
scan alone.

The runner may run two checks at once (``runner.run_checks``: the model checks beside the
others), so the cache computes each value once whichever thread asks first, each thread
collects its own check's per-sample columns, and ``peek`` waits for the checks that run
before the caller's.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from datacheck.data.dataset import Dataset
from datacheck.report.samples import Column, SampleColumns, SampleIndex, SplitSamples
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
    _computing: dict[str, threading.Event] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Return the value stored under ``key``, computing it once with ``compute()``.

        A thread that asks for a value another thread is computing waits for it (and
        computes it itself if that computation raised).
        """
        while True:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
                busy = self._computing.get(key)
                if busy is None:
                    busy = self._computing[key] = threading.Event()
                    break
            busy.wait()
        self._local.computing = getattr(self._local, "computing", 0) + 1
        try:
            value = compute()
            with self._lock:
                self._cache[key] = value
            return value
        finally:
            self._local.computing -= 1
            with self._lock:
                del self._computing[key]
            busy.set()

    def peek(self, key: str) -> Any:
        """The value stored under ``key`` when a check that runs before the caller's computed
        it, else None (for optional comparisons that must not trigger the computation).

        Waits until the checks before the caller's have finished, so that the answer does
        not depend on which ran first. Never call it inside a ``cached`` computation, which
        another thread may be waiting for.
        """
        if getattr(self._local, "computing", 0):
            raise RuntimeError(f"peek({key!r}) inside a cached computation")
        wait = getattr(self._local, "wait_earlier", None)
        if wait is not None:
            wait()
        with self._lock:
            return self._cache.get(key)

    @contextmanager
    def checking(self, wait_earlier: Callable[[], None] | None = None) -> Iterator[None]:
        """The runner's frame of one check in this thread: ``peek`` calls ``wait_earlier()``
        (which returns once the checks before this one have finished) before it reads."""
        self._local.wait_earlier = wait_earlier
        try:
            yield
        finally:
            self._local.wait_earlier = None

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

    # -- the per-sample table ------------------------------------------------------------------

    def sample_column(self, split: str, name: str, values, *, rows=None, categories=None) -> None:
        """Attach a per-sample column to the running check's outcome (``Report.samples``).

        The one call a check makes to put a flag or a score of each sample in the per-sample
        table; the table names it ``<check id>.<name>``. Dense: one value per sample of the
        split. Sparse (``rows``): values at those rows only, the column's missing value
        elsewhere (NaN, None, -1 codes, False), so that flags of few samples cost little
        memory. A sparse text column may be set more than once (one call per reason); the
        reasons of a sample set twice are joined (``nan, inf``).

        Parameters
        ----------
        split : str
            The split the values belong to.
        name : str
            Column name without the check id: ``quality``, ``suggested``, ``group``, ``flag``.
        values : array-like or scalar
            One value per sample, or per row of ``rows`` (a scalar for all of them).
        rows : array-like of int, optional
            Rows (0-based, within the split) of a sparse column.
        categories : sequence of str, optional
            ``values`` are int codes into these names (-1 missing), e.g. class names.

        Examples
        --------
        >>> ctx.sample_column("train", "quality", quality_per_sample)          # doctest: +SKIP
        >>> ctx.sample_column("train", "flag", "nan", rows=rows_with_nan)      # doctest: +SKIP
        """
        columns = getattr(self._local, "columns", None)
        if columns is None:
            columns = SampleColumns({name_: scan.n for name_, scan in self.scan.splits.items()})
            self._local.columns = columns
        columns.add(split, name, values, rows=rows, categories=categories)

    def take_sample_columns(self) -> SampleColumns | None:
        """The columns this thread attached since its last call (None if none), and forget
        them; the runner calls it after each check to move them onto its outcome."""
        taken, self._local.columns = getattr(self._local, "columns", None), None
        return taken if taken else None

    def sample_index(self) -> SampleIndex:
        """What the per-sample table starts from: every split's ids, labels and image facts
        (size and mode of image files; the overview's image properties, ``image.sharpness``...).

        Ids are read only when the table is built (``SplitSource.sample_ids``). A regression
        target gives the label column as numbers, classes as categories.
        """
        out = []
        for name, scan in self.scan.splits.items():
            source = self.source(name)
            if self.is_regression:
                label = Column(self.target(name))
            else:
                label = Column(scan.y.astype(np.int64), categories=tuple(self.classes))
            base = {}
            im = scan.images
            if im is not None and source.has_files:  # missing where the file cannot be read
                ok = np.flatnonzero(im.ok)
                base = {"height": Column(im.height[ok].astype(np.int64), ok),
                        "width": Column(im.width[ok].astype(np.int64), ok),
                        "mode": Column(np.asarray(im.mode, dtype=object)[ok], ok)}
            if im is not None and len(im.ok) == scan.n:
                base.update(_image_properties(im))
            out.append(SplitSamples(name, scan.n, _ids_reader(source, scan.n), label, base))
        # e.g. a streamed split's row sample: checks that compare rows scored only those
        return SampleIndex(tuple(out), tuple(self.scan.notes))


def _image_properties(images) -> dict[str, Column]:
    """The per-image properties of the column overview (``scan.columns.IMAGE_PROPERTIES``:
    ``image.brightness``, ``image.contrast``, ``image.entropy``, ``image.sharpness``,
    ``image.border``) as float32 columns of the per-sample table, NaN where unreadable; the
    image's size and channels are left to ``height``, ``width`` and ``mode``."""
    from datacheck.scan.columns import IMAGE_PROPERTIES

    return {name: Column(np.asarray(values(images), np.float32))
            for name, (_, values) in IMAGE_PROPERTIES.items() if name not in _SIZE_PROPERTIES}


_SIZE_PROPERTIES = ("image.height", "image.width", "image.channels")


def _ids_reader(source: SplitSource, n: int) -> Callable[[], list[str]]:
    """Reads every sample id of a split when called (paths, or ``split[row]``).

    Holds the list of paths of an image split, and nothing of a table or an array: the report
    must not keep the dataset's samples in memory.
    """
    if source.has_files or not n:
        ids = source.sample_ids(np.arange(n))
        return lambda: ids
    name = source.name
    if source.sample_ids([n - 1]) != [f"{name}[{n - 1}]"]:  # pragma: no cover - other id forms
        ids = source.sample_ids(np.arange(n))
        return lambda: ids
    return lambda: [f"{name}[{i}]" for i in range(n)]
