"""Evidence kinds: how each kind of ``Evidence`` data is drawn, in HTML and in the terminal.

A kind is one module of this package that calls ``register(EvidenceKind(...))``; every module
here is imported when the package is, so adding a kind is adding its file. The renderers look
kinds up by name with ``get_kind``; a kind that is not registered (or a renderer that fails)
falls back to the raw data with the reason.
"""

from __future__ import annotations

import importlib
import pkgutil

from datacheck.report.evidence._registry import (KINDS, Drawn, EvidenceKind, HtmlPage, chart,
                                                 get_kind, register)

__all__ = ["KINDS", "Drawn", "EvidenceKind", "HtmlPage", "chart", "get_kind", "register"]

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
