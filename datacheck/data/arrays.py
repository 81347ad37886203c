"""Load ``.npz`` archives of arrays into a ``Dataset``: layout 4 of DESIGN.md section 4."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, normalize_split_name, with_unlabelled
from datacheck.data.task import infer_task
from datacheck.errors import InputError

_PAIR = re.compile(r"^(x|y)(?:_(\w+))?$", re.IGNORECASE)


def arrays_to_dataset(pairs: dict[str, tuple[np.ndarray, np.ndarray]], *, source: str,
                      label: str | None = "y") -> Dataset:
    """Build an array ``Dataset`` from ``{split: (x, y)}``.

    Parameters
    ----------
    pairs : dict of str to (numpy.ndarray, numpy.ndarray or None)
        Split name -> (samples, labels); samples' first axis is the sample axis. Labels None:
        an unlabelled split (every label missing).
    source : str
        The source as given.
    label : str or None
        Name to report for the label.

    Returns
    -------
    Dataset
    """
    if all(y is None for _, y in pairs.values()):
        raise InputError(source, "no split has labels (y)")
    for name, (x, y) in pairs.items():
        if x.ndim == 0 or (y is not None and len(x) != len(y)):
            raise InputError(source, f"split {name!r}: {len(x) if x.ndim else 0} samples but {len(y)} labels")
    labelled = {n: np.asarray(y) for n, (_, y) in pairs.items() if y is not None}
    choice = infer_task(labelled, source)
    raw = with_unlabelled({n: y.reshape(-1) for n, y in labelled.items()},
                          {n: len(x) for n, (x, y) in pairs.items() if y is None}, order=list(pairs))
    classes, codes = encode_labels(raw)
    splits = {n: Split(name=n, y=codes[n], array=np.asarray(x)) for n, (x, _) in pairs.items()}
    return Dataset("array", splits, classes, label=label, ordered=True, source=source,
                   task=choice.task, task_reason=choice.reason)


def load_npz(path: Path, *, source: str) -> Dataset:
    """Load ``x_train, y_train[, x_val, y_val][, x_test, y_test]`` or ``X, y`` from one archive.

    Parameters
    ----------
    path : pathlib.Path
        The ``.npz`` file.
    source : str
        The source as given.

    Returns
    -------
    Dataset
    """
    return arrays_to_dataset(_pair_up(_read(path), path), source=source)


def _read(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a ``.npz`` archive, or the input error that names it."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(path, f"cannot be read as a .npz archive ({exc})") from None


def load_npz_folder(files: list[Path], *, source: str) -> Dataset:
    """Load one archive per split (``train.npz``, ``test.npz``), each with ``x``/``X`` and ``y``;
    one other than train's may hold ``x`` alone (an unlabelled split)."""
    pairs = {}
    for f in files:
        arrays = _read(f)
        keys = {k.lower(): k for k in arrays}
        split_name = normalize_split_name(f.stem)
        if "x" in keys and "y" not in keys and split_name != "train":
            pairs[split_name] = (arrays[keys["x"]], None)
            continue
        ds = arrays_to_dataset(_pair_up(arrays, f), source=str(f))
        names = np.array([*ds.classes, None], dtype=object)  # code -1 (missing) -> None
        if len(ds.splits) == 1:
            split = next(iter(ds.splits.values()))
            pairs[split_name] = (split.array, names[split.y])
        else:
            for name, split in ds.splits.items():
                pairs[name] = (split.array, names[split.y])
    return arrays_to_dataset(pairs, source=source)


def _pair_up(arrays: dict[str, np.ndarray], path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    xs, ys = {}, {}
    for key, value in arrays.items():
        m = _PAIR.match(key)
        if not m:
            continue
        split = normalize_split_name(m.group(2) or "train")
        (xs if m.group(1).lower() == "x" else ys)[split] = value
    # beside a labelled train split, samples without labels (x_test alone) are an unlabelled split
    pairs = {s: (xs[s], ys.get(s)) for s in xs if s in ys or "train" in ys}
    if not any(y is not None for _, y in pairs.values()):
        raise InputError(path, "expected arrays named x_train and y_train (optionally x_val, y_val, "
                               f"x_test, y_test) or X and y; found {', '.join(sorted(arrays)) or 'none'}")
    return pairs
