"""The bug zoo: small models and loaders, each with one planted bug, and their healthy twins.

Data: scikit-learn digits (1797 samples, 64 standardized features, 10 classes), as flat
vectors or as 8x8 "sequences" of 8 rows. Models are tiny so the whole zoo runs in seconds.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

N_FEATURES, N_CLASSES = 64, 10


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """Standardized digits features (float32) and labels (int64)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def diabetes(*, standardize_target: bool = False, n_train: int = 353) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's diabetes table: a seeded training split of ``n_train`` rows, features
    standardized on it (float32), the target (disease progression, 25..346) as one column,
    raw or standardized."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(y))[:n_train]
    x, y = x[rows], y[rows]
    x = (x - x.mean(0)) / x.std(0)
    if standardize_target:
        y = (y - y.mean()) / y.std()
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]


def loader(x: torch.Tensor, y: torch.Tensor, *, shuffle: bool = True, batch_size: int = 32,
           seed: int = 0) -> torch.utils.data.DataLoader:
    """A DataLoader over (x, y); seeded shuffle; the last partial batch dropped."""
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                       shuffle=shuffle, drop_last=True,
                                       generator=torch.Generator().manual_seed(seed))


def _he(layer: nn.Linear) -> nn.Linear:
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    return layer


class Healthy(nn.Module):
    """Two He-initialised hidden ReLU layers, dropout, a default-initialised head."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc1 = _he(nn.Linear(N_FEATURES, width))
        self.fc2 = _he(nn.Linear(width, width))
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(width, N_CLASSES)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(x.flatten(1)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.hidden(x)))


class SoftmaxOutput(Healthy):
    """Softmax fed to CrossEntropyLoss."""

    def forward(self, x):
        return torch.softmax(super().forward(x), dim=1)


class DetachedLayer(Healthy):
    """fc1's output is detached: fc1 never receives a gradient."""

    def hidden(self, x):
        return self.act(self.fc2(self.act(self.fc1(x.flatten(1)).detach())))


class FunctionalDropout(Healthy):
    """F.dropout without training=self.training: dropout stays on in eval."""

    def forward(self, x):
        return self.head(F.dropout(self.hidden(x), 0.5))


class LogProb(nn.Module):
    """log(softmax(10 * z)) computed naively: the softmax underflows to 0 and log(0) = -inf."""

    def forward(self, z):
        return torch.log(torch.softmax(z * 1000, dim=1))


class LogOfZero(Healthy):
    """Outputs log-probabilities for NLLLoss through LogProb; some are -inf at once."""

    def __init__(self):
        super().__init__()
        self.logprob = LogProb()

    def forward(self, x):
        return self.logprob(super().forward(x))


class SqrtNaNGrad(Healthy):
    """A finite forward whose backward is NaN: 0 * d sqrt(z)/dz at z = 0."""

    def forward(self, x):
        w = self.head.weight
        return super().forward(x) + (torch.sqrt(w - w.detach()) * 0).sum()


class IgnoresInput(Healthy):
    """Multiplies the input by zero: predictions cannot depend on it."""

    def forward(self, x):
        return super().forward(x * 0)


class BigLogits(Healthy):
    """Head weights scaled up 30x: confidently wrong at init."""

    def __init__(self):
        super().__init__()
        with torch.no_grad():
            self.head.weight.mul_(30)


class TinyFirstLayer(Healthy):
    """fc1's output is scaled by 1e-9 (a bad init): the gradients of fc1 and fc2 vanish."""

    def hidden(self, x):
        return self.act(self.fc2(self.act(self.fc1(x.flatten(1)) * 1e-9)))


class DeadRelu(Healthy):
    """fc1's bias starts at -100: every unit after it is dead."""

    def __init__(self):
        super().__init__()
        with torch.no_grad():
            self.fc1.bias.fill_(-100.0)


class HardcodedBatch(Healthy):
    """Reshapes with a hard-coded batch size of 32."""

    def forward(self, x):
        return super().forward(x.reshape(32, -1))


class SeqModel(nn.Module):
    """Reads (N, T=8, D=8) sequences time-major: projects each step, then a linear head over
    all steps. ``mix=True`` uses view where permute was meant, mixing samples."""

    def __init__(self, mix: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.mix = mix
        self.proj = _he(nn.Linear(8, 32))
        self.head = nn.Linear(8 * 32, N_CLASSES)

    def forward(self, x):
        n, t, d = x.shape
        h = x.view(t, n, d) if self.mix else x.permute(1, 0, 2)
        h = torch.relu(self.proj(h))  # (T, N, 32)
        return self.head(h.transpose(0, 1).reshape(n, -1))


def sequences(x: torch.Tensor) -> torch.Tensor:
    """Digits features as (N, 8, 8) sequences of rows."""
    return x.reshape(len(x), 8, 8)


def same_batch_loader(x: torch.Tensor, y: torch.Tensor, n: int = 20) -> list:
    """A "loader" that yields the same batch again and again."""
    return [(x[:32], y[:32])] * n


def sorted_loader(x: torch.Tensor, y: torch.Tensor) -> torch.utils.data.DataLoader:
    """A loader over label-sorted (or target-sorted) data without shuffling."""
    order = torch.argsort(y.reshape(len(y), -1)[:, 0], stable=True)
    return loader(x[order], y[order], shuffle=False)


def shuffled_labels(y: torch.Tensor, seed: int = 1) -> torch.Tensor:
    """Labels permuted apart from their inputs."""
    return y[torch.from_numpy(np.random.default_rng(seed).permutation(len(y)))]
