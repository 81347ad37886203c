"""Small helpers shared by probes: layer kinds, tensor walking, output-layer lookup."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from datacheck.smoke._torch import nn, torch


def weight_layer_types() -> tuple[type, ...]:
    """Modules whose output is a linear map of their input (Linear and convolutions)."""
    return (nn.Linear, nn.Bilinear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
            nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def norm_layer_types() -> tuple[type, ...]:
    """Normalization modules (their input's scale does not reach their output)."""
    types: list[type] = [nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm,
                         nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm]
    if hasattr(nn, "RMSNorm"):
        types.append(nn.RMSNorm)
    return tuple(types)


def dropout_types() -> tuple[type, ...]:
    """Dropout modules."""
    return (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
            nn.FeatureAlphaDropout)


def tensors_in(obj: Any) -> Iterator[Any]:
    """Every tensor inside nested lists, tuples and dicts."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from tensors_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from tensors_in(v)


def first_tensor(obj: Any) -> Any:
    """The first tensor inside ``obj``, or None."""
    return next(tensors_in(obj), None)


@contextlib.contextmanager
def hooks(handles: list[Any]) -> Iterator[list[Any]]:
    """Remove every hook handle in ``handles`` when the block ends."""
    try:
        yield handles
    finally:
        for h in handles:
            h.remove()


def output_layer(model: Any, forward: Any) -> tuple[str, Any] | None:
    """The Linear/Conv layer whose output is the model's prediction, as ``(name, module)``.

    ``forward()`` runs the model and returns the prediction tensor. Falls back to the last
    Linear/Conv layer executed when no layer's output is the prediction itself.
    """
    seen: list[tuple[str, Any, Any]] = []
    handles = [m.register_forward_hook(lambda mod, inp, out, name=name: seen.append((name, mod, out)))
               for name, m in model.named_modules() if isinstance(m, weight_layer_types())]
    with hooks(handles), torch.no_grad():
        pred = forward()
    for name, mod, out in seen:
        if out is pred:
            return name, mod
    return (seen[-1][0], seen[-1][1]) if seen else None


def fmt(value: float) -> str:
    """A number for a message: 3 significant digits, scientific when very large or small."""
    value = float(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.3g}"


def names_list(names: list[str], limit: int = 3) -> str:
    """``a, b, c and 4 more``."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
