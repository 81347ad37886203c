"""Fashion-MNIST for the benchmarks, from Debian's ``dataset-fashion-mnist`` (idx files, gzipped
or not); tests and the demo never need it."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

FASHION = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path: Path) -> np.ndarray:
    """The array an idx file holds (uint8), in its stored shape."""
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(directory: Path = FASHION, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) and int64 labels of ``part`` (``train`` or ``t10k``).

    Raises
    ------
    StopIteration
        When ``directory`` holds no such files.
    """
    x = read_idx(next(Path(directory).glob(f"{part}-images*")))
    y = read_idx(next(Path(directory).glob(f"{part}-labels*"))).astype(np.int64)
    return x, y
