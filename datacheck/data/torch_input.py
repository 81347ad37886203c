"""Read a user's torch ``Dataset`` or ``DataLoader`` through its transforms into a ``Dataset``.

What a loader yields is what the first layer sees (checklist item 3), so the checks read those
tensors, not the files behind them: a seeded sample of items goes through the user's
transforms (and, for a ``DataLoader``, its sampler and ``collate_fn``) and becomes an array
split, NCHW float tensors as numpy. torch is imported only when such an object is given; no
GPU is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, normalize_split_name
from datacheck.data.task import infer_task
from datacheck.errors import InputError

DEFAULT_SAMPLES = 512
# Large inputs are sampled more sparsely so that the sample stays in memory comfortably.
MAX_BYTES = 512 * 2**20
_X_KEYS = ("image", "img", "pixel_values", "input", "inputs", "x")
_Y_KEYS = ("label", "labels", "target", "targets", "y")


@dataclass
class SampledSplit(Split):
    """An array split sampled from a larger source, named by the source's item indices.

    Parameters
    ----------
    index : numpy.ndarray or None
        The source index of each stored row (``train[1234]`` is item 1234 of the user's
        dataset); None when rows are positions in a loader's stream.
    """

    index: np.ndarray | None = None

    def sample_id(self, index: int) -> str:
        """``split[i]`` with ``i`` the item's index in the user's dataset."""
        if self.index is None:
            return super().sample_id(index)
        return f"{self.name}[{int(self.index[int(index)])}]"


def is_torch_data(obj: Any) -> bool:
    """Whether ``obj`` is a torch ``Dataset`` or ``DataLoader`` (checked without importing torch)."""
    return any(c.__module__.startswith("torch.utils.data") for c in type(obj).__mro__)


def torch_to_dataset(splits: dict[str, Any], *, n_samples: int = DEFAULT_SAMPLES, seed: int = 0,
                     max_bytes: int = MAX_BYTES) -> Dataset:
    """Sample torch datasets or loaders, one per split, into an array ``Dataset``.

    Parameters
    ----------
    splits : dict of str to Dataset or DataLoader
        Split name -> a map-style or iterable torch ``Dataset``, or a ``DataLoader``. Items
        are ``(input, label)`` tuples, dicts with an ``image``/``pixel_values``/``input`` key
        and a ``label``/``target`` key, or bare inputs (unlabelled).
    n_samples : int, default=512
        Items to read per split. From a map-style ``Dataset``: a random sample (``seed``),
        stored in index order. From a ``DataLoader``: the first items it yields, in its order.
    seed : int, default=0
        Seeds the sample and torch's random state while reading, so random transforms repeat.
    max_bytes : int, default=512 MiB
        Fewer items are read when ``n_samples`` of them would take more memory.

    Returns
    -------
    Dataset
        Modality ``array``; ordered only when every split came from a ``DataLoader``.

    Raises
    ------
    InputError
        When a split is not a torch object, is empty, or its items have different shapes or
        an unsupported type.
    """
    import torch
    from torch.utils.data import DataLoader

    splits = {normalize_split_name(k): v for k, v in splits.items() if v is not None}
    for name, obj in splits.items():
        if not is_torch_data(obj):
            raise InputError(f"profile({name}=...)", "mixes torch and non-torch splits; give a torch "
                             "Dataset or DataLoader for every split")
    pairs, indices, notes = {}, {}, []
    with torch.random.fork_rng(devices=[]):
        for name, obj in splits.items():
            torch.manual_seed(seed)
            x, labels, index, note = _sample(name, obj, n_samples, seed, max_bytes)
            pairs[name], indices[name] = (x, labels), index
            notes.append(note)
    choice = infer_task({n: y for n, (_, y) in pairs.items()}, "profile()")
    classes, codes = encode_labels({n: y for n, (_, y) in pairs.items()})
    out = {n: SampledSplit(name=n, y=codes[n], array=x, index=indices[n]) for n, (x, _) in pairs.items()}
    kinds = sorted({type(o).__name__ for o in splits.values()})
    ordered = all(isinstance(o, DataLoader) for o in splits.values())
    return Dataset("array", out, classes, label="target", ordered=ordered,
                   source=f"<torch {', '.join(kinds)}>", notes=notes, task=choice.task,
                   task_reason=choice.reason)


def _sample(name: str, obj: Any, n: int, seed: int, max_bytes: int):
    """(inputs, labels, source indices or None, note) of up to ``n`` items of one split."""
    from torch.utils.data import DataLoader

    where = f"profile({name}=...)"
    names = _class_names(obj)
    if isinstance(obj, DataLoader):
        unbatched = obj.batch_size is None and obj.batch_sampler is None
        items = _take(_items(obj, batched=not unbatched), n, max_bytes, where)
        note = (f"{name}: the first {len(items)} items the DataLoader yields (its sampler, transforms "
                f"and collate_fn); samples are named by their position in that stream")
        index = None
    elif hasattr(obj, "__len__") and hasattr(obj, "__getitem__"):
        total = len(obj)
        if total == 0:
            raise InputError(where, "the dataset is empty")
        order = np.random.default_rng(seed).permutation(total)[:n]
        probe = _to_numpy(_split_item(obj[int(order[0])])[0], where)
        order = np.sort(order[:max(1, min(n, max_bytes // max(probe.nbytes, 1)))])
        items = [_split_item(obj[int(i)]) for i in order]
        note = (f"{name}: {len(items)} of {total} items sampled at random (seed {seed}) through the "
                f"dataset's transforms; samples are named by item index")
        index = order
    else:
        items = _take(map(_split_item, iter(obj)), n, max_bytes, where)
        note = f"{name}: the first {len(items)} items of the iterable dataset, through its transforms"
        index = None
    if not items:
        raise InputError(where, "yielded no items")
    arrays = [_to_numpy(x, where) for x, _ in items]
    shapes = sorted({a.shape for a in arrays})
    if len(shapes) > 1:
        raise InputError(where, f"items have different shapes ({shapes[0]}, {shapes[-1]}); add a Resize "
                                "and CenterCrop to the transforms, as batching needs one shape")
    labels = np.array([_label(y, names) for _, y in items], dtype=object)
    return np.stack(arrays), labels, index, note


def _items(loader, *, batched: bool) -> Iterator[tuple[Any, Any]]:
    """The items of a loader's batches, as ``(input, label)``."""
    for batch in loader:
        if not batched:
            yield _split_item(batch)
            continue
        xs, ys = _split_item(batch)
        for i in range(len(xs)):
            yield xs[i], (None if ys is None else ys[i])


