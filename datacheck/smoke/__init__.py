"""The model-side smoke trainer: short, seeded experiments on a model and its loader.

``smoke(model, loader)`` returns a ``Report``; ``run_probes`` returns the outcomes and
findings the CLI merges into a profile; ``smoke_dataset`` builds a loader and a default model
from a datacheck ``Dataset``; ``describe_probes`` lists the probes for ``datacheck checks``.
torch is imported on first use, not by importing this package.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from datacheck.smoke._base import REGISTRY, Probe, Skip, get_probe, register
from datacheck.smoke._context import DEFAULT_STEPS
from datacheck.smoke._data import smoke_dataset
from datacheck.smoke._runner import describe_probes, run_probes, smoke

__all__ = ["DEFAULT_STEPS", "REGISTRY", "Probe", "Skip", "describe_probes", "get_probe",
           "register", "run_probes", "smoke", "smoke_dataset"]


class _CallableModule(types.ModuleType):
    """Lets ``from datacheck import smoke; smoke(model, loader)`` call ``smoke.smoke``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return smoke(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
