"""Gradient boosting fits in a worker process, beside the fits of this one.

A gradient boosting fit is mostly Python steps (a few per tree node) that hold the GIL: two
fits in two threads of one process took as long as one after the other (1.0-1.2x on 25,000 x 50
regression folds), in two processes half as long. Where the model fits run in one thread
while more CPUs are available (``oof.fits_beside``: a table), ``fit_all`` fits the
jobs from the first here while a worker process takes the large boosting fits from the last,
one at a time; the worker fits in one thread too, so every fit gives what it gives here.
Measured on 2 cores against fitting everything here: a regression on 100,000 x 50 (both
folds' boosting, then again without the contradicted targets) 0.63x in a process that has
the worker already and 0.81x in a fresh ``datacheck profile`` (the worker started as the
table was loaded, ``regression.start_worker_early``); 5 classes on 100,000 x 20 where
boosting joins, 0.57x and 0.82x.

The worker is a loky process (the executor scikit-learn's own ``n_jobs`` uses; it never
re-runs the caller's ``__main__``), started on first use (or earlier, ``start``) and kept
while it is used: it imports scikit-learn as it starts (a second or two), and until then
every fit runs here. It leaves after ``IDLE_S`` seconds without work (the next fit starts
another). Where it cannot start or breaks, the fits run here.
"""

from __future__ import annotations

import logging
import threading
import warnings
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterator

import numpy as np

log = logging.getLogger(__name__)

# A boosting fit goes to the worker from this many training samples times trees per round
# (one for a regression or two classes, K for K > 2 classes) times input columns: what a
# round's histograms read (the smaller fits take less time than sending their inputs and
# waiting for the worker). Ten classes count tenfold: boosting on 8,000 samples of
# Fashion-MNIST as a table (128 PCA components) takes 4-5 s a fold, the whole profile of
# 10,000 such rows 27 s with every fold here. A regression fit of 250,000 cells takes about
# 0.15-0.2 s (5,000 x 60, 25,000 x 10); the real Ames house prices (2,344 training samples of
# 128 PCA components) 0.4 s and txhousing (6,880 of 57) 0.45 s a fold: their fresh profiles
# took 0.76x and 0.72x the time with the worker as from 10,000 training samples at any width.
OFFLOAD_CELLS = 250_000
# Seconds an idle worker waits for more fits before it leaves.
IDLE_S = 300
# A fitted model is applied to at most this many bytes of (float64) test inputs at a time, and
# never fewer than APPLY_MIN_ROWS rows. Gradient boosting predicts tree by tree over every row
# it is given: rows that stay in the cache from one tree to the next are read from memory once.
# Boosting of 10 classes (50 rounds) applied to 60,000 rows on 2 cores (2 MiB L2 each, 32 MiB
# L3): 128 columns 3.9 s at once, 1.1 s in blocks of 4,096 rows; 256 columns 5.3 s and 1.6 s;
# 50 and 20 columns within 5% either way. The outputs are the same, bit for bit.
APPLY_BLOCK_BYTES = 4 << 20
APPLY_MIN_ROWS = 1_024

_lock = threading.Lock()
# The worker's executor (None: not started yet; False: it could not start), and the future of
# its start.
_executor = None
_ready = None


