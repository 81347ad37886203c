"""Clean datasets, and the same data with planted defects, written to disk as users keep them.

The writers take arrays and a folder and return the path a user would pass to
``datacheck profile``. ``benchmarks/false_alarms.py`` builds its panel from them at larger sizes,
so they depend on numpy, pandas, Pillow and scikit-learn only (torch for ``torch_datasets``),
never on datacheck.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image


@dataclass(frozen=True)
class Splits:
    """Features or images and labels of a train and a test split.

    Parameters
    ----------
    x_train, x_test : ndarray
        Rows (2-D features) or images (N, H, W) / (N, H, W, C), in the same order as the labels.
    y_train, y_test : ndarray
        Labels: class indices, or numbers for a regression target.
    classes : tuple of str
        Class names by index (empty for a regression target); image folders are named after them.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...] = ()


def split(x: np.ndarray, y: np.ndarray, n_train: int | float, n_test: int | float, seed: int,
          classes: tuple[str, ...] = (), stratify: bool = True) -> Splits:
    """A random (stratified unless told not to) train/test split of ``x, y``."""
    from sklearn.model_selection import train_test_split

    xtr, xte, ytr, yte = train_test_split(x, y, train_size=n_train, test_size=n_test, random_state=seed,
                                          stratify=y if stratify else None)
    return Splits(xtr, xte, ytr, yte, classes)


def standardized(data: Splits) -> Splits:
    """The same splits with each feature standardized by the train split's mean and std."""
    mean = data.x_train.mean(axis=0)
    std = data.x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return Splits((data.x_train - mean) / std, (data.x_test - mean) / std, data.y_train, data.y_test,
                  data.classes)


# --- scikit-learn sources -------------------------------------------------------------------------

def digits_images(n_train: int | float = 300, n_test: int | float = 100, seed: int = 1) -> Splits:
    """scikit-learn digits as 8x8 uint8 images (0..255), a stratified random split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.clip(d.images * 16, 0, 255).astype(np.uint8)
    return split(images, d.target, n_train, n_test, seed, tuple(str(c) for c in range(10)))


def digits_table(seed: int = 0) -> Splits:
    """scikit-learn digits' 64 pixel features, split 80/20, standardized on train."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return standardized(split(x, y, 0.8, 0.2, seed))


def sklearn_table(name: str, seed: int = 0, raw: bool = False) -> Splits:
    """scikit-learn's ``wine`` or ``breast_cancer``, split 80/20 stratified, standardized on train
    unless ``raw`` (the units they come in, as a stored table keeps them)."""
    from sklearn import datasets

    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    data = split(x, y, 0.8, 0.2, seed)
    return data if raw else standardized(data)


def diabetes(seed: int = 0) -> Splits:
    """scikit-learn diabetes: 10 features standardized on train, the disease progression as target."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    return standardized(split(x, y.astype(np.float64), 0.8, 0.2, seed, stratify=False))


def sparse_signal(n_rows: int, n_cols: int, seed: int = 0) -> Splits:
    """``n_rows`` x ``n_cols`` N(0, 1) features whose label is ``f0 > 0``, split 80/20 stratified."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_rows, n_cols))
    return split(x, (x[:, 0] > 0).astype(np.int64), 0.8, 0.2, seed)


def coarse_table(n_rows: int, seed: int = 0) -> Splits:
    """Four categorical columns of 3-4 levels (144 combinations; car-evaluation-like) and a
    label ruled by three of them, split 80/20 stratified: its rows repeat by chance."""
    rng = np.random.default_rng(seed)
    levels = (("low", "med", "high", "vhigh"), ("2", "3", "4", "5more"), ("2", "4", "more"), ("low", "med", "high"))
    codes = np.column_stack([rng.integers(0, len(v), n_rows) for v in levels])
    x = np.column_stack([np.asarray(v, dtype=object)[codes[:, j]] for j, v in enumerate(levels)])
    score = np.array([2, 1, 0, 0])[codes[:, 0]] + np.array([-5, 1, 1])[codes[:, 2]] + np.array([-5, 1, 2])[codes[:, 3]]
    y = np.where(score >= 3, 2, np.where(score >= 1, 1, 0))
    return split(x, y, 0.8, 0.2, seed, classes=("unacc", "acc", "good"))


