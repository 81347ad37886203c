"""The per-sample table: one row per sample, with every sample-level check's flags and scores.

Checks that judge samples one by one attach columns to their outcome through one call,
``ctx.sample_column(split, name, values)`` (see ``datacheck.checks.context``); the runner moves
them onto the ``CheckOutcome`` as a ``SampleColumns``. The ``Report`` carries a ``SampleIndex``
(ids, labels and image facts of every split, from the scan) and assembles the table on first
access of ``report.samples``: ``id``, ``split``, ``row``, ``label`` (and ``height``, ``width``,
``mode`` for image files, the overview's image properties ``image.brightness``,
``image.sharpness``... for images), then each check's columns prefixed by its id
(``label_noise.quality``, ``duplicates.group``...), in the order the checks ran.

A column is dense (one value per sample of the split) or sparse (values at some rows, a fill
elsewhere): flags touch few rows, so memory stays bounded by what was flagged. Neither travels
in the JSON report (it names at most 50 samples per finding); the table holds them all, for
relabelling tools and ``DataFrame.query``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from datacheck.errors import ConfigError

# Output formats of ``write_samples``, by file extension.
FORMATS = (".csv", ".parquet")
# Joins the codes of a flag column set twice on the same sample (``nan, inf``).
FLAG_JOIN = ", "


@dataclass(frozen=True)
class Column:
    """One per-sample column of one split.

    Parameters
    ----------
    values : numpy.ndarray
        One value per sample (dense), or per row of ``rows`` (sparse). With ``categories``,
        int codes into them (-1 missing).
    rows : numpy.ndarray or None
        Sparse form: the int64 rows (0-based, within the split) that ``values`` belong to;
        None for a dense column.
    categories : tuple of str or None
        Names the codes in ``values`` stand for (a categorical column), or None.
    """

    values: np.ndarray
    rows: np.ndarray | None = None
    categories: tuple[str, ...] | None = None

    def dense(self, n: int) -> np.ndarray:
        """The column over all ``n`` samples; a sparse column is filled with the missing value
        of its type (NaN for numbers, -1 for codes, None for text, False for flags)."""
        if self.rows is None:
            return self.values
        v = self.values
        if self.categories is not None or v.dtype.kind in "iu":
            out = np.full(n, -1 if self.categories is not None else 0, np.int64)
        elif v.dtype.kind == "b":
            out = np.zeros(n, bool)
        elif v.dtype.kind in "fc":
            out = np.full(n, np.nan, v.dtype)
        else:
            out = np.full(n, None, object)
        out[self.rows] = v
        return out

    def to_pandas(self, n: int):
        """The column over ``n`` samples as a pandas array (categorical, nullable integer, ...)."""
        import pandas as pd

        values = self.dense(n)
        if self.categories is not None:
            return pd.Categorical.from_codes(np.asarray(values, np.int64), categories=list(self.categories))
        if self.rows is not None and self.values.dtype.kind in "iu":
            mask = np.ones(n, bool)
            mask[self.rows] = False
            return pd.arrays.IntegerArray(values.astype(np.int64), mask)
        if values.dtype == object:  # text: one string type, <NA> where missing
            return pd.array(values, dtype="string")
        return values


class SampleColumns:
    """The per-sample columns one check attached to its outcome: split -> name -> ``Column``.

    Parameters
    ----------
    sizes : mapping of str to int
        Samples per split; a column must fit its split.
    """

    def __init__(self, sizes: Mapping[str, int]):
        self.sizes = dict(sizes)
        self.columns: dict[str, dict[str, Column]] = {}

    def __bool__(self) -> bool:
        return any(self.columns.values())

    def __repr__(self) -> str:
        names = sorted({n for cols in self.columns.values() for n in cols})
        return f"SampleColumns({', '.join(names)})"

    @property
    def names(self) -> list[str]:
        """Column names, in the order first added."""
        seen: dict[str, None] = {}
        for cols in self.columns.values():
            seen.update(dict.fromkeys(cols))
        return list(seen)

    def add(self, split: str, name: str, values: Any, *, rows: Any = None,
            categories: Sequence[str] | None = None) -> None:
        """Add a column of one split (see ``CheckContext.sample_column``).

        Parameters
        ----------
        split : str
            The split the values belong to.
        name : str
            Column name, without the check id (``quality``, ``flag``).
        values : array-like or scalar
            One value per sample of the split; with ``rows``, one per row given, or one scalar
            for all of them.
        rows : array-like of int, optional
            Sparse form: the rows (0-based, within the split) the values belong to.
        categories : sequence of str, optional
            ``values`` are int codes into these names (-1 missing).

        Raises
        ------
        ValueError
            On an unknown split, a length that does not fit, a row out of range, or a name set
            twice (except a sparse text column, whose codes are joined: a flag column may be
            set once per reason).
        """
        if split not in self.sizes:
            raise ValueError(f"sample column {name!r}: unknown split {split!r}")
        n = self.sizes[split]
        if rows is not None:
            rows = np.asarray(rows, np.int64).reshape(-1)
            if len(rows) and (rows.min() < 0 or rows.max() >= n):
                raise ValueError(f"sample column {name!r}: rows out of range for {split} ({n} samples)")
            values = np.asarray(values)
            if values.ndim == 0:
                values = np.repeat(values, len(rows))
            expected = len(rows)
        else:
            values = np.asarray(values)
            expected = n
        if values.ndim != 1 or len(values) != expected:
            raise ValueError(f"sample column {name!r} of {split}: {values.shape} values for {expected} "
                             f"{'rows' if rows is not None else 'samples'}")
        if values.dtype.kind == "U":
            values = values.astype(object)
        column = Column(values, rows, tuple(map(str, categories)) if categories is not None else None)
        held = self.columns.setdefault(split, {})
        if name in held:
            column = _merge(held[name], column, name)
        held[name] = column

    def get(self, split: str, name: str) -> Column | None:
        """The column ``name`` of ``split``, or None."""
        return self.columns.get(split, {}).get(name)


def _merge(old: Column, new: Column, name: str) -> Column:
    """Join two sparse text columns: the union of their rows, codes joined where both set one."""
    text = all(c.rows is not None and c.categories is None and c.values.dtype == object for c in (old, new))
    if not text:
        raise ValueError(f"sample column {name!r} set twice (only sparse text flags may be)")
    rows = np.concatenate([old.rows, new.rows])
    values = np.concatenate([old.values, new.values])
    order = np.argsort(rows, kind="stable")
    rows, values = rows[order], values[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(rows)]
    joined = np.array([FLAG_JOIN.join(dict.fromkeys(map(str, values[s:e]))) for s, e in zip(starts, ends)],
                      dtype=object)
    return Column(joined, rows[starts])


@dataclass(frozen=True)
class SplitSamples:
    """What the scan knows of one split's samples, for the table's first columns.

    Parameters
    ----------
    name : str
        Split name.
    n : int
        Number of samples.
    ids : callable
        ``ids() -> sequence of str``: every sample's id (a path, or ``split[row]``), in order;
        called only when the table is built.
    label : Column
        The given label per sample (class codes with categories, or a regression target).
    base : mapping of str to Column
        Further scan facts per sample (``height``, ``width``, ``mode`` of image files; image
        properties such as ``image.sharpness``).
    """

    name: str
    n: int
    ids: Callable[[], Sequence[str]] = field(repr=False)
    label: Column = field(repr=False)
    base: Mapping[str, Column] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SampleIndex:
    """The samples of every split, in split order; what ``report.samples`` starts from.

    Parameters
    ----------
    splits : tuple of SplitSamples
    notes : tuple of str
        What the table cannot show (a split whose ids are unknown), in words.
    """

    splits: tuple[SplitSamples, ...]
    notes: tuple[str, ...] = ()


def samples_table(index: SampleIndex, outcomes: Sequence[Any]):
    """Assemble the per-sample table.

    Parameters
    ----------
    index : SampleIndex
        The samples of every split.
    outcomes : sequence of CheckOutcome
        Each outcome's ``sample_columns`` (None or empty for most checks) add columns named
        ``<check id>.<name>``.

    Returns
    -------
    pandas.DataFrame
        One row per sample of every split, in split order then row order; columns ``id``,
        ``split``, ``row``, ``label``, the scan's facts, then the checks' columns. A split
        without a check's column holds its missing value there. ``attrs["notes"]`` holds
        ``index.notes``.
    """
    import pandas as pd

    base_names = list(dict.fromkeys(n for s in index.splits for n in s.base))
    checked = [(o.id, o.sample_columns) for o in outcomes if getattr(o, "sample_columns", None)]
    parts = []
    for s in index.splits:
        data: dict[str, Any] = {
            "id": pd.array(list(s.ids()), dtype="string"),
            "split": pd.Categorical.from_codes(np.zeros(s.n, np.int64), categories=[s.name]),
            "row": np.arange(s.n, dtype=np.int64),
            "label": s.label.to_pandas(s.n),
        }
        for name in base_names:
            data[name] = _filled(s.n, s.base.get(name))
        for check_id, cols in checked:
            for name in cols.names:
                data[f"{check_id}.{name}"] = _filled(s.n, cols.get(s.name, name), _any(cols, name))
        parts.append(pd.DataFrame(data))
    if not parts:
        return pd.DataFrame({"id": [], "split": [], "row": [], "label": []})
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    # one categorical over all splits (concat of different categories falls back to object)
    for name in table.columns:
        if name == "split" or isinstance(parts[0][name].dtype, pd.CategoricalDtype):
            table[name] = table[name].astype("category")
    table.attrs["notes"] = list(index.notes)
    return table


def _any(cols: SampleColumns, name: str) -> Column | None:
    """Any split's column ``name`` (its type shapes the missing column of other splits)."""
    for split in cols.columns:
        if name in cols.columns[split]:
            return cols.columns[split][name]
    return None


def _filled(n: int, column: Column | None, like: Column | None = None):
    """The column over ``n`` samples, or an all-missing one shaped like ``like``."""
    import pandas as pd

    if column is not None:
        return column.to_pandas(n)
    if like is not None:
        return Column(like.values[:0], np.zeros(0, np.int64), like.categories).to_pandas(n)
    return pd.array(np.full(n, None, object), dtype="string")


def check_samples_path(path: str | Path) -> Path:
    """The path a per-sample table may be written to; ``ConfigError`` for an unknown extension."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ConfigError(f"{path}: the per-sample table is written as {' or '.join(FORMATS)} "
                          f"(by extension); got {path.suffix or 'no extension'!r}.")
    return path


def write_samples(table, path: str | Path) -> int:
    """Write the per-sample table as CSV or Parquet, by the extension of ``path``.

    Parameters
    ----------
    table : pandas.DataFrame
        ``report.samples``.
    path : str or pathlib.Path
        Ends in ``.csv`` or ``.parquet``.

    Returns
    -------
    int
        Number of rows written.

    Raises
    ------
    ConfigError
        For another extension.
    """
    path = check_samples_path(path)
    if path.suffix.lower() == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return int(len(table))
