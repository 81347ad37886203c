"""Default models for ``datacheck smoke``: a small CNN for images, an MLP for tables, a
torchvision architecture by name (random init), or ``module:factory`` for your own.

Hidden layers use He (Kaiming) initialisation, so at init their activations keep a unit-order
scale, and the output layer keeps PyTorch's default (small) initialisation, so the initial
loss is close to ln C: the defaults pass the smoke probes on clean data.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from datacheck.errors import ConfigError
from datacheck.smoke._torch import nn, torch


def _he(module: Any) -> None:
    nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
    if module.bias is not None:
        nn.init.zeros_(module.bias)


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU blocks (the last two stride 2), global average pool, linear head."""

    def __init__(self, in_channels: int, n_classes: int, width: int = 16) -> None:
        super().__init__()
        w = width

        def block(cin: int, cout: int, stride: int) -> list:
            conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            nn.init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
            return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(in_channels, w, 1), *block(w, 2 * w, 2),
                                      *block(2 * w, 2 * w, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(2 * w, n_classes)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x))


class MLP(nn.Module):
    """Two hidden ReLU layers of ``width`` units and a linear head."""

    def __init__(self, n_features: int, n_classes: int, width: int = 128) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_features, width)
        self.fc2 = nn.Linear(width, width)
        self.head = nn.Linear(width, n_classes)
        self.act = nn.ReLU()
        _he(self.fc1)
        _he(self.fc2)

    def forward(self, x: Any) -> Any:
        x = x.flatten(1)
        return self.head(self.act(self.fc2(self.act(self.fc1(x)))))


def is_torchvision_name(spec: str | None) -> bool:
    """Whether ``spec`` names a torchvision architecture (not None, not ``module:factory``)."""
    return spec is not None and ":" not in spec


def build_model(spec: str | None, *, in_shape: tuple[int, ...], n_classes: int) -> Any:
    """The model for ``spec`` given one sample's shape (C, H, W) or (F,) and the class count.

    Parameters
    ----------
    spec : str or None
        None for the default (SmallCNN for (C, H, W), MLP for (F,)), a torchvision
        architecture name (``resnet18``; random init, ``num_classes`` set), or
        ``module:factory``, called with ``num_classes`` (and ``in_channels`` when it takes it).
    """
    if spec is None:
        if len(in_shape) == 3:
            return SmallCNN(in_shape[0], n_classes)
        n = 1
        for d in in_shape:
            n *= d
        return MLP(n, n_classes)
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"The 'model' parameter must be a torchvision architecture name or "
                          f"'module:factory'. Got {spec!r} instead.")
    if ":" in spec:
        return _from_factory(spec, in_shape, n_classes)
    try:
        import torchvision
    except ImportError:
        raise ConfigError(f"The 'model' parameter {spec!r} names a torchvision architecture, but "
                          "torchvision is not installed: pip install 'datacheck[torch]'.") from None
    names = torchvision.models.list_models()
    if spec not in names:
        close = [n for n in names if spec.lower()[:4] in n][:8] or names[:8]
        raise ConfigError(f"The 'model' parameter must be a torchvision architecture "
                          f"(e.g. {', '.join(close)}) or 'module:factory'. Got {spec!r} instead.")
    return torchvision.models.get_model(spec, weights=None, num_classes=n_classes)


def _from_factory(spec: str, in_shape: tuple[int, ...], n_classes: int) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"The 'model' parameter {spec!r} must name an importable "
                          f"'module:factory': {exc}") from None
    try:
        sig = inspect.signature(factory)
        accepts = set(sig.parameters)
        var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    except (TypeError, ValueError):
        accepts, var_kw = set(), False
    kwargs: dict[str, Any] = {}
    if "num_classes" in accepts or var_kw:
        kwargs["num_classes"] = n_classes
    if "in_channels" in accepts and len(in_shape) == 3:
        kwargs["in_channels"] = in_shape[0]
    model = factory(**kwargs)
    if not isinstance(model, torch.nn.Module):
        raise ConfigError(f"The 'model' factory {spec!r} must return a torch.nn.Module; "
                          f"it returned {type(model).__name__}.")
    return model