def survey(n_rows: int, seed: int = 0) -> Splits:
    """Six 1-5 answers driven by one opinion, and a yes/no outcome drawn from it (a survey),
    split 80/20 stratified: answers repeat, and the same answers meet both outcomes."""
    rng = np.random.default_rng(seed)
    opinion = rng.normal(3, 1, n_rows)
    x = np.clip(np.round(opinion[:, None] + rng.normal(0, 0.5, (n_rows, 6))), 1, 5).astype(np.int64)
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-(opinion - 3)))).astype(np.int64)
    return split(x, y, 0.8, 0.2, seed)


def image_folder_subset(folder: Path, n_train: int, n_test: int) -> Splits:
    """The first ``n_train`` and ``n_test`` images per class (by file name) of an image folder
    ``{train,test}/<class>/``, as uint8 arrays; classes sorted by name."""
    classes = tuple(sorted(p.name for p in (folder / "train").iterdir() if p.is_dir()))
    arrays = {}
    for name, n in (("train", n_train), ("test", n_test)):
        files = [(i, f) for i, c in enumerate(classes) for f in sorted((folder / name / c).glob("*.png"))[:n]]
        arrays[name] = (np.stack([np.asarray(Image.open(f)) for _, f in files]),
                        np.array([i for i, _ in files], dtype=np.int64))
    return Splits(arrays["train"][0], arrays["test"][0], arrays["train"][1], arrays["test"][1], classes)


# --- writers --------------------------------------------------------------------------------------

def flattened(data: Splits) -> Splits:
    """Images as rows of pixels, one column a pixel (a pixel CSV, as Kaggle's MNIST ``train.csv``)."""
    return Splits(data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1),
                  data.y_train, data.y_test, data.classes)


def write_npz(data: Splits, path: Path) -> Path:
    """``x_train, y_train, x_test, y_test`` in one ``.npz`` (layout 4)."""
    np.savez_compressed(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test,
                        y_test=data.y_test)
    return path


def write_csvs(data: Splits, folder: Path, label: str = "label") -> Path:
    """``train.csv`` and ``test.csv`` with columns ``f0..`` and ``label`` (layout 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
        frame[label] = y
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_one_csv(data: Splits, path: Path) -> Path:
    """One CSV with a ``split`` column, train rows first, in the splits' order (layout 3)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = []
    for name, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
        frames.append(frame.assign(label=y, split=name))
    pd.concat(frames).to_csv(path, index=False)
    return path


def write_image_folder(data: Splits, folder: Path) -> Path:
    """``train/<class>/<n>.png`` and ``test/<class>/<n>.png`` (layout 1)."""
    for name, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        for cls in np.unique(y):
            (folder / name / data.classes[cls]).mkdir(parents=True, exist_ok=True)
        for i, (image, cls) in enumerate(zip(x, y)):
            Image.fromarray(image).save(folder / name / data.classes[cls] / f"{i:05d}.png")
    return folder


def torch_datasets(data: Splits) -> dict:
    """The splits as map-style torch ``Dataset``s yielding ``(1xHxW float tensor in [0, 1], label)``,
    as a ``ToTensor`` transform gives them: ``{"train": ..., "test": ...}``."""
    import torch
    from torch.utils.data import TensorDataset

    def wrap(x, y):
        return TensorDataset(torch.from_numpy(x[:, None].astype(np.float32) / 255), torch.from_numpy(y))

    return {"train": wrap(data.x_train, data.y_train), "test": wrap(data.x_test, data.y_test)}


# --- planted defects ------------------------------------------------------------------------------