def fit_all(jobs: list[tuple[str, Callable, np.ndarray, np.ndarray]], x: np.ndarray, y: np.ndarray,
            output: str, beside: bool, advance: Callable[[int], None] | None = None,
            rounds: Callable[[str, int], Callable[[int], None] | None] | None = None,
            models: list | None = None) -> list:
    """Fit and apply each job's model; large boosting fits partly in the worker.

    This thread fits the jobs from the first; a feeder thread hands the worker the large
    boosting fits from the last, one at a time, as soon as the worker has started. Whichever
    takes a job first fits it, so a worker that is still starting costs nothing. A large
    boosting fit made here shows its rounds (``rounds``): one such fit of 10 classes on
    25,000 samples of 128 columns takes about 10 s.

    Parameters
    ----------
    jobs : list of (str, callable, numpy.ndarray, numpy.ndarray)
        (family name, factory of an unfitted model, train positions, test positions); a
        family whose name holds "boosting" may go to the worker, from ``OFFLOAD_CELLS``
        training samples times ``trees_per_round`` times columns of ``x``.
    x, y : numpy.ndarray
        Inputs and targets of every sample.
    output : str
        ``predict`` or ``predict_proba``: what is returned for the test positions.
    beside : bool
        Whether a worker may fit beside this process (the fits run in one thread here while
        more CPUs are available).
    advance : callable, optional
        ``advance(1)`` after each fit, here or in the worker (then from the feeder thread).
    rounds : callable, optional
        ``rounds(description, total)`` opens a bar over the rounds of a large boosting fit
        made here (from ``OFFLOAD_CELLS``, as those the worker may take) and returns
        its ``advance(n)``, or None (``watched_rounds``).
    models : list, optional
        Filled with each job's fitted model, in order (a worker's comes back with its output),
        for the caller to apply to more inputs; by default none is kept.

    Returns
    -------
    list of (numpy.ndarray or None, numpy.ndarray)
        Per job, in order: the fitted model's ``classes_`` (None for a regressor) and its
        output on the test positions. The caller's thread limits and warning filters apply
        to the fits made here; the worker's run in one thread, warnings ignored.
    """
    trees = trees_per_round(y, output)
    large = {i for i, (name, _, train, _) in enumerate(jobs)
             if "boosting" in name and len(train) * trees * x.shape[1] >= OFFLOAD_CELLS}
    heavy = sorted(large) if beside else []
    ready = start() if heavy else None
    results: list = [None] * len(jobs)
    taken: set[int] = set()
    claim = threading.Lock()
    kept: list = [None] * len(jobs)
    keep = models is not None
    feeder = (_Feeder(ready, heavy, jobs, x, y, output, results, kept if keep else None, taken, claim, advance)
              if ready is not None else None)

    def fit_here(i: int) -> None:
        name, make, train, test = jobs[i]
        model = make()
        bar = predicting = None
        if rounds is not None and i in large and hasattr(model, "max_iter"):
            bar = rounds(f"{name} on {len(train):,} samples: rounds", int(model.max_iter))
            # a large model predicts slowly too (10 classes of 100 rounds: about 4 s for
            # 100,000 samples), so its predictions have a bar of their own, opened after the fit
            predicting = partial(rounds, f"{name} on {len(train):,} samples: predictions of "
                                         f"{len(test):,} held-out samples")
        results[i] = _fit_apply_here(model, x[train], y[train], x[test], output, bar, predicting)
        if keep:
            kept[i] = model
        if advance is not None:
            advance(1)

    try:
        for i in range(len(jobs)):
            with claim:
                if i in taken:
                    continue
                taken.add(i)
            fit_here(i)
    finally:  # also where a fit here raised: the worker takes no more of these jobs
        if feeder is not None:
            feeder.finish()
    for i in range(len(jobs)):  # the worker broke on these: fit here
        if results[i] is None:
            fit_here(i)
    if keep:
        models[:] = kept
    return results


def trees_per_round(y: np.ndarray, output: str) -> int:
    """Trees a boosting fit grows per round on targets ``y``: one per class for more than two
    classes (``predict_proba`` of codes 0..K-1), else one."""
    if output != "predict_proba" or not len(y):
        return 1
    k = int(y.max()) + 1
    return k if k > 2 else 1


class _Feeder:
    """A thread that waits for the worker to start, then hands it the unclaimed heavy jobs
    from the last, one at a time, until none is left or ``finish`` is called."""

    def __init__(self, ready, heavy, jobs, x, y, output, results, kept, taken, claim, advance) -> None:
        self.claim = claim
        self.stopped = False
        self.wake = threading.Event()
        ready.add_done_callback(lambda _: self.wake.set())

        def feed() -> None:
            self.wake.wait()
            if not ready.done() or ready.exception() is not None:
                return
            for i in reversed(heavy):
                with claim:
                    if self.stopped or i in taken:
                        continue
                    taken.add(i)
                _, make, train, test = jobs[i]
                try:
                    classes, out, model = _executor.submit(_fit_apply, make(), x[train], y[train], x[test],
                                                           output, kept is not None).result()
                    results[i] = (classes, out)
                    if kept is not None:
                        kept[i] = model
                except Exception as exc:  # noqa: BLE001 - the worker broke (killed, out of memory)
                    log.debug("worker fit failed; fitted here instead: %s", exc)
                    return
                if advance is not None:
                    advance(1)

        self.thread = threading.Thread(target=feed, name="datacheck-feeder", daemon=True)
        self.thread.start()

    def finish(self) -> None:
        """Claim no more jobs; wait for the one the worker has."""
        with self.claim:
            self.stopped = True
        self.wake.set()
        self.thread.join()


