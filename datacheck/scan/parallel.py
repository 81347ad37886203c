"""Thread-level parallelism for the vectorized scan steps."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable


def available_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by a cgroup CPU quota (a container's
    ``--cpus``), at least 1."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpus()
    return max(1, min(n, quota) if quota is not None else n)


def cgroup_cpus(root: str = "/sys/fs/cgroup") -> int | None:
    """CPUs a cgroup CPU quota allows (rounded up), or None without a quota.

    Reads cgroup v2 ``cpu.max`` (``"max 100000"`` or ``"200000 100000"``), else cgroup v1
    ``cpu/cpu.cfs_quota_us`` and ``cpu/cpu.cfs_period_us`` (quota -1: none).
    """
    try:
        with open(os.path.join(root, "cpu.max")) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as f:
            quota = int(f.read().strip())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as f:
            period = int(f.read().strip())
        return None if quota <= 0 or period <= 0 else max(1, -(-quota // period))
    except (OSError, ValueError):
        return None


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
