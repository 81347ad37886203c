"""Load image folders and image manifests into a ``Dataset``: layouts 1, 2 and 5.

Nothing is decoded here; files are listed, and the scan decodes each once.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from datacheck.data.dataset import Dataset, Split, encode_labels, normalize_split_name
from datacheck.data.task import label_task
from datacheck.errors import InputError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp",
                            ".ppm", ".pgm", ".pbm"})
PATH_CANDIDATES = ("path", "image", "file", "filepath", "filename", "image_path")
_HIDDEN = (".", "_")


def is_image_file(name: str) -> bool:
    """Whether a file name has an image suffix."""
    return os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES


def class_folders(folder: Path) -> list[Path]:
    """Visible sub-folders of ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(_HIDDEN))


def _walk_class(class_dir: Path, root: Path) -> tuple[list[str], list[str]]:
    """Image files (and other files) under one class folder, recursively, relative to ``root``."""
    images, others = [], []
    for dirpath, dirnames, filenames in os.walk(class_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(_HIDDEN))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            (images if is_image_file(fn) else others).append(f"{rel}/{fn}")
    return images, others


def list_image_split(split_dir: Path, root: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """List ``split_dir/<class>/<image>``; a split folder without class folders holds its images
    unlabelled (Kaggle's flat ``test/``: the samples to predict).

    Returns
    -------
    paths : list of str
        Image paths relative to ``root``.
    labels : list of str or None
        The class folder of each image (None: unlabelled).
    ignored : list of str
        Non-image files found in class folders.
    loose : list of str
        Image files beside the class folders, in none of them (left out: no class).
    """
    classes = class_folders(split_dir)
    if not classes:
        images, others = _walk_class(split_dir, root)
        return images, [None] * len(images), others, []
    paths, labels, ignored = [], [], []
    for class_dir in classes:
        images, others = _walk_class(class_dir, root)
        paths += images
        labels += [class_dir.name] * len(images)
        ignored += others
    # other files beside the class folders (a README, a labels file) are the dataset's own
    rel = os.path.relpath(split_dir, root).replace(os.sep, "/")
    loose = sorted(p.name for p in split_dir.iterdir() if p.is_file() and is_image_file(p.name)
                   and not p.name.startswith("."))
    return paths, labels, ignored, [fn if rel == "." else f"{rel}/{fn}" for fn in loose]


def load_image_folders(split_dirs: dict[str, Path], root: Path, *, source: str) -> Dataset:
    """Load layout 1 (``root/<split>/<class>/<image>``) or 2 (``root/<class>/<image>``).

    Parameters
    ----------
    split_dirs : dict of str to pathlib.Path
        Canonical split name -> folder holding class folders.
    root : pathlib.Path
        The dataset folder; sample ids are relative to it.
    source : str
        The source as given.

    Returns
    -------
    Dataset
    """
    listed = {name: list_image_split(d, root) for name, d in split_dirs.items()}
    if not any(paths for paths, *_ in listed.values()):
        raise InputError(root, "no image files found in the class folders "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    classes, codes = encode_labels({n: np.array(labels, dtype=object) for n, (_, labels, *_) in listed.items()})
    splits = {n: Split(name=n, y=codes[n], paths=paths, root=root, ignored=ignored, loose=loose)
              for n, (paths, _, ignored, loose) in listed.items()}
    return Dataset("image", splits, classes, label="folder", ordered=False, source=source,
                   task_reason="class folders")


def looks_like_manifest(column_names: list[str]) -> str | None:
    """The image path column of a manifest, or None when the table is not one."""
    lowered = {c.lower(): c for c in column_names}
    for cand in PATH_CANDIDATES:
        if cand in lowered:
            return lowered[cand]
    return None


def load_manifest(path: Path, table, path_col: str, *, label: str | None, split_col: str | None,
                  source: str) -> Dataset:
    """Load layout 5: a manifest table with an image path column, a label and an optional split.

    Parameters
    ----------
    path : pathlib.Path
        The manifest file; image paths are relative to its folder.
    table : pyarrow.Table
        Its rows.
    path_col : str
        The image path column.
    label, split_col : str or None
        Columns given by the user.
    source : str
        The source as given.

    Returns
    -------
    Dataset
    """
    from datacheck.data.tables import LABEL_CANDIDATES, SPLIT_CANDIDATES, find_column, split_table

    names = table.column_names
    label_col = find_column(names, label, LABEL_CANDIDATES, "label", path, True)
    sc = find_column(names, split_col, SPLIT_CANDIDATES, "split-col", path, False)
    tables = split_table(table, sc) if sc else {"train": table}
    root = path.parent
    raw, paths = {}, {}
    for name, t in tables.items():
        raw[name] = t.column(label_col).to_numpy(zero_copy_only=False)
        paths[name] = [_manifest_path(p) for p in t.column(path_col).to_pylist()]
    raw, choice = label_task(raw, source)
    classes, codes = encode_labels(raw)
    splits = {n: Split(name=n, y=codes[n], paths=paths[n], root=root) for n in tables}
    return Dataset("image", splits, classes, label=label_col, ordered=True, source=source,
                   task=choice.task, task_reason=choice.reason)


def _manifest_path(value) -> str:
    return "" if value is None else str(value).replace("\\", "/")