@contextmanager
def watched_rounds(model, advance: Callable[[int], None] | None) -> Iterator[None]:
    """Within: ``advance(1)`` once per round of ``model``'s fit, and the rest of its
    ``max_iter`` once it returns (a fit stopped early, or one that raised).

    scikit-learn's ``HistGradientBoosting*`` offers no callback; with early stopping on the
    loss it calls ``_check_early_stopping_loss`` once per round (and once before the first),
    which is watched here: a model without it (no early stopping, another family, another
    version) fits as ever, and its bar fills when it is done. The fit is not changed.

    Parameters
    ----------
    model : estimator
        Unfitted; ``max_iter`` rounds at most.
    advance : callable or None
        A bar's ``advance(n)`` over ``max_iter`` steps; None watches nothing.
    """
    if advance is None:
        yield
        return
    total, done = int(model.max_iter), 0
    check = getattr(model, "_check_early_stopping_loss", None)

    def checked(*args, **kwargs):
        nonlocal done
        if done < total:
            done += 1
            advance(1)
        return check(*args, **kwargs)

    if callable(check) and getattr(model, "early_stopping", False) is True:
        model._check_early_stopping_loss = checked  # shadows the method for this fit only
    try:
        yield
    finally:
        model.__dict__.pop("_check_early_stopping_loss", None)
        if done < total:
            advance(total - done)


def _fit_apply_here(model, x_train, y_train, x_test, output: str, rounds: Callable[[int], None] | None = None,
                    predictions: Callable[[int], Callable[[int], None] | None] | None = None,
                    ) -> tuple[np.ndarray | None, np.ndarray]:
    """Fit ``model``; its classes (None for a regressor) and its ``output`` on ``x_test``.
    ``rounds`` advances a bar over the fit's rounds (``watched_rounds``), filled as the fit
    returns; ``predictions`` then opens one over the blocks of ``x_test`` (``apply_in_blocks``)."""
    with watched_rounds(model, rounds):
        model.fit(x_train, y_train)
    return getattr(model, "classes_", None), apply_in_blocks(getattr(model, output), x_test, predictions)


def apply_in_blocks(method: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                    bar: Callable[[int], Callable[[int], None] | None] | None = None) -> np.ndarray:
    """``method(x)`` (a fitted model's ``predict`` or ``predict_proba``), computed on blocks of
    rows of at most ``APPLY_BLOCK_BYTES`` of float64 each (``APPLY_MIN_ROWS`` at least).

    Parameters
    ----------
    method : callable
        Maps (m, d) inputs to (m,) or (m, K) outputs, row by row.
    x : numpy.ndarray
        (n, d) inputs.
    bar : callable, optional
        ``bar(total)`` opens a bar over the blocks and returns its ``advance(n)`` (or None),
        advanced after each block.

    Returns
    -------
    numpy.ndarray
        ``method(x)``.
    """
    rows = max(APPLY_MIN_ROWS, APPLY_BLOCK_BYTES // (8 * max(x.shape[1], 1)))
    starts = range(0, max(len(x), 1), rows)  # one block where x has no rows
    advance = bar(len(starts)) if bar is not None else None
    out = []
    for lo in starts:
        out.append(method(x[lo:lo + rows]))
        if advance is not None:
            advance(1)
    return out[0] if len(out) == 1 else np.concatenate(out)


def _fit_apply(model, x_train, y_train, x_test, output: str, keep: bool = False) -> tuple:
    """In the worker: fit in one thread, warnings ignored (as the caller's fits here); the
    classes, the output and the fitted model when ``keep`` (else None)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classes, out = _fit_apply_here(model, x_train, y_train, x_test, output)
    return classes, out, model if keep else None


def start():
    """Start the worker, if not started: it imports scikit-learn, a second or two, during which
    every fit runs here; a caller that knows fits will come may start it early.

    Returns
    -------
    concurrent.futures.Future or None
        Done when the worker has started; None where it cannot start.
    """
    global _executor, _ready
    with _lock:
        if _executor is None:
            try:
                from joblib.externals.loky import ProcessPoolExecutor

                # a fresh interpreter (fork and exec): nothing of this process's state is
                # inherited; each fit sets its own thread limits (``_fit_apply``)
                _executor = ProcessPoolExecutor(max_workers=1, timeout=IDLE_S)
                _ready = _executor.submit(_start)
            except Exception as exc:  # noqa: BLE001 - no worker: every fit runs here
                log.debug("no worker process: %s", exc)
                _executor, _ready = False, None
        return _ready


def _start() -> None:
    """In the worker: import what the fits need."""
    import sklearn.ensemble  # noqa: F401
    import sklearn.pipeline  # noqa: F401
