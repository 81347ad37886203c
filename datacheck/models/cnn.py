"""A small CNN trained per fold, for ``noise_model="cnn"`` (needs torch; uses a GPU if present).

A convolutional network sees what a kernel model on thumbnails cannot (local shapes,
translation), so on real image sets it confuses fewer classes and confident learning
mistakes fewer ambiguous samples for wrong labels. Its probabilities are averaged with
the default models' (see ``oof``), which keeps the two kinds of mistakes apart.
torch is imported here only.
"""

from __future__ import annotations

import numpy as np

from datacheck.models.features import FeatureSet

EPOCHS = 12
BATCH = 128
# Fewer epochs on large sets: about this many optimisation steps per fold at most.
MAX_STEPS = 6_000


def out_of_fold_proba(feats: FeatureSet, y: np.ndarray, n_classes: int,
                      folds: list[tuple[np.ndarray, np.ndarray]], seed: int) -> tuple[np.ndarray, str]:
    """Out-of-fold probabilities of a small CNN trained on each fold.

    Parameters
    ----------
    feats : FeatureSet
        Pixel features with ``image_shape`` (channels, height, width); rows start with the
        image, channels first.
    y : numpy.ndarray
        Labels 0..K-1.
    n_classes : int
        K.
    folds : list of (train, test) position arrays
        The K-fold split.
    seed : int
        Seed of initialisation and batch order.

    Returns
    -------
    proba : numpy.ndarray
        (n, K) out-of-fold probabilities.
    description : str
        The model in words.

    Raises
    ------
    ImportError
        When torch is not installed.
    """
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    c, h, w = feats.image_shape
    x = feats.x[:, :c * h * w].reshape(-1, c, h, w).astype(np.float32)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    std = x.std(axis=(0, 2, 3), keepdims=True) + 1e-6
    images = torch.from_numpy((x - mean) / std)
    labels = torch.from_numpy(y.astype(np.int64))
    proba = np.zeros((len(y), n_classes))
    # same seed, same findings: deterministic convolutions for the duration of the fits
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        for i, (train, test) in enumerate(folds):
            torch.manual_seed(seed + i)
            net = _train(images[train], labels[train], n_classes, device, seed + i)
            proba[test] = _predict(net, images[test], device)
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved
    return proba, f"small CNN ({device.type}) averaged with the default models, {len(folds)}-fold"


def _network(channels: int, n_classes: int):
    from torch import nn

    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    return nn.Sequential(*block(channels, 32), *block(32, 32), nn.MaxPool2d(2),
                         *block(32, 64), *block(64, 64), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                         nn.Dropout(0.3), nn.Linear(256, n_classes))


def _train(images, labels, n_classes: int, device, seed: int):
    import torch
    import torch.nn.functional as F

    net = _network(images.shape[1], n_classes).to(device)
    n = len(labels)
    steps_per_epoch = max(1, -(-n // BATCH))
    epochs = max(2, min(EPOCHS, MAX_STEPS // steps_per_epoch))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    images, labels = images.to(device), labels.to(device)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen).to(device)
        for s in range(0, n, BATCH):
            at = order[s:s + BATCH]
            batch = _shift(images[at], gen)
            loss = F.cross_entropy(net(batch), labels[at])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


def _shift(batch, gen):
    """Random translation by up to 2 pixels (zero padded): cheap augmentation for any image."""
    import torch
    import torch.nn.functional as F

    pad = 2
    h, w = batch.shape[2:]
    dy, dx = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,), generator=gen))
    return F.pad(batch, (pad, pad, pad, pad))[:, :, dy:dy + h, dx:dx + w]


def _predict(net, images, device) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for s in range(0, len(images), 1024):
            out.append(torch.softmax(net(images[s:s + 1024].to(device)), dim=1).cpu().numpy())
    return np.concatenate(out).astype(np.float64)
