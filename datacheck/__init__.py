"""datacheck: find the dataset bugs that make a neural network train without learning."""

from __future__ import annotations

from datacheck._version import __version__

__all__ = ["__version__", "profile", "smoke"]


def __getattr__(name: str):
    # Lazy so that `import datacheck` stays cheap (no pandas/pyarrow until needed).
    if name == "profile":
        from datacheck.api import profile

        return profile
    if name == "smoke":
        import importlib

        return importlib.import_module("datacheck.smoke")  # a callable module: datacheck.smoke(model, loader)
    raise AttributeError(f"module 'datacheck' has no attribute {name!r}")
