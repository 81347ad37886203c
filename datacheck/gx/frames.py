"""The table a suite runs on: a dataset's rows (or its per-sample image summary) as one
pandas DataFrame with the label column (class values, or a regression target's numbers) and
a split column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from datacheck.data.dataset import Dataset

DEFAULT_SPLIT_COL = "split"
# Columns of the image summary table a suite describes; the rest (thumbnails, per-channel
# moments) are datacheck internals.
IMAGE_COLUMNS = ("ok", "error", "bytes", "height", "width", "channels", "mode")
CHANNEL_STATS = ("mean", "std", "min", "max")


@dataclass
class SuiteFrame:
    """One table holding every split, and how its rows map back to samples.

    Parameters
    ----------
    frame : pandas.DataFrame
        Splits stacked in the dataset's order, with a default RangeIndex.
    dataset : Dataset
        The dataset it was built from.
    kind : str
        ``table`` (the features themselves) or ``summary`` (one row of statistics per image).
    label : str
        Name of the label column.
    split_col : str
        Name of the split column.
    """

    frame: pd.DataFrame
    dataset: Dataset
    kind: str
    label: str
    split_col: str

    def sample_ids(self, positions) -> list[str]:
        """Sample ids (DESIGN.md section 3) of frame rows given by position."""
        sizes = [len(s) for s in self.dataset.splits.values()]
        ends = np.cumsum(sizes)
        splits = list(self.dataset.splits.values())
        out = []
        for p in np.asarray(positions, dtype=np.int64):
            k = int(np.searchsorted(ends, p, side="right"))
            out.append(splits[k].sample_id(int(p - (ends[k] - sizes[k]))))
        return out


def label_values(classes: list[str], y: np.ndarray) -> np.ndarray:
    """Label values as the source holds them: class names back to booleans, ints or floats
    when every name round-trips, so that a suite matches ``pandas.read_csv`` of the file."""
    values = np.asarray(classes, dtype=object)
    if classes and set(classes) <= {"True", "False"}:
        values = np.asarray([c == "True" for c in classes], dtype=object)
    for kind in (int, float):
        try:
            parsed = [kind(c) for c in classes]
        except ValueError:
            continue
        if [str(v) for v in parsed] == list(classes):
            values = np.asarray(parsed, dtype=np.int64 if kind is int else np.float64)
            break
    missing = y < 0
    if not missing.any():
        return values[y]
    if values.dtype.kind in "if":
        out = values.astype(np.float64)[np.maximum(y, 0)]
        out[missing] = np.nan
        return out
    out = values[np.maximum(y, 0)]
    out[missing] = None
    return out


def suite_frame(source, *, label: str | None = None, split_col: str | None = None,
                split_name: str | None = None, workers: int | None = None,
                task: str | None = None, task_reason: str | None = None) -> SuiteFrame:
    """Build the table a suite describes from a path (any layout) or a loaded ``Dataset``.

    Tables give their own rows; image folders, manifests and image arrays give the
    per-sample summary (``path``, ``ok``, ``height``, ``width``, ``channels``, ``mode``,
    per-channel ``mean/std/min/max_<c>``, content ``hash``); feature arrays give columns
    ``x0, x1, ...``. Every split is stacked, with the split name in ``split_col``.

    Parameters
    ----------
    source : str, pathlib.Path or Dataset
        What to read.
    label : str, optional
        Label column of a table or manifest (default: the loader's choice).
    split_col : str, optional
        Split column of a single table.
    split_name : str, optional
        Name of the split column of the result (default ``split_col``, else ``split``).
    workers : int, optional
        Image decoding processes.
    task : {"classification", "regression"}, optional
        The task of a dataset read from a path (default: inferred from the label). A
        regression target is a float64 column, NaN where missing.
    task_reason : str, optional
        Why ``task`` differs from the inferred one, for the report header (default: the
        user's ``--task``).

    Returns
    -------
    SuiteFrame
    """
    if isinstance(source, Dataset):
        dataset = source
    else:
        from datacheck.data import load

        # Expectations are validated on pandas frames: the table is read whole.
        dataset = load(Path(source), label=label, split_col=split_col, stream=False)
        if task is not None and task != dataset.task:
            dataset.set_task(task)
            dataset.task_reason = task_reason or dataset.task_reason
    split_name = split_name or split_col or DEFAULT_SPLIT_COL
    if dataset.modality == "tabular":
        parts, kind = [split.table.to_pandas() for split in dataset.splits.values()], "table"
    else:
        parts, kind = _scanned_parts(dataset, workers)
    # A summary table is datacheck's own: its label column is always ``label``.
    label_col = dataset.label if kind == "table" and dataset.label else "label"
    for part, split in zip(parts, dataset.splits.values()):
        # A regression target keeps its numbers (its classes are the values as text).
        part[label_col] = (dataset.target(split.name) if dataset.is_regression
                           else label_values(dataset.classes, split.y))
        part[split_name] = split.name
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return SuiteFrame(frame.reset_index(drop=True), dataset, kind, label_col, split_name)


def _scanned_parts(dataset: Dataset, workers: int | None) -> tuple[list[pd.DataFrame], str]:
    from datacheck.scan import scan

    result = scan(dataset, workers=workers)
    parts, kind = [], "summary"
    for name, split in dataset.splits.items():
        s = result[name]
        if s.images is None:
            kind = "table"
            columns = s.columns if s.columns is not None else np.zeros((0, s.n))
            parts.append(pd.DataFrame({f"x{j}": col for j, col in enumerate(columns)}, index=pd.RangeIndex(s.n)))
            continue
        summary = s.summary()
        keep = [c for c in IMAGE_COLUMNS if c in summary.columns]
        keep += [c for c in summary.columns if c.split("_")[0] in CHANNEL_STATS]
        part = summary[keep].copy()
        if split.paths is not None:
            part.insert(0, "path", split.paths)
        # An unreadable image has no content: a null hash never matches another sample.
        hashes = pd.array(s.hashes, dtype="UInt64")
        hashes[~s.readable] = pd.NA
        part["hash"] = hashes
        parts.append(part)
    return parts, kind
