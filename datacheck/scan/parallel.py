"""Thread-level parallelism for the vectorized scan steps."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable


def available_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def one_thread_per_worker() -> None:
    """Initializer of the decoding worker processes: one BLAS/OpenMP thread each.

    The workers already use every core between them; a BLAS call inside one of them that
    started a thread per core as well would stack cores x cores threads.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_blocks(work: Callable[[int], None], starts: Iterable[int], workers: int | None = None) -> None:
    """Call ``work(start)`` for every start, spread over threads when there are several.

    numpy releases the GIL inside its loops, so threads run in parallel on blocks that are
    large next to the Python overhead of a call.

    Parameters
    ----------
    work : callable
        Does one block; its results go to arrays it closes over (one disjoint slice per block).
    starts : iterable of int
        Where each block starts.
    workers : int, optional
        Threads; default the CPUs available.
    """
    starts = list(starts)
    n_threads = min(len(starts), workers or available_cpus())
    if n_threads <= 1:
        for s in starts:
            work(s)
        return
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        list(pool.map(work, starts))
