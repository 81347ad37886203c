"""Near-copy rows between two sets of rows, without comparing every pair.

A few features, in units of their tolerance, are cut into randomly offset grid cells. The
smaller set is filed under its cell and under each adjacent cell it lies within reach of,
diagonal ones included (multi-probe), in a ``GridIndex``. The larger set goes through once: each row's 32-bit cell
key is computed block by block (in float32 when the values' range allows), screened against
a bitmap of the filed keys, looked up among them, and the rows sharing a key are confirmed
on every feature. The work is vectorized; nothing loops over rows in Python.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from datacheck.scan.near_duplicates import Matches
from datacheck.scan.parallel import run_blocks

_GRID_FEATURES = 7
# Candidate pairs confirmed per lookup: every pair while they fit, else at most
# max(_ROW_CAP, _PAIR_BUDGET / queries) indexed rows per query (a crowded cell is cut short).
_PAIR_BUDGET = 1 << 21
_ROW_CAP = 32
_BLOCK = 1 << 15
_SCREEN_BLOCK = 1 << 17
_SCREEN_BITS = 23
# Adding 1.5 * 2**52 to a float64 below 2**51 in magnitude (1.5 * 2**23 to a float32 below
# 2**22) rounds it to an integer held in the low bits of its mantissa: the cell number, read
# by viewing the bits as integers.
_ROUNDER = {np.float64: 1.5 * 2.0**52, np.float32: np.float32(1.5 * 2.0**23)}
# Missing and infinite values get cells of their own, far from those of ordinary values.
_SENTINEL = {np.float64: 2.0**40 + 2.0**31, np.float32: 2.0**20}
# float32 coordinates are used when every |coordinate| stays below this many cells; they are
# then within 2**-10 cells of the exact ones, and the probes reach that much further.
_SINGLE_RANGE = 2.0**13
_SINGLE_SLACK = 2.0**-9
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0xFFFFFFFF)
# The low 32 bits of a float64's mantissa: the first int32 of its two in memory on a
# little-endian machine.
_LOW_WORD = 0 if sys.byteorder == "little" else 1


@dataclass(frozen=True)
class RowGrid:
    """A randomly offset grid over a few features, with probes of the neighbouring cells.

    Each key feature is cut into cells ``4 m`` tolerances wide (m key features). A row falls
    in one cell; an indexed row is also filed under every cell reached by stepping to the
    adjacent cell on any set of key features on each of which it lies within one tolerance of
    the cell's edge (diagonal neighbours included). Two rows within the tolerance on every
    feature then always share a key, even when they straddle edges on several features.

    Parameters
    ----------
    features : numpy.ndarray
        Positions of the key features.
    slope, intercept : numpy.ndarray
        Cell number = round(value * slope + intercept), per key feature.
    weights : numpy.ndarray
        Odd int32 multipliers combining the cell numbers into one 32-bit key (wrapping
        arithmetic, so a neighbour's key is the key plus or minus a weight).
    single : bool
        Coordinates are computed in float32 (half the memory traffic of float64), which the
        values' range allows.
    """

    features: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    weights: np.ndarray
    single: bool = False

    @classmethod
    def make(cls, scale: np.ndarray, key_features: np.ndarray, seed: int = 0,
             bound: np.ndarray | None = None) -> "RowGrid":
        """A grid over a random subset of ``key_features``.

        Parameters
        ----------
        scale : numpy.ndarray
            Tolerance of each feature.
        key_features : numpy.ndarray
            Positions of the features the grid may use.
        seed : int
            Seed of the choice of features, offsets and weights.
        bound : numpy.ndarray, optional
            Largest finite ``|value|`` of each feature among every row that will be keyed;
            when small enough next to the cells, coordinates are computed in float32.
        """
        rng = np.random.default_rng(seed)
        m = min(_GRID_FEATURES, len(key_features))
        f = np.sort(rng.choice(key_features, m, replace=False))
        slope = 1.0 / (scale[f] * 4.0 * m)
        weights = (rng.integers(0, 2**31, m, dtype=np.int64) | 1).astype(np.int32)
        single = bound is not None and bool(np.all(bound[f] * slope + 1.0 < _SINGLE_RANGE))
        return cls(f, slope, rng.random(m), weights, single)

    @property
    def reach(self) -> float:
        """How far from a cell's edge, in cell widths, an indexed row is filed next door too:
        the tolerance, plus the rounding error of float32 coordinates."""
        return 1.0 / (4.0 * len(self.features)) + (_SINGLE_SLACK if self.single else 0.0)

    def keys(self, columns: list, rows: np.ndarray | None = None, finite: bool = False) -> np.ndarray:
        """Cell key of every sample.

        Parameters
        ----------
        columns : list of numpy.ndarray
            One float64 array per compared feature, all of the same length.
        rows : numpy.ndarray, optional
            Key only these positions of ``columns`` (without copying the other features).
        finite : bool
            Every value of the key features is known to be finite, so the test for missing
            and infinite values is skipped.

        Returns
        -------
        numpy.ndarray
            uint32, one key per sample.
        """
        n = len(rows) if rows is not None else (len(columns[0]) if columns else 0)
        out = np.empty(n, np.int32)
        # One block at a time (bounded memory, cache-sized temporaries), in the calling thread:
        # the caller may be building an index on the other cores meanwhile.
        for start in range(0, n, _BLOCK):
            take = slice(start, start + _BLOCK) if rows is None else rows[start:start + _BLOCK]
            out[start:start + _BLOCK], _ = self._cells(columns, take, probe=False, finite=finite)
        return out.view(np.uint32)

    def entries(self, columns: list, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cell key of every sample, and of each adjacent cell the sample is within reach of.

        Parameters
        ----------
        columns, rows
            As for ``keys``.

        Returns
        -------
        samples, keys : numpy.ndarray
            Sample index (position in ``rows`` when given) and uint32 key of each entry.
        """
        n = len(rows) if rows is not None else (len(columns[0]) if columns else 0)
        starts = list(range(0, n, _BLOCK))
        parts: list = [None] * len(starts)

        def work(i: int) -> None:
            start, stop = starts[i], min(starts[i] + _BLOCK, n)
            key, offsets = self._cells(columns, slice(start, stop) if rows is None else rows[start:stop],
                                       probe=True)
            parts[i] = self._probes(start, key, offsets)

        run_blocks(work, range(len(starts)))
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.uint32)
        return (np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]).view(np.uint32))

    def _cells(self, columns: list, take: np.ndarray | slice, probe: bool,
               finite: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """int32 keys of the rows ``take``, and with ``probe`` each row's offset from its
        cell's centre on every key feature (m x rows, in cell widths, -0.5 to 0.5)."""
        n = len(take) if isinstance(take, np.ndarray) else len(range(*take.indices(len(columns[0]))))
        dtype = np.float32 if self.single else np.float64
        u = np.empty((len(self.features), n), dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            for j, f in enumerate(self.features):
                np.multiply(columns[f][take], self.slope[j], out=u[j], casting="same_kind")
            u += self.intercept.astype(dtype)[:, None]
            if not finite:
                _finite_coordinates(u, _SENTINEL[dtype])
            rounder = _ROUNDER[dtype]
            if probe:
                cell = u + rounder
                u -= cell - rounder
            else:
                cell = u
                cell += rounder
        # The low 32 bits of the mantissa hold the cell number (modulo 2**32).
        bits = cell.view(np.int32)
        if not self.single:
            bits = bits[:, _LOW_WORD::2]
        bits *= self.weights[:, None]
        return bits.sum(axis=0, dtype=np.int32), u if probe else None

    def _probes(self, start: int, key: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entries of the samples ``start, start + 1, ...``: each one's own cell, then every
        cell reached by stepping to the adjacent cell on any set of key features it is within
        reach of on each (one feature, and the diagonal ones for two or more; int32 keys)."""
        edge = 0.5 - self.reach
        near = np.flatnonzero((np.abs(offsets) > edge).any(axis=0))
        # Only rows near an edge get more entries: expand them one key feature at a time, each
        # step copying the entries so far that lie within reach on that feature.
        rows, keys = near, key[near]
        for off, w in zip(offsets, self.weights):
            at = off[rows]
            # Two sparse masks: compacting them is much faster than one twice as dense.
            lower, upper = np.flatnonzero(at < -edge), np.flatnonzero(at > edge)
            rows = np.concatenate([rows, rows[lower], rows[upper]])
            keys = np.concatenate([keys, keys[lower] - w, keys[upper] + w])
        extra = len(near)  # the first entries of the expansion are the near rows' own cells
        return (np.concatenate([np.arange(start, start + len(key)), rows[extra:] + start]),
                np.concatenate([key, keys[extra:]]))

def _finite_coordinates(u: np.ndarray, sentinel: float) -> None:
    """Give missing and infinite coordinates cells of their own (in place), so NaN meets NaN.

    A finite sum shows that every coordinate is finite, so the elementwise test runs only when
    one may not be.
    """
    if not np.isfinite(u.sum()):
        bad = ~np.isfinite(u)
        u[bad] = np.where(np.isnan(u[bad]), -sentinel, np.sign(u[bad]) * (sentinel + 1))


@dataclass(frozen=True)
class GridIndex:
    """Rows filed under their grid cells, sorted for lookup, with a bitmap screen of the keys.

    An entry packs its 32-bit key above its row's position into one sortable integer. Two
    different cells share a key about once in 2**32 pairs; that only adds a candidate, which
    the confirmation on every feature rejects.

    Parameters
    ----------
    grid : RowGrid
        The grid the keys come from.
    packed : numpy.ndarray
        Sorted uint64 entries: key << 32 | row position.
    screen : numpy.ndarray
        bool, indexed by a key's top ``_SCREEN_BITS`` bits: whether some entry has them.
    """

    grid: RowGrid
    packed: np.ndarray
    screen: np.ndarray

    @classmethod
    def build(cls, grid: RowGrid, samples: np.ndarray, keys: np.ndarray) -> "GridIndex":
        """Index entries (``RowGrid.entries``): row positions (below 2**32) and their keys."""
        packed = np.sort(_pack(keys, samples))
        screen = np.zeros(1 << _SCREEN_BITS, bool)
        # Sorted entries write the screen in order (one pass over its pages).
        screen[(packed >> np.uint64(64 - _SCREEN_BITS)).view(np.int64)] = True
        return cls(grid, packed, screen)

    def screen_keys(self, keys: np.ndarray) -> np.ndarray:
        """Positions of the queries whose key's top bits some entry has (the others share no
        key with any indexed row)."""
        return np.flatnonzero(self.screen.take((keys >> np.uint32(32 - _SCREEN_BITS)).astype(np.intp)))

    def candidates(self, queries: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """Pairs (query, indexed row) that share a key; all of them unless they exceed the
        pair budget, then at most ``max(_ROW_CAP, _PAIR_BUDGET / queries)`` rows per query.

        Parameters
        ----------
        queries : numpy.ndarray
            int64 query positions (below 2**32).
        keys : numpy.ndarray
            uint32 key of each of them (``RowGrid.keys``).

        Returns
        -------
        query, row : numpy.ndarray
            int64, one entry per pair.
        complete : bool
            False when a crowded key was cut short.
        """
        if not len(self.packed) or not len(keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), True
        # Sorted needles walk the index in order (cache-friendly binary searches).
        needles = np.sort(_pack(keys, queries))
        key = needles & _HIGH
        lo = np.searchsorted(self.packed, key)
        hit = np.flatnonzero((self.packed[np.minimum(lo, len(self.packed) - 1)] & _HIGH) == key)
        lo, key = lo[hit], key[hit]
        # Most keys have one entry; only the others' runs are counted with a second search.
        last = len(self.packed) - 1
        more = np.flatnonzero(((self.packed[np.minimum(lo + 1, last)] & _HIGH) == key) & (lo < last))
        n = np.ones(len(lo), np.int64)
        n[more] = np.searchsorted(self.packed, key[more] | _LOW, "right") - lo[more]
        cap = n.max(initial=0) if n.sum() <= _PAIR_BUDGET else max(_ROW_CAP, _PAIR_BUDGET // len(n))
        count = np.minimum(n, cap)
        total = int(count.sum())
        offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        rows = (self.packed[np.repeat(lo, count) + offset] & _LOW).view(np.int64)
        queries = (needles[hit] & _LOW).view(np.int64)
        return np.repeat(queries, count), rows, int(n.max(initial=0)) <= cap


def _pack(keys: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """uint64 ``key << 32 | position`` (uint32 keys, positions below 2**32)."""
    packed = keys.astype(np.uint64)
    packed <<= np.uint64(32)
    packed |= positions.view(np.uint64)
    return packed


def near_row_pairs(index: GridIndex, index_cols: list, query_cols: list, query_keys: np.ndarray,
                   scale: np.ndarray, index_extra: np.ndarray | None = None,
                   query_extra: np.ndarray | None = None,
                   index_self: np.ndarray | None = None) -> tuple[Matches, bool]:
    """Nearest query row of each indexed row within the tolerance.

    The query keys are screened against the index in blocks spread over threads; the few
    rows that pass are looked up among the indexed keys and confirmed feature by feature, so
    most candidates are dropped after one or two gathers. Rows with equal values share a key,
    so exact copies are found too (distance 0), unless crowded cells had to be cut short
    (``GridIndex.candidates``).

    Parameters
    ----------
    index : GridIndex
        The indexed rows.
    index_cols, query_cols : list of numpy.ndarray
        One float64 array per compared feature (index columns may be any object that
        gathers rows with ``col[positions]``).
    query_keys : numpy.ndarray
        ``index.grid.keys(query_cols)``.
    scale : numpy.ndarray
        Tolerance of each feature, in its own units.
    index_extra, query_extra : numpy.ndarray, optional
        uint64 per row that must be equal (hash of non-numeric columns).
    index_self : numpy.ndarray, optional
        Query position of each indexed row when both sets are one split (that pair is skipped).

    Returns
    -------
    matches : Matches
        ``query`` holds indexed rows, ``ref`` their nearest query row, ``score`` the largest
        difference over features in tolerances (at most 1).
    complete : bool
        False when a crowded cell was cut short.
    """
    starts = list(range(0, len(query_keys), _SCREEN_BLOCK))
    parts: list = [None] * len(starts)

    def work(i: int) -> None:
        keys = query_keys[starts[i]:starts[i] + _SCREEN_BLOCK]
        maybe = index.screen_keys(keys)
        parts[i] = (maybe + starts[i], keys[maybe])

    run_blocks(work, range(len(starts)))
    if not parts:
        return Matches.empty(), True
    qi, ii, complete = index.candidates(*(np.concatenate([p[k] for p in parts]) for k in range(2)))
    keep = np.ones(len(qi), bool)
    if index_self is not None:
        keep &= index_self[ii] != qi
    if index_extra is not None:
        keep &= index_extra[ii] == query_extra[qi]
    ii, qi, dist = _close_pairs(index_cols, query_cols, scale, ii[keep], qi[keep])
    order = np.lexsort((qi, dist, ii))
    ii, qi, dist = ii[order], qi[order], dist[order]
    first = np.r_[True, ii[1:] != ii[:-1]] if len(ii) else np.zeros(0, bool)
    return Matches(ii[first], qi[first], dist[first]), complete


def _close_pairs(index_cols: list, query_cols: list, scale: np.ndarray, ii: np.ndarray,
                 qi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate pairs within the tolerance on every feature, and their distance.

    Pairs are dropped as soon as one feature is out of reach, so that later features are
    gathered for the few candidates left. Two missing values, or two equal infinities, are
    at distance 0.

    Returns
    -------
    ii, qi : numpy.ndarray
        The close pairs.
    dist : numpy.ndarray
        Largest difference over features, in tolerances.
    """
    dist = np.zeros(len(ii))
    with np.errstate(invalid="ignore"):
        for a_col, b_col, s in zip(index_cols, query_cols, scale):
            if not len(ii):
                break
            a, b = a_col[ii], b_col[qi]
            d = np.abs(a - b)
            if np.isnan(d.sum()):
                # NaN - NaN and inf - inf: equal when both are missing or both the same infinity.
                same = (a == b) | (np.isnan(a) & np.isnan(b))
                d[same] = 0.0
            close = np.flatnonzero(d <= s)
            if len(close) < len(ii):
                ii, qi, dist, d = ii[close], qi[close], dist[close], d[close]
            np.maximum(dist, d / s, out=dist)
    return ii, qi, dist
