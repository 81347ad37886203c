"""The scan's per-image quality properties of every split, pooled for ``image_quality`` and
``shortcuts`` (built once per run and cached on the context)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.checks.context import CheckContext
from datacheck.scan.image_props import COLUMN


@dataclass
class PropTable:
    """Readable images of every split whose properties were computed, in split order.

    Parameters
    ----------
    names : list of str
        Split names; ``split_code`` indexes into it.
    split_code, local : numpy.ndarray
        int64 split and index within the split of each image.
    y : numpy.ndarray
        int64 label code (-1 missing).
    props : numpy.ndarray
        float32 (m, len(PROPS)), see ``datacheck.scan.image_props``.
    height, width : numpy.ndarray
        int64 size in pixels.
    fmt, mode : numpy.ndarray
        str file format ("" for an array) and Pillow mode.
    constant : numpy.ndarray
        bool: every pixel one value (``input_integrity``'s finding, left out of quality flags).
    """

    names: list[str]
    split_code: np.ndarray
    local: np.ndarray
    y: np.ndarray
    props: np.ndarray
    height: np.ndarray
    width: np.ndarray
    fmt: np.ndarray
    mode: np.ndarray
    constant: np.ndarray

    @property
    def n(self) -> int:
        """Number of images."""
        return int(len(self.y))

    def col(self, name: str) -> np.ndarray:
        """One property column (float64)."""
        return self.props[:, COLUMN[name]].astype(np.float64)

    def ids(self, ctx: CheckContext, rows) -> list[str]:
        """Sample ids of some images, in the order given."""
        out = []
        for r in np.asarray(rows, np.int64):
            out += ctx.sample_ids(self.names[self.split_code[r]], [int(self.local[r])])
        return out

    @classmethod
    def of(cls, ctx: CheckContext) -> "PropTable | None":
        """The table of the context's image splits (cached), None when there is none."""
        return ctx.cached("image_props_table", lambda: cls._build(ctx))

    @classmethod
    def _build(cls, ctx: CheckContext) -> "PropTable | None":
        parts = []
        for j, scan in enumerate(ctx.splits()):
            im = scan.images
            if im is None or getattr(im, "props", None) is None or not len(im.ok):
                continue
            keep = np.flatnonzero(im.ok & np.isfinite(im.props[:, COLUMN["brightness"]]))
            if len(keep):
                parts.append((j, scan, keep))
        if not parts:
            return None
        cat = np.concatenate
        names = [s.name for s in ctx.splits()]

        def pick(attr, dtype=None):
            return cat([np.asarray(getattr(s.images, attr), dtype=dtype)[k] for _, s, k in parts])

        lo, hi = pick("min", np.float64), pick("max", np.float64)
        constant = np.all(np.isnan(lo) | (lo == hi), axis=1)
        return cls(
            names=names,
            split_code=cat([np.full(len(k), j, np.int64) for j, _, k in parts]),
            local=cat([k.astype(np.int64) for _, _, k in parts]),
            y=cat([s.y[k].astype(np.int64) for _, s, k in parts]),
            props=pick("props"), height=pick("height", np.int64), width=pick("width", np.int64),
            fmt=pick("format", object).astype(str), mode=pick("mode", object).astype(str),
            constant=constant,
        )