def _take(items: Iterable[tuple[Any, Any]], n: int, max_bytes: int, where: str) -> list:
    out, budget = [], n
    for item in items:
        if not out:
            size = _to_numpy(item[0], where).nbytes
            budget = max(1, min(n, max_bytes // max(size, 1)))
        out.append(item)
        if len(out) >= budget:
            break
    return out


def _split_item(item: Any) -> tuple[Any, Any]:
    if isinstance(item, dict):
        x = next((item[k] for k in _X_KEYS if k in item), None)
        if x is None:
            raise InputError("profile()", f"items are dicts without an input key ({', '.join(_X_KEYS)}); "
                                          f"found {', '.join(map(str, item))}")
        return x, next((item[k] for k in _Y_KEYS if k in item), None)
    if isinstance(item, (tuple, list)):
        return item[0], (item[1] if len(item) > 1 else None)
    return item, None


def _to_numpy(x: Any, where: str) -> np.ndarray:
    import torch

    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype in (torch.bfloat16, torch.float16):
            x = x.float()
        return x.numpy()
    if isinstance(x, np.ndarray):
        return x
    if type(x).__module__.startswith("PIL."):  # no ToTensor: the model would get this as HWC
        return np.asarray(x)
    raise InputError(where, f"items hold {type(x).__name__}, not a tensor, array or image")


def _label(y: Any, names: list[str] | None) -> Any:
    """A scalar class label (mapped to its name when the dataset has ``classes``), else None."""
    if y is None:
        return None
    if hasattr(y, "numel") and y.numel() != 1:
        return None
    if isinstance(y, np.ndarray) and y.size != 1:
        return None
    if hasattr(y, "item"):
        y = y.item()
    if names and isinstance(y, (int, np.integer)) and 0 <= y < len(names):
        return names[int(y)]
    return y if isinstance(y, (int, float, str, np.integer, np.floating)) else None


def _class_names(obj: Any) -> list[str] | None:
    """``classes`` of the dataset, looking through loaders and subsets."""
    for _ in range(5):
        names = getattr(obj, "classes", None)
        if isinstance(names, (list, tuple)) and names and all(isinstance(c, str) for c in names):
            return list(names)
        obj = getattr(obj, "dataset", None)
        if obj is None:
            return None
    return None
