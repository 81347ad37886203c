"""A per-column overview of every split, and train-vs-evaluation drift per column.

Built from what the scan already holds, reading no file again: per-feature counts, moments and
ranges come from ``FeatureStats`` (exact over every row, merged across batches and
partitions); quantiles, distinct and zero counts and the histogram come from the feature
values the scan keeps (every row of a split of at most ``OVERVIEW_ROWS``, evenly spaced rows
of a larger one, or of the stratified row sample of a streamed split; the overview says
which). Image splits get the same overview of their per-image properties (size, channels,
brightness, contrast; entropy, sharpness and border level from ``image_props``), from the
per-image statistics of the scan.

Histograms of one column share their bin edges across splits: 20 bins between the lowest and
highest 0.5% quantile of any split, plus an end bin on each side for the rarer values beyond
(the columns's full range is known once every split is scanned). Drift is the statistic of the
``split_consistency`` check, the two-sample Kolmogorov-Smirnov distance, here read off the
shared-edge histograms (the largest gap between the two binned distribution functions, a
slight underestimate of the exact distance), with the same test: significant after a
Bonferroni correction over the columns compared, and a distance of at least ``drift_effect``.

The result is plain JSON types (the report's ``columns``), one dict per column.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Callable

import numpy as np

from datacheck.scan.image_props import PROPS
from datacheck.scan.parallel import run_blocks

# Bins between the robust ends of a column's range (end bins for the tails come on top).
BINS = 20
# Quantiles of each split given in the overview.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# The robust range of a column: from the lowest of the splits' TAIL quantiles to the highest
# of their 1 - TAIL quantiles.
TAIL = 0.005
# As split_consistency: significance level of the drift test, and the smallest split compared.
ALPHA = 1e-3
MIN_ROWS = 20
# Rows of a split whose values give the quantiles, distinct and zero counts and histograms
# (evenly spaced beyond): sorting 51 columns of 200,000 rows took 0.5 s of CPU, a sixth of
# the 1M-row table's default profile; at 50,000 rows a quantile is off by about 0.006
# standard deviations, below what the overview prints.
OVERVIEW_ROWS = 50_000
# Values sorted at a time (a copy of a few columns: 32 MB).
_CHUNK_CELLS = 1 << 22
_DIGITS = 6

# Per-image properties of an image split shown as columns: name -> (dtype, values from the
# split's ``ImageChunk``, NaN where the image is unreadable). A new per-image property (e.g.
# from ``scan/image_props.py``) joins the overview with one ``register_image_property`` call.
IMAGE_PROPERTIES: dict[str, tuple[str, Callable]] = {}


def register_image_property(name: str, dtype: str, values: Callable) -> None:
    """Show a per-image property of image splits as a column of the overview.

    Parameters
    ----------
    name : str
        Column name in the overview (``image.<what>`` by convention).
    dtype : str
        The dtype named in the overview.
    values : callable
        ``values(chunk)`` -> float array with one value per image of an ``ImageChunk``
        (NaN where there is none).
    """
    IMAGE_PROPERTIES[name] = (dtype, values)


def _readable(chunk, values) -> np.ndarray:
    return np.where(chunk.ok, np.asarray(values, np.float64), np.nan)


register_image_property("image.height", "int", lambda c: _readable(c, c.height))
register_image_property("image.width", "int", lambda c: _readable(c, c.width))
register_image_property("image.channels", "int", lambda c: _readable(c, c.channels))
register_image_property("image.brightness", "float",
                        lambda c: _readable(c, _channel_mean(c.mean)))
register_image_property("image.contrast", "float", lambda c: _readable(c, _channel_mean(c.std)))
# Quality properties of the scan (``image_props.PROPS``, on a 0..1 scale of the value range):
# grey-level entropy in bits, sharpness (spread of the Laplacian: low for a blurred image) and
# the mean level of the outer frame over the image's channels (a border added to one split).
register_image_property("image.entropy", "float", lambda c: _readable(c, _prop(c, "entropy")))
register_image_property("image.sharpness", "float", lambda c: _readable(c, _prop(c, "laplacian_std")))
register_image_property("image.border", "float",
                        lambda c: _readable(c, _channel_mean(_prop(c, "border_0", "border_1", "border_2"))))


def _prop(chunk, *names: str) -> np.ndarray:
    """Quality properties (``image_props.PROPS``) of each image of an ``ImageChunk``: one
    value per image for one name, a column per name for several."""
    at = [PROPS.index(n) for n in names]
    return chunk.props[:, at[0]] if len(at) == 1 else chunk.props[:, at]


def _channel_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the present channels of per-image, per-channel statistics (NaN if none)."""
    v = np.asarray(values, np.float64)
    present = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        return np.where(present, v, 0.0).sum(axis=1) / np.where(present.any(axis=1), present.sum(axis=1), np.nan)


