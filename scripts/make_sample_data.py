#!/usr/bin/env python3
"""Regenerate the committed ``sample_data/`` folder used by datacheck's tests and docs.

Usage::

    python scripts/make_sample_data.py [--fashion-dir DIR] [--out DIR]

Everything is deterministic (fixed seeds).  Only numpy, pandas, Pillow and
scikit-learn are used.  Fashion-MNIST is read from the idx files installed by
Debian's ``dataset-fashion-mnist`` package (``apt-get install -y
dataset-fashion-mnist``), by default from ``/usr/share/datasets/fashion-mnist``;
the files may be gzipped or not.  scikit-learn's breast_cancer, wine, digits and diabetes
ship with the library, so no network is needed.

The generated files are committed: running the tests never needs this script,
apt, or the network.  Re-running the script removes and rewrites every output.

Datasets named ``clean_*`` are genuinely clean (balanced classes, shuffled
rows, no duplicates, no NaN, consistent shapes, features standardized with
train statistics, no sample shared between splits, no constant images).  Each
``defect_*`` dataset plants one kind of bug (see ``sample_data/README.md``) and
is otherwise built the same clean way, so the planted bug is the only finding.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "sample_data"
DEFAULT_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

SEED = 20240601

FASHION_CLASSES = [
    "T-shirt_top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle_boot",
]
CLS = {name: i for i, name in enumerate(FASHION_CLASSES)}

# Sizes (kept as constants so they are easy to shrink).
CLEAN_IMAGES_TRAIN_PER_CLASS = 100
CLEAN_IMAGES_TEST_PER_CLASS = 20
IMBALANCE_TRAIN = {"Trouser": 200, "Bag": 3}  # every other class: IMBALANCE_TRAIN_OTHER
IMBALANCE_TRAIN_OTHER = 40
IMBALANCE_TEST_PER_CLASS = 10
IMBALANCE_TEST_MISSING = "Sandal"
IMBALANCE_UNKNOWN = 5
CORRUPT_CLASSES = ["Trouser", "Bag", "Sneaker"]
CORRUPT_TRAIN_PER_CLASS = 30
CORRUPT_TEST_PER_CLASS = 10
CORRUPT_COLS = (4, 24)  # every image of defect_corrupt_images is cropped to 28 high x 20 wide
MANIFEST_CLASSES = ["T-shirt_top", "Dress", "Coat", "Sneaker"]
MANIFEST_TRAIN_PER_CLASS = 40
MANIFEST_TEST_PER_CLASS = 10
BREAST_CANCER_PER_CLASS = 210  # 420 rows -> 336 train (168/168) + 84 test (42/42)
WINE_PER_CLASS = 45  # 135 rows -> 108 train (36 each) + 27 test (9 each)
DIGITS_PER_CLASS = 170  # 1700 images -> 1360 train (136 each) + 340 test (34 each)
TEST_FRACTION = 0.2


# --------------------------------------------------------------------------- idx


IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(data: bytes) -> np.ndarray:
    """Parse an idx file (the MNIST format): magic 0x0000 <dtype> <ndim>, then
    ``ndim`` big-endian uint32 dimensions, then the data, big-endian."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("not an idx file (bad magic)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"unknown idx dtype code 0x{code:02x}")
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    dtype = IDX_DTYPES[code]
    count = int(np.prod(dims)) if dims else 1
    offset = 4 + 4 * ndim
    if len(data) - offset != count * dtype.itemsize:
        raise ValueError(f"idx payload is {len(data) - offset} bytes, header says {count * dtype.itemsize}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def find_idx(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        path = directory / name
        if path.is_file():
            return path
    # some distributions rename '-idx3-ubyte' to '.idx3-ubyte'
    for path in sorted(directory.glob(stem.replace("-idx", "*idx") + "*")):
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"{stem}[.gz] not found in {directory}; install it with "
        "'apt-get install -y dataset-fashion-mnist' or pass --fashion-dir"
    )


def load_fashion(directory: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        xp = find_idx(directory, f"{prefix}-images-idx3-ubyte")
        yp = find_idx(directory, f"{prefix}-labels-idx1-ubyte")
        x = parse_idx(xp.read_bytes())
        y = parse_idx(yp.read_bytes())
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            raise ValueError(f"unexpected Fashion-MNIST shapes {x.shape} {y.shape}")
        out[split] = (x, y.astype(np.int64))
        print(f"  read {xp} -> {x.shape} {x.dtype}; {yp} -> {y.shape}")
    return out


# ------------------------------------------------------------------- Fashion pool


def _digest(a: np.ndarray) -> bytes:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).digest()


