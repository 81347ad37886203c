"""Tables too large to hold in memory, read in record batches: what Parquet and CSV share.

A streamed split keeps its labels (and any group/time columns) in memory and refers to its
features by pieces of its files; the scan reads the pieces batch by batch, in this process or
in the workers of a distributed engine.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from datacheck.data.dataset import normalize_split_name
from datacheck.errors import InputError, first_line

# Uncompressed (Parquet) or text (CSV) bytes above which a table is streamed, not read whole.
STREAM_BYTES = 1 << 30


class FilePiece:
    """Rows of one file that belong to one split, read where the scan task runs.

    Subclasses are frozen dataclasses with at least the fields ``path`` (the file),
    ``columns`` (the feature columns to read), ``split_col`` (the column naming each row's
    split when the file holds several, else None) and ``split_values`` (its values, as
    strings, that belong to this split; None for a missing value), and say how the file's
    record batches are read (``_record_batches``).
    """

    path: str
    columns: tuple[str, ...]
    split_col: str | None
    split_values: tuple

    def batches(self) -> Iterator[object]:
        """This split's rows of the piece, in order, as pyarrow Tables of the feature columns.

        Raises
        ------
        InputError
            When the file cannot be read (changed or removed since it was loaded).
        """
        import pyarrow as pa

        read = list(self.columns) + ([self.split_col] if self.split_col else [])
        try:
            for batch in self._record_batches(read):
                table = pa.Table.from_batches([batch])
                if self.split_col:
                    table = table.filter(in_split(table.column(self.split_col), self.split_values))
                    table = table.drop_columns([self.split_col])
                if table.num_rows:
                    yield table
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.path, f"cannot be read ({first_line(exc)}); was it changed or "
                                        "removed during the scan?") from None

    def _record_batches(self, columns: list[str]) -> Iterator[object]:
        """The piece's pyarrow RecordBatches, these columns only, every split's rows."""
        raise NotImplementedError

    def with_columns(self, columns: tuple[str, ...]) -> "FilePiece":
        """The same rows, other columns."""
        return dataclasses.replace(self, columns=tuple(columns))


class StreamedTable:
    """The features of one streamed split, as pieces of files.

    Subclasses set ``columns`` (feature columns, label and split columns excluded) and
    ``schema`` (their pyarrow types), and say how the rows are cut into pieces.
    """

    columns: tuple[str, ...]
    schema: object

    @property
    def n_rows(self) -> int:
        """Rows of this split."""
        raise NotImplementedError

    def pieces(self, parts: int | None = None) -> list[tuple[int, int, FilePiece]]:
        """The rows in about ``parts`` contiguous pieces.

        Returns
        -------
        list of (int, int, FilePiece)
            The split row of each piece's first row, its rows of this split, and the piece.
        """
        raise NotImplementedError

    def batches(self, columns: list[str] | None = None) -> Iterator[tuple[int, object]]:
        """Every row of this split in record batches, in order.

        Parameters
        ----------
        columns : list of str, optional
            Read only these (default every feature column).

        Yields
        ------
        (int, pyarrow.Table)
            The split row of the batch's first row, and the batch.
        """
        names = tuple(columns) if columns is not None else self.columns
        at = 0
        for _, _, piece in self.pieces():
            for table in piece.with_columns(names).batches():
                yield at, table
                at += table.num_rows

    def take(self, rows: np.ndarray):
        """The feature columns of the given split rows (sorted), read in one pass of batches."""
        import pyarrow as pa

        rows = np.asarray(rows, np.int64)
        parts = []
        for at, table in self.batches():
            lo, hi = np.searchsorted(rows, [at, at + table.num_rows])
            if hi > lo:
                parts.append(table.take(pa.array(rows[lo:hi] - at)))
        return pa.concat_tables(parts) if parts else self.schema.empty_table()

    def read_columns(self, names: list[str]):
        """Every row of this split, the given columns only (a pyarrow Table)."""
        import pyarrow as pa

        tables = [table for _, table in self.batches(names)]
        return pa.concat_tables(tables) if tables else self.schema.empty_table().select(names)


def in_split(values, wanted: tuple):
    """Boolean mask (pyarrow) of a split column's values that belong to a split.

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        The split column.
    wanted : tuple
        Its values (as strings) naming the split; ``None`` stands for a missing value.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = values.cast(pa.string())
    mask = pc.is_in(strings, value_set=pa.array([v for v in wanted if v is not None], pa.string()))
    mask = pc.fill_null(mask, False)
    if None in wanted:
        mask = pc.or_(mask, pc.is_null(strings))
    return mask


def split_labels(labels: np.ndarray, split_column, values: dict) -> dict[str, np.ndarray]:
    """A batch's labels per split, as its split column names them.

    Parameters
    ----------
    labels : numpy.ndarray
        The batch's label values.
    split_column : pyarrow.Array or pyarrow.ChunkedArray
        Its split column.
    values : dict of str to set
        Updated: the raw split-column values (strings, None for missing) naming each split.

    Returns
    -------
    dict of str to numpy.ndarray
        Canonical split name -> its rows' labels, in row order.
    """
    import pandas as pd

    raw = split_column.cast("string").to_numpy(zero_copy_only=False)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    canon = [normalize_split_name(u) for u in uniques]
    for value, split in zip(uniques, canon):
        values.setdefault(split, set()).add(value)
    if (codes < 0).any():
        values.setdefault("unassigned", set()).add(None)
    split_of = np.array(canon + ["unassigned"], dtype=object)[codes]
    return {split: labels[split_of == split] for split in sorted(set(split_of.tolist()))}


def label_values(column) -> np.ndarray:
    """A label column (pyarrow) as numpy values.

    Numbers stay numbers. Text labels become an object array whose entries share one string
    object per class (a batch of millions of rows holds a few strings, not millions), None
    where missing.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_dictionary(t):
        if not (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
            return column.cast(t.value_type).to_numpy(zero_copy_only=False)
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return column.to_numpy(zero_copy_only=False)
    else:
        column = pc.dictionary_encode(column)
    if isinstance(column, pa.ChunkedArray):
        if not column.num_chunks:
            return np.zeros(0, dtype=object)
        column = column.unify_dictionaries().combine_chunks()
    names = np.array(column.dictionary.to_pylist() + [None], dtype=object)
    codes = column.indices.fill_null(len(names) - 1).to_numpy(zero_copy_only=False)
    return names[codes]


def ordered_values(values: set) -> tuple:
    """A split's raw split-column values in a fixed order (missing last)."""
    return tuple(sorted(values, key=lambda v: (v is None, v)))