def column_overview(result, *, drift_effect: float = 0.3, alpha: float = ALPHA,
                    bins: int = BINS) -> list[dict]:
    """The overview of every numeric column (and image property) of every split.

    Parameters
    ----------
    result : ScanResult
        The scan.
    drift_effect : float
        Kolmogorov-Smirnov distance at or above which a significant difference is drift
        (``split_consistency``'s parameter of that name).
    alpha : float
        Significance level of the drift test, before the Bonferroni correction.
    bins : int
        Histogram bins between the robust ends of each column's range.

    Returns
    -------
    list of dict
        Per column, numeric ones in table order, then the non-numeric ones: ``name``,
        ``dtype``, ``kind`` (``numeric``, ``image`` or ``categorical``), ``edges`` (shared by
        the splits' histograms), ``splits`` (split name -> statistics, see ``_split_stats``)
        and ``drift`` (evaluation split -> ``{"ks", "p", "drifted"}`` against the training
        split; numeric columns only).
    """
    names = list(result.splits)
    blocks = {name: _numeric_block(result, name) for name in names}
    order: list[str] = []
    seen: set[str] = set()
    for name in names:
        b = blocks[name]
        if b is not None:
            new = [c for c in b["names"] if c not in seen]
            order += new
            seen.update(new)
    out = _numeric_columns(order, blocks, result.facts.train, drift_effect, alpha, bins)
    out += _categorical_columns(result)
    return out


# -- numeric: collect per split --------------------------------------------------------------

