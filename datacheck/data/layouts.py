"""The layouts of DESIGN.md section 4: each registers how to recognise a path and load it.

A layout is a ``Layout``: its name, a help line, a priority, ``matches(request)`` and
``load(request)``. ``load`` tries the layouts for files or for folders in priority order
and takes the first that matches; ``LAYOUT_HELP`` is made from their help lines. Adding a
layout is one ``register_layout`` call, in this module or in the one that reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

from datacheck.data.arrays import load_npz, load_npz_folder
from datacheck.data.dataset import SPLIT_ALIASES, Dataset, normalize_split_name
from datacheck.data.images import class_folders, load_image_folders, load_manifest, looks_like_manifest
from datacheck.data.csv_stream import csv_columns, load_streamed_csv
from datacheck.data.parquet import load_streamed, parquet_size, read_footer
from datacheck.data.streamed import STREAM_BYTES
from datacheck.data.tables import (TABLE_SUFFIXES, load_table_files, read_table, tables_to_dataset,
                                   text_fits)
from datacheck.errors import InputError

PARQUET_SUFFIXES = (".parquet", ".pq")
# Archives and compressed files, which are named in their own error.
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip", ".tar", ".tgz", ".7z")
# A table file named for its dataset and its split: ``fashion-mnist_train.csv``, ``adult-test``.
_NAMED_SPLIT = re.compile(r"^(?P<prefix>.+)[_.\-](?P<split>[a-z]+)$")


@dataclass(frozen=True)
class Request:
    """A path to load and the caller's options; a folder's listing is read once, on demand.

    Parameters
    ----------
    path : pathlib.Path
        The file or folder.
    source : str
        The path as the user gave it, for messages and the report.
    label, split_col : str or None
        The label and split columns asked for (tables and manifests).
    stream : bool or None
        Whether to stream tables (see ``load``).
    progress : callable or None
        Progress factory for a streamed load's pass.
    """

    path: Path
    source: str
    label: str | None = None
    split_col: str | None = None
    stream: bool | None = None
    progress: Callable | None = None

    @cached_property
    def files(self) -> list[Path]:
        """The folder's visible files."""
        return [e for e in self.path.iterdir() if not e.name.startswith(".") and e.is_file()]

    @cached_property
    def split_dirs(self) -> dict[str, Path]:
        """Sub-folders named for a split, by canonical split name: they hold class folders, or
        images directly (an unlabelled split, ``images.list_image_split``)."""
        return {normalize_split_name(d.name): d for d in class_folders(self.path)
                if d.name.lower() in SPLIT_ALIASES}

    @cached_property
    def split_tables(self) -> dict[str, Path]:
        """Table files named for a split, by split name: ``train.csv``, ``test.parquet``...; else
        one dataset's files named ``<name>_<split>`` (``fashion-mnist_train.csv`` and
        ``fashion-mnist_test.csv``, as Kaggle ships many), a train split among them."""
        tables = [f for f in self.files if f.suffix.lower() in TABLE_SUFFIXES]
        exact = {normalize_split_name(f.stem): f for f in tables if f.stem.lower() in SPLIT_ALIASES}
        return exact or _named_split_tables(tables)

    @cached_property
    def tables(self) -> list[Path]:
        """Every table file of the folder, by name."""
        return sorted(f for f in self.files if f.suffix.lower() in TABLE_SUFFIXES)

    @cached_property
    def npz(self) -> list[Path]:
        """Every ``.npz`` file of the folder, by name."""
        return sorted(f for f in self.files if f.suffix.lower() == ".npz")


def _named_split_tables(tables: list[Path]) -> dict[str, Path]:
    """``<name>_<split>`` table files (``-`` or ``.`` may join them too) by split name, where
    they share one name, no split has two, and train and another split are there; else {}:
    files of different datasets are never joined into one."""
    found: dict[str, Path] = {}
    names = set()
    for f in tables:
        m = _NAMED_SPLIT.match(f.stem.lower())
        if m is None or m["split"] not in SPLIT_ALIASES:
            continue
        split = normalize_split_name(m["split"])
        if split in found:
            return {}
        found[split] = f
        names.add(m["prefix"])
    return found if len(names) == 1 and "train" in found and len(found) > 1 else {}


@dataclass(frozen=True)
class Layout:
    """One way data can be laid out on disk.

    Parameters
    ----------
    name : str
        Short name.
    help : str
        What it looks like, for ``LAYOUT_HELP`` (``{train,val,test}/<class>/<image>``).
    kind : str
        ``file`` or ``folder``: what kind of path it applies to.
    priority : int
        Lower is tried first.
    matches : callable
        ``matches(request) -> bool``.
    load : callable
        ``load(request) -> Dataset``.
    """

    name: str
    help: str
    kind: str
    priority: int
    matches: Callable[[Request], bool]
    load: Callable[[Request], Dataset]


LAYOUTS: list[Layout] = []


def register_layout(layout: Layout) -> Layout:
    """Add ``layout`` to ``LAYOUTS`` (kept in priority order); refuses a duplicate name."""
    if layout.kind not in ("file", "folder"):
        raise ValueError(f"layout kind must be 'file' or 'folder', got {layout.kind!r}")
    if any(existing.name == layout.name for existing in LAYOUTS):
        raise ValueError(f"a layout named {layout.name!r} is already registered")
    LAYOUTS.append(layout)
    LAYOUTS.sort(key=lambda x: (x.kind, x.priority))
    return layout


