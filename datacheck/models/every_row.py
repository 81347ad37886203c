"""Every labelled sample judged, not only the cross-fitted ones.

Where a table has more labelled rows than ``noise_max_samples``, the models are cross-fitted on
a stratified sample of them (the pool, ``oof``). The other rows are then predicted by the fold
models: each row by the models of one fold, drawn at random (seeded), as a pooled sample is
predicted by the models of the one fold that left it out. None of those models saw the row, and
its probabilities come from models like those of the pooled samples, so the pool's
confident-learning thresholds apply to it (``noise.contradicted``). The rows' features are made
as the pool's were (``features.encode_table``, then the pool's reduction), a block of rows at
a time, so that memory stays bounded whatever the table's length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.models.features import encode_table
from datacheck.models.oof import (apply_fold, out_of_fold, pooled_features, reduce_like_pool, second_models,
                                  sub_steps)
from datacheck.models.pool import Pool

# Rows encoded and predicted at a time: 65,536 rows of 50 inputs are 13 MB of float32 features
# (and a float64 copy per model as it predicts, in blocks of ``workers.APPLY_BLOCK_BYTES``).
BLOCK_ROWS = 65_536


@dataclass
class Beyond:
    """The labelled samples beyond the pool and what the fold models predict for them.

    Parameters
    ----------
    pool : Pool
        The samples: labelled, readable rows of every split that the pool left out, of the
        classes the models learnt.
    y : numpy.ndarray
        Their labels as probability columns 0..K-1 (``OutOfFold.classes``).
    proba : numpy.ndarray
        (m, K) probabilities of the main models, averaged with the second family's where asked.
    """

    pool: Pool
    y: np.ndarray
    proba: np.ndarray

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(len(self.y))


def beyond_pool(ctx, with_second: bool = False) -> Beyond | None:
    """The samples beyond ``out_of_fold(ctx)``'s pool, predicted by its fold models (cached).

    Parameters
    ----------
    ctx : CheckContext
        The dataset, its scan and the cached models.
    with_second : bool
        Whether each prediction is averaged with the second family's
        (``oof.second_opinion``), as the pooled samples' are where the estimate uses both.

    Returns
    -------
    Beyond or None
        None where the fold models were not kept (``oof.keeps_models``: the pool holds every
        labelled row, or the features are not a table's).
    """
    oof = out_of_fold(ctx)
    if not oof.models:
        return None
    return ctx.cached(f"beyond_pool_{int(with_second)}", lambda: _predict(ctx, oof, with_second))


def _predict(ctx, oof, with_second: bool) -> Beyond:
    rest, y = _rest(ctx, oof)
    k = len(oof.classes)
    proba = np.empty((len(y), k))
    second = second_models(ctx) if with_second else []
    encoding = pooled_features(ctx).encoding
    fold = np.random.default_rng(ctx.seed).integers(0, len(oof.models), len(y))
    blocks = range(0, len(y), BLOCK_ROWS)
    advance = sub_steps(ctx, f"the other {len(y):,} labelled samples, by the fold models", len(blocks))
    for lo in blocks:
        at = np.arange(lo, min(lo + BLOCK_ROWS, len(y)))
        x = encode_table(ctx, encoding, rest.subset(at))
        reduced = reduce_like_pool(ctx, x)
        for f, models in enumerate(oof.models):
            mine = np.flatnonzero(fold[at] == f)
            p = apply_fold(models, reduced[mine], k)
            if second:
                p = (p + apply_fold(second[f], x[mine], k)) / 2
            proba[at[mine]] = p
        if advance is not None:
            advance(1)
    return Beyond(rest, y, proba)


def _rest(ctx, oof) -> tuple[Pool, np.ndarray]:
    """The labelled, readable rows of every split that the pool left out, of the modelled
    classes, in split then row order; and their labels as probability columns."""
    pool = oof.pool
    split, row, codes = [], [], []
    for k, name in enumerate(pool.split_names):
        scan = ctx.scan.splits[name]
        usable = (scan.y >= 0) & scan.readable & np.isin(scan.y, oof.classes)
        usable[pool.rows_of(k)[1]] = False
        rows = np.flatnonzero(usable)
        split.append(np.full(len(rows), k, np.int8))
        row.append(rows.astype(np.int64))
        codes.append(scan.y[rows].astype(np.int64))
    codes = np.concatenate(codes)
    rest = Pool(pool.split_names, np.concatenate(split), np.concatenate(row), codes, pool.n_available,
                pool.notes, pool.capped_from)
    return rest, np.searchsorted(oof.classes, codes)
