"""Where the scan's tasks run: this process (the default) or a Dask cluster (``dask``)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from datacheck.errors import ConfigError

ENGINES = ("local", "dask")


@contextmanager
def open_engine(engine: str = "local", scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """The engine for a run, started and stopped around it.

    Parameters
    ----------
    engine : str
        ``local`` (this process; yields None) or ``dask``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); with none, a local cluster
        of ``workers`` processes is started for the run.
    workers : int, optional
        Worker processes of a local cluster (default the CPUs available).

    Yields
    ------
    object or None
        Something with ``map(tasks, advance)``, or None for this process.

    Raises
    ------
    ConfigError
        For an unknown engine, a scheduler without the dask engine, or dask not installed.
    """
    if engine not in ENGINES:
        raise ConfigError(f"The 'engine' option must be one of {', '.join(ENGINES)}. Got {engine!r} instead.")
    if engine == "local":
        if scheduler:
            raise ConfigError("The 'scheduler' option needs engine='dask' (--engine dask).")
        yield None
        return
    from datacheck.engines.dask import DaskEngine

    with DaskEngine(scheduler, workers) as running:
        yield running
