"""A per-column overview of every split, and train-vs-evaluation drift per column.

Built from what the scan already holds, reading no file again: per-feature counts, moments and
ranges come from ``FeatureStats`` (exact over every row, merged across batches and partitions);
quantiles, distinct and zero counts and the histogram come from the feature values the scan
keeps (every row of a split held in memory, the stratified row sample of a streamed split; the
overview says which). Image splits get the same overview of their per-image properties (size,
channels, brightness, contrast), from the per-image statistics of the scan.

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

from typing import Callable

import numpy as np

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
# Values per chunk of the vectorized histogram count (columns x rows x edges booleans).
_CHUNK_CELLS = 1 << 25
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
        Per column, in table order: ``name``, ``dtype``, ``kind`` (``numeric``,
        ``categorical`` or ``image``), ``edges`` (shared by the splits' histograms), ``splits``
        (split name -> statistics, see ``_split_stats``) and ``drift`` (evaluation split ->
        ``{"ks", "p", "drifted"}`` against the training split, numeric columns only).
    """
    names = list(result.splits)
    blocks = {name: _numeric_block(result, name) for name in names}
    order: list[str] = []
    for name in names:
        b = blocks[name]
        if b is not None:
            order += [c for c in b["names"] if c not in set(order)]
    out = _numeric_columns(order, blocks, result.facts.train, drift_effect, alpha, bins)
    out += _categorical_columns(result)
    return out


# -- numeric: collect per split --------------------------------------------------------------

