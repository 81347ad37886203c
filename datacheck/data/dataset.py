"""The in-memory description of a dataset: named splits of samples and labels.

A ``Dataset`` never holds decoded images: an image split holds file references, and the scan
decodes them once, in worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

MODALITIES = ("image", "tabular", "array")
SPLIT_ALIASES = {"val": "val", "valid": "val", "validation": "val", "dev": "val",
                 "train": "train", "training": "train", "test": "test", "testing": "test"}
SPLIT_ORDER = ("train", "val", "test")


def normalize_split_name(name: str) -> str:
    """Map ``valid``/``validation``/``dev`` to ``val`` and ``training`` to ``train``.

    Parameters
    ----------
    name : str
        A split name as found in folder names, file names or a split column.

    Returns
    -------
    str
        The canonical name; unknown names are returned lower-cased and stripped.
    """
    key = str(name).strip().lower()
    return SPLIT_ALIASES.get(key, key)


@dataclass
class Split:
    """One split of a dataset.

    Exactly one of ``table``, ``array``, ``paths`` and ``stream`` is set, by modality (a
    streamed split may also hold its group/time columns in ``table``).

    Parameters
    ----------
    name : str
        Canonical split name (``train``, ``val``, ``test`` or another).
    y : numpy.ndarray
        Label codes, int64, indexes into ``Dataset.classes``; -1 where the label is missing.
    table : pyarrow.Table or None
        Tabular features (label and split columns removed).
    array : numpy.ndarray or None
        Array samples, first axis the sample axis.
    paths : list of str or None
        Image paths relative to ``root``, POSIX separators.
    root : pathlib.Path or None
        Folder the image paths are relative to.
    ignored : list of str
        Files found beside the samples that are not samples (non-image files in class folders).
    loose : list of str
        Image files beside the class folders, in none of them: without a class they are left
        out, as torchvision's ``ImageFolder`` leaves them out.
    stream : datacheck.data.streamed.StreamedTable or None
        Features left in Parquet or CSV files, read in record batches by the scan.
    """

    name: str
    y: np.ndarray
    table: object | None = None
    array: np.ndarray | None = None
    paths: list[str] | None = None
    root: Path | None = None
    ignored: list[str] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)
    stream: object | None = None

    @property
    def schema(self):
        """Column names and types of a table split (pyarrow Schema), or None."""
        if self.stream is not None:
            return self.stream.schema
        return self.table.schema if self.table is not None else None

    def __len__(self) -> int:
        return int(len(self.y))

    def sample_id(self, index: int) -> str:
        """Name of one sample for reports: an image's relative path, else ``split[row]``."""
        if self.paths is not None:
            return self.paths[index]
        return f"{self.name}[{int(index)}]"

    def sample_ids(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """Names of several samples, in the order given."""
        return [self.sample_id(int(i)) for i in indices]


@dataclass
class Dataset:
    """Named splits with labels, and what is known about where they came from.

    Parameters
    ----------
    modality : str
        ``image``, ``tabular`` or ``array``.
    splits : dict of str to Split
        In canonical order (train, val, test, then others).
    classes : list of str
        Class names; ``Split.y`` indexes into this list.
    label : str or None
        Name of the label column or field.
    ordered : bool
        Whether row order is meaningful (a table, an array, a manifest; not an image folder).
    source : str
        The path or description as given by the user.
    notes : list of str
        Facts about how it was read, for the report.
    key_columns : list of str
        Table columns that identify a sample's group or time (``--group-col``, ``--time-col``):
        kept in ``Split.table`` for the leakage checks, left out of features and row hashes.
    malformed : dict of str to tuple
        Text tables with rows that did not parse (wrong number of fields), which were left out:
        path -> (number of rows, the first few described).
    task : str
        ``classification`` or ``regression``. For a regression target the codes in
        ``Split.y`` are the ranks of the distinct target values and ``classes`` holds those
        values as text, so checks that compare labels (identical inputs with different
        targets) work unchanged; ``target`` gives the numbers.
    task_reason : str
        Why this task: ``inferred: ...`` from the label's type and values, or ``set by --task``.
    """

    modality: str
    splits: dict[str, Split]
    classes: list[str]
    label: str | None = "label"
    ordered: bool = True
    source: str = ""
    notes: list[str] = field(default_factory=list)
    key_columns: list[str] = field(default_factory=list)
    malformed: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    task: str = "classification"
    task_reason: str = ""

    def set_key_columns(self, names: dict[str, str]) -> None:
        """Mark group/time columns, checking every split's table has them.

        Parameters
        ----------
        names : dict of str to str
            Option name (``group_col``, ``time_col``) -> column name.

        Raises
        ------
        InputError
            When the dataset has no tables or a split lacks the column.
        """
        from datacheck.errors import InputError

        for option, column in names.items():
            flag = "--" + option.replace("_", "-")
            for split in self.splits.values():
                if split.schema is None:
                    raise InputError(self.source, f"{flag} {column!r} names a table column, but this "
                                                  f"{self.modality} dataset has no table")
                if column not in split.schema.names:
                    cols = ", ".join(split.schema.names[:12])
                    raise InputError(self.source, f"{flag}: split {split.name!r} has no column "
                                                  f"{column!r} (columns: {cols})")
            if column not in self.key_columns:
                self.key_columns.append(column)
        for split in self.splits.values():
            if split.stream is not None and self.key_columns:
                # A streamed split holds its key columns in memory: the leakage checks need
                # every row's group and time.
                split.table = split.stream.read_columns(self.key_columns)

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        order = {name: i for i, name in enumerate(SPLIT_ORDER)}
        self.splits = dict(sorted(self.splits.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))

    @property
    def is_regression(self) -> bool:
        """Whether the target is a number to predict rather than a class."""
        return self.task == "regression"

    def set_task(self, task: str) -> None:
        """Use ``task`` (the user's ``--task``) rather than the inferred one.

        A regression target's codes are re-ranked by numeric value (text labels such as
        ``"10"`` and ``"9"`` sort as text when read).

        Raises
        ------
        ConfigError
            When ``task`` is not ``classification`` or ``regression``.
        InputError
            For regression, when a label is not a number.
        """
        from datacheck.data.task import chosen_task
        from datacheck.errors import InputError

        choice = chosen_task(task)
        if choice.task == "regression":
            values = _numeric(self.classes)
            bad = np.flatnonzero(np.isnan(values))
            if len(bad):
                raise InputError(self.source, f"--task regression needs a numeric target, but "
                                              f"{self.label or 'the label'!r} holds "
                                              f"{self.classes[bad[0]]!r}")
            order = np.argsort(values, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            self.classes = [self.classes[i] for i in order]
            for split in self.splits.values():
                split.y = np.where(split.y >= 0, rank[np.maximum(split.y, 0)], -1).astype(np.int64)
        self.task, self.task_reason = choice.task, choice.reason

    def target_values(self) -> np.ndarray:
        """The number each label code stands for (float64; NaN for a non-numeric class)."""
        return _numeric(self.classes)

    def target(self, split: str) -> np.ndarray:
        """A split's target as float64 numbers in stored order, NaN where missing."""
        y = self.splits[split].y
        values = self.target_values()
        return np.where(y >= 0, values[np.maximum(y, 0)] if len(values) else np.nan, np.nan)

    @property
    def n_classes(self) -> int:
        """Number of distinct classes across all splits."""
        return len(self.classes)

    @property
    def train(self) -> Split:
        """The training split: ``train`` if present, else the first split."""
        return self.splits.get("train") or next(iter(self.splits.values()))

    def split_names(self) -> list[str]:
        """Split names in canonical order."""
        return list(self.splits)


def _numeric(names: list[str]) -> np.ndarray:
    """Class names as float64 numbers, NaN where one is not a number."""
    import pandas as pd

    return pd.to_numeric(pd.Series(names, dtype=object), errors="coerce").to_numpy(float)


def with_unlabelled(raw: dict[str, np.ndarray], sizes: dict[str, int],
                    order: list[str]) -> dict[str, np.ndarray]:
    """Raw labels with splits that have none added, every label missing, in ``order``.

    Parameters
    ----------
    raw : dict of str to numpy.ndarray
        Raw labels of the labelled splits.
    sizes : dict of str to int
        Samples of each split without labels.
    order : list of str
        Every split name, in the order wanted.

    Returns
    -------
    dict of str to numpy.ndarray
        ``raw`` and the missing labels: NaN beside numbers (so integer classes stay integers in
        ``encode_labels``), else None.
    """
    numeric = all(np.asarray(v).dtype.kind in "iufb" for v in raw.values())
    missing = {name: np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
               for name, n in sizes.items()}
    return {name: raw[name] if name in raw else missing[name] for name in order}


def encode_labels(label_arrays: dict[str, np.ndarray]) -> tuple[list[str], dict[str, np.ndarray]]:
    """Encode raw labels of several splits into shared integer codes.

    Parameters
    ----------
    label_arrays : dict of str to numpy.ndarray
        Raw labels per split (any dtype; None/NaN means missing).

    Returns
    -------
    classes : list of str
        Sorted class names (numbers sort numerically, then are rendered as strings; a float
        label with integral values is rendered as an integer).
    codes : dict of str to numpy.ndarray
        int64 codes per split, -1 for a missing label.
    """
    import pandas as pd

    names = list(label_arrays)
    parts = [np.asarray(label_arrays[n]) for n in names]
    values = np.concatenate(parts) if parts else np.array([], dtype=object)
    # whole numbers (and NaN) become integers; an infinite or huge value has no integer, so a
    # column holding one keeps its floats
    if values.dtype.kind == "f" and np.all(np.isnan(values) | ((np.abs(values) < 2.0 ** 53)
                                                               & (values == np.round(values)))):
        as_int = np.where(np.isnan(values), np.nan, values)
        values = pd.array(as_int, dtype="Int64")
    codes_all, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    classes = [str(u) for u in np.asarray(uniques, dtype=object).tolist()]
    codes_all = codes_all.astype(np.int64, copy=False)
    codes, start = {}, 0
    for n, part in zip(names, parts):
        codes[n] = codes_all[start:start + len(part)]
        start += len(part)
    return classes, codes
