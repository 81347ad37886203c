"""Read a user's torch ``Dataset`` or ``DataLoader`` through its transforms into a ``Dataset``.

What a loader yields is what the first layer sees (checklist item 3), so the checks read those
tensors, not the files behind them: the items go through the user's transforms (and, for a
``DataLoader``, its sampler and ``collate_fn``) and become an array split, NCHW float tensors
as numpy. Every item is read when the inputs fit the memory budget, so that every check,
class counts included, speaks of the whole split; past the budget a seeded sample is read,
drawn so that every class keeps items when the dataset exposes its labels (``targets``,
``labels``, ``samples``), and the notes say which figures are of the sample. torch is
imported only when such an object is given; no GPU is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, normalize_split_name
from datacheck.data.task import infer_task
from datacheck.errors import InputError

# Items read per split by default: every one, up to the memory budget.
DEFAULT_SAMPLES = None
# Bytes of inputs (as the arrays the checks read) held per split at most; past this a sample is read.
MAX_BYTES = 1 << 30
# Items read between two advances of the progress bar.
PROGRESS_EVERY = 256
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


def torch_to_dataset(splits: dict[str, Any], *, n_samples: int | None = DEFAULT_SAMPLES, seed: int = 0,
                     max_bytes: int = MAX_BYTES, progress=None) -> Dataset:
    """Sample torch datasets or loaders, one per split, into an array ``Dataset``.

    Parameters
    ----------
    splits : dict of str to Dataset or DataLoader
        Split name -> a map-style or iterable torch ``Dataset``, or a ``DataLoader``. Items
        are ``(input, label)`` tuples, dicts with an ``image``/``pixel_values``/``input`` key
        and a ``label``/``target`` key, or bare inputs (unlabelled).
    n_samples : int, optional
        Items to read per split; default every item, as far as ``max_bytes`` allows. From a
        map-style ``Dataset``: every item, else a random sample (``seed``; every class keeps
        items when the labels are exposed), stored in index order. From a ``DataLoader``: the
        first items it yields, in its order (a whole epoch when it fits).
    seed : int, default=0
        Seeds the sample and torch's random state while reading, so random transforms repeat.
    max_bytes : int, default=1 GiB
        Fewer items are read when ``n_samples`` of them would take more memory.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``: a bar per split, advanced by items read.

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
            x, labels, index, note = _sample(name, obj, n_samples, seed, max_bytes, progress)
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