def _numeric_block(result, split: str) -> dict | None:
    """One split's numeric columns: names, dtypes, held values (columns x rows), exact stats."""
    scan = result.splits[split]
    if scan.feature_stats is not None and scan.columns is not None:
        fs = scan.feature_stats
        values, sample_rows = scan.columns, (scan.n_column_rows if scan.sampled else None)
        stride = -(-values.shape[1] // OVERVIEW_ROWS)
        if stride > 1:
            values = values[:, ::stride]
            sample_rows = values.shape[1]
        return {"names": list(fs.names), "dtypes": _table_dtypes(result, split, fs.names),
                "values": values, "n": scan.n, "sample_rows": sample_rows,
                "exact": {"missing": fs.n_nan, "infinite": fs.n_inf, "count": fs.n_finite,
                          "min": fs.min, "max": fs.max, "mean": fs.mean, "std": fs.std}}
    if scan.images is not None and len(scan.images.ok) == scan.n:
        props = list(IMAGE_PROPERTIES.items())
        if not props:
            return None
        values = np.vstack([np.asarray(fn(scan.images), np.float64) for _, (_, fn) in props])
        return {"names": [n for n, _ in props], "dtypes": [d for _, (d, _) in props],
                "values": values, "n": scan.n, "sample_rows": None, "exact": None, "image": True}
    return None


def _table_dtypes(result, split: str, names) -> list[str]:
    """The stored dtype of each numeric column: the table's Arrow type, or the array's dtype."""
    scan = result.splits[split]
    schema = result.sources[split].schema if split in result.sources else None
    if schema is not None:
        types = {f.name: str(f.type) for f in schema}
        return [types.get(n, "double") for n in names]
    dtype = scan.array.dtype if scan.array is not None else "float64"
    return [dtype] * len(names)


# -- numeric: statistics ---------------------------------------------------------------------

def _numeric_columns(order: list[str], blocks: dict, train: str, drift_effect: float,
                     alpha: float, bins: int) -> list[dict]:
    """Statistics, shared-edge histograms and drift of the numeric columns, as JSON dicts."""
    if not order:
        return []
    d = len(order)
    splits = [s for s, b in blocks.items() if b is not None]
    index = {c: j for j, c in enumerate(order)}
    rows = {s: np.array([index[c] for c in blocks[s]["names"]], np.int64) for s in splits}
    edges = _shared_edges([_range_of(blocks[s], rows[s], d) for s in splits], bins)
    per = {s: _summarize_block(blocks[s], rows[s], d, edges) for s in splits}
    drift = _drift(per, train, splits, drift_effect, alpha)
    n_edges = edges.shape[1]
    digits = _digits(edges)
    flat = _rounded(edges.ravel(), np.repeat(digits, n_edges))
    valid = np.isfinite(edges).all(axis=1).tolist()
    same = (edges[:, 1:] == edges[:, :-1]).tolist()
    edge_lists, keeps = [], []
    for j in range(d):
        keep = _kept_bins(same[j]) if valid[j] else None
        row = flat[j * n_edges:(j + 1) * n_edges]
        edge_lists.append(None if keep is None else [row[k] for k in keep] + [row[-1]])
        keeps.append(keep)
    views = {s: _split_view(per[s], keeps, digits) for s in splits}
    has = {s: per[s]["has"].tolist() for s in splits}
    drift_has = {s: dr["has"].tolist() for s, dr in drift.items()}
    out = []
    for j, name in enumerate(order):
        first = next(s for s in splits if has[s][j])
        col = {"name": name, "dtype": per[first]["dtypes"][j],
               "kind": "image" if blocks[first].get("image") else "numeric",
               "edges": edge_lists[j],
               "splits": {s: views[s][j] for s in splits if views[s][j] is not None}, "drift": {}}
        for s, dr in drift.items():
            if drift_has[s][j]:
                col["drift"][s] = {"ks": dr["ks"][j], "p": dr["p"][j], "drifted": dr["drifted"][j]}
        out.append(col)
    return out


# Values of a split held at most for choosing the bin edges (a strided subsample).
_RANGE_ROWS = 20_000


def _range_of(block: dict, rows: np.ndarray, d: int) -> np.ndarray:
    """Per overview column: the split's full range and its robust range (TAIL quantiles).

    The robust range comes from at most ``_RANGE_ROWS`` evenly spaced held rows (it only places
    the bin edges); the full range is exact (the scan's, else over every held value).

    Returns
    -------
    numpy.ndarray
        (d, 4): min, low TAIL quantile, high TAIL quantile, max; NaN where the split lacks
        the column or has no finite value in it.
    """
    values = block["values"]
    m = values.shape[1]
    out = np.full((d, 4), np.nan)
    if not m or not len(rows):
        return out
    step = -(-m // _RANGE_ROWS)
    per_chunk = max(1, _CHUNK_CELLS // -(-m // step))
    for s in range(0, len(rows), per_chunk):
        sample = np.array(values[s:s + per_chunk, ::step], np.float64)
        sample[~np.isfinite(sample)] = np.nan
        sample.sort(axis=1)
        k = (~np.isnan(sample)).sum(axis=1)
        out[rows[s:s + per_chunk], 1:3] = _quantiles(sample, k, (TAIL, 1 - TAIL))
    if block["exact"] is not None:
        out[rows, 0], out[rows, 3] = block["exact"]["min"], block["exact"]["max"]
    else:
        finite = np.where(np.isfinite(values), values, np.nan)
        with np.errstate(invalid="ignore"), _quiet():
            out[rows, 0], out[rows, 3] = np.nanmin(finite, axis=1), np.nanmax(finite, axis=1)
    return out


@contextlib.contextmanager
def _quiet():
    """No RuntimeWarning: a column with no finite value has NaN statistics, as it should."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _shared_edges(ranges: list[np.ndarray], bins: int) -> np.ndarray:
    """Bin edges of every column, the same for every split: ``bins`` equal bins over the
    robust range of all splits together, and one end bin each side for the values beyond.

    Returns
    -------
    numpy.ndarray
        (d, bins + 3) edges, non-decreasing; NaN for a column with no finite value. Repeated
        edges (no values beyond the robust range, a constant column) are dropped per column
        when written out.
    """
    r = np.stack(ranges)  # (splits, d, 4)
    with _quiet():
        lo, lo_r = np.nanmin(r[:, :, 0], axis=0), np.nanmin(r[:, :, 1], axis=0)
        hi_r, hi = np.nanmax(r[:, :, 2], axis=0), np.nanmax(r[:, :, 3], axis=0)
    lo_r, hi_r = np.fmax(lo_r, lo), np.fmin(hi_r, hi)
    flat = ~(hi_r > lo_r)  # a robust range of one value: bins over the full range instead
    lo_r, hi_r = np.where(flat, lo, lo_r), np.where(flat, hi, hi_r)
    with np.errstate(invalid="ignore"):
        inner = lo_r[:, None] + (hi_r - lo_r)[:, None] * np.linspace(0.0, 1.0, bins + 1)[None, :]
    inner[:, -1] = hi_r  # exactly, whatever the rounding
    edges = np.concatenate([lo[:, None], inner, hi[:, None]], axis=1)
    edges[~np.isfinite(lo) | ~np.isfinite(hi)] = np.nan
    return edges


# Quantiles of every column of every split: the overview's, then the held min and max.
_ALL_Q = QUANTILES + (0.0, 1.0)


def _summarize_block(block: dict, rows: np.ndarray, d: int, edges: np.ndarray) -> dict:
    """Order statistics and histogram counts of a split's held values, per overview column.

    Columns are sorted a chunk at a time (a bounded copy; inf is counted apart, kept out):
    finite count, quantiles, distinct values, zeros, and the values below each bin edge.
    Columns the split lacks hold NaN and zero counts.
    """
    values = block["values"]
    m = values.shape[1]
    has = np.zeros(d, bool)
    has[rows] = True
    finite, distinct, zeros = (np.zeros(d, np.int64) for _ in range(3))
    quant = np.full((d, len(_ALL_Q)), np.nan)
    below = np.zeros(edges.shape, np.int64)
    step = max(1, _CHUNK_CELLS // max(1, m))

    def summarize(s: int) -> None:
        part = np.array(values[s:s + step], np.float64)  # a sorted copy of a few columns
        part[~np.isfinite(part)] = np.nan
        part.sort(axis=1)
        k = (~np.isnan(part)).sum(axis=1)
        at = rows[s:s + step]
        finite[at] = k
        quant[at] = _quantiles(part, k, _ALL_Q)
        inside = np.arange(1, m)[None, :] < k[:, None]
        distinct[at] = (k > 0) + ((part[:, 1:] != part[:, :-1]) & inside).sum(axis=1)
        zeros[at] = (part == 0).sum(axis=1)
        for i, j in enumerate(at.tolist()):
            if np.isfinite(edges[j]).all():
                below[j] = np.searchsorted(part[i, :k[i]], edges[j], side="left")
                below[j, -1] = k[i]  # the last bin is closed

    # chunks in threads (numpy's sorts release the GIL); each writes its own columns
    run_blocks(summarize, range(0, len(rows), step))
    dtypes = [""] * d
    for j, t in zip(rows.tolist(), block["dtypes"]):
        dtypes[j] = t
    if block["exact"] is not None:
        stats = {}
        for key, v in block["exact"].items():
            stats[key] = np.full(d, np.nan)
            stats[key][rows] = v
    else:  # image properties: every value is held
        held = np.full((d, m), np.nan)
        held[rows] = np.where(np.isfinite(values), values, np.nan)
        with _quiet():
            stats = {"count": finite.astype(np.float64), "missing": (m - finite).astype(np.float64),
                     "infinite": np.zeros(d), "min": quant[:, -2], "max": quant[:, -1],
                     "mean": np.nanmean(held, axis=1), "std": np.nanstd(held, axis=1)}
    return {"has": has, "finite": finite, "distinct": distinct, "zeros": zeros, "quantiles": quant,
            "hist": np.diff(below, axis=1), "n": block["n"], "sample_rows": block["sample_rows"],
            "stats": stats, "dtypes": dtypes}


def _quantiles(values: np.ndarray, finite: np.ndarray, qs) -> np.ndarray:
    """Linear-interpolated quantiles (numpy's default) of each sorted row's first ``finite`` values."""
    qs = np.asarray(qs, np.float64)
    if not values.shape[1]:
        return np.full((len(values), len(qs)), np.nan)
    k = np.maximum(finite, 1)[:, None]
    pos = qs[None, :] * (k - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, k - 1)
    a = np.take_along_axis(values, lo, axis=1)
    b = np.take_along_axis(values, hi, axis=1)
    with np.errstate(invalid="ignore"):
        out = a + (b - a) * (pos - lo)
    out[finite == 0] = np.nan
    return out


def _kept_bins(same: list[bool]) -> list[int]:
    """The bins of one column that its distinct edges keep: empty repeated-edge bins go (no
    values beyond the robust range on that side); a constant column keeps its last bin, which
    holds every value."""
    keep = [k for k, dup in enumerate(same) if not dup]
    return keep or [len(same) - 1]


def _compact_counts(counts: list[int], keep: list[int] | None) -> list[int]:
    """Bin counts on the compacted edges: a closed, zero-width last bin (the values equal to
    the top edge) folds into the last bin kept, whose top it is."""
    if keep is None:
        return []
    out = [counts[k] for k in keep]
    if keep[-1] != len(counts) - 1:
        out[-1] += sum(counts[keep[-1] + 1:])
    return out


def _digits(edges: np.ndarray) -> np.ndarray:
    """Significant digits that keep each column's values apart: ``_DIGITS``, and more for a
    column whose range is narrow beside its magnitude (timestamps, large offsets), so that its
    bin edges and quantiles stay distinct when written."""
    lo, hi = edges[:, 0], edges[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.maximum(np.abs(lo), np.abs(hi)) / (hi - lo)
    extra = np.where(np.isfinite(ratio) & (ratio > 1), np.ceil(np.log10(np.where(ratio > 1, ratio, 1.0))), 0)
    return np.clip(_DIGITS + extra, _DIGITS, 15).astype(np.int64)


def _split_view(p: dict, keeps: list, digits: np.ndarray) -> list[dict | None]:
    """One split's statistics of every overview column (None where it lacks the column).

    ``count`` (finite values), ``missing`` (NaN and null), ``infinite``, ``min``, ``max``,
    ``mean`` and ``std`` (population) are over every row; ``quantiles``, ``distinct``,
    ``zeros`` and ``histogram`` over the rows held (``sample_rows`` of them when the split was
    sampled, else every row), and ``distinct_kind`` says whether the distinct count is
    ``exact`` or ``at_least`` (counted in a sample).
    """
    st = p["stats"]
    count, missing, infinite = (np.nan_to_num(st[k]).astype(np.int64).tolist()
                                for k in ("count", "missing", "infinite"))
    lo, hi, mean = (_rounded(st[k], digits) for k in ("min", "max", "mean"))
    std = _rounded(st["std"])
    nq = len(QUANTILES)
    quant = _rounded(p["quantiles"][:, :nq].ravel(), np.repeat(digits, nq))
    distinct, zeros, hist = p["distinct"].tolist(), p["zeros"].tolist(), p["hist"].tolist()
    kind = "at_least" if p["sample_rows"] else "exact"
    out: list[dict | None] = []
    for j, has in enumerate(p["has"].tolist()):
        if not has:
            out.append(None)
            continue
        out.append({"n": int(p["n"]), "count": count[j], "missing": missing[j], "infinite": infinite[j],
                    "distinct": distinct[j], "distinct_kind": kind, "zeros": zeros[j],
                    "min": lo[j], "max": hi[j], "mean": mean[j], "std": std[j],
                    "quantiles": [[q, x] for q, x in zip(QUANTILES, quant[j * nq:(j + 1) * nq])],
                    "histogram": {"counts": _compact_counts(hist[j], keeps[j])},
                    "sample_rows": p["sample_rows"]})
    return out


def _drift(per: dict, train: str, splits: list[str], drift_effect: float, alpha: float) -> dict:
    """Binned Kolmogorov-Smirnov distance and test of every column, each split against train.

    Returns
    -------
    dict
        Evaluation split -> ``has`` (bool array: both splits hold values of the column), and lists
        ``ks`` (rounded), ``p`` (3 digits) and ``drifted``.
    """
    from scipy.special import kolmogorov

    if train not in per:
        return {}
    ref = per[train]
    cdf_ref = np.cumsum(ref["hist"], axis=1)
    out = {}
    for s in splits:
        if s == train:
            continue
        ev = per[s]
        cdf_ev = np.cumsum(ev["hist"], axis=1)
        na, nb = cdf_ref[:, -1].astype(np.float64), cdf_ev[:, -1].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.abs(cdf_ref / na[:, None] - cdf_ev / nb[:, None])
        ks = np.nan_to_num(gap.max(axis=1)) if gap.shape[1] else np.zeros(len(na))
        has = ref["has"] & ev["has"] & (na > 0) & (nb > 0)  # values on both sides to compare
        usable = (has & (na >= MIN_ROWS) & (nb >= MIN_ROWS) & (np.nan_to_num(ref["stats"]["std"]) > 0)
                  & (np.nan_to_num(ev["stats"]["std"]) > 0) & (ref["distinct"] >= 3))
        en = np.sqrt(na * nb / np.maximum(na + nb, 1))
        p = np.where(usable, kolmogorov((en + 0.12 + 0.11 / np.maximum(en, 1e-12)) * ks), 1.0)
        significant = p * max(int(usable.sum()), 1) < alpha
        out[s] = {"has": has, "ks": _rounded(np.where(has, ks, np.nan), 4),
                  "p": _rounded(p, 3), "drifted": (usable & significant & (ks >= drift_effect)).tolist()}
    return out


def _rounded(values, digits=_DIGITS) -> list:
    """Floats rounded to ``digits`` significant digits (an int, or one per value), as a list
    (None where not finite).

    The rounded value is an integer times an exact power of ten (one correctly rounded
    operation), so it prints as its short decimal form in JSON.
    """
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v) & (v != 0)
    safe = np.where(finite, np.abs(v), 1.0)
    shift = (digits - 1 - np.floor(np.log10(safe))).astype(np.int64)
    up = np.clip(shift, 0, 22)
    down = np.clip(-shift, 0, 22)
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.where(shift >= 0, np.round(v * 10.0 ** up) / 10.0 ** up, np.round(v / 10.0 ** down) * 10.0 ** down)
    r = np.where(finite & (np.abs(shift) <= 22), r, v)
    out = r.tolist()
    for i in np.flatnonzero(~np.isfinite(v)).tolist():
        out[i] = None
    return out


# -- categorical -----------------------------------------------------------------------------

def _categorical_columns(result) -> list[dict]:
    """Non-numeric table columns: missing (every row), distinct and most common values (held rows)."""
    out: dict[str, dict] = {}
    for split, scan in result.splits.items():
        table = scan.other_values
        if table is None or not scan.other_columns:
            continue
        schema = result.sources[split].schema if split in result.sources else None
        types = {f.name: str(f.type) for f in schema} if schema is not None else {}
        nulls = scan.flags.other_nulls if scan.flags is not None else {}
        for name in scan.other_columns:
            if name not in table.column_names:
                continue
            col = out.setdefault(name, {"name": name, "dtype": types.get(name, "string"),
                                        "kind": "categorical", "edges": None, "splits": {},
                                        "drift": {}})
            col["splits"][split] = _categorical_stats(table.column(name), scan, nulls.get(name, 0))
    return list(out.values())


def _categorical_stats(column, scan, missing: int) -> dict:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_nested(column.type):
        # lists, structs and maps have no value counts: their values' text is counted
        column = pa.chunked_array([pa.array([None if v is None else repr(v) for v in column.to_pylist()],
                                            pa.string())])
    counts = pc.value_counts(column.drop_null() if column.null_count else column)
    values, freq = counts.field("values").to_pylist(), counts.field("counts").to_numpy()
    top = np.argsort(-freq, kind="stable")[:5]
    return {"n": scan.n, "count": scan.n - missing, "missing": int(missing), "distinct": len(values),
            "distinct_kind": "at_least" if scan.sampled else "exact",
            "top": [[str(values[i])[:80], int(freq[i])] for i in top],
            "sample_rows": scan.n_column_rows if scan.sampled else None}
