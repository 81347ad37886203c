"""Run the scan over every split of a ``Dataset``: plan tasks, run them, merge the results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from datacheck.data.dataset import Dataset, Split
from datacheck.data.streamed import FilePiece
from datacheck.scan.arrays import array_info
from datacheck.scan.result import ScanResult
from datacheck.scan.sample import split_sample, target_bins
from datacheck.scan.source import DatasetFacts, SplitSource
from datacheck.scan.tasks import ScanTask, merge_scans

ProgressFactory = Callable[[str, int], Callable[[int], None]]
# Rows per task of a streamed split: a task's per-row results are ~20 bytes a row.
PIECE_ROWS = 1 << 20


def scan(dataset: Dataset, *, workers: int | None = None, progress: ProgressFactory | None = None,
         partitions: int | None = None, engine=None, seed: int = 0) -> ScanResult:
    """Scan every split once.

    Parameters
    ----------
    dataset : Dataset
        What to scan.
    workers : int, optional
        Image decoding processes; default all available CPUs.
    progress : callable, optional
        ``progress(description, total)`` returns an ``advance(n)`` callable; used for the long
        steps (image decoding, streamed tables, tasks on a cluster).
    partitions : int, optional
        Scan each split as this many row ranges and merge them (the result is the same);
        default one task per in-memory split (two per cluster worker with an engine) and
        about a million rows per streamed task.
    engine : object, optional
        Runs the tasks elsewhere: ``engine.map(tasks, advance)`` returns their results in
        order and ``engine.n_workers`` says how many run at once (see
        ``datacheck.engines``); default this process.
    seed : int
        Seed of the row sample kept of streamed splits.

    Returns
    -------
    ScanResult
        With a ``SplitSource`` per split and the ``DatasetFacts``, which checks read rather
        than the dataset.
    """
    start = time.perf_counter()
    # On a cluster, in-memory splits are cut so that every worker gets a share.
    in_memory_parts = partitions or (2 * engine.n_workers if engine is not None else None)
    plans = {name: plan_split(split, dataset.key_columns,
                              partitions=partitions if split.stream is not None else in_memory_parts,
                              workers=workers if engine is None else 1, seed=seed,
                              regression=dataset.is_regression)
             for name, split in dataset.splits.items()}
    if engine is not None:
        tasks = [t for plan in plans.values() for t in plan]
        advance = progress("scanning on the cluster", len(tasks)) if progress else None
        results = iter(engine.map(tasks, advance))
        parts = {name: [next(results) for _ in plan] for name, plan in plans.items()}
    else:
        parts = {name: _run_here(plan, progress) for name, plan in plans.items()}
    out = {name: merge_scans(p, y=dataset.splits[name].y) for name, p in parts.items()}
    sources = {name: SplitSource(split, out[name].array) for name, split in dataset.splits.items()}
    return ScanResult(out, sources, DatasetFacts.of(dataset), time.perf_counter() - start)


def _run_here(plan: list[ScanTask], progress: ProgressFactory | None) -> list:
    """Run one split's tasks in this process, with a progress bar for the long ones."""
    first = plan[0]
    if first.images and len(plan) == 1:
        what = "decoding" if isinstance(first.data, tuple) else "scanning"
        advance = progress(f"{what} {first.split} images", first.n) if progress else None
        return [first.run(advance)]
    streamed = isinstance(first.data, FilePiece)
    advance = (progress(f"reading {first.split} rows", sum(t.n for t in plan))
               if progress and streamed else None)
    out = []
    for task in plan:
        out.append(task.run())
        if advance:
            advance(task.n)
    return out


def plan_split(split: Split, key_columns: list[str], *, partitions: int | None = None,
               workers: int | None = None, seed: int = 0, regression: bool = False) -> list[ScanTask]:
    """The tasks that scan one split, in row order.

    Parameters
    ----------
    split : Split
        The split.
    key_columns : list of str
        Group and time columns, left out of features and hashes.
    partitions : int, optional
        Number of row ranges (see ``scan``).
    workers : int, optional
        Image decoding processes per task.
    seed : int
        Seed of a streamed split's row sample.
    regression : bool
        Whether the labels are a regression target's value ranks: a streamed split's row
        sample is then stratified by quantile bins of the target, not by value.

    Returns
    -------
    list of ScanTask
        At least one (an empty split gives one empty task).
    """
    keys = tuple(key_columns)
    if split.stream is not None:
        keep = split_sample(target_bins(split.y) if regression else split.y, seed=seed)
        parts = partitions or max(1, -(-len(split) // PIECE_ROWS))
        tasks = []
        for start, n, piece in split.stream.pieces(parts):
            tasks.append(ScanTask(split.name, start, split.y[start:start + n], piece,
                                  _keep_in(keep, start, start + n), keys))
        return tasks or [ScanTask(split.name, 0, split.y[:0], split.stream.schema.empty_table(),
                                  None if keep is None else keep[:0], keys)]
    bounds = _bounds(len(split), partitions or 1)
    if split.paths is not None:
        root = str(Path(split.root).resolve())  # a cluster worker may run in another folder
        return [ScanTask(split.name, a, split.y[a:b], (root, split.paths[a:b]),
                         workers=workers if len(bounds) == 2 else 1)
                for a, b in zip(bounds[:-1], bounds[1:])]
    if split.array is not None:
        info = array_info(split.array)
        return [ScanTask(split.name, a, split.y[a:b], split.array[a:b], info=info)
                for a, b in zip(bounds[:-1], bounds[1:])]
    return [ScanTask(split.name, a, split.y[a:b], split.table.slice(a, b - a), key_columns=keys)
            for a, b in zip(bounds[:-1], bounds[1:])]


def _keep_in(keep: np.ndarray | None, a: int, b: int) -> np.ndarray | None:
    """The sampled rows in [a, b), relative to a."""
    if keep is None:
        return None
    lo, hi = np.searchsorted(keep, [a, b])
    return keep[lo:hi] - a


def _bounds(n: int, parts: int) -> list[int]:
    """Row boundaries of ``parts`` near-equal ranges of ``n`` rows (at least one range)."""
    parts = max(1, min(parts, n))
    return np.linspace(0, n, parts + 1).astype(np.int64).tolist()
