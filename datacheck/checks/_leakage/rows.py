"""Near-copy search between the rows of two splits, and its within-split yardstick."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import dataclasses
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from datacheck.checks._leakage import columns as cols
from datacheck.checks.context import CheckContext
from datacheck.scan.near_duplicates import Matches
from datacheck.scan.near_rows import GridIndex, RowGrid, near_row_pairs
from datacheck.scan.result import SplitScan


@dataclass
class RowSearch:
    """A grid over the rows of a reference and an evaluation split.

    A feature's tolerance is ``tolerance`` reference standard deviations, or the coarser
    split's rounding quantum where the two splits were written with different decimals (so
    rows equal after rounding count as near copies). ``ref_finite``: the scan counted no
    missing or infinite value in the reference split's grid features.
    """

    scale: np.ndarray
    grid: RowGrid
    ref_cols: list
    ref_finite: bool
    ref_extra: np.ndarray | None
    eval_cols: list
    eval_extra: np.ndarray | None

    @classmethod
    def build(cls, ctx: CheckContext, ref: str, ev: str, numeric: list[str], other: list[str],
              tolerance: float) -> "RowSearch | None":
        """The search over ``numeric`` features (and equality of ``other`` columns), or None
        when no feature varies enough to key a grid on."""
        a, b = ctx.scan[ref], ctx.scan[ev]
        idx = cols.feature_index(a, numeric)
        fs = a.feature_stats
        mean = np.nan_to_num(fs.mean[idx])
        sd = np.where(np.isfinite(fs.std[idx]), fs.std[idx], 0.0)
        dec_a, dec_b = cols.split_decimals(ctx, ref, numeric), cols.split_decimals(ctx, ev, numeric)
        quantum = np.where(dec_a != dec_b,
                           np.maximum(cols.resolution(dec_a), cols.resolution(dec_b)), 0.0)
        sharp = tolerance * sd
        scale = np.maximum.reduce([sharp, quantum * (1 + 1e-6), 1e-12 * np.maximum(1.0, np.abs(mean))])
        varying = np.flatnonzero((fs.n_distinct_lo[idx] >= 3) & (sd > 0))
        if not len(varying):
            return None
        tight = varying[scale[varying] <= sharp[varying]]
        grid = RowGrid.make(scale, tight if len(tight) else varying, seed=ctx.seed,
                            bound=_bound(a, numeric, idx, b))
        ref_cols, eval_cols = cols.feature_rows(a, numeric), cols.feature_rows(b, numeric)
        ref_finite = bool((fs.n_finite[np.asarray(idx)[grid.features]] == fs.n).all())
        return cls(scale, grid, ref_cols, ref_finite, cols.other_hash(ctx, ref, other) if other else None,
                   eval_cols, cols.other_hash(ctx, ev, other) if other else None)

    def with_eval(self, eval_cols: list, eval_extra: np.ndarray | None) -> "RowSearch":
        """The same search over other evaluation rows (a chunk of a streamed split)."""
        return dataclasses.replace(self, eval_cols=eval_cols, eval_extra=eval_extra)

    def _index(self, held: np.ndarray) -> tuple[int, GridIndex, list, np.ndarray | None]:
        """The evaluation rows and the held-out reference rows, indexed together: their
        number of evaluation rows, grid index, feature columns and non-numeric hashes."""
        n_eval = len(self.eval_cols[0])
        rows_e, keys_e = self.grid.entries(self.eval_cols)
        rows_h, keys_h = self.grid.entries(self.ref_cols, rows=held)
        index = GridIndex.build(self.grid, np.concatenate([rows_e, rows_h + n_eval]),
                                np.concatenate([keys_e, keys_h]))
        index_cols = [_Stacked(e, r, held) for e, r in zip(self.eval_cols, self.ref_cols)]
        extra = None if self.ref_extra is None else np.concatenate([self.eval_extra, self.ref_extra[held]])
        return n_eval, index, index_cols, extra

    def run(self, held: np.ndarray) -> tuple[Matches, Matches, bool]:
        """Near matches of the evaluation rows and of held-out reference rows, in one pass.

        Both sets are indexed together and the reference rows streamed through once.

        Parameters
        ----------
        held : numpy.ndarray
            Reference rows whose own matches (other reference rows) measure the chance rate.

        Returns
        -------
        eval_matches : Matches
            Nearest reference row of each matched evaluation row (``query`` = eval row).
        held_matches : Matches
            The same for held-out rows (``query`` = position in ``held``).
        complete : bool
            False when a crowded cell was cut short (exact copies may then be missed).
        """
        # The reference keys are computed in the background while the index is built.
        with ThreadPoolExecutor(1) as background:
            ref_keys = background.submit(self.grid.keys, self.ref_cols, None, self.ref_finite)
            n_eval, index, index_cols, extra = self._index(held)
            ref_keys = ref_keys.result()
        index_self = np.concatenate([np.full(n_eval, -1, np.int64), held])
        found, complete = near_row_pairs(index, index_cols, self.ref_cols, ref_keys, self.scale,
                                         extra, self.ref_extra, index_self)
        ev = found.query < n_eval
        return (Matches(found.query[ev], found.ref[ev], found.score[ev]),
                Matches(found.query[~ev] - n_eval, found.ref[~ev], found.score[~ev]), complete)

    def run_streamed(self, held: np.ndarray, held_rows: np.ndarray,
                     batches: Iterator[tuple[int, list, np.ndarray | None]]) -> tuple[Matches, Matches, bool]:
        """``run``, with every reference row read again from disk rather than its sample.

        For a streamed reference split: the evaluation rows (and the held-out sample rows) are
        indexed once, and each batch of reference rows is keyed and joined against them.

        Parameters
        ----------
        held : numpy.ndarray
            Held-out rows as positions in the reference sample (``ref_cols``).
        held_rows : numpy.ndarray
            The same rows as split rows (so that a row is not matched with itself).
        batches : iterator of (int, list, numpy.ndarray or None)
            The split row of each batch's first row, its compared features (float64 arrays in
            the order of the search's features) and its hash of non-numeric columns.

        Returns
        -------
        As ``run``, with ``ref`` holding split rows of the reference.
        """
        n_eval, index, index_cols, extra = self._index(held)
        found, complete = [], True
        for start, batch_cols, batch_extra in batches:
            index_self = np.concatenate([np.full(n_eval, -1, np.int64), held_rows - start])
            part, done = near_row_pairs(index, index_cols, batch_cols,
                                        self.grid.keys(batch_cols, finite=self.ref_finite),
                                        self.scale, extra, batch_extra, index_self)
            found.append(Matches(part.query, part.ref + start, part.score))
            complete &= done
        best = _nearest(found)
        ev = best.query < n_eval
        return (Matches(best.query[ev], best.ref[ev], best.score[ev]),
                Matches(best.query[~ev] - n_eval, best.ref[~ev], best.score[~ev]), complete)


def search_near(ctx: CheckContext, search: RowSearch, ref: str, ev: str, held: np.ndarray,
                numeric: list[str], other: list[str]) -> tuple[Matches, Matches, bool]:
    """Near matches of every evaluation row among every reference row, however they are held.

    In-memory splits are searched in their columns. A streamed reference split whose
    columns hold a sample is read again in full, batch by batch; a streamed evaluation split
    whose columns hold a sample is read in chunks, each searched against every reference row.

    Parameters
    ----------
    held : numpy.ndarray
        Reference rows (positions in its columns) whose own matches measure the chance rate.

    Returns
    -------
    near : Matches
        ``query``: evaluation split rows, ``ref``: their nearest reference split rows.
    base : Matches
        The held-out rows' matches (``query``: position in ``held``).
    complete : bool
        False when a crowded cell was cut short.
    """
    a, b = ctx.scan[ref], ctx.scan[ev]
    ref_streamed = a.sampled and ctx.source(ref).streamed
    eval_streamed = b.sampled and ctx.source(ev).streamed
    chunks = (cols.streamed_chunks(ctx, ev, numeric, other) if eval_streamed else [(None, None, None)])
    n_chunks = -(-b.n // cols.chunk_rows(numeric)) if eval_streamed else 1
    advance = (ctx.progress(f"searching {ref} rows for near copies of {ev} rows", n_chunks * a.n)
               if ctx.progress and ref_streamed else None)
    parts, base, complete = [], Matches.empty(), True
    for k, (start, chunk_cols, chunk_extra) in enumerate(chunks):
        s = search if start is None else search.with_eval(chunk_cols, chunk_extra)
        h = held if k == 0 else held[:0]  # the chance rate is measured once
        if ref_streamed:
            batches = _counted(cols.streamed_features(ctx, ref, numeric, other), advance)
            found, own, done = s.run_streamed(h, a.split_rows(h), batches)
        else:
            found, own, done = s.run(h)
            found = Matches(found.query, a.split_rows(found.ref), found.score)
        query = b.split_rows(found.query) if start is None else found.query + start
        parts.append(Matches(query, found.ref, found.score))
        if k == 0:
            base = own
        complete &= done
    near = Matches(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("query", "ref", "score")))
    return near, base, complete


def _counted(batches: Iterator, advance) -> Iterator:
    """The batches of ``streamed_features``, advancing a progress bar by their rows."""
    for batch in batches:
        yield batch
        if advance:
            advance(len(batch[1][0]) if batch[1] else 0)


def _bound(a: SplitScan, numeric: list[str], idx: list[int], b: SplitScan) -> np.ndarray:
    """Largest finite ``|value|`` of each feature over both splits (NaN where a split has none)."""
    fa, fb = a.feature_stats, b.feature_stats
    jdx = cols.feature_index(b, numeric)
    return np.abs(np.stack([fa.min[idx], fa.max[idx], fb.min[jdx], fb.max[jdx]])).max(axis=0)


def _nearest(parts: list[Matches]) -> Matches:
    """Per query, the closest reference over several batches (ties: the lowest reference)."""
    if not parts:
        return Matches.empty()
    query = np.concatenate([p.query for p in parts])
    ref = np.concatenate([p.ref for p in parts])
    score = np.concatenate([p.score for p in parts])
    order = np.lexsort((ref, score, query))
    query, ref, score = query[order], ref[order], score[order]
    first = np.r_[True, query[1:] != query[:-1]] if len(query) else np.zeros(0, bool)
    return Matches(query[first], ref[first], score[first])


class _Stacked:
    """Evaluation rows, then some rows of the reference split, indexed as one column without
    copying either."""

    def __init__(self, first: np.ndarray, second: np.ndarray, second_rows: np.ndarray) -> None:
        self.first, self.second, self.second_rows = first, second, second_rows

    def __len__(self) -> int:
        return len(self.first) + len(self.second_rows)

    def __getitem__(self, idx: np.ndarray) -> np.ndarray:
        n = len(self.first)
        in_first = idx < n
        out = np.empty(len(idx), self.first.dtype)
        out[in_first] = self.first[idx[in_first]]
        out[~in_first] = self.second[self.second_rows[idx[~in_first] - n]]
        return out
