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

import threading
from dataclasses import dataclass

import numpy as np

from datacheck.models.features import encode_table
from datacheck.models.oof import (apply_fold, model_threads, out_of_fold, pooled_features, reduce_like_pool,
                                  second_models, sub_steps)
from datacheck.models.pool import Pool
from datacheck.scan.parallel import run_blocks

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


def predict_ahead(ctx) -> threading.Thread | None:
    """Start ``beyond_pool(ctx)`` in a thread of its own, where the fold models were kept, so
    that it runs beside the caller's next steps; a later ``beyond_pool(ctx)`` waits for it
    (or, where it raised, computes it again and raises there).

    The caller holds the thread limits and warning filters of both (``beyond_pool``) until it
    has joined the thread: they are process-wide.
    """
    if not out_of_fold(ctx).models:
        return None
    thread = threading.Thread(target=_quietly, args=(beyond_pool, ctx), name="datacheck-beyond", daemon=True)
    thread.start()
    return thread


def _quietly(work, *args) -> None:
    try:
        work(*args)
    except Exception:  # noqa: BLE001 - the caller's own beyond_pool computes it again and raises
        pass


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

    Notes
    -----
    The caller sets the thread limits (``oof.threadpool_limits_to(1)``, as the models were
    fitted) and ignores the models' warnings: both are process-wide, and the blocks of rows
    are predicted side by side in threads of their own.
    """
    oof = out_of_fold(ctx)
    if not oof.models:
        return None
    return ctx.cached(f"beyond_pool_{int(with_second)}", lambda: _predict(ctx, oof, with_second))


def _predict(ctx, oof, with_second: bool) -> Beyond:
    rest, y = _rest(ctx, oof)
    k, n_folds = len(oof.classes), len(oof.models)
    # each row's fold drawn at random; the rows then grouped by fold (in row order within
    # one), so that a block of rows goes to one fold's models whole
    fold = np.random.default_rng(ctx.seed).integers(0, n_folds, len(y))
    groups = [np.flatnonzero(fold == f) for f in range(n_folds)]
    order = np.concatenate(groups)
    rest, y = rest.subset(order), y[order]
    bounds = np.cumsum([0] + [len(g) for g in groups])
    proba = np.empty((len(y), k))
    second = second_models(ctx) if with_second else []
    encoding = pooled_features(ctx).encoding
    blocks = [(f, lo, min(lo + BLOCK_ROWS, bounds[f + 1])) for f in range(n_folds)
              for lo in range(bounds[f], bounds[f + 1], BLOCK_ROWS)]
    advance = sub_steps(ctx, f"the other {len(y):,} labelled samples, by the fold models", len(blocks))
    lock = threading.Lock()

    def predict(i: int) -> None:
        f, lo, hi = blocks[i]
        x = encode_table(ctx, encoding, rest.subset(np.arange(lo, hi)))
        p = apply_fold(oof.models[f], reduce_like_pool(ctx, x), k)
        proba[lo:hi] = (p + apply_fold(second[f], x, k)) / 2 if second else p
        if advance is not None:
            with lock:
                advance(1)

    run_blocks(predict, range(len(blocks)), workers=model_threads(ctx.options))
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
