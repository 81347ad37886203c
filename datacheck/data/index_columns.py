"""Columns that are a saved pandas index, not features: left out of every table reader.

Two kinds, both written by pandas without the user asking:

- Parquet (``DataFrame.to_parquet``): the index is stored as columns listed in the schema's
  ``b"pandas"`` metadata (``index_columns``; a ``RangeIndex`` is stored as metadata only, no
  column). ``pandas.read_parquet`` turns them back into the index, so they are not features.
- CSV (``DataFrame.to_csv``): the index is written as a first column with an empty header,
  which a second round trip renames ``Unnamed: 0``. Such a column is left out only when its
  values are unique non-negative integers: a row number. The values need not be ``0..n-1`` in
  order: a shuffled frame, or one split of ``train_test_split``, keeps the numbers of its rows
  in the frame it came from, and a row number is no more a feature then than in order. An
  unnamed column holding anything else (repeats, text, floats) stays a feature.
"""

from __future__ import annotations

import json
import re

import numpy as np

_UNNAMED = re.compile(r"^(|Unnamed: \d+)$")

PARQUET_REASON = "the pandas index saved by DataFrame.to_parquet (pandas metadata index_columns)"
CSV_REASON = ("unnamed, and unique row numbers: the pandas index DataFrame.to_csv writes unless "
              "index=False")


def pandas_index_columns(schema) -> list[str]:
    """The columns of a pyarrow schema that its pandas metadata names as the stored index.

    Parameters
    ----------
    schema : pyarrow.Schema

    Returns
    -------
    list of str
        In schema order; empty when there is no pandas metadata or the index is a range.
    """
    raw = (schema.metadata or {}).get(b"pandas")
    if not raw:
        return []
    try:
        listed = json.loads(raw).get("index_columns", [])
    except (ValueError, AttributeError):
        return []
    names = {c for c in listed if isinstance(c, str)}
    return [n for n in schema.names if n in names]


def unnamed_candidates(names: list[str]) -> list[str]:
    """Column names that pandas gives an unnamed index column (``''``, ``Unnamed: 0``)."""
    return [n for n in names if _UNNAMED.match(n)]


class RowNumbers:
    """Whether a column's values, seen batch by batch, are unique non-negative integers."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.ok = True

    def add(self, column) -> None:
        """Take one batch's values (a pyarrow Array or ChunkedArray)."""
        import pyarrow as pa

        if not self.ok:
            return
        if not pa.types.is_integer(column.type) or column.null_count:
            self.ok = False
            return
        values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)
        if values.size and values.min() < 0:
            self.ok = False
            return
        self.parts.append(values)

    def result(self) -> bool:
        """True when every value seen is a distinct non-negative integer (and there was one)."""
        if not self.ok or not self.parts:
            return False
        values = np.concatenate(self.parts)
        return bool(values.size) and np.unique(values).size == values.size


def is_row_numbers(column) -> bool:
    """Whether a whole column holds unique non-negative integers and no missing value."""
    probe = RowNumbers()
    probe.add(column)
    return probe.result()


def index_columns_of(tables: dict, keep: tuple = ()) -> dict[str, str]:
    """The saved-index columns of per-split tables: name -> why it is not a feature.

    A column is left out only when it is an index in every table that holds it, so the
    splits keep the same feature columns.

    Parameters
    ----------
    tables : dict of str to pyarrow.Table
        Split name -> table.
    keep : tuple of str
        Columns never left out (the label, the split column).

    Returns
    -------
    dict of str to str
    """
    verdict: dict[str, str | None] = {}
    for table in tables.values():
        pandas_index = set(pandas_index_columns(table.schema))
        for name in table.column_names:
            if name in keep:
                continue
            if name in pandas_index:
                reason = PARQUET_REASON
            elif _UNNAMED.match(name) and is_row_numbers(table.column(name)):
                reason = CSV_REASON
            else:
                reason = None
            # Once a table holds the column as data, it is data in every split.
            verdict[name] = reason if verdict.get(name, reason) == reason else None
    return {n: r for n, r in verdict.items() if r is not None}


def index_note(dropped: dict[str, str]) -> str | None:
    """The dataset note that says which columns were left out and why, or None."""
    if not dropped:
        return None
    by_reason: dict[str, list[str]] = {}
    for name, reason in dropped.items():
        by_reason.setdefault(reason, []).append(repr(name) if name else "the unnamed first column")
    parts = [f"{' and '.join(names)} ({reason})" for reason, names in by_reason.items()]
    return "Left out of the features, not profiled: " + "; ".join(parts) + "."
