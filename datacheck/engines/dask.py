"""Run the scan's tasks on a Dask cluster and bring their results back in order.

Each task scans one range of rows of one split where its data lies: a worker reads its Parquet
row groups or decodes its image files itself (so the files must be at the same path on every
worker), and in-memory data travels with the task. The merge and the checks run here, on the
merged scan, so findings equal the local engine's.
"""

from __future__ import annotations

import logging

from datacheck.errors import ConfigError

# Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 10


class DaskEngine:
    """A Dask client, on a scheduler given by address or on a local cluster it starts.

    Parameters
    ----------
    scheduler : str or None
        Scheduler address; None starts a local cluster.
    workers : int or None
        Worker processes of a local cluster (default the CPUs available).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler, self.workers = scheduler, workers
        self.client = self.cluster = None

    def __enter__(self) -> "DaskEngine":
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("The dask engine needs Dask: pip install 'datacheck[dask]'.") from None
        from datacheck.scan.parallel import available_cpus

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"Cannot reach the Dask scheduler at {self.scheduler!r} ({exc}).") from None
        else:
            self.cluster = LocalCluster(n_workers=self.workers or available_cpus(), threads_per_worker=1,
                                        processes=True, dashboard_address=":0")
            self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def n_workers(self) -> int:
        """Worker threads of the cluster (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, tasks: list, advance=None) -> list:
        """Run ``task.run()`` for every task on the cluster.

        Parameters
        ----------
        tasks : list of datacheck.scan.tasks.ScanTask
            What to run.
        advance : callable, optional
            Called with 1 as each task finishes, for a progress bar.

        Returns
        -------
        list of SplitScan
            In the order of ``tasks``.
        """
        from distributed import as_completed

        futures = self.client.map(_run, tasks, pure=False)
        for _ in as_completed(futures):
            if advance:
                advance(1)
        return self.client.gather(futures)


def _run(task):
    """What a worker does with one task (a module-level function, so it pickles by name)."""
    return task.run()