class FashionPool:
    """Fashion-MNIST images that are safe to use: their pixels occur exactly once
    in train+test together (so no duplicates within or across splits) and they
    are not constant.  Draws are without replacement per instance."""

    def __init__(self, fashion: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.data = fashion
        groups: dict[bytes, list[tuple[str, int]]] = {}
        for split, (x, _) in fashion.items():
            for i in range(x.shape[0]):
                groups.setdefault(_digest(x[i]), []).append((split, i))
        self.dup_groups = [g for g in groups.values() if len(g) > 1]
        bad = {member for g in self.dup_groups for member in g}
        self.removed_constant = []
        self.ok: dict[str, dict[int, np.ndarray]] = {}
        for split, (x, y) in fashion.items():
            const = x.reshape(len(x), -1).min(1) == x.reshape(len(x), -1).max(1)
            self.removed_constant += [(split, int(i)) for i in np.flatnonzero(const)]
            keep = np.array([(split, i) not in bad and not const[i] for i in range(len(x))])
            self.ok[split] = {c: np.flatnonzero(keep & (y == c)) for c in range(len(FASHION_CLASSES))}

    def report(self) -> dict:
        within = {"train": 0, "test": 0}
        cross = 0
        label_conflicts = 0
        for g in self.dup_groups:
            splits = {s for s, _ in g}
            labels = {int(self.data[s][1][i]) for s, i in g}
            if len(splits) > 1:
                cross += 1
            else:
                within[next(iter(splits))] += 1
            if len(labels) > 1:
                label_conflicts += 1
        return {
            "duplicate_groups": len(self.dup_groups),
            "images_in_duplicate_groups": sum(len(g) for g in self.dup_groups),
            "groups_within_train": within["train"],
            "groups_within_test": within["test"],
            "groups_across_train_test": cross,
            "groups_with_conflicting_labels": label_conflicts,
            "members": [
                [{"split": s, "index": int(i), "label": FASHION_CLASSES[int(self.data[s][1][i])]} for s, i in g]
                for g in self.dup_groups
            ],
            "constant_images_removed": [{"split": s, "index": i} for s, i in self.removed_constant],
        }

    def sampler(self, seed: int) -> "FashionSampler":
        return FashionSampler(self, seed)


class FashionSampler:
    def __init__(self, pool: FashionPool, seed: int):
        self.pool = pool
        self.rng = np.random.default_rng(seed)
        self.order = {
            split: {c: self.rng.permutation(idx) for c, idx in per.items()} for split, per in pool.ok.items()
        }
        self.pos = {split: {c: 0 for c in per} for split, per in pool.ok.items()}

    def take(self, split: str, cls: str | int, n: int) -> np.ndarray:
        c = CLS[cls] if isinstance(cls, str) else cls
        p = self.pos[split][c]
        idx = self.order[split][c][p : p + n]
        if len(idx) < n:
            raise RuntimeError(f"not enough clean {split} images of class {c}")
        self.pos[split][c] = p + n
        return self.pool.data[split][0][idx]


# ---------------------------------------------------------------------- helpers


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def save_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "L" if pixels.ndim == 2 else "RGB"
    path.write_bytes(png_bytes(Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode=mode)))


def write_image_split_tree(root: Path, items: list[tuple[str, str, np.ndarray]], rng: np.random.Generator) -> None:
    """items: (split, class_name, pixels).  File names are a random permutation
    of 00000..N-1 across the whole dataset, so names carry no label order."""
    names = rng.permutation(len(items))
    for (split, cls, px), num in zip(items, names):
        save_png(root / split / cls / f"{num:05d}.png", px)


