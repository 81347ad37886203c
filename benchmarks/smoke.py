"""Benchmark: the whole smoke run on the bundled image sample with the default model.

Prints the wall time of ``smoke_dataset`` (data decoding, model build and all 14 probes) on
``sample_data/clean_images`` (Fashion-MNIST, 1000 train images, 28x28), or, when that is
missing, on scikit-learn's digits written as PNGs; and its ratio to the 60 s budget of
issue 8 ("under 60 s on 2 CPU cores"). Per-probe times follow, slowest first.

    python benchmarks/smoke.py [--device cpu|cuda|auto] [--steps N] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
BUDGET_S = 60.0


def digits_images(folder: Path):
    """scikit-learn digits as 28x28 grayscale PNGs in ``folder/train/<class>/``, as a Dataset."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    from datacheck.data.dataset import Dataset, Split

    x, y = load_digits(return_X_y=True)
    paths = []
    for i, (img, label) in enumerate(zip(x, y)):
        rel = f"train/{label}/{i:05d}.png"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        pixels = (img.reshape(8, 8) * (255 / 16)).astype(np.uint8)
        Image.fromarray(pixels, "L").resize((28, 28), Image.BILINEAR).save(folder / rel)
        paths.append(rel)
    split = Split("train", y=y.astype(np.int64), paths=paths, root=folder)
    return Dataset("image", {"train": split}, [str(c) for c in range(10)], ordered=False,
                   source="sklearn digits (PNG)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=None, help="default: DEFAULT_STEPS")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave as is)")
    args = parser.parse_args()

    import torch

    from datacheck.smoke import DEFAULT_STEPS, smoke_dataset

    steps = args.steps or DEFAULT_STEPS
    sample = ROOT / "sample_data" / "clean_images"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if sample.is_dir():
            from datacheck.data import load

            dataset, name = load(sample), "sample_data/clean_images"
        else:
            dataset, name = digits_images(Path(tmp)), "sklearn digits as PNG"
        loaded = time.perf_counter()
        outcomes, findings = smoke_dataset(dataset, steps=steps, device=args.device,
                                           threads=args.threads or None)
        end = time.perf_counter()
    wall = end - start
    print(f"dataset: {name} ({len(dataset.train)} train samples); device {args.device}; "
          f"torch {torch.__version__}, {args.threads or torch.get_num_threads()} CPU threads; steps {steps}")
    print(f"smoke wall time: {wall:.1f} s (load {loaded - start:.1f} s, smoke {end - loaded:.1f} s); "
          f"ratio to the {BUDGET_S:.0f} s budget: {wall / BUDGET_S:.2f}")
    for o in sorted(outcomes, key=lambda o: -o.duration_s):
        print(f"  {o.id:28s} {o.status.value:8s} {o.duration_s:6.2f} s  {o.reason or ''}")
    worst = [f for f in findings if f.severity.value != "info"]
    print(f"findings: {len(findings)} ({len(worst)} warning/error)")
    for f in worst:
        print(f"  {f.severity.value:7s} {f.code}: {f.message}")


if __name__ == "__main__":
    main()