def with_train_labels(data: Splits, y_train: np.ndarray) -> Splits:
    """The same splits with other training labels."""
    return Splits(data.x_train, data.x_test, y_train, data.y_test, data.classes)


def shuffled_labels(data: Splits, seed: int = 0) -> Splits:
    """Training labels permuted at random: inputs and labels decoupled (checklist item 2)."""
    return with_train_labels(data, np.random.default_rng(seed).permutation(data.y_train))


def flipped_labels(data: Splits, ratio: float, seed: int = 0) -> Splits:
    """``ratio`` of the training labels moved to another class, chosen uniformly."""
    rng = np.random.default_rng(seed)
    y = data.y_train.copy()
    k = int(y.max()) + 1
    at = rng.choice(len(y), int(round(ratio * len(y))), replace=False)
    y[at] = (y[at] + rng.integers(1, k, len(at))) % k
    return with_train_labels(data, y)


def pair_flipped_labels(data: Splits, source: int, target: int, ratio: float, seed: int = 0) -> Splits:
    """``ratio`` of class ``source``'s training labels relabelled as ``target``."""
    rng = np.random.default_rng(seed)
    y = data.y_train.copy()
    members = np.flatnonzero(y == source)
    y[rng.choice(members, int(round(ratio * len(members))), replace=False)] = target
    return with_train_labels(data, y)


def sorted_by_label(data: Splits) -> Splits:
    """Both splits' rows sorted by label (stable)."""
    tr = np.argsort(data.y_train, kind="stable")
    te = np.argsort(data.y_test, kind="stable")
    return Splits(data.x_train[tr], data.x_test[te], data.y_train[tr], data.y_test[te], data.classes)


def mirror_correlation(images: np.ndarray) -> np.ndarray:
    """Pixel correlation of each image with its left-right mirror (1 for a symmetric image)."""
    x = images.reshape(len(images), images.shape[1], images.shape[2], -1).astype(np.float64)
    a = (x - x.mean(axis=(1, 2, 3), keepdims=True)).reshape(len(x), -1)
    b = (x[:, :, ::-1] - x.mean(axis=(1, 2, 3), keepdims=True)).reshape(len(x), -1)
    return (a * b).sum(axis=1) / np.maximum(np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1)), 1e-12)


def copied_across(data: Splits, ratio: float, seed: int = 0, mirrored: bool = False,
                  max_mirror_corr: float = 0.5) -> Splits:
    """``ratio`` of the test samples replaced by training samples, labels kept.

    With ``mirrored``, the copies are left-right mirrored images (an augmentation saved to disk
    before splitting), drawn from the training images that correlate at most ``max_mirror_corr``
    with their own mirror, so that a copy differs from its source as much as mirroring can make it.
    """
    rng = np.random.default_rng(seed)
    n = int(round(ratio * len(data.y_test)))
    pool = (np.flatnonzero(mirror_correlation(data.x_train) <= max_mirror_corr) if mirrored
            else np.arange(len(data.y_train)))
    src = rng.choice(pool, n, replace=False)
    dst = rng.choice(len(data.y_test), n, replace=False)
    x_test = data.x_test.copy()
    y_test = data.y_test.copy()
    x_test[dst] = data.x_train[src][:, :, ::-1] if mirrored else data.x_train[src]
    y_test[dst] = data.y_train[src]
    return Splits(data.x_train, x_test, data.y_train, y_test, data.classes)


def imbalanced(data: Splits, minority: int, keep_ratio: float, seed: int = 0) -> Splits:
    """Only ``keep_ratio`` of class ``minority`` kept in the training split."""
    rng = np.random.default_rng(seed)
    members = np.flatnonzero(data.y_train == minority)
    drop = rng.choice(members, len(members) - max(1, int(round(keep_ratio * len(members)))), replace=False)
    keep = np.setdiff1d(np.arange(len(data.y_train)), drop)
    return Splits(data.x_train[keep], data.x_test, data.y_train[keep], data.y_test, data.classes)


