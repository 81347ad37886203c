"""The healthy panel: textbook models with PyTorch's default initialisation, on digits and on
a regression table.

Each entry trains as a careful engineer would set it up: default ``nn.Linear``/``nn.Conv2d``
initialisation (no He init added), Adam or SGD (with momentum or plain) at a usual rate,
CrossEntropyLoss. The smoke probes must stay quiet on every one of them (no warning, no
error): their thresholds are anchored here. Data: scikit-learn digits, standardized, as 64 features, 1x8x8 images, 3x32x32
images (resnet18) or 8 tokens of 8 values (transformer).

``REGRESSION_PANEL``: a 10-64-1 MLP with MSELoss and Adam at 1e-3 on scikit-learn's diabetes
(features standardized), with the target as the data has it (25..346, mean 152) and
standardized.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tests.smoke import zoo


class MLP(nn.Module):
    """64-64-10 with ReLU."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class SmallCNN(nn.Module):
    """Two conv-ReLU-maxpool blocks and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class BNCNN(nn.Module):
    """Three conv-BatchNorm-ReLU blocks, global average pooling, a linear head."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(*block(1, 16), *block(16, 32), nn.MaxPool2d(2), *block(32, 32),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class TransformerBlock(nn.Module):
    """Token embedding, learned positions, one ``nn.TransformerEncoderLayer``, mean pooling."""

    def __init__(self, d_model: int = 32) -> None:
        super().__init__()
        self.embed = nn.Linear(8, d_model)
        self.pos = nn.Embedding(8, d_model)
        self.block = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64, batch_first=True)
        self.head = nn.Linear(d_model, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + self.pos.weight
        return self.head(self.block(h).mean(dim=1))


def resnet18() -> nn.Module:
    """torchvision's resnet18, random init, 10 classes."""
    import torchvision

    return torchvision.models.resnet18(weights=None, num_classes=10)


def images(x: torch.Tensor) -> torch.Tensor:
    """Digits features as (N, 1, 8, 8) images."""
    return x.reshape(len(x), 1, 8, 8)


def rgb32(x: torch.Tensor) -> torch.Tensor:
    """Digits as (N, 3, 32, 32) images, upsampled bilinearly, the channel repeated."""
    up = F.interpolate(images(x), size=(32, 32), mode="bilinear", align_corners=False)
    return up.repeat(1, 3, 1, 1).contiguous()


@dataclass(frozen=True)
class Member:
    """One healthy model: how to build it, shape its inputs, and build its optimizer."""

    build: Callable[[], nn.Module]
    inputs: Callable[[torch.Tensor], torch.Tensor]
    optimizer: Callable[[Any], torch.optim.Optimizer]


def _adam(params: Any) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)


def _sgd(lr: float, momentum: float = 0.9) -> Callable[[Any], torch.optim.Optimizer]:
    def build(params: Any) -> torch.optim.Optimizer:
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    return build


PANEL = {
    "mlp": Member(MLP, lambda x: x, _adam),
    "small_cnn": Member(SmallCNN, images, _sgd(0.01)),
    # plain SGD learns too slowly for the loss to fall within a 100-step rate sweep
    "small_cnn_plain_sgd": Member(SmallCNN, images, _sgd(0.05, momentum=0.0)),
    "bn_cnn": Member(BNCNN, images, _adam),
    "transformer": Member(TransformerBlock, zoo.sequences, _adam),
    "resnet18": Member(resnet18, rgb32, _sgd(0.01)),
}


def setup(name: str, x: torch.Tensor, y: torch.Tensor, *, seed: int = 0,
          batch_size: int = 32) -> tuple[nn.Module, Any, torch.optim.Optimizer]:
    """The model (seeded init), its loader and its optimizer for panel member ``name``."""
    member = PANEL[name]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = member.build()
    return model, zoo.loader(member.inputs(x), y, batch_size=batch_size, seed=seed), \
        member.optimizer(model.parameters())


class RegressionMLP(nn.Module):
    """10-64-1 with ReLU: one output, the predicted target."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


REGRESSION_PANEL = {"mlp_raw_target": False, "mlp_standardized_target": True}


def regression_setup(name: str, *, seed: int = 0) -> tuple[nn.Module, Any, torch.optim.Optimizer]:
    """The model (seeded init), its diabetes loader and Adam(1e-3) for ``REGRESSION_PANEL`` member
    ``name``; the loss is MSELoss."""
    x, y = zoo.diabetes(standardize_target=REGRESSION_PANEL[name])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RegressionMLP()
    return model, zoo.loader(x, y, seed=seed), _adam(model.parameters())