def snake(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def balanced_subsample(y: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    idx = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < per_class:
            raise RuntimeError(f"class {c} has {len(members)} < {per_class} samples")
        idx.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(idx))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n")


def tabular_split(
    x: np.ndarray, y_names: np.ndarray, feature_names: list[str], seed: int, standardize: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified 80/20 split (shuffled), optionally standardized with train-only stats."""
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y_names, test_size=TEST_FRACTION, stratify=y_names, random_state=seed, shuffle=True
    )
    if standardize:
        scaler = StandardScaler().fit(x_tr)
        x_tr, x_te = scaler.transform(x_tr), scaler.transform(x_te)
        x_tr, x_te = np.round(x_tr, 6), np.round(x_te, 6)
    cols = [snake(n) for n in feature_names]
    train = pd.DataFrame(x_tr, columns=cols)
    train["label"] = y_tr
    test = pd.DataFrame(x_te, columns=cols)
    test["label"] = y_te
    return train.reset_index(drop=True), test.reset_index(drop=True)


def with_split(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)


def shuffle_rows(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


# -------------------------------------------------------------------- tabular


def breast_cancer_base(seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """breast_cancer balanced by subsampling (212 malignant / 357 benign in the
    original) so that no derived dataset plants class imbalance by accident."""
    ds = load_breast_cancer()
    names = np.asarray(ds.target_names)[ds.target]
    idx = balanced_subsample(ds.target, BREAST_CANCER_PER_CLASS, np.random.default_rng(seed))
    x, y = ds.data[idx], names[idx]
    assert len(np.unique(x, axis=0)) == len(x), "breast_cancer has duplicate rows"
    return x, y, list(ds.feature_names)


def wine_base(seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    ds = load_wine()
    names = np.asarray(ds.target_names)[ds.target]
    idx = balanced_subsample(ds.target, WINE_PER_CLASS, np.random.default_rng(seed))
    x, y = ds.data[idx], names[idx]
    assert len(np.unique(x, axis=0)) == len(x), "wine has duplicate rows"
    return x, y, list(ds.feature_names)


def make_clean_tabular(out: Path) -> dict:
    x, y, feats = breast_cancer_base(SEED + 1)
    train, test = tabular_split(x, y, feats, SEED + 2, standardize=True)
    d = out / "clean_tabular"
    write_csv(d / "train.csv", train)
    write_csv(d / "test.csv", test)
    return {"train": len(train), "test": len(test)}


def make_defect_sorted_labels(out: Path) -> dict:
    x, y, feats = breast_cancer_base(SEED + 1)
    train, test = tabular_split(x, y, feats, SEED + 3, standardize=True)
    train = train.sort_values("label", kind="stable").reset_index(drop=True)
    test = test.sort_values("label", kind="stable").reset_index(drop=True)
    df = with_split(train, test)
    write_csv(out / "defect_sorted_labels.csv", df)
    return {"train": len(train), "test": len(test)}


def make_defect_duplicates(out: Path) -> dict:
    x, y, feats = breast_cancer_base(SEED + 1)
    train, test = tabular_split(x, y, feats, SEED + 4, standardize=True)
    rng = np.random.default_rng(SEED + 5)
    n_exact, n_conflict = 12, 5
    picks = rng.choice(len(train), n_exact + n_conflict, replace=False)
    exact_src, conflict_src = picks[:n_exact], picks[n_exact:]
    flip = {"malignant": "benign", "benign": "malignant"}

    # _tag: original train row id; _kind: orig / exact / conflict
    parts = [train.assign(_tag=np.arange(len(train)), _kind="orig")]
    parts.append(train.iloc[exact_src].assign(_tag=exact_src, _kind="exact"))
    conflict = train.iloc[conflict_src].copy()
    conflict["label"] = conflict["label"].map(flip)
    parts.append(conflict.assign(_tag=conflict_src, _kind="conflict"))
    new_train = pd.concat(parts, ignore_index=True)
    tagged = shuffle_rows(with_split(new_train, test.assign(_tag=-1, _kind="test")), SEED + 6)
    df = tagged.drop(columns=["_tag", "_kind"])

    is_train = (df["split"] == "train").to_numpy()
    train_rows = np.flatnonzero(is_train)  # train index k -> file row train_rows[k]
    tr = tagged[is_train].reset_index(drop=True)
    exact_pairs, conflict_pairs = [], []
    for tag in exact_src:
        pos = sorted(tr.index[(tr["_tag"] == tag) & tr["_kind"].isin(["orig", "exact"])])
        exact_pairs.append(pos)  # [first occurrence, later copy]
    for tag in conflict_src:
        a = int(tr.index[(tr["_tag"] == tag) & (tr["_kind"] == "orig")][0])
        b = int(tr.index[(tr["_tag"] == tag) & (tr["_kind"] == "conflict")][0])
        conflict_pairs.append([a, b])  # [true label, flipped-label copy]
    exact_pairs = sorted([int(a), int(b)] for a, b in exact_pairs)
    conflict_pairs = sorted(conflict_pairs)
    to_file = lambda pair: [int(train_rows[k]) for k in pair]  # noqa: E731

    write_csv(out / "defect_duplicates.csv", df)
    truth = {
        "description": (
            "Row indices are 0-based over data rows (header not counted). "
            "'train_index' numbers the rows of the train split in file order; "
            "'file_row' numbers all data rows of the CSV. Exact pairs are [first, later copy] "
            "(the two rows are identical, label and split included). Conflicting pairs are "
            "[row with the true label, planted copy with the other label] (identical features)."
        ),
        "n_rows": len(df),
        "n_train": int(is_train.sum()),
        "n_test": int((~is_train).sum()),
        "exact_duplicates": {
            "count": n_exact,
            "copies_train_index": sorted(b for _, b in exact_pairs),
            "pairs_train_index": exact_pairs,
            "pairs_file_row": [to_file(p) for p in exact_pairs],
        },
        "conflicting_labels": {
            "count": n_conflict,
            "copies_train_index": sorted(b for _, b in conflict_pairs),
            "pairs_train_index": conflict_pairs,
            "pairs_file_row": [to_file(p) for p in conflict_pairs],
        },
    }
    write_json(out / "defect_duplicates.truth.json", truth)
    return {"train": truth["n_train"], "test": truth["n_test"]}


UNSCALED_COLUMNS = ("magnesium", "proline")


def make_defect_unscaled(out: Path) -> dict:
    """wine standardized with train-only statistics, except two columns the scaler missed."""
    x, y, feats = wine_base(SEED + 7)
    train, test = tabular_split(x, y, feats, SEED + 8, standardize=False)
    scaled = [c for c in train.columns if c not in UNSCALED_COLUMNS + ("label",)]
    scaler = StandardScaler().fit(train[scaled])
    train[scaled] = np.round(scaler.transform(train[scaled]), 6)
    test[scaled] = np.round(scaler.transform(test[scaled]), 6)
    df = shuffle_rows(with_split(train, test), SEED + 9)
    write_csv(out / "defect_unscaled.csv", df)
    return {"train": len(train), "test": len(test)}


def diabetes_split(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """diabetes (raw features, target 25..346 kept as is), random 80/20 split, features
    standardized with train-only stats; the target column is ``target``."""
    ds = load_diabetes(scaled=False)
    x_tr, x_te, y_tr, y_te = train_test_split(ds.data, ds.target, test_size=TEST_FRACTION,
                                              random_state=seed, shuffle=True)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = np.round(scaler.transform(x_tr), 6), np.round(scaler.transform(x_te), 6)
    cols = [snake(n) for n in ds.feature_names]
    train = pd.DataFrame(x_tr, columns=cols).assign(target=y_tr)
    test = pd.DataFrame(x_te, columns=cols).assign(target=y_te)
    return train, test


def make_clean_regression(out: Path) -> dict:
    train, test = diabetes_split(SEED + 80)
    d = out / "clean_regression"
    write_csv(d / "train.csv", train)
    write_csv(d / "test.csv", test)
    return {"train": len(train), "test": len(test)}


def make_defect_sorted_target(out: Path) -> dict:
    train, test = diabetes_split(SEED + 81)
    train = train.sort_values("target", kind="stable").reset_index(drop=True)
    test = test.sort_values("target", kind="stable").reset_index(drop=True)
    write_csv(out / "defect_sorted_target.csv", with_split(train, test))
    return {"train": len(train), "test": len(test)}


def make_defect_nan(out: Path) -> dict:
    x, y, feats = wine_base(SEED + 7)
    train, test = tabular_split(x, y, feats, SEED + 10, standardize=True)
    df = shuffle_rows(with_split(train, test), SEED + 11)
    feature_cols = [c for c in df.columns if c not in ("label", "split")]
    rng = np.random.default_rng(SEED + 12)
    n_nan, n_inf = 7, 3
    rows = rng.choice(len(df), n_nan + n_inf, replace=False)
    cols = rng.choice(feature_cols, n_nan + n_inf, replace=True)
    split_index = {}
    for s in ("train", "test"):
        for k, r in enumerate(np.flatnonzero(df["split"].to_numpy() == s)):
            split_index[int(r)] = k
    cells = []
    for j, (r, c) in enumerate(zip(rows, cols)):
        value = np.nan if j < n_nan else np.inf
        df.loc[int(r), c] = value
        cells.append(
            {
                "file_row": int(r),
                "split": df.loc[int(r), "split"],
                "split_index": split_index[int(r)],
                "column": str(c),
                "value": "nan" if j < n_nan else "inf",
            }
        )
    cells.sort(key=lambda d: d["file_row"])
    df.insert(len(feature_cols), "const_feature", 1.0)
    write_csv(out / "defect_nan.csv", df)
    write_json(
        out / "defect_nan.truth.json",
        {
            "description": (
                "0-based data-row indices (header not counted). 'file_row' numbers all rows "
                "of the CSV; 'split_index' numbers the rows of that split in file order. "
                "NaN cells are written as empty fields, +inf as 'inf'."
            ),
            "n_rows": len(df),
            "n_nan": n_nan,
            "n_inf": n_inf,
            "nan_rows": sorted(c["file_row"] for c in cells if c["value"] == "nan"),
            "inf_rows": sorted(c["file_row"] for c in cells if c["value"] == "inf"),
            "cells": cells,
            "constant_columns": ["const_feature"],
        },
    )
    return {"train": int((df["split"] == "train").sum()), "test": int((df["split"] == "test").sum())}


def make_defect_label_variants(out: Path) -> dict:
    """wine with a few labels re-spelled in train and in test: a case variant and a trailing
    space in both splits, a dropped letter in train only (truth: the re-spelled rows)."""
    x, y, feats = wine_base(SEED + 91)
    train, test = tabular_split(x, y, feats, SEED + 92, standardize=True)
    df = shuffle_rows(with_split(train, test), SEED + 93)
    rng = np.random.default_rng(SEED + 94)
    plan = [("class_1", "Class_1", "case", {"train": 3, "test": 1}),
            ("class_2", "class_2 ", "case", {"train": 2, "test": 1}),
            ("class_0", "clas_0", "typo", {"train": 2, "test": 0})]
    variants = []
    for name, spelled, kind, per_split in plan:
        rows = []
        for split, n in per_split.items():
            pool = np.flatnonzero((df["split"] == split).to_numpy() & (df["label"] == name).to_numpy())
            rows += rng.choice(pool, n, replace=False).tolist() if n else []
        df.loc[rows, "label"] = spelled
        split_index = {int(r): int((df["split"].to_numpy()[:r] == df["split"].to_numpy()[r]).sum()) for r in rows}
        variants.append({"spelling": spelled, "of": name, "kind": kind, "split_counts": per_split,
                         "file_rows": sorted(int(r) for r in rows),
                         "samples": sorted(f"{df.loc[r, 'split']}[{split_index[r]}]" for r in rows)})
    write_csv(out / "defect_label_variants.csv", df)
    write_json(out / "defect_label_variants.truth.json", {
        "description": ("wine labels re-spelled: 'spelling' replaces 'of' in the listed rows "
                        "('file_rows': 0-based data rows of the CSV; 'samples': split[row within the "
                        "split]). Case and trailing-space variants appear in train and test."),
        "label_column": "label",
        "variants": variants,
    })
    return {"train": int((df["split"] == "train").sum()), "test": int((df["split"] == "test").sum())}


def make_defect_target_leakage(out: Path) -> dict:
    """breast_cancer (standardized, shuffled, `split` column) plus `biopsy_score`: the label
    (malignant 1, benign 0) plus uniform noise in [0, 1), standardized with train-only stats,
    so that it alone gives the label away while looking like any other standardized feature."""
    x, y, feats = breast_cancer_base(SEED + 1)
    train, test = tabular_split(x, y, feats, SEED + 120, standardize=True)
    rng = np.random.default_rng(SEED + 121)
    scores = [(part["label"] == "malignant").to_numpy() + rng.uniform(0, 1, len(part)) for part in (train, test)]
    mean, std = scores[0].mean(), scores[0].std()
    for part, score in zip((train, test), scores):
        part.insert(7, "biopsy_score", np.round((score - mean) / std, 6))
    df = shuffle_rows(with_split(train, test), SEED + 122)
    write_csv(out / "defect_target_leakage.csv", df)
    write_json(out / "defect_target_leakage.truth.json", {
        "description": ("Column 'biopsy_score' is the label (malignant 1, benign 0) plus uniform noise in [0, 1), "
                        "standardized with train-only statistics: it alone separates the classes. The other "
                        "columns are breast_cancer's, standardized with train-only statistics."),
        "leak_columns": ["biopsy_score"],
        "n_rows": len(df),
    })
    return {"train": len(train), "test": len(test)}


# --------------------------------------------------------------------- digits


def digits_base(seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """digits with every image that occurs more than once removed (all copies),
    then balanced by subsampling."""
    ds = load_digits()
    imgs = ds.images.astype(np.int64)  # values 0..16
    y = ds.target.astype(np.int64)
    groups: dict[bytes, list[int]] = {}
    for i in range(len(imgs)):
        groups.setdefault(imgs[i].astype(np.uint8).tobytes(), []).append(i)
    dup = [g for g in groups.values() if len(g) > 1]
    drop = {i for g in dup for i in g}
    const = {i for i in range(len(imgs)) if imgs[i].min() == imgs[i].max()}
    keep = np.array([i for i in range(len(imgs)) if i not in drop and i not in const])
    imgs, y = imgs[keep], y[keep]
    idx = balanced_subsample(y, DIGITS_PER_CLASS, np.random.default_rng(seed))
    info = {
        "duplicate_groups": len(dup),
        "images_dropped": len(drop),
        "conflicting_label_groups": sum(len({int(ds.target[i]) for i in g}) > 1 for g in dup),
        "constant_dropped": len(const),
    }
    return imgs[idx], y[idx], info


def digits_split(imgs: np.ndarray, y: np.ndarray, seed: int):
    return train_test_split(imgs, y, test_size=TEST_FRACTION, stratify=y, random_state=seed, shuffle=True)


def make_clean_digits(out: Path) -> dict:
    imgs, y, info = digits_base(SEED + 20)
    x_tr, x_te, y_tr, y_te = digits_split(imgs, y, SEED + 21)
    to_u8 = lambda a: np.clip(a * 16, 0, 255).astype(np.uint8)[..., None]  # noqa: E731
    x_tr, x_te = to_u8(x_tr), to_u8(x_te)
    np.savez_compressed(out / "clean_digits.npz", x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
    return {"train": len(y_tr), "test": len(y_te), "digits_dedup": info}


def make_defect_layout(out: Path) -> dict:
    imgs, y, _ = digits_base(SEED + 20)
    x_tr, x_te, y_tr, y_te = digits_split(imgs, y, SEED + 22)
    to_f = lambda a: (a / 16.0).astype(np.float32)  # noqa: E731
    x_tr = np.repeat(to_f(x_tr)[..., None], 3, axis=-1)  # (N, 8, 8, 3) NHWC
    x_te = np.repeat(to_f(x_te)[:, None, :, :], 3, axis=1)  # (N, 3, 8, 8) NCHW
    np.savez_compressed(out / "defect_layout.npz", x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
    return {"train": len(y_tr), "test": len(y_te)}


# -------------------------------------------------------------- image folders


def make_clean_images(out: Path, pool: FashionPool) -> dict:
    s = pool.sampler(SEED + 30)
    items = []
    for cls in FASHION_CLASSES:
        items += [("train", cls, px) for px in s.take("train", cls, CLEAN_IMAGES_TRAIN_PER_CLASS)]
        items += [("test", cls, px) for px in s.take("test", cls, CLEAN_IMAGES_TEST_PER_CLASS)]
    write_image_split_tree(out / "clean_images", items, np.random.default_rng(SEED + 31))
    return {
        "train": sum(i[0] == "train" for i in items),
        "test": sum(i[0] == "test" for i in items),
    }


def make_defect_imbalance(out: Path, pool: FashionPool) -> dict:
    s = pool.sampler(SEED + 40)
    items = []
    for cls in FASHION_CLASSES:
        n = IMBALANCE_TRAIN.get(cls, IMBALANCE_TRAIN_OTHER)
        items += [("train", cls, px) for px in s.take("train", cls, n)]
    for cls in FASHION_CLASSES:
        if cls != IMBALANCE_TEST_MISSING:
            items += [("test", cls, px) for px in s.take("test", cls, IMBALANCE_TEST_PER_CLASS)]
    # 'Unknown': test-set images (never in train) of assorted classes
    rng = np.random.default_rng(SEED + 41)
    for c in rng.choice(len(FASHION_CLASSES), IMBALANCE_UNKNOWN, replace=False):
        items.append(("test", "Unknown", s.take("test", int(c), 1)[0]))
    write_image_split_tree(out / "defect_imbalance", items, np.random.default_rng(SEED + 42))
    counts: dict[str, dict[str, int]] = {}
    for split, cls, _ in items:
        counts.setdefault(split, {}).setdefault(cls, 0)
        counts[split][cls] += 1
    return {"train": sum(counts["train"].values()), "test": sum(counts["test"].values()), "counts": counts}


def make_defect_corrupt_images(out: Path, pool: FashionPool) -> dict:
    s = pool.sampler(SEED + 50)
    a, b = CORRUPT_COLS
    crop = lambda px: np.ascontiguousarray(px[:, a:b])  # noqa: E731  28 high x 20 wide
    items = []
    for cls in CORRUPT_CLASSES:
        items += [("train", cls, crop(px)) for px in s.take("train", cls, CORRUPT_TRAIN_PER_CLASS)]
        items += [("test", cls, crop(px)) for px in s.take("test", cls, CORRUPT_TEST_PER_CLASS)]
    # cropping could in principle create duplicates or constant images: check
    digests = [_digest(px) for _, _, px in items]
    assert len(set(digests)) == len(digests), "cropping created duplicates"
    assert all(px.min() != px.max() for _, _, px in items), "cropping created constant images"
    root = out / "defect_corrupt_images"
    write_image_split_tree(root, items, np.random.default_rng(SEED + 51))

    h, w = 28, b - a
    train = root / "train"
    # unreadable files
    full = png_bytes(Image.fromarray(crop(s.take("train", "Trouser", 1)[0]), mode="L"))
    (train / "Trouser" / "truncated.png").write_bytes(full[: len(full) // 2])
    (train / "Bag" / "notes.png").write_text(
        "These are notes about the Bag class, not an image.\nTODO: relabel the blurry ones.\n"
    )
    (train / "Bag" / "empty.png").write_bytes(b"")
    # constant images (same size and mode as the majority)
    save_png(train / "Sneaker" / "black.png", np.zeros((h, w), np.uint8))
    save_png(train / "Sneaker" / "flat.png", np.full((h, w), 128, np.uint8))
    # mixed mode: an RGB (tinted, so the channels differ) Trouser of the majority size
    g = crop(s.take("train", "Trouser", 1)[0]).astype(np.float64)
    rgb = np.stack([g, g * 0.6, g * 0.3], axis=-1).round().astype(np.uint8)
    save_png(train / "Trouser" / "rgb.png", rgb)
    # mixed size: a Bag upscaled 2x -> 56 high x 40 wide
    big = np.kron(crop(s.take("train", "Bag", 1)[0]), np.ones((2, 2), np.uint8))
    save_png(train / "Bag" / "big.png", big)
    # swapped height/width: a Bag transposed -> 20 high x 28 wide
    save_png(train / "Bag" / "swapped.png", crop(s.take("train", "Bag", 1)[0]).T)

    planted = {
        "train/Trouser/truncated.png": "unreadable: valid PNG cut to half its bytes",
        "train/Bag/notes.png": "unreadable: text file with a .png extension",
        "train/Bag/empty.png": "unreadable: 0 bytes",
        "train/Sneaker/black.png": f"constant image: all 0, {h}x{w} L",
        "train/Sneaker/flat.png": f"constant image: all 128, {h}x{w} L",
        "train/Trouser/rgb.png": f"mode mismatch: RGB {h}x{w} (majority is L)",
        "train/Bag/big.png": f"size mismatch: {2 * h} high x {2 * w} wide (majority {h} high x {w} wide)",
        "train/Bag/swapped.png": f"swapped height/width: {w} high x {h} wide (majority {h} high x {w} wide)",
    }
    write_json(
        out / "defect_corrupt_images.truth.json",
        {
            "majority": {"mode": "L", "height": h, "width": w},
            "planted": planted,
        },
    )
    return {
        "train": sum(i[0] == "train" for i in items),
        "test": sum(i[0] == "test" for i in items),
        "planted": len(planted),
    }


def make_clean_manifest(out: Path, pool: FashionPool) -> dict:
    s = pool.sampler(SEED + 60)
    items = []
    for cls in MANIFEST_CLASSES:
        items += [("train", cls, px) for px in s.take("train", cls, MANIFEST_TRAIN_PER_CLASS)]
        items += [("test", cls, px) for px in s.take("test", cls, MANIFEST_TEST_PER_CLASS)]
    rng = np.random.default_rng(SEED + 61)
    order = rng.permutation(len(items))  # row order and file numbering
    root = out / "clean_manifest"
    rows = []
    for num, k in enumerate(order):
        split, cls, px = items[k]
        rel = f"images/{num:05d}.png"
        save_png(root / rel, px)
        rows.append({"path": rel, "label": cls, "split": split})
    write_csv(root / "manifest.csv", pd.DataFrame(rows, columns=["path", "label", "split"]))
    return {"train": sum(r["split"] == "train" for r in rows), "test": sum(r["split"] == "test" for r in rows)}


# --------------------------------------------------------------------- README


def tree_size(path: Path) -> tuple[int, int]:
    if path.is_file():
        return 1, path.stat().st_size
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def human(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


README_ROWS = [
    # name, layout, plants
    ("clean_images/", "1: `{train,test}/<class>/<image>.png`",
     "clean: Fashion-MNIST, 10 classes, 100 train + 20 test per class, 28x28 L PNGs"),
    ("clean_tabular/", "3: `train.csv` + `test.csv`, column `label`",
     "clean: breast_cancer (balanced 210/210), stratified 80/20, standardized with train-only stats"),
    ("clean_digits.npz", "4: `x_train, y_train, x_test, y_test`",
     "clean: digits uint8 (N,8,8,1) NHWC, 0..255, duplicates removed, balanced"),
    ("clean_manifest/", "5: `manifest.csv` (`path,label,split`) + `images/`",
     "clean: Fashion-MNIST, 4 classes, 40 train + 10 test per class, rows shuffled"),
    ("clean_regression/", "3: `train.csv` + `test.csv`, column `target`",
     "clean regression: diabetes (target 25 to 346, kept raw), random 80/20 split, features "
     "standardized with train-only stats"),
    ("defect_sorted_labels.csv", "3: one CSV with `split` column",
     "rows sorted by label within each split (train block, then test block)"),
    ("defect_imbalance/", "1",
     "class imbalance (train: Trouser 200, Bag 3, others 40); `Sandal` missing from test; "
     "test-only class `Unknown` (5 images)"),
    ("defect_corrupt_images/", "1",
     "unreadable files (truncated/text/empty PNG), constant images (black/flat), RGB among L, "
     "a 56x40 image, a swapped 20x28 image; majority is 28 high x 20 wide. "
     "Truth: `defect_corrupt_images.truth.json`"),
    ("defect_duplicates.csv", "3: one CSV with `split` column",
     "12 exact duplicate rows and 5 same-feature rows with a different label, all in train. "
     "Truth: `defect_duplicates.truth.json`"),
    ("defect_unscaled.csv", "3: one CSV with `split` column",
     "wine standardized on train, except `magnesium` and `proline` left raw (70 to 1680): "
     "a scaler that missed two columns"),
    ("defect_nan.csv", "3: one CSV with `split` column",
     "7 NaN cells, 3 +inf cells, constant column `const_feature`. Truth: `defect_nan.truth.json`"),
    ("defect_layout.npz", "4: `x_train, y_train, x_test, y_test`",
     "float32 digits in [0,1]; x_train NHWC (N,8,8,3) but x_test NCHW (N,3,8,8)"),
    ("defect_sorted_target.csv", "3: one CSV with `split` column, column `target`",
     "regression: diabetes rows sorted by target within each split (train block, then test block)"),
    ("defect_target_leakage.csv", "3: one CSV with `split` column",
     "column `biopsy_score` is the label plus uniform noise, standardized: it alone gives the label away. "
     "Truth: `defect_target_leakage.truth.json`"),
    ("defect_label_variants.csv", "3: one CSV with `split` column",
     "wine labels re-spelled: `Class_1` (3 train + 1 test), `class_2 ` with a trailing space "
     "(2 + 1), `clas_0` (2 train). Truth: `defect_label_variants.truth.json`"),
]


def write_readme(out: Path, stats: dict, fashion_info: dict) -> None:
    lines = [
        "# sample_data",
        "",
        "Small datasets for datacheck's tests and docs, generated by "
        "`python scripts/make_sample_data.py` (deterministic; do not edit by hand). "
        "`clean_*` datasets should produce no findings; each `defect_*` dataset plants the bugs listed.",
        "",
        "Sources: Fashion-MNIST (Debian package `dataset-fashion-mnist`, idx files), "
        "scikit-learn's bundled breast_cancer, wine, digits and diabetes.",
        "",
        "| dataset | layout | samples (train / test) | files | size | plants |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    total_files = total_bytes = 0
    for name, layout, plants in README_ROWS:
        key = name.rstrip("/").rsplit(".", 1)[0] if not name.endswith("/") else name.rstrip("/")
        st = stats[key]
        nfiles, nbytes = tree_size(out / name.rstrip("/"))
        total_files += nfiles
        total_bytes += nbytes
        lines.append(
            f"| `{name}` | {layout} | {st['train']} / {st['test']} | {nfiles} | {human(nbytes)} | {plants} |"
        )
    lines += [
        "",
        f"Total: {total_files} data files, {human(total_bytes)} of file contents "
        "(`du` reports more on file systems with 4 KiB blocks, since most PNGs are a few hundred bytes).",
        "",
        "Fashion-MNIST images whose pixels occur more than once in train+test "
        f"({fashion_info['images_in_duplicate_groups']} images in {fashion_info['duplicate_groups']} groups) "
        "are never used; no sample is shared between splits. "
        "Each dataset is drawn independently, so an image may appear in more than one dataset.",
        "",
        "Row indices in the `*.truth.json` files are 0-based over data rows (the header is not counted).",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines))


# ----------------------------------------------------------------------- main


OUTPUTS = [
    "clean_images",
    "clean_tabular",
    "clean_digits.npz",
    "clean_manifest",
    "clean_regression",
    "defect_sorted_labels.csv",
    "defect_imbalance",
    "defect_corrupt_images",
    "defect_corrupt_images.truth.json",
    "defect_duplicates.csv",
    "defect_duplicates.truth.json",
    "defect_unscaled.csv",
    "defect_nan.csv",
    "defect_nan.truth.json",
    "defect_layout.npz",
    "defect_sorted_target.csv",
    "defect_label_variants.csv",
    "defect_label_variants.truth.json",
    "defect_target_leakage.csv",
    "defect_target_leakage.truth.json",
    "README.md",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fashion-dir", type=Path, default=DEFAULT_FASHION_DIR,
                    help=f"folder with the Fashion-MNIST idx files (default {DEFAULT_FASHION_DIR})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    out: Path = args.out

    # read every input before touching the outputs
    print(f"Fashion-MNIST from {args.fashion_dir}")
    pool = FashionPool(load_fashion(args.fashion_dir))

    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        remove(out / name)
    finfo = pool.report()
    print(
        f"  duplicate pixel groups: {finfo['duplicate_groups']} "
        f"({finfo['images_in_duplicate_groups']} images; within train {finfo['groups_within_train']}, "
        f"within test {finfo['groups_within_test']}, across {finfo['groups_across_train_test']}, "
        f"conflicting labels {finfo['groups_with_conflicting_labels']}); "
        f"constant images: {len(finfo['constant_images_removed'])}"
    )

    stats = {
        "clean_images": make_clean_images(out, pool),
        "clean_tabular": make_clean_tabular(out),
        "clean_digits": make_clean_digits(out),
        "clean_manifest": make_clean_manifest(out, pool),
        "clean_regression": make_clean_regression(out),
        "defect_sorted_labels": make_defect_sorted_labels(out),
        "defect_imbalance": make_defect_imbalance(out, pool),
        "defect_corrupt_images": make_defect_corrupt_images(out, pool),
        "defect_duplicates": make_defect_duplicates(out),
        "defect_unscaled": make_defect_unscaled(out),
        "defect_nan": make_defect_nan(out),
        "defect_layout": make_defect_layout(out),
        "defect_sorted_target": make_defect_sorted_target(out),
        "defect_target_leakage": make_defect_target_leakage(out),
        "defect_label_variants": make_defect_label_variants(out),
    }
    write_readme(out, stats, finfo)
    for name, st in stats.items():
        print(f"  {name}: train {st['train']}, test {st['test']}")
    print(f"  digits dedup: {stats['clean_digits']['digits_dedup']}")
    nfiles, nbytes = tree_size(out)
    print(f"wrote {out}: {nfiles} files, {nbytes / 1e6:.2f} MB of contents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
