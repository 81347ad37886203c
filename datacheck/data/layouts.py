"""Recognise which layout of DESIGN.md section 4 a path holds, and load it."""

from __future__ import annotations

from pathlib import Path

from datacheck.data.arrays import load_npz, load_npz_folder
from datacheck.data.dataset import SPLIT_ALIASES, Dataset, normalize_split_name
from datacheck.data.images import class_folders, load_image_folders, load_manifest, looks_like_manifest
from datacheck.data.csv_stream import csv_columns, load_streamed_csv
from datacheck.data.parquet import load_streamed, parquet_size, read_footer
from datacheck.data.streamed import STREAM_BYTES
from datacheck.data.tables import (TABLE_SUFFIXES, load_table_files, read_table, tables_to_dataset,
                                   text_fits)
from datacheck.errors import InputError

LAYOUT_HELP = ("expected {train,val,test}/<class>/<image>, <class>/<image>, "
               "{train,test}.csv|parquet, a .csv/.parquet file or folder of .parquet files, "
               "a .npz file, or a manifest .csv")
PARQUET_SUFFIXES = (".parquet", ".pq")


def load(path: str | Path, *, label: str | None = None, split_col: str | None = None,
         stream: bool | None = None, progress=None) -> Dataset:
    """Load a dataset from a path in any layout of DESIGN.md section 4.

    Parameters
    ----------
    path : str or pathlib.Path
        A file or folder.
    label : str, optional
        The label column of a table or manifest; default the first of ``label, target, class, y``.
    split_col : str, optional
        The split column of a single table; default ``split`` when present.
    stream : bool, optional
        Leave the features of Parquet or CSV tables on disk and let the scan read them in
        record batches: True always, False never, None (default) when they exceed
        ``STREAM_BYTES`` (uncompressed Parquet, or text) or a text table would not fit in
        free memory.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``, for the pass a streamed load makes
        over its files (labels, row counts, CSV column types).

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        When the path is missing, empty or in no known layout.
    """
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(source, "no such file or folder")
    if p.is_file():
        dataset = _load_file(p, label=label, split_col=split_col, source=source, stream=stream,
                             progress=progress)
    else:
        dataset = _load_folder(p, label=label, split_col=split_col, source=source, stream=stream,
                               progress=progress)
    if stream and not any(split.stream is not None for split in dataset.splits.values()):
        dataset.notes.append("--stream applies to Parquet and CSV tables only (not to image "
                             "manifests): this dataset was read whole")
    return dataset


def _streams(files: list[Path], stream: bool | None) -> bool:
    """Whether these table files are to be streamed: all Parquet or all text, and big or asked to."""
    kinds = {_kind(f) for f in files}
    if stream is False or not files or len(kinds) != 1 or None in kinds:
        return False
    if stream:
        return True
    if kinds == {"text"}:
        size = sum(f.stat().st_size for f in files)
        return size > STREAM_BYTES or not text_fits(size)
    try:
        return parquet_size(files) > STREAM_BYTES
    except InputError:  # an unreadable footer: the in-memory reader reports it
        return False


def _kind(f: Path) -> str | None:
    suffix = f.suffix.lower()
    return "parquet" if suffix in PARQUET_SUFFIXES else ("text" if suffix in TABLE_SUFFIXES else None)


def _load_streamed(files: dict[str, list[Path]], *, label, split_col, source, progress) -> Dataset:
    """Stream Parquet files (several per split) or text tables (one per split)."""
    first = next(iter(files.values()))[0]
    if _kind(first) == "parquet":
        return load_streamed(files, label=label, split_col=split_col, source=source, progress=progress)
    return load_streamed_csv({k: v[0] for k, v in files.items()}, label=label, split_col=split_col,
                             source=source, progress=progress)


def _load_file(p: Path, *, label, split_col, source, stream=None, progress=None) -> Dataset:
    suffix = p.suffix.lower()
    if suffix == ".npz":
        return load_npz(p, source=source)
    if _streams([p], stream) and _not_manifest(p):
        return _load_streamed({"train": [p]}, label=label, split_col=split_col, source=source,
                              progress=progress)
    if suffix in TABLE_SUFFIXES:
        malformed: dict = {}
        table = read_table(p, malformed)
        path_col = looks_like_manifest(table.column_names)
        if path_col is not None:
            dataset = load_manifest(p, table, path_col, label=label, split_col=split_col, source=source)
        else:
            dataset = load_table_files({"train": p}, label=label, split_col=split_col, source=source,
                                       read={p: table})
        dataset.malformed.update(malformed)
        return dataset
    raise InputError(source, f"unsupported file type {suffix or '(none)'}; {LAYOUT_HELP}")


def _not_manifest(p: Path) -> bool:
    """Whether a table file's columns do not make it an image manifest."""
    names = read_footer(p).schema.to_arrow_schema().names if _kind(p) == "parquet" else csv_columns(p)
    return looks_like_manifest(names) is None


def _load_folder(p: Path, *, label, split_col, source, stream=None, progress=None) -> Dataset:
    entries = [e for e in p.iterdir() if not e.name.startswith(".")]
    if not entries:
        raise InputError(source, "the folder is empty")
    files = [e for e in entries if e.is_file()]
    split_dirs = {normalize_split_name(d.name): d for d in class_folders(p) if d.name.lower() in SPLIT_ALIASES}
    if split_dirs:
        return load_image_folders(split_dirs, p, source=source)
    tables = {normalize_split_name(f.stem): f for f in files
              if f.suffix.lower() in TABLE_SUFFIXES and f.stem.lower() in SPLIT_ALIASES}
    if tables and _streams(list(tables.values()), stream):
        return _load_streamed({k: [f] for k, f in tables.items()}, label=label, split_col=None,
                              source=source, progress=progress)
    if tables:
        return load_table_files(tables, label=label, split_col=None, source=source)
    npz = sorted(f for f in files if f.suffix.lower() == ".npz")
    if len(npz) == 1:
        return load_npz(npz[0], source=source)
    if npz:
        return load_npz_folder(npz, source=source)
    single = sorted(f for f in files if f.suffix.lower() in TABLE_SUFFIXES)
    if len(single) == 1:
        return _load_file(single[0], label=label, split_col=split_col, source=source, stream=stream,
                          progress=progress)
    if len(single) > 1 and all(f.suffix.lower() in PARQUET_SUFFIXES for f in single):
        return _load_parquet_parts(single, label=label, split_col=split_col, source=source, stream=stream,
                                   progress=progress)
    if class_folders(p):
        return load_image_folders({"train": p}, p, source=source)
    if len(single) > 1:
        raise InputError(source, f"several tables ({', '.join(f.name for f in single[:5])}) and none "
                                 "named train/val/test; pass one file")
    raise InputError(source, f"no dataset layout recognised; {LAYOUT_HELP}")


def _load_parquet_parts(files: list[Path], *, label, split_col, source, stream, progress) -> Dataset:
    """A folder of Parquet part files: one table, in file-name order."""
    if _streams(files, stream):
        return load_streamed({"train": files}, label=label, split_col=split_col, source=source,
                             progress=progress)
    import pyarrow as pa

    tables = [read_table(f) for f in files]
    try:
        table = pa.concat_tables(tables)
    except pa.ArrowInvalid as exc:
        raise InputError(source, f"the parquet files do not share one schema ({exc})") from None
    return load_table_files({"train": files[0]}, label=label, split_col=split_col, source=source,
                            read={files[0]: table})


__all__ = ["load", "tables_to_dataset", "LAYOUT_HELP"]
