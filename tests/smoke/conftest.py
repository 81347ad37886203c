"""Smoke-trainer test setup: the ``gpu`` marker, and one torch thread for tiny models."""

from __future__ import annotations

import pytest


def _torch():
    """torch, or None when it is not installed (the smoke tests then skip)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA device; skipped without one")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    cuda = False
    if any("gpu" in i.keywords for i in items):
        torch = _torch()
        cuda = torch is not None and torch.cuda.is_available()
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords and not cuda:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The zoo's models are tiny: intra-op threads only add synchronisation cost (and thrash
    when the cores are shared), so the smoke tests run torch on one thread."""
    torch = _torch()
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