def _sample(name: str, obj: Any, n: int | None, seed: int, max_bytes: int, progress=None):
    """(inputs, labels, source indices or None, note) of up to ``n`` items of one split (every
    item that fits ``max_bytes`` when ``n`` is None)."""
    from torch.utils.data import DataLoader

    where = f"profile({name}=...)"
    names = _class_names(obj)
    total = _length(obj)
    wanted = total if n is None else (n if total is None else min(n, total))
    bar = _Bar(progress, f"reading {name} through its transforms")
    if isinstance(obj, DataLoader):
        unbatched = obj.batch_size is None and obj.batch_sampler is None
        items = _take(_items(obj, batched=not unbatched), wanted, max_bytes, where, bar)
        whole = total is not None and len(items) >= total
        note = (f"{name}: {'every one of the' if whole else 'the first'} {len(items):,} items the "
                "DataLoader yields (its sampler, transforms and collate_fn); samples are named by "
                "their position in that stream")
        if not whole:
            note += _partial_note(obj, len(items), total, names)
        index = None
    elif hasattr(obj, "__len__") and hasattr(obj, "__getitem__"):
        if total == 0:
            raise InputError(where, "the dataset is empty")
        first = _to_numpy(_split_item(obj[0])[0], where)
        fits = max(1, max_bytes // max(first.nbytes, 1))
        size = min(wanted, fits)
        if size >= total:
            order = np.arange(total)
        else:
            order = _draw(obj, total, size, seed)
        bar.start(len(order))
        items = []
        for i in order:
            items.append(_split_item(obj[int(i)]))
            bar.step()
        bar.finish()
        if size >= total:
            note = f"{name}: every one of its {total:,} items, read through the dataset's transforms"
        else:
            why = "the memory budget" if size == fits else f"n_samples={n}"
            note = (f"{name}: {len(items):,} of {total:,} items sampled at random (seed {seed}, "
                    f"{why}) through the dataset's transforms; samples are named by item index")
            note += _partial_note(obj, len(items), total, names)
        index = order
    else:
        items = _take(map(_split_item, iter(obj)), wanted, max_bytes, where, bar)
        note = (f"{name}: the first {len(items):,} items of the iterable dataset, through its "
                "transforms" + ("" if total is None or len(items) >= total else
                                "; class counts and every other figure are of those items"))
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


def _length(obj: Any) -> int | None:
    """Items in a dataset, or in one epoch of a loader (None when unknown)."""
    from torch.utils.data import DataLoader

    try:
        if isinstance(obj, DataLoader):
            if obj.batch_size is None and obj.batch_sampler is None:
                return len(obj)
            sampler = obj.batch_sampler.sampler if obj.batch_sampler is not None else obj.sampler
            size = len(sampler)
            if getattr(obj, "drop_last", False) and obj.batch_size:
                size -= size % obj.batch_size
            return int(size)
        return int(len(obj))
    except (TypeError, AttributeError, NotImplementedError):  # no length (an iterable dataset)
        return None


class _Bar:
    """A progress bar over the items read, opened once their number is known (``start``),
    advanced every ``PROGRESS_EVERY`` items and completed by ``finish``; silent without a
    ``progress`` callback."""

    def __init__(self, progress, description: str) -> None:
        self.progress, self.description = progress, description
        self.advance, self.pending = None, 0

    def start(self, total: int) -> None:
        if self.progress is not None and total > 0:
            self.advance = self.progress(self.description, int(total))

    def step(self) -> None:
        self.pending += 1
        if self.advance is not None and self.pending >= PROGRESS_EVERY:
            self.advance(self.pending)
            self.pending = 0

    def finish(self) -> None:
        if self.advance is not None and self.pending:
            self.advance(self.pending)
        self.pending = 0


def _draw(obj: Any, total: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded sample of ``size`` of ``total`` items: stratified by class
    (every class keeps items) when the dataset exposes its labels, else uniform."""
    rng = np.random.default_rng(seed)
    labels = exposed_labels(obj)
    if labels is None or len(labels) != total:
        return np.sort(rng.permutation(total)[:size])
    _, codes = np.unique(np.asarray([str(v) for v in labels]), return_inverse=True)
    counts = np.bincount(codes)
    # Each class in proportion, and at least a quarter of an even share (all of a smaller class).
    floor = max(1, size // (4 * len(counts)))
    quota = np.minimum(counts, np.maximum(np.floor(counts * size / total).astype(np.int64), floor))
    rank = np.empty(total, np.int64)
    by_class = np.lexsort((rng.random(total), codes))
    rank[by_class] = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    drawn = np.flatnonzero(rank < quota[codes])
    if len(drawn) > size:  # the floors overshoot: trim at random
        drawn = np.sort(rng.choice(drawn, size, replace=False))
    elif len(drawn) < size:  # the quotas round down: top up at random
        rest = np.setdiff1d(np.arange(total), drawn)
        drawn = np.sort(np.r_[drawn, rng.choice(rest, size - len(drawn), replace=False)])
    return drawn


def exposed_labels(obj: Any) -> list | None:
    """Every item's label, read from what the dataset exposes without loading its inputs
    (``targets``, ``labels``, ``samples`` of (path, label) pairs; a ``Subset``'s indices into
    them; a loader's dataset in its sampler's order when it has one), or None."""
    from torch.utils.data import DataLoader, Subset

    if isinstance(obj, DataLoader):
        labels = exposed_labels(obj.dataset)
        indices = getattr(obj.sampler, "indices", None)
        if labels is not None and indices is not None:
            return [labels[int(i)] for i in indices]
        return labels
    if isinstance(obj, Subset):
        inner = exposed_labels(obj.dataset)
        return None if inner is None else [inner[int(i)] for i in obj.indices]
    for attr in ("targets", "labels"):
        values = getattr(obj, attr, None)
        if values is not None and hasattr(values, "__len__") and not isinstance(values, (str, bytes)):
            values = values.tolist() if hasattr(values, "tolist") else list(values)
            if all(isinstance(v, (int, str, float, np.integer)) for v in values[:100]):
                return values
    samples = getattr(obj, "samples", None)
    if isinstance(samples, list) and samples and isinstance(samples[0], tuple) and len(samples[0]) == 2:
        return [s[1] for s in samples]
    return None


def _partial_note(obj: Any, read: int, total: int | None, names: list[str] | None) -> str:
    """What the note of a split read in part adds: every class's count when the dataset
    exposes its labels, else that class counts are of the items read."""
    labels = exposed_labels(obj)
    if labels is None or (total is not None and len(labels) != total):
        return "; class counts and every other figure are of those items"
    values, counts = np.unique(np.asarray([_label(v, names) for v in labels], dtype=str),
                               return_counts=True)
    order = np.argsort(counts, kind="stable")
    shown = ", ".join(f"{values[i]} ({counts[i]:,})" for i in order[:5])
    return (f"; the checks that read inputs see those items, and their class counts are of them. "
            f"Every label, as the dataset lists them: {len(labels):,} items in {len(values):,} "
            f"classes, the rarest {shown}")


def _items(loader, *, batched: bool) -> Iterator[tuple[Any, Any]]:
    """The items of a loader's batches, as ``(input, label)``."""
    for batch in loader:
        if not batched:
            yield _split_item(batch)
            continue
        xs, ys = _split_item(batch)
        for i in range(len(xs)):
            yield xs[i], (None if ys is None else ys[i])


def _take(items: Iterable[tuple[Any, Any]], n: int | None, max_bytes: int, where: str,
          bar: _Bar | None = None) -> list:
    """The first items, at most ``n`` (None: no limit, for a stream of unknown length) and at
    most what fits ``max_bytes``; ``bar`` opens once the first item tells how many fit."""
    out, budget = [], n
    for item in items:
        if not out:
            size = _to_numpy(item[0], where).nbytes
            fits = max(1, max_bytes // max(size, 1))
            budget = fits if n is None else max(1, min(n, fits))
            if bar is not None and n is not None:
                bar.start(budget)
        out.append(item)
        if bar is not None:
            bar.step()
        if len(out) >= budget:
            break
    if bar is not None:
        bar.finish()
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
