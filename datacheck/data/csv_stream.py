"""CSV and TSV tables too large to hold in memory: read in record batches, split by split.

A text table's column types are known only once every row has been read. The load reads the
file once in record batches, keeping the labels and counting each split's rows, and settles
the types on the way: a column whose values stop fitting its type (integers that later hold
1.5, an empty column that later holds text) is widened and the pass starts over. The scan's
batches then all share the schema ``pyarrow.csv.read_csv`` infers for the whole file. Rows with
the wrong number of fields are left out of both passes and reported (``Dataset.malformed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, with_unlabelled
from datacheck.data.index_columns import CSV_REASON, RowNumbers, index_note, unnamed_candidates
from datacheck.data.task import label_task
from datacheck.data.streamed import FilePiece, StreamedTable, label_values, ordered_values, split_labels
from datacheck.data.tables import (LABEL_CANDIDATES, SPLIT_CANDIDATES, MalformedRows, check_is_text, csv_convert,
                                   delimiter_of, find_column, refuse_repeated_names)
from datacheck.errors import InputError, first_line

# Bytes of text parsed into one record batch.
BLOCK_BYTES = 1 << 24
_FAILED_COLUMN = re.compile(r"CSV column #(\d+)")


def csv_columns(path: Path) -> list[str]:
    """The column names of a text table, from its header."""
    import pyarrow as pa

    check_is_text(path)
    skipped = MalformedRows()
    try:
        with skipped:
            names = _reader(path, None, delimiter_of(path), block_bytes=1 << 20, skipped=skipped).schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, skipped.problem(exc, path.suffix.lstrip("."))) from None
    refuse_repeated_names(names, path)
    return names


def _reader(path, schema, delimiter: str, include: list[str] | None = None,
            block_bytes: int | None = None, skipped: MalformedRows | None = None):
    """A ``pyarrow.csv`` streaming reader of blocks of ``block_bytes`` (default ``BLOCK_BYTES``);
    ``schema`` (all columns) fixes the types, else the first block's are inferred. Rows with
    the wrong number of fields are skipped (and counted in ``skipped``)."""
    import pyarrow.csv as pacsv

    convert = csv_convert(column_types=schema, include_columns=include or [])
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=skipped or MalformedRows())
    return pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=block_bytes or BLOCK_BYTES),
                          parse_options=parse, convert_options=convert)


@dataclass(frozen=True)
class CsvPiece(FilePiece):
    """The rows of one text table that belong to one split.

    Parameters
    ----------
    path : str
        The file.
    columns : tuple of str
        See ``FilePiece``.
    schema : pyarrow.Schema
        Settled types of every column of the file.
    delimiter : str
        Field separator.
    split_col, split_values
        See ``FilePiece``.
    """

    path: str
    columns: tuple[str, ...]
    schema: object
    delimiter: str = ","
    split_col: str | None = None
    split_values: tuple = ()

    def _record_batches(self, columns: list[str]) -> Iterator[object]:
        return _reader(self.path, self.schema, self.delimiter, columns)


@dataclass
class StreamedCsv(StreamedTable):
    """The features of one streamed split: its rows of one text table.

    A text file cannot be entered in the middle without reading what comes before, so the
    split is one piece: one scan task reads it, its parsing spread over threads by pyarrow.

    Parameters
    ----------
    path : str
        The file.
    rows : int
        Rows of this split in it.
    columns : tuple of str
        Feature columns (label and split columns excluded).
    schema : pyarrow.Schema
        Their types.
    file_schema : pyarrow.Schema
        The types of every column of the file.
    delimiter, split_col, split_values
        See ``CsvPiece``.
    """

    path: str
    rows: int
    columns: tuple[str, ...]
    schema: object
    file_schema: object
    delimiter: str = ","
    split_col: str | None = None
    split_values: tuple = ()

    @property
    def n_rows(self) -> int:
        """Rows of this split."""
        return self.rows

    def pieces(self, parts: int | None = None) -> list[tuple[int, int, CsvPiece]]:
        """The split as one piece (``parts`` is ignored: a text file is read from its start)."""
        if not self.rows:
            return []
        return [(0, self.rows, CsvPiece(self.path, self.columns, self.file_schema, self.delimiter,
                                        self.split_col, self.split_values))]


def load_streamed_csv(files: dict[str, Path], *, label: str | None, split_col: str | None,
                      source: str, progress=None) -> Dataset:
    """A tabular ``Dataset`` whose splits stream their features from text tables.

    Each file is read once now, in record batches: labels, split names and row counts are kept,
    and the column types settled.

    Parameters
    ----------
    files : dict of str to pathlib.Path
        Split name -> its file; a single table (which may hold a split column) is keyed
        ``train``.
    label, split_col : str or None
        Column names given by the user.
    source : str
        The source as given.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``: advanced by the bytes of text read.

    Returns
    -------
    Dataset
    """
    import pyarrow as pa

    raw: dict[str, list] = {}
    streams: dict[str, dict] = {}
    malformed: dict = {}
    index_verdict: dict[str, bool] = {}
    label_col = None
    unlabelled: dict[str, int] = {}
    for name, path in files.items():
        delimiter = delimiter_of(path)
        names = csv_columns(path)
        if label_col is None:  # the first file names the label column
            label_col = find_column(names, label, LABEL_CANDIDATES, "label", path, True)
        own_label = label_col if label_col in names else None  # None: an evaluation split without labels
        sc = find_column(names, split_col, SPLIT_CANDIDATES, "split-col", path, False)
        by_column = sc is not None and len(files) == 1
        schema, labels, values, skipped, row_numbers = _settle(path, delimiter, own_label, sc,
                                                               None if by_column else name, progress)
        skipped.record(path, malformed)
        for column, is_index in row_numbers.items():
            # An index only where every file holding the column has one (see index_columns).
            index_verdict[column] = index_verdict.get(column, is_index) and is_index
        features = tuple(n for n in schema.names if n not in (label_col, sc))
        feature_schema = pa.schema([schema.field(n) for n in features])
        keep_split_col = sc if by_column else None
        for split, parts in labels.items():
            if own_label is None:  # parts are row counts
                rows = unlabelled[split] = int(sum(parts))
            else:
                raw[split] = parts
                rows = int(sum(len(p) for p in parts))
            streams[split] = dict(path=str(Path(path).resolve()), rows=rows,
                                  columns=features, schema=feature_schema, file_schema=schema,
                                  delimiter=delimiter, split_col=keep_split_col,
                                  split_values=ordered_values(values.get(split, set())))
    if not any(s["rows"] for s in streams.values()):
        raise InputError(next(iter(files.values())), "the table has no rows")
    dropped = {c: CSV_REASON for c, is_index in index_verdict.items() if is_index}
    for stream in streams.values():
        if dropped:
            stream["columns"] = tuple(c for c in stream["columns"] if c not in dropped)
            stream["schema"] = pa.schema([stream["schema"].field(c) for c in stream["columns"]])
    for split in raw:
        raw[split] = np.concatenate(raw[split])
    raw, choice = label_task(raw, source)
    classes, codes = encode_labels(with_unlabelled(raw, unlabelled, order=list(streams)))
    del raw
    splits = {n: Split(name=n, y=codes[n], stream=StreamedCsv(**streams[n])) for n in codes}
    n = sum(len(c) for c in codes.values())
    note = (f"{n:,} rows streamed from CSV in record batches; statistics, duplicates and exact "
            "leakage cover every row")
    notes = [note] + ([index_note(dropped)] if dropped else [])
    return Dataset("tabular", splits, classes, label=label_col, ordered=True, source=source, notes=notes,
                   malformed=malformed, task=choice.task, task_reason=choice.reason)


def _settle(path: Path, delimiter: str, label_col: str | None, sc: str | None,
            fixed_split: str | None, progress=None) -> tuple[object, dict, dict, MalformedRows, dict]:
    """Read a text table through once: its settled schema, labels per split and raw split values.

    Parameters
    ----------
    fixed_split : str or None
        The split every row belongs to (one file per split, or no split column); None to
        read ``sc`` for it.
    progress : callable, optional
        A bar per pass over the file, advanced by about the text each batch came from.

    Returns
    -------
    schema : pyarrow.Schema
    labels : dict of str to list of numpy.ndarray
        Label values per split, in row order; without ``label_col`` (None: a split without
        labels, ``fixed_split``), the row count of each batch instead.
    values : dict of str to set
        Raw split-column values per split.
    skipped : MalformedRows
        The rows left out because their number of fields is wrong.
    row_numbers : dict of str to bool
        For each unnamed column (``''``, ``Unnamed: 0``): whether it holds unique non-negative
        integers, a saved pandas index (``datacheck.data.index_columns``).
    """
    import pyarrow as pa

    schema, attempts = None, 1
    while True:
        labels: dict[str, list] = {}
        values: dict[str, set] = {}
        left = path.stat().st_size
        what = f"reading {path.name}" + (" again, its column types widened" if attempts > 1 else "")
        advance = progress(what, left) if progress else None
        skipped = MalformedRows()
        try:
            with skipped:
                reader = _reader(path, schema, delimiter, skipped=skipped)
                schema = reader.schema
                probes = {c: RowNumbers() for c in unnamed_candidates(schema.names)
                          if c not in (label_col, sc)}
                for batch in reader:
                    for column, probe in probes.items():
                        probe.add(batch.column(column))
                    if advance:  # a batch is parsed from about BLOCK_BYTES of text
                        advance(min(BLOCK_BYTES, left))
                        left -= min(BLOCK_BYTES, left)
                    if label_col is None:  # a split without labels: its row count per batch
                        labels.setdefault(fixed_split, []).append(batch.num_rows)
                        continue
                    y = label_values(batch.column(label_col))
                    if fixed_split is not None:
                        labels.setdefault(fixed_split, []).append(y)
                        continue
                    for split, part in split_labels(y, batch.column(sc), values).items():
                        labels.setdefault(split, []).append(part)
            return schema, labels, values, skipped, {c: p.result() for c, p in probes.items()}
        except pa.ArrowInvalid as exc:
            wider = _widened(schema, exc)
            # A column widens at most three times (null, integer, float, text).
            if wider is None or attempts > 3 * len(schema):
                raise InputError(path, skipped.problem(exc, path.suffix.lstrip("."))) from None
            schema, attempts = wider, attempts + 1
        except OSError as exc:
            raise InputError(path, f"cannot be read ({first_line(exc)})") from None


def _widened(schema, exc: Exception):
    """The schema with the column that failed to convert one step wider, or None when the
    error is not a conversion (a malformed row) or the column is already text."""
    import pyarrow as pa

    match = _FAILED_COLUMN.search(str(exc))
    if schema is None or match is None or "conversion error" not in str(exc):
        return None
    k = int(match.group(1))
    if k >= len(schema):
        return None
    field = schema.field(k)
    t = field.type
    if pa.types.is_null(t):
        wider = pa.int64()
    elif pa.types.is_integer(t):
        wider = pa.float64()
    elif pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t):
        return None
    else:  # floats, booleans, dates and times that meet text
        wider = pa.string()
    return schema.set(k, field.with_type(wider))
