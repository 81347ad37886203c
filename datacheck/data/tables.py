"""Load tables (CSV, Parquet) into a ``Dataset``: layout 3 of DESIGN.md section 4."""

from __future__ import annotations

from pathlib import Path

from datacheck.data.dataset import Dataset, Split, encode_labels, normalize_split_name, with_unlabelled
from datacheck.data.index_columns import index_columns_of, index_note
from datacheck.data.streamed import label_values
from datacheck.data.task import label_task
from datacheck.errors import InputError, first_line, printable

LABEL_CANDIDATES = ("label", "target", "class", "y")
SPLIT_CANDIDATES = ("split",)
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv")


class MalformedRows:
    """A ``pyarrow.csv`` invalid-row handler: rows whose number of fields differs from the
    header's are skipped, counted, and the first few kept for the report."""

    MAX_EXAMPLES = 5

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []

    def __call__(self, row) -> str:
        # pyarrow calls this from its parser and can only print (never raise) what escapes it,
        # so nothing here may raise: ``row.text`` decodes the row as UTF-8, which binary rows fail.
        self.count += 1
        if len(self.examples) < self.MAX_EXAMPLES:
            try:
                text = printable(row.text)
            except (UnicodeDecodeError, ValueError):
                text = "(not UTF-8 text)"
            text = text if len(text) <= 80 else text[:77] + "..."
            self.examples.append(f"{row.actual_columns} fields where the header has "
                                 f"{row.expected_columns}: {text}")
        return "skip"

    def __enter__(self) -> "MalformedRows":
        """Around a parse: pyarrow decodes a malformed row as UTF-8 before it calls the handler,
        and a row of binary bytes fails there, where pyarrow can only print the exception
        ("Exception ignored in ... Traceback") and stop with a parse error. The exception is
        taken out of the terminal's way and remembered (``binary``) for the one-line error."""
        import sys

        self.binary = False
        self._previous = sys.unraisablehook

        def hook(unraisable) -> None:
            if isinstance(unraisable.exc_value, UnicodeDecodeError) and unraisable.object is self:
                self.binary = True
                return
            self._previous(unraisable)

        sys.unraisablehook = hook
        return self

    def __exit__(self, *exc) -> None:
        import sys

        sys.unraisablehook = self._previous

    def problem(self, exc: Exception, suffix: str) -> str:
        """The one-line problem of a parse that failed with ``exc``."""
        if getattr(self, "binary", False):
            return (f"is not a UTF-8 text table: a row holds binary bytes (a {suffix} must be "
                    "UTF-8 text; is this the file you meant?)")
        return f"cannot be read as a {suffix} table ({first_line(exc)})"

    def record(self, path: Path, malformed: dict | None) -> None:
        """Add this file's skipped rows, if any, to ``malformed`` (``Dataset.malformed``)."""
        if self.count and malformed is not None:
            malformed[str(path)] = (self.count, list(self.examples))


