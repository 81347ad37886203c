"""Model inputs per modality, built from the scan for the labelled, readable samples.

Tables: numeric features (non-finite values imputed with the median plus a missing-indicator
column, then standardized) and categorical columns (one-hot over the frequent categories;
near-unique text such as ids is dropped). Images: the scan's 16x16 grayscale thumbnails plus
per-channel means and standard deviations. Arrays: the flattened samples when small, else the
scan's thumbnails; 2-D feature arrays are treated as tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from datacheck.models.pool import Pool

# A flattened image array up to this many values per sample is used as is; larger ones fall
# back to the scan's thumbnails (the model reduces dimensions with PCA either way).
MAX_FLAT = 1024
# Categorical columns: one-hot over at most this many frequent categories, the rest pooled.
MAX_CATEGORIES = 32
# A text column whose distinct values exceed this share of the rows is an id or free text.
ID_LIKE_RATIO = 0.5
# An integer column is ID-like from this many rows.
MIN_ID_ROWS = 20
# The model inputs' numeric columns are gathered this many at a time (``_numeric_block``).
GATHER_COLUMNS = 8
# An ID-like column is first tested on its first values (most columns fail there).
ID_PREFIX = 1_024


@dataclass
class FeatureSet:
    """A numeric model input for the pooled samples.

    Parameters
    ----------
    x : numpy.ndarray
        float32 (n, n_features), finite.
    kind : str
        ``pixels`` (image-like: PCA then a kernel model) or ``table``.
    description : str
        What the features are, for the findings.
    image_shape : tuple of int or None
        (channels, height, width) when ``x`` rows are whole images (for a CNN).
    encoding : TableEncoding or None
        A table's: how each input was made, so that other rows can be encoded alike
        (``encode_table``); None for pixels.
    """

    x: np.ndarray
    kind: str
    description: str
    image_shape: tuple[int, int, int] | None = None
    encoding: "TableEncoding | None" = None


@dataclass(frozen=True)
class Scaling:
    """How one value column became a model input: missing values filled, then standardized.

    Parameters
    ----------
    fill : float
        What a missing or infinite value becomes (the pooled samples' median).
    mean, std : float
        Subtracted, then divided by (std 0: a constant column, which gives no input).
    indicated : bool
        Whether a missing-value indicator input follows (the pooled samples had missing values).
    """

    fill: float
    mean: float
    std: float
    indicated: bool

    def apply(self, col: np.ndarray) -> np.ndarray:
        """In place on float64 ``col``: fill, standardize and clip (as ``_impute_standardize``
        did to the pooled samples); returns where values were missing."""
        bad = ~np.isfinite(col)
        col[bad] = self.fill
        col -= self.mean
        if self.std > 0:
            col /= self.std
            np.clip(col, -10, 10, out=col)
        return bad


@dataclass
class TableEncoding:
    """How a table's model inputs were made from its columns (``table_features``), to encode
    rows outside the pool alike (``encode_table``).

    Parameters
    ----------
    numeric : list of (str, Scaling)
        The numeric columns used, in order: each varying one gives an input, then the
        indicators of those that had missing values follow.
    text : list of (str, Scaling or tuple of str)
        The text columns used, in order: read as numbers (a ``Scaling``: its input, then its
        indicator), or one-hot over the given frequent categories, the rest and missing values
        pooled in a last input where the pooled samples had any (``width`` inputs).
    widths : list of int
        Inputs of each text column.
    """

    numeric: list = field(default_factory=list)
    text: list = field(default_factory=list)
    widths: list = field(default_factory=list)


def pixel_features(ctx, pool: Pool) -> FeatureSet:
    """Image features of the pooled samples: flattened small arrays, else thumbnails + colour."""
    flats, shapes = [], set()
    if ctx.modality == "array":
        for k, name in enumerate(pool.split_names):
            info = ctx.scan.splits[name].array
            img = ctx.source(name).images()
            if img is None or img[0].size > MAX_FLAT:
                flats = None
                break
            shapes.add(img.shape[1:])
            flats.append((k, img, info))
    if flats and len(shapes) == 1:
        h, w, c = shapes.pop()
        out = np.empty((len(pool), h * w * c), np.float32)
        for k, img, info in flats:
            at, rows = pool.rows_of(k)
            lo, hi = info.value_min, info.value_max
            scale = 1.0 / (hi - lo) if np.isfinite(hi - lo) and hi > lo else 1.0
            part = _rows_of(out, at)
            np.subtract(img[rows].reshape(len(rows), h * w * c), np.float32(lo), out=part, dtype=np.float32,
                        casting="unsafe")
            part *= np.float32(scale)
            np.nan_to_num(part, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
            if not np.may_share_memory(part, out):
                out[at] = part
        # channels first so that a CNN can reshape rows to (c, h, w)
        chw = out.reshape(len(pool), h, w, c).transpose(0, 3, 1, 2).reshape(len(pool), -1)
        return FeatureSet(np.ascontiguousarray(chw), "pixels", f"{h}x{w}x{c} pixels", (c, h, w))
    return _thumb_features(ctx, pool)


def _thumb_features(ctx, pool: Pool) -> FeatureSet:
    """The scan's 16x16 grayscale thumbnails plus per-channel mean and standard deviation."""
    thumb = ctx.scan.splits[pool.split_names[0]].images.thumb
    side = thumb.shape[1]
    out = np.empty((len(pool), side * side + 6), np.float32)
    for k, name in enumerate(pool.split_names):
        im = ctx.scan.splits[name].images
        at, rows = pool.rows_of(k)
        part = _rows_of(out, at)
        np.divide(im.thumb[rows].reshape(len(rows), side * side), np.float32(255), out=part[:, :side * side],
                  dtype=np.float32, casting="unsafe")
        for j, stat in enumerate((im.mean, im.std)):
            vals = stat[rows].astype(np.float32)
            # a grayscale image has only channel 0: its colour channels equal it
            vals = np.where(np.isnan(vals), vals[:, :1], vals)
            part[:, side * side + 3 * j:side * side + 3 * j + 3] = np.nan_to_num(vals) / np.float32(255)
        if not np.may_share_memory(part, out):
            out[at] = part
    return FeatureSet(out, "pixels", f"{side}x{side} grayscale thumbnails and channel statistics",
                      (1, side, side))


def _rows_of(out: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Where a split's pooled rows ``at`` go: a view of ``out`` when they are one run (a
    single split), written in place; else a new array the caller copies to ``out[at]``."""
    if len(at) and at[-1] - at[0] == len(at) - 1:
        return out[at[0]:at[-1] + 1]
    return np.empty((len(at), out.shape[1]), out.dtype)


def table_features(ctx, pool: Pool) -> FeatureSet:
    """Standardized numeric features, missing indicators and one-hot categories of a table."""
    numeric, names_missing, counters, scalings = _numeric_block(ctx, pool)
    text = _categorical_block(ctx, pool)
    blocks = [b for b in (numeric, text.x) if b.shape[1]]
    x = np.hstack(blocks) if len(blocks) > 1 else blocks[0] if blocks else np.zeros((len(pool), 0), np.float32)
    parts = [f"{numeric.shape[1] - len(names_missing)} numeric features"]
    if names_missing:
        parts.append(f"{len(names_missing)} missing-value indicators")
    if text.one_hot:
        parts.append(f"{len(text.one_hot)} categorical columns one-hot encoded")
    if text.as_numbers:
        many = len(text.as_numbers) > 1
        parts.append(f"{len(text.as_numbers)} text column{'s' if many else ''} read as numbers "
                     "(markers and formatting aside)")
    if counters:
        pool.notes.append(f"row-number columns left out of the model: {', '.join(counters)}")
    if text.dropped:
        pool.notes.append(f"id-like text columns left out of the model: {', '.join(text.dropped)}")
    if text.other_types:
        pool.notes.append(f"columns of types the models cannot read (lists, structs) left out: "
                          f"{', '.join(text.other_types)}")
    return FeatureSet(x, "table", ", ".join(parts), encoding=TableEncoding(scalings, text.encoded, text.widths))


def encode_table(ctx, encoding: TableEncoding, pool: Pool) -> np.ndarray:
    """Model inputs of the rows of ``pool`` made as ``encoding`` says (the same values, bit for
    bit, for the rows ``table_features`` encoded).

    Parameters
    ----------
    ctx : CheckContext
        The dataset and its scan (rows whose columns the scan holds: not those beyond a
        streamed split's row sample, which ``encode_rows`` encodes from a batch read again).
    encoding : TableEncoding
        From ``table_features``.
    pool : Pool
        The rows to encode (any rows of the splits of the pool it was made from).

    Returns
    -------
    numpy.ndarray
        float32 (len(pool), inputs).
    """
    scans = [ctx.scan.splits[name] for name in pool.split_names]
    order = np.concatenate([pool.rows_of(k)[0] for k in range(len(pool.split_names))]) if encoding.text else None
    return _encode(encoding, len(pool), lambda names, buf: _gather(scans, pool, names, buf),
                   lambda name: _text_values(ctx, pool, name), order)


def encode_rows(encoding: TableEncoding, table) -> np.ndarray:
    """Model inputs of the rows of a pyarrow Table (a batch of a split read again), made as
    ``encoding`` says: numbers read as the scan reads them (``scan.features.fill_numeric``),
    so that a row gives the inputs ``encode_table`` gives it.

    Parameters
    ----------
    encoding : TableEncoding
        From ``table_features``.
    table : pyarrow.Table
        Holds every column ``encoding`` uses (others are ignored); a column of another type
        than the scan's gives missing values.

    Returns
    -------
    numpy.ndarray
        float32 (table.num_rows, inputs).
    """
    import pyarrow as pa

    from datacheck.scan.features import fill_numeric, is_numeric

    def gather(names: list[str], buf: np.ndarray) -> None:
        for row, name in zip(buf, names):
            column = table.column(name)
            if is_numeric(column.type):
                fill_numeric(row, column)
            else:
                row[:] = np.nan

    def text(name: str):
        column = table.column(name)
        return _as_strings(column) if _castable(column.type) else pa.nulls(len(column), pa.string())

    return _encode(encoding, table.num_rows, gather, text, None)


def _as_strings(column):
    """A column's values as strings, as the model inputs read text columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(column, pa.string(), safe=False)


def _encode(encoding: TableEncoding, n: int, gather: Callable[[list[str], np.ndarray], None],
            text_values: Callable[[str], object], order: np.ndarray | None) -> np.ndarray:
    """The inputs of ``n`` rows: ``gather(names, buf)`` fills float64 ``buf`` (columns, rows)
    with those numeric columns, ``text_values(name)`` gives a text column's values as strings,
    ``order`` the rows' positions in the output of those values (None: in order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from datacheck.data.text_numbers import numbers_of

    names = [name for name, _ in encoding.numeric]
    kept = sum(s.std > 0 for _, s in encoding.numeric)
    indicated = sum(s.indicated for _, s in encoding.numeric)
    out = np.empty((n, kept + indicated + sum(encoding.widths)), np.float32)
    buf = np.empty((min(GATHER_COLUMNS, len(names)), n), np.float64)
    j, m = 0, kept
    for start in range(0, len(names), GATHER_COLUMNS):
        chunk = encoding.numeric[start:start + GATHER_COLUMNS]
        gather(names[start:start + GATHER_COLUMNS], buf[:len(chunk)])
        keep = []
        for i, (col, (_, scaling)) in enumerate(zip(buf, chunk)):
            bad = scaling.apply(col)
            if scaling.std > 0:
                keep.append(i)
            if scaling.indicated:
                out[:, m] = bad
                m += 1
        # one transposing copy per chunk, as ``_numeric_block``
        out[:, j:j + len(keep)] = (buf[:len(chunk)] if len(keep) == len(chunk) else buf[keep]).T
        j += len(keep)
    if order is None:
        order = np.arange(n)
    for (name, how), width in zip(encoding.text, encoding.widths):
        values = text_values(name)
        if isinstance(how, Scaling):
            column = np.empty(n)
            column[order] = numbers_of(values)
            bad = how.apply(column)
            if how.std > 0:
                out[:, m] = column
                m += 1
            if how.indicated:
                out[:, m] = bad
                m += 1
            continue
        found = pc.index_in(values, value_set=pa.array(how, pa.string()))
        codes = np.asarray(pc.fill_null(found, len(how)).to_numpy(zero_copy_only=False), np.int64)
        block = out[:, m:m + width]
        block[:] = 0
        seen = codes < width  # a rare value where the pooled samples had none: no input
        block[order[seen], codes[seen]] = 1.0
        m += width
    return out


def _text_values(ctx, pool: Pool, col: str):
    """A text column's values at the rows of ``pool``, split after split, as strings (None for
    a column of another type)."""
    import pyarrow as pa

    parts = []
    for k, name in enumerate(pool.split_names):
        _, rows = pool.rows_of(k)
        scan = ctx.scan.splits[name]
        column = scan.other_values.column(col).take(pa.array(scan.column_positions(rows)))
        if not _castable(column.type):
            return None
        parts.append(_as_strings(column))
    return pa.chunked_array([c for p in parts for c in p.chunks], type=pa.string())


def _numeric_block(ctx, pool: Pool) -> tuple[np.ndarray, list[int], list[str], list]:
    """Numeric columns gathered over splits: imputed, indicated, standardized, float32; and
    the row counters left out (``IdColumn.counter``: a row number is no feature, and its
    distances blur the kernel and neighbour models: a Titanic-like table of 891 rows with
    PassengerId 1..891 among its features showed 8.4% of its survivals as wrong labels, a
    warning, and 5.3% without it, info).

    The columns are gathered ``GATHER_COLUMNS`` at a time into one float64 buffer, not all at
    once: a float64 copy of every column (80 MB for 200,000 x 50) is fresh memory in every
    profile, paid for in page faults at its first touch. A fresh ``datacheck profile`` of a
    1M x 50 table took 0.93x the time (median of ten paired runs, 2 cores; system time 0.92 s
    against 1.14 s); the inputs are bit-identical.
    """
    scans = [ctx.scan.splits[name] for name in pool.split_names]
    names = numeric_names(scans)
    ids = id_like_columns(ctx)
    counters = [name for name in names if name in ids and ids[name].counter]
    used = [name for name in names if name not in counters]
    n = len(pool)
    out = np.empty((n, len(used)), np.float32)
    buf = np.empty((min(GATHER_COLUMNS, len(used)), n), np.float64)
    kept, with_missing, missing, scalings = 0, [], [], []
    for start in range(0, len(used), GATHER_COLUMNS):
        chunk = used[start:start + GATHER_COLUMNS]
        _gather(scans, pool, chunk, buf[:len(chunk)])
        # column by column (each a contiguous row of buf): impute the median, standardize
        # in place, clip so that a single extreme value cannot dominate a linear model
        keep = []
        for i, col in enumerate(buf[:len(chunk)]):
            scaling, bad = _impute_standardize(col)
            scalings.append((chunk[i], scaling))
            if bad is not None:
                with_missing.append(names.index(chunk[i]))
                missing.append(bad)
            if scaling.std > 0:
                keep.append(i)
        # one transposing copy per chunk (numpy walks the source in memory order), not a
        # strided write per column
        out[:, kept:kept + len(keep)] = (buf[:len(chunk)] if len(keep) == len(chunk) else buf[keep]).T
        kept += len(keep)
    if kept < len(used) or missing:
        out = np.hstack([out[:, :kept]] + [bad[:, None] for bad in missing]).astype(np.float32, copy=False)
    return out, with_missing, counters, scalings


def _impute_standardize(col: np.ndarray) -> tuple[Scaling, np.ndarray | None]:
    """In place: impute the median where a value is missing or infinite, standardize, and clip
    to +-10 so that a single extreme value cannot dominate a linear model.

    Returns
    -------
    scaling : Scaling
        What was done (std 0: the column is constant, left at 0).
    missing : numpy.ndarray or None
        Where values were imputed, if any.
    """
    bad = ~np.isfinite(col)
    missing = None
    fill = 0.0
    if bad.any():
        good = col[~bad]
        fill = float(np.median(good)) if len(good) else 0.0
        col[bad] = fill
        missing = bad
    mean = col.mean()
    col -= mean
    std = float(np.sqrt(np.dot(col, col) / max(len(col), 1)))
    if std > 0:
        col /= std
        np.clip(col, -10, 10, out=col)
    return Scaling(fill, float(mean), std, missing is not None), missing


@dataclass
class _TextBlock:
    """The model inputs of a table's non-numeric columns, and what became of each column."""

    x: np.ndarray
    one_hot: list[str] = field(default_factory=list)      # frequent categories, one-hot
    as_numbers: list[str] = field(default_factory=list)   # numbers stored as text (marker, formatting)
    dropped: list[str] = field(default_factory=list)      # ids or free text
    other_types: list[str] = field(default_factory=list)  # lists, structs
    encoded: list = field(default_factory=list)           # (column, Scaling or categories): TableEncoding.text
    widths: list[int] = field(default_factory=list)       # inputs of each


def _categorical_block(ctx, pool: Pool) -> _TextBlock:
    """One-hot columns of the frequent categories of each text-like table column; a column of
    numbers stored as text, because of a missing-value marker or of their formatting
    (``data.text_numbers``), is read as those numbers instead, the markers missing (imputed
    and indicated)."""
    from datacheck.data.text_numbers import numbers_of, text_numbers

    names = common([ctx.scan.splits[name].other_columns for name in pool.split_names])
    out = _TextBlock(np.zeros((len(pool), 0), np.float32))
    blocks = []
    order = np.concatenate([pool.rows_of(k)[0] for k in range(len(pool.split_names))]) if names else None
    for col in names:
        values = _text_values(ctx, pool, col)
        if values is None:
            out.other_types.append(col)
            continue
        if text_numbers(values) is not None:
            column = np.empty(len(pool))
            column[order] = numbers_of(values)
            scaling, missing = _impute_standardize(column)
            blocks += [column[:, None]] if scaling.std > 0 else []
            blocks += [missing[:, None]] if missing is not None else []
            out.as_numbers.append(col)
            out.encoded.append((col, scaling))
            out.widths.append(int(scaling.std > 0) + int(missing is not None))
            continue
        frequent = _frequent_codes(values, len(pool))
        if frequent is None:
            out.dropped.append(col)
            continue
        codes, categories = frequent
        onehot = np.zeros((len(pool), codes.max() + 1), np.float32)
        onehot[order, codes] = 1.0
        blocks.append(onehot)
        out.one_hot.append(col)
        out.encoded.append((col, categories))
        out.widths.append(onehot.shape[1])
    if blocks:
        out.x = np.hstack(blocks).astype(np.float32, copy=False)
    return out


def pooled_columns(ctx, pool: Pool) -> np.ndarray:
    """The numeric columns every pooled split has (``numeric_names``), at the pooled rows.

    Gathered column by column into a column-major block: no copy of a split's other rows,
    no temporary of the block's size.

    Returns
    -------
    numpy.ndarray
        float64 (columns, pooled samples), non-finite values as scanned.
    """
    scans = [ctx.scan.splits[name] for name in pool.split_names]
    names = numeric_names(scans)
    xt = np.empty((len(names), len(pool)), np.float64)
    _gather(scans, pool, names, xt)
    return xt


def _gather(scans: list, pool: Pool, names: list[str], out: np.ndarray) -> None:
    """Fill ``out`` (columns, pooled samples) with the columns ``names`` at the pooled rows."""
    for k, scan in enumerate(scans):
        at, rows = pool.rows_of(k)
        positions = scan.column_positions(rows)
        where = {n: j for j, n in enumerate(scan.feature_stats.names)} if names else {}
        for i, name in enumerate(names):
            if len(at) == len(pool):  # one split (at is 0..n-1): gather into the row, no temporary
                np.take(scan.columns[where[name]], positions, out=out[i])
            else:
                out[i, at] = scan.columns[where[name], positions]


@dataclass(frozen=True)
class IdColumn:
    """An integer column that looks like a row id (``id_like_columns``).

    Parameters
    ----------
    how : str
        How it looks like an id, in words.
    counter : bool
        Whether it counts the rows: rising (or falling) with the row order in every split,
        by one from row to row over all of them (PassengerId 1..891; a transaction number).
    """

    how: str
    counter: bool


def id_like_columns(ctx) -> dict[str, IdColumn]:
    """Integer columns with distinct values that follow the row order or run without gaps
    (cached).

    Returns
    -------
    dict
        Column name -> ``IdColumn``, in the order of the first split's columns.
    """
    return ctx.cached("id_like_columns", lambda: _id_like(ctx.splits()))


def _id_like(splits: list) -> dict[str, IdColumn]:
    scans = [s for s in splits if s.columns is not None and s.feature_stats is not None]
    if not scans:
        return {}
    out = {}
    sampled = any(s.sampled for s in scans)
    for name in common([s.feature_stats.names for s in scans]):
        parts = [s.columns[s.feature_stats.names.index(name)] for s in scans]
        if any(not _whole_numbers(p[:ID_PREFIX]) for p in parts):
            continue  # most columns fail on their first values: no pass over the rest
        allv = np.concatenate(parts) if len(parts) > 1 else parts[0]
        n = len(allv)
        if n < MIN_ID_ROWS or not _whole_numbers(allv):
            continue
        steps = [np.diff(p) for p in parts if len(p) > 1]
        rising = all((d > 0).all() for d in steps)
        falling = not rising and all((d < 0).all() for d in steps)
        # strictly monotone within each split: distinct unless two splits share values
        gapless = not sampled and allv.max() - allv.min() == n - 1
        if not (rising or falling or gapless) or len(np.unique(allv)) != n:
            continue
        if rising or falling:
            out[name] = IdColumn(f"distinct integers {'increasing' if rising else 'decreasing'} with the "
                                 f"row order{' without gaps' if gapless else ''}", gapless)
        else:
            out[name] = IdColumn(f"distinct integers {int(allv.min())} to {int(allv.max())} without gaps", False)
    return out


def _whole_numbers(values: np.ndarray) -> bool:
    """Whether every value is finite and whole."""
    return bool(np.isfinite(values).all() and (values == np.round(values)).all())


def numeric_names(scans: list) -> list[str]:
    """Numeric feature columns present in every split scan, in the order of the first."""
    return common([s.feature_stats.names if s.feature_stats else () for s in scans])


def common(per_split: list) -> list[str]:
    """Names present in every split, in the order of the first."""
    rest = [set(names) for names in per_split[1:]]
    return [n for n in per_split[0] if all(n in r for r in rest)] if per_split else []


def _castable(t) -> bool:
    import pyarrow as pa

    return (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t)
            or pa.types.is_temporal(t) or pa.types.is_binary(t))


def _frequent_codes(values, n: int) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Codes of the ``MAX_CATEGORIES - 1`` most frequent values, the rest and nulls pooled
    (the last code), and those values in code order.

    None when the column looks like an id or free text (mostly distinct values).
    """
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values).combine_chunks()
    raw = encoded.indices.to_numpy(zero_copy_only=False)
    raw = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, raw).astype(np.int64)
    n_distinct = len(encoded.dictionary)
    if n_distinct > max(MAX_CATEGORIES, ID_LIKE_RATIO * n):
        return None
    counts = np.bincount(raw[raw >= 0], minlength=n_distinct)
    top = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES - 1]
    remap = np.full(n_distinct + 1, len(top), np.int64)  # last slot: rare values and nulls
    remap[top] = np.arange(len(top))
    return remap[raw], tuple(encoded.dictionary.take(top).to_pylist())
