"""Import scikit-learn in a background thread while the data is read and scanned.

scikit-learn's modules take about 2 s to import (2 cores), paid by the first check that fits
a model, after the scan. Started before the scan, the imports run beside it: the scan of a
table is numpy work on one core, and the scan of images waits on its decoding processes.
Python's per-module import locks make the later imports in the checks wait for these, never
import twice.
"""

from __future__ import annotations

import importlib
import threading

# The modules the model checks import (estimators, folds, pipelines, screening).
MODULES = ("sklearn.linear_model", "sklearn.decomposition", "sklearn.kernel_approximation",
           "sklearn.neighbors", "sklearn.ensemble", "sklearn.model_selection", "sklearn.pipeline",
           "sklearn.feature_selection")


def warm_imports(modules: tuple[str, ...] = MODULES) -> threading.Thread:
    """Start importing ``modules`` in a daemon thread; return the thread.

    Parameters
    ----------
    modules : tuple of str
        Module names. One that fails to import is left to fail where it is used.

    Returns
    -------
    threading.Thread
        Already started.
    """
    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the check importing it reports the failure
                return

    thread = threading.Thread(target=run, name="datacheck-warm-imports", daemon=True)
    thread.start()
    return thread