def read_table(path: Path, malformed: dict | None = None):
    """Read one CSV/TSV/Parquet file into a pyarrow Table.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    malformed : dict, optional
        Text rows that do not parse are skipped; their count and first few are recorded here
        (``Dataset.malformed``).

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    InputError
        When the file cannot be parsed or holds no rows.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq"):
        check_is_text(path)
        _check_text_fits(path)
    skipped = MalformedRows()
    try:
        if suffix in (".parquet", ".pq"):
            refuse_repeated_names(pq.read_schema(path).names, path)
            # without pre-buffering, each column chunk is decoded as it is read instead of the
            # whole file being held at once: the read peaks about 25% lower, as fast
            table = pq.read_table(path, pre_buffer=False)
        else:
            parse = pacsv.ParseOptions(delimiter=delimiter_of(path),
                                       invalid_row_handler=skipped)
            with skipped:
                table = pacsv.read_csv(path, parse_options=parse, convert_options=csv_convert())
            skipped.record(path, malformed)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, skipped.problem(exc, suffix.lstrip("."))) from None
    if table.num_rows == 0:
        raise InputError(path, "the table has no rows")
    refuse_repeated_names(table.column_names, path)
    # the reader's buffers stay reserved in Arrow's pool, which nothing else here allocates
    # from: hand them back
    pa.default_memory_pool().release_unused()
    return table


def csv_convert(**options):
    """``pyarrow.csv`` conversion options of every text table read here: a text column's empty
    field, ``NA``, ``null`` or ``NaN`` (Arrow's default null values) is missing, as in a number
    column and as ``pandas.read_csv`` reads it; Arrow's own default keeps them as text, so a
    survey's unanswered questions read as a category named ``NA``."""
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(strings_can_be_null=True, **options)


# Field separators of text tables: the first is a .csv's, the second a .tsv's; a header line
# without its file's own separator may use another (a semicolon where the comma is the
# decimal mark).
SEPARATORS = (",", "\t", ";", "|")


def delimiter_of(path: Path) -> str:
    """The field separator of a text table: comma for ``.csv``, tab for ``.tsv``; where its
    header line holds none of that one, the separator it holds most of (``SEPARATORS``).

    Parameters
    ----------
    path : pathlib.Path
        A text table.

    Returns
    -------
    str
        One character.
    """
    own = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, "rb") as f:
            header = f.readline(SNIFF_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return own  # the reader says what is wrong with the file
    if own in header:
        return own
    found = max(SEPARATORS, key=header.count)
    return found if header.count(found) else own


def refuse_repeated_names(names: list[str], path: Path) -> None:
    """Refuse a table whose header names a column twice: which of the two a pipeline reads
    depends on the reader (pandas renames the second ``a.1``, others keep one), so no check
    could say what a model is fed.

    Raises
    ------
    InputError
        Naming the first repeated column and how often it appears.
    """
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(path, f"the table names the column {name!r} {names.count(name)} times; "
                                   "give every column its own name")
        seen.add(name)


# Bytes of a text table's start looked at to tell it from a binary file.
SNIFF_BYTES = 1 << 16


def check_is_text(path: Path) -> None:
    """Refuse a file named ``.csv``/``.tsv`` whose start is not UTF-8 text (a NUL byte, or bytes
    that do not decode), before pyarrow parses it into garbage rows.

    Raises
    ------
    InputError
        Naming the file and the offset of the first byte that is not text.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({first_line(exc)})") from None
    bad = head.find(b"\x00")
    if bad < 0:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the end of the sniffed block is still text.
            if exc.reason == "unexpected end of data" and len(head) == SNIFF_BYTES:
                return
            bad = exc.start
        else:
            return
    raise InputError(path, f"is not a UTF-8 text table: byte {bad:,} (0x{head[bad]:02x}) is binary "
                           "(a CSV must be UTF-8 text; is this the file you meant?)")


def _check_text_fits(path: Path) -> None:
    """Refuse a CSV/TSV file that cannot be held in memory, with the way out (streaming)."""
    size = path.stat().st_size
    if not text_fits(size):
        raise InputError(path, f"{size / 2**30:.1f} GiB of text is more than fits in the "
                               f"{available_memory() / 2**30:.1f} GiB of free memory to read it "
                               "whole ('datacheck profile' streams such a table unless --no-stream "
                               "is given; image manifests and expectation suites need it whole)")


def text_fits(size: int) -> bool:
    """Whether a text table of ``size`` bytes can be read whole: its columns, then a float64
    copy of the numeric ones, take about 1.5 times the file's size (numbers as text are longer
    than their 8 bytes)."""
    available = available_memory()
    return available is None or 1.5 * size <= available


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def find_column(names: list[str], wanted: str | None, candidates: tuple[str, ...],
                what: str, path: Path, required: bool) -> str | None:
    """Pick a column: the one asked for, else the first candidate present (case-insensitive).

    Parameters
    ----------
    names : list of str
        Column names of the table.
    wanted : str or None
        The name the user gave, if any.
    candidates : tuple of str
        Names tried in order when none was given.
    what : str
        What the column is, for the error message (``label``, ``split``).
    path : pathlib.Path
        The file, for the error message.
    required : bool
        Whether a missing column is an error.

    Returns
    -------
    str or None
    """
    if wanted is not None:
        if wanted in names:
            return wanted
        raise InputError(path, f"no {what} column {wanted!r} (columns: {', '.join(names[:12])})")
    lowered = {n.lower(): n for n in names}
    for cand in candidates:
        if cand in lowered:
            return lowered[cand]
    if required:
        raise InputError(
            path, f"no {what} column found: pass --{what} COL or name one of "
                  f"{', '.join(candidates)} (columns: {', '.join(names[:12])})")
    return None


def split_table(table, split_col: str):
    """Split a table by the values of its split column.

    Returns
    -------
    dict of str to pyarrow.Table
        Canonical split name -> rows of that split, order preserved.
    """
    import pyarrow.compute as pc

    values = table.column(split_col).cast("string")
    out = {}
    for raw in pc.unique(values).to_pylist():
        if raw is None:
            continue
        mask = pc.equal(values, raw)
        name = normalize_split_name(raw)
        part = table.filter(mask).drop_columns([split_col])
        out[name] = part if name not in out else _concat(out[name], part)
    nulls = pc.sum(pc.is_null(values)).as_py() or 0
    if nulls:
        out.setdefault("unassigned", table.filter(pc.is_null(values)).drop_columns([split_col]))
    return out


def _concat(a, b):
    import pyarrow as pa

    return pa.concat_tables([a, b])


def tables_to_dataset(tables: dict[str, object], *, label: str | None, path: Path,
                      source: str, notes: list[str] | None = None) -> Dataset:
    """Build a tabular ``Dataset`` from per-split tables that still hold the label column; a
    split after the first may lack it (unlabelled: every label missing).

    Parameters
    ----------
    tables : dict of str to pyarrow.Table
        Split name -> table.
    label : str or None
        Label column given by the user; else the first of ``label, target, class, y``.
    path : pathlib.Path
        Where the tables came from, for error messages.
    source : str
        The source as the user gave it.
    notes : list of str, optional
        Facts about how the data was read.

    Returns
    -------
    Dataset
    """
    first = next(iter(tables.values()))
    label_col = find_column(first.column_names, label, LABEL_CANDIDATES, "label", path, True)
    dropped = index_columns_of(tables, keep=(label_col,))
    notes = list(notes or []) + ([index_note(dropped)] if dropped else [])
    raw, feats, unlabelled = {}, {}, []
    for name, table in tables.items():
        if label_col in table.column_names:
            raw[name] = label_values(table.column(label_col))
        else:
            unlabelled.append(name)
        feats[name] = table.drop_columns([c for c in (label_col, *dropped) if c in table.column_names])
    raw, choice = label_task(raw, source)
    # an evaluation split without labels (Kaggle's test.csv): every label missing
    raw = with_unlabelled(raw, {name: tables[name].num_rows for name in unlabelled}, order=list(tables))
    classes, codes = encode_labels(raw)
    splits = {n: Split(name=n, y=codes[n], table=feats[n]) for n in tables}
    return Dataset("tabular", splits, classes, label=label_col, ordered=True, source=source,
                   notes=notes, task=choice.task, task_reason=choice.reason)


def load_table_files(files: dict[str, Path], *, label: str | None, split_col: str | None,
                     source: str, read: dict[Path, object] | None = None) -> Dataset:
    """Load one table per split (``train.csv``, ``test.parquet``) or one table with a split column.

    Parameters
    ----------
    files : dict of str to pathlib.Path
        Split name -> file; a single file is keyed ``train``.
    label, split_col : str or None
        Column names given by the user.
    source : str
        The source as given.
    read : dict of pathlib.Path to pyarrow.Table, optional
        Tables already read, so no file is read twice.

    Returns
    -------
    Dataset
    """
    tables, malformed = {}, {}
    for name, f in files.items():
        table = (read or {}).get(f) or read_table(f, malformed)
        sc = find_column(table.column_names, split_col, SPLIT_CANDIDATES, "split-col", f, False)
        if sc is not None and len(files) == 1:
            tables.update(split_table(table, sc))
        else:
            if sc is not None:
                table = table.drop_columns([sc])
            tables[name] = table
    path = next(iter(files.values()))
    dataset = tables_to_dataset(tables, label=label, path=path, source=source)
    dataset.malformed.update(malformed)
    return dataset
