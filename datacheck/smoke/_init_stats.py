"""Whether a weight tensor still looks like a fresh random draw (and not trained weights).

A freshly initialised weight is i.i.d. noise: its mean is zero within sampling error, its
kurtosis is that of a uniform (1.8) or normal (3) draw, and, read as a matrix (out, fan_in),
it has no singular value above the random-matrix edge std * (sqrt(out) + sqrt(fan_in))
(Bai-Yin). Training writes low-rank structure into the weights: singular values rise above
the edge and the mean drifts. Measured on digits: default-initialised 64x64 and 10x64 layers
give edge ratios 0.88-0.99 and mean z-scores within 1.6 (resnet18's Kaiming-normal convs
0.98-0.99); one epoch of Adam at 1e-3 already lifts the 64x64 layer to 1.13, and further
training to 1.5-1.6 with mean z-scores of 5-8. PyTorch's own default for ``nn.Linear`` and
``nn.ConvNd`` (uniform within +-1/sqrt(fan_in)) is named when it fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from datacheck.smoke._torch import torch

MIN_VALUES = 256  # fewer values do not pin the statistics down
MAX_EDGE_RATIO = 1.1  # largest singular value over the random-matrix edge (1.0 +- 0.03 for noise)
MAX_MEAN_Z = 4.0  # |mean| in standard errors


@dataclass(frozen=True)
class InitLook:
    """How a weight tensor matches a fresh random draw.

    ``default_uniform`` is True when every value lies within +-1/sqrt(fan_in) with the std of
    that uniform (PyTorch's default for Linear and Conv layers).
    """

    default_uniform: bool
    mean_z: float
    kurtosis: float
    edge_ratio: float

    def describe(self) -> str:
        """What the tensor looks like, in words."""
        if self.default_uniform:
            return "uniform within +-1/sqrt(fan_in), PyTorch's default initialisation"
        return (f"i.i.d. noise (kurtosis {self.kurtosis:.2f}, largest singular value "
                f"{self.edge_ratio:.2f}x the random-matrix edge)")


def random_init_look(weight: Any) -> InitLook | None:
    """An ``InitLook`` when ``weight`` (2-D or more, at least ``MIN_VALUES`` values) looks freshly
    initialised, else None."""
    if weight.ndim < 2 or weight.numel() < MIN_VALUES or not weight.is_floating_point():
        return None
    w = weight.detach().float().reshape(weight.shape[0], -1)
    n = w.numel()
    mean, std = float(w.mean()), float(w.std())
    if not (math.isfinite(std) and std > 0):
        return None
    mean_z = abs(mean) / (std / math.sqrt(n))
    kurtosis = float((((w - mean) / std) ** 4).mean())
    tolerance = 4 * math.sqrt(24 / n)  # 4 standard errors of a normal sample's kurtosis
    if mean_z > MAX_MEAN_Z or not 1.8 - tolerance <= kurtosis <= 3 + tolerance:
        return None
    edge = std * (math.sqrt(w.shape[0]) + math.sqrt(w.shape[1]))
    edge_ratio = float(torch.linalg.matrix_norm(w, ord=2)) / edge
    if edge_ratio > MAX_EDGE_RATIO:
        return None
    bound = 1 / math.sqrt(w.shape[1])
    default = (float(w.abs().max()) <= bound * (1 + 1e-6)
               and abs(std / (bound / math.sqrt(3)) - 1) <= 0.1)
    return InitLook(default, mean_z, kurtosis, edge_ratio)