def _numeric_block(result, split: str) -> dict | None:
    """One split's numeric columns: names, dtypes, held values (columns x rows), exact stats."""
    scan = result.splits[split]
    if scan.feature_stats is not None and scan.columns is not None:
        fs = scan.feature_stats
        return {"names": list(fs.names), "dtypes": _table_dtypes(result, split, fs.names),
                "values": scan.columns, "n": scan.n,
                "sample_rows": scan.n_column_rows if scan.sampled else None,
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
    if not order:
        return []
    splits = [s for s, b in blocks.items() if b is not None]
    index = {c: j for j, c in enumerate(order)}
    per = {s: _summarize_block(blocks[s], index, len(order)) for s in splits}
    edges = _shared_edges(per, len(order), bins)
    hist = {s: _histograms(blocks[s]["values"], per[s]["rows"], per[s]["finite"], edges) for s in splits}
    drift = _drift(per, hist, train, splits, drift_effect, alpha)
    out = []
    for j, name in enumerate(order):
        first = next(s for s in splits if per[s]["has"][j])
        e, keep = _compact_edges(edges[j])
        col = {"name": name, "dtype": per[first]["dtypes"][j],
               "kind": "image" if blocks[first].get("image") else "numeric",
               "edges": None if e is None else [_r(v) for v in e], "splits": {}, "drift": {}}
        for s in splits:
            if per[s]["has"][j]:
                col["splits"][s] = _split_stats(per[s], j, hist[s][j], keep)
        for s, d in drift.items():
            if d["has"][j]:
                col["drift"][s] = {"ks": _r(d["ks"][j]), "p": float(f"{d['p'][j]:.3g}"),
                                   "drifted": bool(d["drifted"][j])}
        out.append(col)
    return out


# Quantiles taken of every column of every split: the overview's, then those of the robust range.
_ALL_Q = QUANTILES + (0.0, TAIL, 1 - TAIL, 1.0)


def _summarize_block(block: dict, index: dict, d: int) -> dict:
    """Order statistics of a split's held values, per column in overview order.

    Columns are sorted a chunk at a time (a bounded copy): finite count, quantiles, distinct
    values (capped at 3 too, for the drift test's usable columns) and zeros. Columns the split
    lacks hold NaN and zero counts.
    """
    values = block["values"]
    m = values.shape[1]
    rows = np.array([index[c] for c in block["names"]], np.int64)
    has = np.zeros(d, bool)
    has[rows] = True
    finite, distinct, zeros = (np.zeros(d, np.int64) for _ in range(3))
    quant = np.full((d, len(_ALL_Q)), np.nan)
    step = max(1, _CHUNK_CELLS // max(1, m))
    for s in range(0, len(rows), step):
        part = np.array(values[s:s + step], np.float64)  # a sorted copy of a few columns
        part[~np.isfinite(part)] = np.nan  # inf is counted apart, kept out of order statistics
        part.sort(axis=1)
        k = (~np.isnan(part)).sum(axis=1)
        at = rows[s:s + step]
        finite[at] = k
        quant[at] = _quantiles(part, k, _ALL_Q)
        inside = np.arange(1, m)[None, :] < k[:, None]
        distinct[at] = (k > 0) + ((part[:, 1:] != part[:, :-1]) & inside).sum(axis=1)
        zeros[at] = (part == 0).sum(axis=1)
    dtypes = [""] * d
    for c, t in zip(block["names"], block["dtypes"]):
        dtypes[index[c]] = t
    exact = None
    if block["exact"] is not None:
        exact = {}
        for key, v in block["exact"].items():
            exact[key] = np.full(d, np.nan)
            exact[key][rows] = v
    return {"rows": rows, "finite": finite, "distinct": distinct, "zeros": zeros, "quantiles": quant,
            "has": has, "n": block["n"], "held": m, "sample_rows": block["sample_rows"],
            "exact": exact, "dtypes": dtypes, "values": values}


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
    out = a + (b - a) * (pos - lo)
    out[finite == 0] = np.nan
    return out


def _shared_edges(per: dict, d: int, bins: int) -> np.ndarray:
    """Bin edges of every column, the same for every split: ``bins`` equal bins over the
    robust range of all splits together, and one end bin each side when values lie beyond.

    Returns
    -------
    numpy.ndarray
        (d, bins + 3) edges, non-decreasing; NaN for a column with no finite value. Repeated
        edges (no tail on that side, a constant column) are dropped per column later.
    """
    lo_r, hi_r = np.full(d, np.inf), np.full(d, -np.inf)
    lo, hi = np.full(d, np.inf), np.full(d, -np.inf)
    n_q = len(QUANTILES)
    for p in per.values():
        q = p["quantiles"][:, n_q:]
        lo, lo_r = np.fmin(lo, q[:, 0]), np.fmin(lo_r, q[:, 1])
        hi_r, hi = np.fmax(hi_r, q[:, 2]), np.fmax(hi, q[:, 3])
        if p["exact"] is not None:  # the exact range over every row, not only those held
            lo, hi = np.fmin(lo, p["exact"]["min"]), np.fmax(hi, p["exact"]["max"])
    flat = ~(hi_r > lo_r)  # a robust range of one value: bins over the full range instead
    lo_r, hi_r = np.where(flat, lo, lo_r), np.where(flat, hi, hi_r)
    with np.errstate(invalid="ignore"):
        inner = lo_r[:, None] + (hi_r - lo_r)[:, None] * np.linspace(0.0, 1.0, bins + 1)[None, :]
    inner[:, -1] = hi_r  # exactly, whatever the rounding
    edges = np.concatenate([lo[:, None], inner, hi[:, None]], axis=1)
    edges[~np.isfinite(lo) | ~np.isfinite(hi)] = np.nan
    return edges


def _histograms(values: np.ndarray, rows: np.ndarray, finite: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of each column's finite held values in its bins ``[e_k, e_k+1)`` (the last closed).

    Counted as the values below each edge, a broadcast comparison in chunks of columns.

    Parameters
    ----------
    values : numpy.ndarray
        The split's held values (its columns x rows).
    rows : numpy.ndarray
        Overview position of each of its columns.
    finite : numpy.ndarray
        Finite values per overview column.
    edges : numpy.ndarray
        (d, n_edges) per overview column.

    Returns
    -------
    numpy.ndarray
        int64 (d, n_edges - 1); zeros for the columns the split lacks.
    """
    m = values.shape[1]
    below = np.zeros(edges.shape, np.int64)
    step = max(1, _CHUNK_CELLS // max(1, m * edges.shape[1]))
    for s in range(0, len(rows), step):
        at = rows[s:s + step]
        v, e = values[s:s + step, :, None], edges[at, None, :]
        with np.errstate(invalid="ignore"):
            below[at] = (v < e).sum(axis=1)  # NaN compares False; -inf counts below every edge
        below[at, -1] = (values[s:s + step] == -np.inf).sum(axis=1)
    # the last bin is closed: every finite value is at or below the top (-inf cancels out)
    below[:, -1] += finite
    below[np.isnan(edges).any(axis=1)] = 0
    return np.diff(below, axis=1)


def _compact_edges(edges: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The distinct edges of one column, and which bins they keep (empty repeated-edge bins
    go; a constant column keeps one bin holding every value)."""
    if not np.isfinite(edges).all():
        return None, None
    same = np.diff(edges) == 0
    if same.all():
        return edges[[0, -1]], np.array([len(same) - 1])
    keep = np.flatnonzero(~same)
    return np.r_[edges[keep], edges[-1]], keep


def _compact_counts(counts: np.ndarray, keep: np.ndarray | None) -> list[int]:
    """Bin counts on the compacted edges: a closed, zero-width last bin (the values equal to
    the top edge) folds into the last bin kept, whose top it is."""
    if keep is None:
        return []
    out = counts[keep].copy()
    if keep[-1] != len(counts) - 1:
        out[-1] += counts[keep[-1] + 1:].sum()
    return out.tolist()


def _split_stats(p: dict, j: int, counts: np.ndarray, keep: np.ndarray | None) -> dict:
    """One column's statistics in one split.

    ``count`` (finite values), ``missing`` (NaN and null), ``infinite``, ``min``, ``max``,
    ``mean`` and ``std`` are over every row; ``quantiles``, ``distinct``, ``zeros`` and
    ``histogram`` over the rows held (``sample_rows`` of them when the split was sampled, else
    every row), and ``distinct_kind`` says whether the distinct count is ``exact`` or
    ``at_least`` (counted in a sample).
    """
    k = int(p["finite"][j])
    q = p["quantiles"][j]
    if p["exact"] is not None:
        ex = {key: p["exact"][key][j] for key in p["exact"]}
        count, missing, infinite = int(ex["count"]), int(ex["missing"]), int(ex["infinite"])
        lo, hi, mean, std = ex["min"], ex["max"], ex["mean"], ex["std"]
    else:
        count, missing, infinite = k, p["held"] - k, 0
        v = p["values"][p["rows"].tolist().index(j)]
        v = v[np.isfinite(v)]
        lo, hi = q[len(QUANTILES)], q[-1]
        mean, std = (v.mean(), v.std()) if k else (np.nan, np.nan)
    hist = _compact_counts(counts, keep)
    return {"n": int(p["n"]), "count": count, "missing": missing, "infinite": infinite,
            "distinct": int(p["distinct"][j]), "distinct_kind": "at_least" if p["sample_rows"] else "exact",
            "zeros": int(p["zeros"][j]), "min": _r(lo), "max": _r(hi), "mean": _r(mean), "std": _r(std),
            "quantiles": [[qq, _r(x)] for qq, x in zip(QUANTILES, q[:len(QUANTILES)])],
            "histogram": {"counts": hist}, "sample_rows": p["sample_rows"]}


def _drift(per: dict, hist: dict, train: str, splits: list[str], drift_effect: float,
           alpha: float) -> dict:
    """Binned Kolmogorov-Smirnov distance and test of every column, each split against train."""
    from scipy.special import kolmogorov

    if train not in per:
        return {}
    ref = per[train]
    cdf_ref = np.cumsum(hist[train], axis=1)
    out = {}
    for s in splits:
        if s == train:
            continue
        ev = per[s]
        cdf_ev = np.cumsum(hist[s], axis=1)
        na, nb = cdf_ref[:, -1].astype(np.float64), cdf_ev[:, -1].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.abs(cdf_ref / na[:, None] - cdf_ev / nb[:, None])
        ks = np.nan_to_num(gap.max(axis=1)) if gap.shape[1] else np.zeros(len(na))
        has = ref["has"] & ev["has"]
        usable = (has & (na >= MIN_ROWS) & (nb >= MIN_ROWS) & (_spread(ref) > 0) & (_spread(ev) > 0)
                  & (ref["distinct"] >= 3))
        en = np.sqrt(na * nb / np.maximum(na + nb, 1))
        p = np.where(usable, kolmogorov((en + 0.12 + 0.11 / np.maximum(en, 1e-12)) * ks), 1.0)
        significant = p * max(int(usable.sum()), 1) < alpha
        out[s] = {"has": has, "ks": np.where(has, ks, np.nan), "p": p,
                  "drifted": usable & significant & (ks >= drift_effect)}
    return out


def _spread(p: dict) -> np.ndarray:
    """Whether each column varies in a split: its std over every row, else its held range."""
    if p["exact"] is not None:
        return np.nan_to_num(p["exact"]["std"])
    q = p["quantiles"]
    return np.nan_to_num(q[:, -1] - q[:, len(QUANTILES)])


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
    import pyarrow.compute as pc

    counts = pc.value_counts(column.drop_null() if column.null_count else column)
    values, freq = counts.field("values").to_pylist(), counts.field("counts").to_numpy()
    top = np.argsort(-freq, kind="stable")[:5]
    return {"n": scan.n, "count": scan.n - missing, "missing": int(missing), "distinct": len(values),
            "distinct_kind": "at_least" if scan.sampled else "exact",
            "top": [[str(values[i])[:80], int(freq[i])] for i in top],
            "sample_rows": scan.n_column_rows if scan.sampled else None}


def _r(v) -> float | None:
    """A float rounded to ``_DIGITS`` significant digits (None if not finite)."""
    v = float(v)
    return float(f"{v:.{_DIGITS}g}") if np.isfinite(v) else None
