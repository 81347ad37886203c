"""``smoke_dataset``: a torch loader and a default model from a datacheck ``Dataset``.

Images are decoded with Pillow into float tensors in [0, 1], NCHW, all resized to the most
common size (longer side capped); tables become float32 features, standardised (numeric
columns as they are, categorical ones one-hot up to 32 levels, missing values at the mean);
arrays are used as given (float32, NHWC turned NCHW). At most ``max_samples`` samples of the
training split are used; samples without a label are dropped. A regression target is fed as
the data has it (float32, shape (N, 1), not standardised) to a model with one output, trained
with MSELoss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from datacheck.errors import ConfigError, InputError
from datacheck.report.findings import CheckOutcome, Finding
from datacheck.smoke._context import DEFAULT_STEPS
from datacheck.smoke._torch import torch

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
_MAX_LEVELS = 32


def smoke_dataset(dataset: Any, *, model: str | None = None, steps: int = DEFAULT_STEPS,
                  device: str = "auto", batch_size: int = 32, seed: int = 0,
                  max_samples: int = 2048, amp: bool = False, probes: Any = None, skip: Any = None,
                  params: Mapping[str, Mapping[str, Any]] | None = None, threads: int | None = None,
                  ) -> tuple[list[CheckOutcome], list[Finding]]:
    """Build a loader and a model for ``dataset``'s training split and run the smoke probes.

    For a classification task the model has one output per class and trains with
    CrossEntropyLoss; for a regression task it has one output and trains with MSELoss on the
    target as the data has it.

    Parameters
    ----------
    dataset : datacheck.data.Dataset
        The loaded dataset.
    model : str, optional
        None for the default model (small CNN for images, MLP for tables), a torchvision
        architecture name (random init), or ``module:factory``.
    steps : int, default=100
        Length of the short training run (see ``run_probes``).
    device : str, default="auto"
        ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
    batch_size : int, default=32
        Batch size of the loader.
    seed : int, default=0
        Seed of the sampling, the loader's shuffle and the probes.
    max_samples : int, default=2048
        Most training samples decoded and used.
    amp, probes, skip, params, threads
        Passed to ``run_probes``.

    Returns
    -------
    outcomes, findings
        As ``run_probes``.
    """
    from datacheck.smoke._models import build_model, is_torchvision_name
    from datacheck.smoke._runner import run_probes

    for name, value, low in (("batch_size", batch_size, 1), ("max_samples", max_samples, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"The {name!r} parameter must be an int >= {low}. Got {value!r} instead.")
    split = dataset.train
    labelled = np.flatnonzero(np.asarray(split.y) >= 0)
    if len(labelled) < 2:
        raise InputError(dataset.source or split.name, "the training split has fewer than 2 labelled samples")
    rng = np.random.default_rng(seed)
    if len(labelled) > max_samples:
        labelled = np.sort(rng.choice(labelled, max_samples, replace=False))
    rgb = is_torchvision_name(model)
    if dataset.modality == "image":
        x, keep = decode_images(split, labelled, rgb=rgb, max_side=224 if rgb else 64, min_side=32 if rgb else 1)
    elif dataset.modality == "tabular":
        if split.stream is not None:  # read only the rows trained on
            x = table_features(split.stream.take(labelled), np.arange(len(labelled)))
        else:
            x = table_features(split.table, labelled)
        keep = labelled
    else:
        x, keep = array_samples(split.array, labelled, rgb=rgb), labelled
    regression = getattr(dataset, "is_regression", False)
    if regression:  # the target as the data has it, one column to match the model's one output
        y = torch.from_numpy(dataset.target(split.name)[keep].astype(np.float32)[:, None])
        n_outputs = 1
    else:
        y = torch.from_numpy(np.asarray(split.y)[keep].astype(np.int64))
        n_outputs = max(len(dataset.classes), int(y.max()) + 1, 2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the same seed gives the same initial weights
        net = build_model(model, in_shape=tuple(x.shape[1:]), n_classes=n_outputs)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True,
        drop_last=len(y) >= 2 * batch_size, generator=torch.Generator().manual_seed(seed))
    return run_probes(net, loader, device=device, steps=steps, seed=seed, amp=amp, probes=probes,
                      skip=skip, params=params, threads=threads,
                      task="regression" if regression else "classification")


def decode_images(split: Any, indices: np.ndarray, *, rgb: bool, max_side: int,
                  min_side: int = 1) -> tuple[Any, np.ndarray]:
    """Decode ``split``'s images at ``indices``: (float tensor N,C,H,W in [0, 1], kept indices).

    Unreadable images are left out (the data checks report them).
    """
    from PIL import Image

    def load(i: int) -> Any:
        try:
            with Image.open(split.root / split.paths[i]) as im:
                im.load()
                return im.copy()
        except Exception:  # noqa: BLE001 - a corrupt file is a data finding, not a crash here
            return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(load, indices.tolist()))
    kept = [(i, im) for i, im in zip(indices.tolist(), images) if im is not None]
    if not kept:
        raise InputError(str(split.root), "none of the sampled training images could be decoded")
    gray = not rgb and all(im.mode in _GRAY_MODES for _, im in kept)
    mode = "L" if gray else "RGB"
    w, h = Counter(im.size for _, im in kept).most_common(1)[0][0]
    scale = min(1.0, max_side / max(w, h))
    scale = max(scale, min_side / min(w, h))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    out = np.empty((len(kept), 1 if gray else 3, size[1], size[0]), dtype=np.float32)
    for k, (_, im) in enumerate(kept):
        im = im.convert(mode)
        if im.size != size:
            im = im.resize(size, Image.BILINEAR)
        arr = np.asarray(im, dtype=np.float32) / 255.0
        out[k] = arr[None] if gray else arr.transpose(2, 0, 1)
    return torch.from_numpy(out), np.array([i for i, _ in kept], dtype=np.int64)


def table_features(table: Any, indices: np.ndarray) -> Any:
    """Standardised float32 features of the rows at ``indices`` of a pyarrow table."""
    import pandas as pd

    frame = table.take(indices).to_pandas() if hasattr(table, "take") else pd.DataFrame(table).iloc[indices]
    parts = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(pd.to_numeric(col, errors="coerce").astype(np.float64).to_numpy()[:, None])
        elif pd.api.types.is_datetime64_any_dtype(col):
            continue
        else:
            values = col.astype("string")
            levels = values.value_counts(dropna=True)
            if len(levels) <= _MAX_LEVELS:
                parts.append(pd.get_dummies(values, dtype=np.float64).to_numpy())
            else:
                rank = {v: i for i, v in enumerate(levels.index)}
                parts.append(values.map(rank).astype("float64").to_numpy()[:, None])
    if not parts:
        raise InputError("table", "no usable feature column")
    x = np.concatenate(parts, axis=1)
    x[~np.isfinite(x)] = np.nan
    mean = np.nanmean(x, axis=0)
    std = np.nanstd(x, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    x = (x - mean) / std
    x[np.isnan(x)] = 0.0
    return torch.from_numpy(x.astype(np.float32))


def array_samples(array: np.ndarray, indices: np.ndarray, *, rgb: bool = False) -> Any:
    """Samples of an array as given, as float32: (N,H,W) gains a channel, NHWC becomes NCHW."""
    x = np.asarray(array)[indices].astype(np.float32)
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.transpose(0, 3, 1, 2)
    elif x.ndim > 4 or x.ndim == 1:
        x = x.reshape(len(x), -1)
    x = np.ascontiguousarray(x)
    if rgb and x.ndim == 4 and x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)
    return torch.from_numpy(x)