def with_nan(data: Splits, n_cells: int, seed: int = 0) -> Splits:
    """``n_cells`` training feature cells set to NaN."""
    rng = np.random.default_rng(seed)
    x = data.x_train.astype(np.float64, copy=True)
    flat = rng.choice(x.size, n_cells, replace=False)
    x.flat[flat] = np.nan
    return Splits(x, data.x_test, data.y_train, data.y_test, data.classes)


def with_markers(data: Splits, n_cells: int, marker: str = "?", seed: int = 0) -> Splits:
    """``n_cells`` training values of one column replaced by ``marker`` (UCI's missing value),
    so that a reader types the column as text."""
    rng = np.random.default_rng(seed)
    x = data.x_train.astype(object)
    x[rng.choice(len(x), n_cells, replace=False), int(rng.integers(x.shape[1]))] = marker
    return Splits(x, data.x_test, data.y_train, data.y_test, data.classes)


def unscaled(data: Splits, seed: int = 0) -> Splits:
    """A scaler that missed columns: a quarter of the (standardized) features, at least two,
    put back on raw scales (each times 10**k, k in 2..4, plus an offset)."""
    rng = np.random.default_rng(seed)
    d = data.x_train.shape[1]
    missed = rng.choice(d, max(2, d // 4), replace=False)
    scale, shift = np.ones(d), np.zeros(d)
    scale[missed] = 10.0 ** rng.integers(2, 5, len(missed))
    shift[missed] = rng.uniform(0, 1000, len(missed))
    return Splits(data.x_train * scale + shift, data.x_test * scale + shift, data.y_train, data.y_test,
                  data.classes)


def with_extreme_values(data: Splits, n_cells: int, sd: float = 40.0, seed: int = 0) -> Splits:
    """``n_cells`` training cells, each in its own row and column, set ``sd`` standard
    deviations of their column above its mean (a unit slip or a typing error)."""
    rng = np.random.default_rng(seed)
    x = data.x_train.astype(np.float64, copy=True)
    rows = rng.choice(len(x), n_cells, replace=False)
    cols = rng.choice(x.shape[1], n_cells, replace=x.shape[1] < n_cells)
    x[rows, cols] = x[:, cols].mean(axis=0) + sd * x[:, cols].std(axis=0)
    return Splits(x, data.x_test, data.y_train, data.y_test, data.classes)


def with_label_column(data: Splits, noise: float = 0.5, seed: int = 0) -> Splits:
    """One more feature column derived from the label: the class index plus uniform noise of
    width ``noise``, standardized on train like the rest (target leakage)."""
    rng = np.random.default_rng(seed)
    leak = [y + rng.uniform(0, noise, len(y)) for y in (data.y_train, data.y_test)]
    mean, std = leak[0].mean(), leak[0].std()
    x_train, x_test = (np.column_stack([x, (v - mean) / std]) for x, v in zip((data.x_train, data.x_test), leak))
    return Splits(x_train, x_test, data.y_train, data.y_test, data.classes)


def three_photo_tiles() -> Splits:
    """64x64 RGB tiles of three scikit-image photos labelled by photo (the Hubble field is
    dark by nature), flat tiles left out; needs scikit-image."""
    from skimage import data

    tiles, labels = [], []
    for label, name in enumerate(("astronaut", "coffee", "hubble_deep_field")):
        image = getattr(data, name)()[..., :3]
        rows, cols = image.shape[0] // 64, image.shape[1] // 64
        cut = image[:rows * 64, :cols * 64].reshape(rows, 64, cols, 64, 3).swapaxes(1, 2).reshape(-1, 64, 64, 3)
        keep = cut.mean(axis=3).reshape(len(cut), -1).std(axis=1) >= 8
        tiles.append(cut[keep])
        labels.append(np.full(int(keep.sum()), label))
    return split(np.concatenate(tiles), np.concatenate(labels), 0.8, 0.2, 0, ("astronaut", "coffee", "hubble"))

