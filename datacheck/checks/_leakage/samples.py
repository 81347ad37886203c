"""``split_leakage``'s per-sample columns: the sample each leaked one copies, and why it is flagged.

The check compares each split with every split before it and may flag one evaluation sample
several times (an exact copy of a training image and of a validation image; a copied row of a
shared group). ``LeakMarks`` gathers the marks of all comparisons and attaches them once per
split and column: ``copy_in`` (the id of the sample in the earlier split that it copies, exact
or near; the first split compared wins) and ``flag`` (``exact``, ``near``, ``mirrored``,
``shared_group``, ``time_overlap``; several reasons joined as ``exact, shared_group``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from datacheck.report.samples import FLAG_JOIN

# A near image copy is called ``mirrored`` when its thumbnail correlates with the mirrored
# reference's by at least this much more than with the upright one (nearly symmetric images
# stay ``near``: the two orientations cannot be told apart).
MIRROR_MARGIN = 0.02


class LeakMarks:
    """Per-sample marks of the evaluation samples found leaked, by split.

    Parameters
    ----------
    splits : sequence of str
        Every split of the dataset (each gets its columns, empty where nothing is flagged).
    """

    def __init__(self, splits: Sequence[str]):
        self._parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {s: [] for s in splits}

    def add(self, split: str, rows, flags, partners=None) -> None:
        """Mark ``rows`` of ``split``.

        Parameters
        ----------
        split : str
            The evaluation split the rows belong to.
        rows : array-like of int
            Rows (0-based, within the split).
        flags : str or array-like of str
            The reason of each row (one string for all).
        partners : sequence of str, optional
            Per row, the id of the sample it copies (None where it copies none).
        """
        rows = np.asarray(rows, np.int64).reshape(-1)
        flags = np.asarray(flags, dtype=object)
        if flags.ndim == 0:
            flags = np.full(len(rows), flags.item(), object)
        partner = np.full(len(rows), None, object)
        if partners is not None:
            partner[:] = list(partners)
        self._parts[split].append((rows, flags, partner))

    def attach(self, ctx) -> None:
        """One ``copy_in`` and one ``flag`` column per split on the running check's outcome."""
        for split, parts in self._parts.items():
            rows, flags, partners = _joined(parts)
            ctx.sample_column(split, "flag", flags, rows=rows)
            has = np.array([p is not None for p in partners], bool)
            ctx.sample_column(split, "copy_in", partners[has], rows=rows[has])


def _joined(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique rows, their reasons joined (in the order marked) and their first partner."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0, object)
    rows = np.concatenate([p[0] for p in parts])
    flags = np.concatenate([p[1] for p in parts])
    partners = np.concatenate([p[2] for p in parts])
    order = np.argsort(rows, kind="stable")
    rows, flags, partners = rows[order], flags[order], partners[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(rows)]
    out_flags = flags[starts].copy()
    out_partners = partners[starts].copy()
    for j in np.flatnonzero(ends - starts > 1):  # few: samples flagged for two reasons
        s, e = starts[j], ends[j]
        out_flags[j] = FLAG_JOIN.join(dict.fromkeys(map(str, flags[s:e])))
        out_partners[j] = next((p for p in partners[s:e] if p is not None), None)
    return rows[starts], out_flags, out_partners


def mirrored(ref_thumbs: np.ndarray, query_thumbs: np.ndarray) -> np.ndarray:
    """Which near copies are mirror images of their reference, from the scan's thumbnails.

    Parameters
    ----------
    ref_thumbs, query_thumbs : numpy.ndarray
        uint8 (k, 16, 16) area-averaged grayscale thumbnails of each pair.

    Returns
    -------
    numpy.ndarray
        bool (k,): the query correlates with the mirrored reference by ``MIRROR_MARGIN`` more
        than with the upright one.
    """
    k = len(query_thumbs)
    if not k:
        return np.zeros(0, bool)
    q = _centred(query_thumbs.reshape(k, -1))
    up = _centred(ref_thumbs.reshape(k, -1))
    flip = _centred(ref_thumbs[:, :, ::-1].reshape(k, -1))
    return (q * flip).sum(axis=1) > (q * up).sum(axis=1) + MIRROR_MARGIN


def _centred(x: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit norm (flat rows stay zero)."""
    x = x.astype(np.float64)
    x -= x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1, keepdims=True))
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
