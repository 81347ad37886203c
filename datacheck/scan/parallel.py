"""Parallelism: threads for the vectorized scan steps, worker processes for decoding, and
imports done in the background while the data loads."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Callable, Iterable

# Threads importing modules (``import_in_background``) not yet waited for, and the lock of
# waiting for them (two threads may wait at once).
_importing: list[threading.Thread] = []
_waiting = threading.Lock()


def available_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by a cgroup CPU quota (a container's
    ``--cpus``), at least 1."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpus()
    return max(1, min(n, quota) if quota is not None else n)


def cgroup_cpus(root: str = "/sys/fs/cgroup", membership: str = "/proc/self/cgroup") -> int | None:
    """CPUs a cgroup CPU quota allows (rounded up), or None without a quota.

    The quota may be set on this process's own cgroup or on any above it (a systemd slice's
    ``CPUQuota``, a pod's limit on a host that shows the whole tree): the smallest of them
    counts. The cgroup's path comes from ``membership``; each of its folders under ``root``
    that exists, from the deepest up to ``root`` itself (a container shows its own cgroup
    there), is read: cgroup v2 ``cpu.max`` (``"max 100000"`` or ``"200000 100000"``), else
    cgroup v1 ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` (quota -1: none) under the
    ``cpu`` controller's folder.

    Parameters
    ----------
    root : str
        Where the cgroup file system is mounted.
    membership : str
        The process's cgroups, ``/proc/self/cgroup``'s format (``0::/path`` for v2,
        ``4:cpu,cpuacct:/path`` for v1); without it, ``root``'s own files alone are read.
    """
    paths = _cgroup_paths(membership)
    quotas = [q for folder in _folders(root, paths.get("")) if (q := _quota_v2(folder)) is not None]
    if not quotas:
        v1 = next((os.path.join(root, d) for d in ("cpu", "cpu,cpuacct") if os.path.isdir(os.path.join(root, d))),
                  None)
        if v1 is not None:
            quotas = [q for folder in _folders(v1, paths.get("cpu")) if (q := _quota_v1(folder)) is not None]
    return min(quotas) if quotas else None


def _cgroup_paths(membership: str) -> dict[str, str]:
    """The process's cgroup path per controller (``""``: the v2 hierarchy), from
    ``/proc/self/cgroup``'s lines; empty where it cannot be read."""
    try:
        with open(membership) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    paths = {}
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2]
    return paths


def _folders(root: str, path: str | None) -> list[str]:
    """``root/path`` and each folder above it up to ``root``, those that exist."""
    parts = [p for p in (path or "").split("/") if p and p not in (".", "..")]
    candidates = [os.path.join(root, *parts[:k]) for k in range(len(parts), -1, -1)]
    return [c for c in candidates if os.path.isdir(c)]


def _quota_v2(folder: str) -> int | None:
    try:
        with open(os.path.join(folder, "cpu.max")) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        return None


def _quota_v1(folder: str) -> int | None:
    try:
        with open(os.path.join(folder, "cpu.cfs_quota_us")) as f:
            quota = int(f.read().strip())
        with open(os.path.join(folder, "cpu.cfs_period_us")) as f:
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


def worker_processes(n: int) -> ProcessPoolExecutor:
    """A pool of ``n`` worker processes, each with one BLAS/OpenMP thread
    (``one_thread_per_worker``).

    Background imports are finished first (``finish_imports``): a forked child inherits the
    module locks the importing thread holds at that moment, and would wait for them forever.
    """
    finish_imports()
    return ProcessPoolExecutor(max_workers=n, initializer=one_thread_per_worker)


def import_in_background(modules: Iterable[str]) -> None:
    """Import ``modules`` in a daemon thread, so that their import overlaps other work.

    scikit-learn and SciPy take about a second to import, which a fresh ``datacheck profile``
    process otherwise pays when its first model check starts; imported while the data is read
    and scanned (mostly pyarrow and numpy work that releases the GIL) it costs less. Whoever
    imports the same packages in another thread, or forks, calls ``finish_imports`` first:
    two threads importing one package can deadlock on its module locks. A module that fails
    to import is left to fail where it is used, with its own error.

    Parameters
    ----------
    modules : iterable of str
        Dotted module names; those already imported are skipped.
    """
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return

    def run() -> None:
        for name in missing:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001,S112 - the import where it is used raises it
                continue

    thread = threading.Thread(target=run, name="datacheck-imports", daemon=True)
    _importing.append(thread)
    thread.start()


def finish_imports() -> None:
    """Wait for the imports ``import_in_background`` started (none: returns at once)."""
    with _waiting:
        while _importing:
            _importing.pop().join()


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