def layout_help() -> str:
    """One line listing every registered layout, for the error of an unrecognised path."""
    seen = list(dict.fromkeys(x.help for x in sorted(LAYOUTS, key=lambda x: x.priority) if x.help))
    listed = ", ".join(seen[:-1]) + f", or {seen[-1]}" if len(seen) > 1 else "".join(seen)
    return f"expected {listed}"


def load(path: str | Path, *, label: str | None = None, split_col: str | None = None,
         stream: bool | None = None, progress=None) -> Dataset:
    """Load a dataset from a path in any registered layout (DESIGN.md section 4).

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
    request = Request(p, source, label, split_col, stream, progress)
    dataset = _load(request)
    if stream and not any(split.stream is not None for split in dataset.splits.values()):
        dataset.notes.append("--stream applies to Parquet and CSV tables only (not to image "
                             "manifests): this dataset was read whole")
    return dataset


def _load(request: Request) -> Dataset:
    """The first registered layout of the path's kind that matches, or a one-line error."""
    kind = "file" if request.path.is_file() else "folder"
    if kind == "folder" and not any(not e.name.startswith(".") for e in request.path.iterdir()):
        raise InputError(request.source, "the folder is empty")
    for layout in LAYOUTS:
        if layout.kind == kind and layout.matches(request):
            return layout.load(request)
    if kind == "file":
        suffix = request.path.suffix.lower()
        if suffix in COMPRESSED_SUFFIXES:
            raise InputError(request.source, f"a compressed file ({suffix}) is not read; decompress it first "
                                             f"(datacheck reads {', '.join(TABLE_SUFFIXES)} tables, .npz files "
                                             "and folders)")
        raise InputError(request.source, f"unsupported file type {suffix or '(none)'}; {layout_help()}")
    if len(request.tables) > 1:
        raise InputError(request.source, f"several tables ({', '.join(f.name for f in request.tables[:5])}) "
                                         "and none named train/val/test (or <name>_train, <name>_test); "
                                         "pass one file")
    raise InputError(request.source, f"no dataset layout recognised; {layout_help()}")


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


def _not_manifest(p: Path) -> bool:
    """Whether a table file's columns do not make it an image manifest."""
    names = read_footer(p).schema.to_arrow_schema().names if _kind(p) == "parquet" else csv_columns(p)
    return looks_like_manifest(names) is None


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


def _load_table_file(request: Request) -> Dataset:
    """A table file read whole: an image manifest when it has a path column, else a table."""
    p = request.path
    malformed: dict = {}
    table = read_table(p, malformed)
    path_col = looks_like_manifest(table.column_names)
    if path_col is not None:
        dataset = load_manifest(p, table, path_col, label=request.label, split_col=request.split_col,
                                source=request.source)
    else:
        dataset = load_table_files({"train": p}, label=request.label, split_col=request.split_col,
                                   source=request.source, read={p: table})
    dataset.malformed.update(malformed)
    return dataset


def _load_split_tables(request: Request) -> Dataset:
    tables = request.split_tables
    if _streams(list(tables.values()), request.stream):
        return _load_streamed({k: [f] for k, f in tables.items()}, label=request.label, split_col=None,
                              source=request.source, progress=request.progress)
    return load_table_files(tables, label=request.label, split_col=None, source=request.source)


def _load_lone_table(request: Request) -> Dataset:
    """A folder holding one table file: that file, read as the file layouts read it."""
    return _load(Request(request.tables[0], request.source, request.label, request.split_col,
                         request.stream, request.progress))


def _suffix_in(*suffixes: str) -> Callable[[Request], bool]:
    return lambda r: r.path.suffix.lower() in suffixes


for _layout in (
    Layout("npz", "a .npz file", "file", 10, _suffix_in(".npz"),
           lambda r: load_npz(r.path, source=r.source)),
    Layout("streamed_table", "", "file", 20,
           lambda r: _streams([r.path], r.stream) and _not_manifest(r.path),
           lambda r: _load_streamed({"train": [r.path]}, label=r.label, split_col=r.split_col,
                                    source=r.source, progress=r.progress)),
    Layout("table_file", "a .csv/.parquet file (a table, or an image manifest with a path column)",
           "file", 30, _suffix_in(*TABLE_SUFFIXES), _load_table_file),
    Layout("image_splits", "{train,val,test}/<class>/<image>", "folder", 10,
           lambda r: bool(r.split_dirs),
           lambda r: load_image_folders(r.split_dirs, r.path, source=r.source)),
    Layout("split_tables", "{train,val,test}.csv|parquet (or <name>_{train,val,test}.csv)", "folder", 20,
           lambda r: bool(r.split_tables), _load_split_tables),
    Layout("npz_folder", "a folder of .npz files", "folder", 30, lambda r: bool(r.npz),
           lambda r: (load_npz(r.npz[0], source=r.source) if len(r.npz) == 1
                      else load_npz_folder(r.npz, source=r.source))),
    Layout("lone_table", "", "folder", 40, lambda r: len(r.tables) == 1, _load_lone_table),
    Layout("parquet_parts", "a folder of .parquet part files", "folder", 50,
           lambda r: len(r.tables) > 1 and all(f.suffix.lower() in PARQUET_SUFFIXES for f in r.tables),
           lambda r: _load_parquet_parts(r.tables, label=r.label, split_col=r.split_col, source=r.source,
                                         stream=r.stream, progress=r.progress)),
    Layout("image_classes", "<class>/<image>", "folder", 60, lambda r: bool(class_folders(r.path)),
           lambda r: load_image_folders({"train": r.path}, r.path, source=r.source)),
):
    register_layout(_layout)

LAYOUT_HELP = layout_help()

__all__ = ["LAYOUTS", "LAYOUT_HELP", "Layout", "Request", "load", "register_layout", "tables_to_dataset"]
