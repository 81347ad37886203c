"""Parquet datasets too large to hold in memory: read in record batches, split by split.

A streamed split refers to its features by row groups of its files (``datacheck.data.streamed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, with_unlabelled
from datacheck.data.index_columns import PARQUET_REASON, index_note, pandas_index_columns
from datacheck.data.task import label_task
from datacheck.data.streamed import (FilePiece, StreamedTable, label_values, ordered_values,
                                     split_labels)
from datacheck.data.tables import LABEL_CANDIDATES, SPLIT_CANDIDATES, find_column, refuse_repeated_names
from datacheck.errors import InputError, first_line

# Rows per record batch read at a time: a batch of 20 float64 columns is about 40 MB.
BATCH_ROWS = 1 << 18


@dataclass(frozen=True)
class ParquetPiece(FilePiece):
    """Some row groups of one Parquet file, and which of their rows belong to one split.

    Parameters
    ----------
    path : str
        The file.
    row_groups : tuple of int
        Row groups to read, in order.
    columns, split_col, split_values
        See ``FilePiece``.
    """

    path: str
    row_groups: tuple[int, ...]
    columns: tuple[str, ...]
    split_col: str | None = None
    split_values: tuple = ()

    def _record_batches(self, columns: list[str]) -> Iterator[object]:
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.path) as pf:
            yield from pf.iter_batches(batch_size=BATCH_ROWS, row_groups=list(self.row_groups),
                                       columns=columns)


@dataclass
class StreamedParquet(StreamedTable):
    """The features of one streamed split: row groups of Parquet files.

    Parameters
    ----------
    files : list of str
        The files, in row order.
    groups : list of tuple
        ``(file index, row group, rows of this split in it)`` in row order.
    columns : tuple of str
        Feature columns (label and split columns excluded).
    schema : pyarrow.Schema
        Their types.
    split_col : str or None
        See ``ParquetPiece``.
    split_values : tuple
        See ``ParquetPiece``.
    """

    files: list[str]
    groups: list[tuple[int, int, int]]
    columns: tuple[str, ...]
    schema: object
    split_col: str | None = None
    split_values: tuple = ()

    @property
    def n_rows(self) -> int:
        """Rows of this split."""
        return int(sum(g[2] for g in self.groups))

    def pieces(self, parts: int | None = None) -> list[tuple[int, int, ParquetPiece]]:
        """The row groups in about ``parts`` contiguous pieces (default one per row group).

        Returns
        -------
        list of (int, int, ParquetPiece)
            The split row of each piece's first row, its rows of this split, and the piece;
            pieces never span files and skip row groups without rows of this split.
        """
        groups = [g for g in self.groups if g[2]]
        per_piece = max(1, self.n_rows // max(1, parts or len(groups) or 1))
        out, start, current, rows = [], 0, [], 0
        for g in groups:
            if current and (g[0] != current[0][0] or rows >= per_piece):
                out.append((start, rows, self._piece(current)))
                start += rows
                current, rows = [], 0
            current.append(g)
            rows += g[2]
        if current:
            out.append((start, rows, self._piece(current)))
        return out

    def _piece(self, groups: list[tuple[int, int, int]]) -> ParquetPiece:
        return ParquetPiece(self.files[groups[0][0]], tuple(g[1] for g in groups), self.columns,
                            self.split_col, self.split_values)


def parquet_size(files: list[Path]) -> int:
    """Uncompressed bytes of the row groups of Parquet files, from their footers."""
    total = 0
    for f in files:
        meta = read_footer(f)
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total


def load_streamed(files: dict[str, list[Path]], *, label: str | None, split_col: str | None,
                  source: str, progress=None) -> Dataset:
    """A tabular ``Dataset`` whose splits stream their features from Parquet files.

    Only the label (and split) columns are read now.

    Parameters
    ----------
    files : dict of str to list of pathlib.Path
        Split name -> its files; a single dataset (which may hold a split column) is keyed
        ``train``.
    label, split_col : str or None
        Column names given by the user.
    source : str
        The source as given.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``: advanced by row group read.

    Returns
    -------
    Dataset
    """
    # Each file's footer is read once: its schema here, its row groups in _read_keys.
    footers = {name: [read_footer(p) for p in paths] for name, paths in files.items()}
    first = files[next(iter(files))][0]
    names = footers[next(iter(files))][0].schema.to_arrow_schema().names
    refuse_repeated_names(names, first)
    label_col = find_column(names, label, LABEL_CANDIDATES, "label", first, True)
    sc = find_column(names, split_col, SPLIT_CANDIDATES, "split-col", first, False)
    sc = sc if len(files) == 1 else None
    schemas = {}  # per file group: the feature columns and their types
    raw: dict[str, list] = {}
    groups: dict[str, list] = {}
    values: dict[str, set] = {}
    n_groups = sum(f.num_row_groups for fs in footers.values() for f in fs)
    advance = progress("reading labels", n_groups) if progress else None
    dropped: dict[str, str] = {}
    for name, paths in files.items():
        schema = footers[name][0].schema.to_arrow_schema()
        index = set(pandas_index_columns(schema)) - {label_col, sc}
        dropped.update((c, PARQUET_REASON) for c in sorted(index))
        features = tuple(n for n in schema.names if n not in (label_col, sc) and n not in index)
        schemas[name] = (features, _select(schema, features))
        for k, (path, footer) in enumerate(zip(paths, footers[name])):
            own = footer.schema.to_arrow_schema().names
            if own != schema.names:
                raise InputError(path, f"its columns differ from those of {paths[0].name} "
                                       f"({', '.join(own[:8])} vs {', '.join(schema.names[:8])})")
            # a later split's files without the label column: an evaluation split without labels
            own_label = label_col if label_col in schema.names else None
            _read_keys(path, footer, k, name, own_label, sc, raw, groups, values, advance)
    if not groups:
        raise InputError(first, "the table has no rows")
    for name in raw:  # one split's row-group pieces joined at a time: a lower peak
        raw[name] = np.concatenate(raw[name])
    raw, choice = label_task(raw, source)
    unlabelled = {name: sum(rows for _, _, rows in parts) for name, parts in groups.items()
                  if name not in raw}
    classes, codes = encode_labels(with_unlabelled(raw, unlabelled, order=list(groups)))
    del raw
    splits = {}
    for name in codes:
        # Splits read from a split column share the one file group's files and columns.
        group = name if name in files else next(iter(files))
        features, feature_schema = schemas[group]
        paths = [str(Path(p).resolve()) for p in files[group]]  # a cluster's worker may run elsewhere
        stream = StreamedParquet(paths, groups[name], features, feature_schema, sc,
                                 ordered_values(values.get(name, ())))
        splits[name] = Split(name=name, y=codes[name], stream=stream)
    n = sum(len(c) for c in codes.values())
    note = (f"{n:,} rows streamed from Parquet in record batches; statistics, duplicates and "
            "exact leakage cover every row")
    notes = [note] + ([index_note(dropped)] if dropped else [])
    return Dataset("tabular", splits, classes, label=label_col, ordered=True, source=source, notes=notes,
                   task=choice.task, task_reason=choice.reason)


def _read_keys(path: Path, footer, file_index: int, name: str, label_col: str | None, sc: str | None,
               raw: dict, groups: dict, values: dict, advance=None) -> None:
    """Read a file's label (and split) columns and count each split's rows per row group
    (``advance(1)`` after each); without ``label_col`` (None), count the rows only."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path, metadata=footer)
    if label_col is None:  # a split without labels: its row groups only
        for rg in range(pf.metadata.num_row_groups):
            groups.setdefault(name, []).append((file_index, rg, pf.metadata.row_group(rg).num_rows))
            if advance:
                advance(1)
        return
    for rg in range(pf.metadata.num_row_groups):
        table = pf.read_row_group(rg, columns=[label_col] + ([sc] if sc else []))
        if advance:
            advance(1)
        labels = label_values(table.column(label_col))
        if sc is None:
            raw.setdefault(name, []).append(labels)
            groups.setdefault(name, []).append((file_index, rg, table.num_rows))
            continue
        for split, part in split_labels(labels, table.column(sc), values).items():
            raw.setdefault(split, []).append(part)
            groups.setdefault(split, []).append((file_index, rg, len(part)))


def read_footer(path: Path):
    """The footer (``pyarrow.parquet.FileMetaData``) of a Parquet file, or the input error
    that names it."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable footer is bad input
        raise InputError(path, f"cannot be read as a parquet table ({first_line(exc)})") from None


def _select(schema, names: tuple[str, ...]):
    import pyarrow as pa

    return pa.schema([schema.field(n) for n in names])
