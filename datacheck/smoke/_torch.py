"""Lazy handles on torch, so that importing ``datacheck.smoke`` does not import it.

torch is an optional extra: ``datacheck checks`` lists the smoke probes without it, and the
first attribute read from one of these handles imports it (or says how to install it).
"""

from __future__ import annotations

import importlib
import importlib.util
import types
from typing import Any

INSTALL_HINT = "datacheck smoke needs PyTorch; install it with: pip install 'datacheck[torch]'"


class _LazyModule(types.ModuleType):
    """A module proxy that imports its target on first attribute access."""

    def __init__(self, target: str) -> None:
        super().__init__(f"lazy:{target}")
        self.__dict__["_target"] = target

    def __getattr__(self, attr: str) -> Any:
        try:
            module = importlib.import_module(self.__dict__["_target"])
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        value = getattr(module, attr)
        self.__dict__[attr] = value  # later reads skip __getattr__
        return value


torch: Any = _LazyModule("torch")
nn: Any = _LazyModule("torch.nn")
F: Any = _LazyModule("torch.nn.functional")


def torch_available() -> bool:
    """Whether torch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None
