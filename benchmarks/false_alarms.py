"""Benchmark: false alarms on clean real data, and recall on the same data with planted defects.

Every set is written to disk as a user keeps it and profiled with ``datacheck.profile(PATH)``, the
default profile (all checks, model checks included), as ``datacheck profile PATH`` runs it.

Clean panel (target: no warning and no error on any set):

- Fashion-MNIST subsets of 300, 600, 1,000, 3,000 and 10,000 images (Debian package
  ``dataset-fashion-mnist``), balanced, split 80/20, as PNG folders ``{train,test}/<class>/``;
  images whose pixels occur more than once in the 60,000 are left out;
- the Fashion-MNIST subsets of 1,000 and 3,000 as pixel CSVs (one column a pixel, as Kaggle's
  MNIST ``train.csv``);
- scikit-learn digits as a 300/100 uint8 ``.npz``, as a PNG folder and as a 64-column table;
  wine and breast_cancer tables; diabetes features with its regression ``target``; tables are
  split 80/20 and standardized on train;
- 64x64 tiles of six scikit-image photos, the label naming the photo, flat and near-identical
  tiles left out (needs scikit-image);
- wide sparse-signal tables (1,000 x 500 and 200 x 5,000 N(0, 1) columns, label ``f0 > 0``);
- a categorical table of 3,000 rows over 144 combinations, and a 3,000-row survey of six 1-5
  answers with a yes/no outcome: rows that repeat by chance, with differing labels;
- the bundled ``sample_data/clean_*``.

Planted panel (target: every defect caught at warning or error, no loss against the previous
run): shuffled labels (and a shuffled regression target), 20% uniform label flips, 40% of one
class relabelled as another, rows sorted by label, exact and mirrored copies of training images
in the test split, a class kept at 5%, NaN cells in a table, '?' marking missing values in a
numeric column, features on unequal scales; 20% flips in the 3,000 Fashion-MNIST images as a pixel CSV. A defect counts as caught when a warning or error
of its expected check fires.

Also a 300-image Fashion-MNIST subset given as torch ``Dataset``s (needs torch). A full run
takes about 4 minutes on 2 cores; ``--quick`` about 2.

It prints per set the profile's wall time (load, scan and checks; writing the set is not
timed), the count of warning and error findings and their codes. ``--root DIR`` imports
datacheck from DIR (e.g. a ``git worktree`` of an older commit), so two versions are compared
on the same panel.

    python benchmarks/false_alarms.py [--root DIR] [--sizes 300,600,1000,3000,10000]
                                      [--only TEXT] [--quick] [--fashion-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests import panel  # noqa: E402 - the panel's writers live beside the tests that use them

import fashion_mnist  # noqa: E402
from fashion_mnist import FASHION  # noqa: E402

FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                   "Bag", "Ankle-boot")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")
LOUD = ("warning", "error")


@dataclass(frozen=True)
class Case:
    """One dataset of the panel.

    Parameters
    ----------
    name : str
        What the set is, as printed.
    write : callable
        ``write(folder)`` writes the set under ``folder`` and returns the path to profile, or
        returns the splits as objects (a dict of ``datacheck.profile`` keyword arguments).
    expect : str, optional
        For a planted defect, the check id whose warning or error counts as caught.
    """

    name: str
    write: Callable[[Path], Path | dict]
    expect: str | None = None


# --- sources --------------------------------------------------------------------------------------

def fashion_pool(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's 60,000 training images and labels, less every image whose pixels repeat."""
    x, y = fashion_mnist.load(directory)
    _, first, counts = np.unique(x.reshape(len(x), -1), axis=0, return_index=True, return_counts=True)
    keep = np.sort(first[counts == 1])
    return x[keep], y[keep]


def fashion(pool: tuple[np.ndarray, np.ndarray], n: int, seed: int) -> panel.Splits:
    """``n`` images, ``n / 10`` per class, split 80/20 stratified."""
    x, y = pool
    rng = np.random.default_rng(seed)
    pick = np.concatenate([rng.choice(np.flatnonzero(y == c), n // 10, replace=False) for c in range(10)])
    return panel.split(x[pick], y[pick], 0.8, 0.2, seed, FASHION_CLASSES)


def photo_tiles(seed: int, size: int = 64, min_std: float = 8.0, max_corr: float = 0.95) -> panel.Splits:
    """Non-overlapping ``size`` x ``size`` RGB tiles of six scikit-image photos, labelled by photo.

    Tiles with a grey-level std under ``min_std`` (flat sky, empty background) and tiles whose grey
    levels correlate above ``max_corr`` with an earlier kept tile are left out, so no two tiles
    are near copies.
    """
    import skimage.data

    tiles, labels = [], []
    for label, name in enumerate(PHOTOS):
        image = getattr(skimage.data, name)()[..., :3]
        rows, cols = image.shape[0] // size, image.shape[1] // size
        cut = image[:rows * size, :cols * size].reshape(rows, size, cols, size, 3).swapaxes(1, 2)
        tiles.append(cut.reshape(-1, size, size, 3))
        labels.append(np.full(rows * cols, label))
    x, y = np.concatenate(tiles), np.concatenate(labels)
    grey = x.mean(axis=3).reshape(len(x), -1)
    std = grey.std(axis=1)
    z = (grey - grey.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1)[:, None]
    corr = z @ z.T / grey.shape[1]
    keep = np.zeros(len(x), bool)
    for i in np.flatnonzero(std >= min_std):
        keep[i] = not (corr[i, keep] > max_corr).any()
    return panel.split(x[keep], y[keep], 0.8, 0.2, seed, PHOTOS)


# --- the panel ------------------------------------------------------------------------------------

def png(build: Callable[[], panel.Splits]) -> Callable[[Path], Path]:
    """A writer of ``build()``'s splits as a PNG folder."""
    return lambda folder: panel.write_image_folder(build(), folder / "images")


def csvs(build: Callable[[], panel.Splits], label: str = "label") -> Callable[[Path], Path]:
    """A writer of ``build()``'s splits as ``train.csv`` and ``test.csv``."""
    return lambda folder: panel.write_csvs(build(), folder / "table", label)


def clean_cases(sizes: list[int], pool, seed: int, quick: bool) -> list[Case]:
    """The clean panel."""
    cases = [Case(f"fashion-{n} png", png(lambda n=n: fashion(pool, n, seed))) for n in sizes]
    cases += [
        Case("fashion-300 torch Dataset", lambda _: panel.torch_datasets(fashion(pool, 300, seed))),
        Case("digits 300/100 npz",
             lambda folder: panel.write_npz(panel.digits_images(300, 100, seed=1), folder / "digits.npz")),
        Case("digits 300/100 png", png(lambda: panel.digits_images(300, 100, seed=1))),
        Case("digits table", csvs(lambda: panel.digits_table(seed))),
        Case("fashion-1000 pixel csv", csvs(lambda: panel.flattened(fashion(pool, 1000, seed)))),
        Case("fashion-3000 pixel csv", csvs(lambda: panel.flattened(fashion(pool, 3000, seed)))),
        Case("wine table", csvs(lambda: panel.sklearn_table("wine", seed))),
        Case("breast_cancer table", csvs(lambda: panel.sklearn_table("breast_cancer", seed))),
        Case("raw wine table", csvs(lambda: panel.sklearn_table("wine", seed, raw=True))),
        Case("raw breast_cancer table", csvs(lambda: panel.sklearn_table("breast_cancer", seed, raw=True))),
        Case("diabetes regression", csvs(lambda: panel.diabetes(seed), label="target")),
        Case("sparse 1000x500", csvs(lambda: panel.sparse_signal(1000, 500, seed))),
        Case("categorical 3000 (144 combinations)", csvs(lambda: panel.coarse_table(3000, seed))),
        Case("1-5 survey 3000", csvs(lambda: panel.survey(3000, seed))),
    ]
    if not quick:
        cases.append(Case("sparse 200x5000", csvs(lambda: panel.sparse_signal(200, 5000, seed))))
    try:
        import skimage.data  # noqa: F401 - optional source
        cases.append(Case("photo tiles png", png(lambda: photo_tiles(seed))))
    except ImportError:
        pass
    cases += [Case(f"sample_data/{p.name}", lambda _, p=p: p)
              for p in sorted((REPO / "sample_data").glob("clean_*"))]
    return cases


def planted_cases(pool, seed: int, quick: bool) -> list[Case]:
    """The planted panel: clean sets with one defect each."""
    digits = panel.digits_table(seed)
    f1k = fashion(pool, 1000, seed)
    table = panel.sklearn_table("breast_cancer", seed)
    cases = [
        Case("shuffled labels, digits table",
             csvs(lambda: panel.shuffled_labels(digits, seed)), "learnability"),
        Case("shuffled labels, fashion-1000", png(lambda: panel.shuffled_labels(f1k, seed)), "learnability"),
        Case("20% flips, digits table", csvs(lambda: panel.flipped_labels(digits, 0.2, seed)), "label_noise"),
        Case("20% flips, fashion-1000", png(lambda: panel.flipped_labels(f1k, 0.2, seed)), "label_noise"),
        Case("40% of 1 -> 7, digits table",
             csvs(lambda: panel.pair_flipped_labels(digits, 1, 7, 0.4, seed)), "label_noise"),
        Case("40% Trouser -> Bag, fashion-1000",
             png(lambda: panel.pair_flipped_labels(f1k, 1, 8, 0.4, seed)), "label_noise"),
        Case("sorted labels, digits one csv",
             lambda folder: panel.write_one_csv(panel.sorted_by_label(digits), folder / "sorted.csv"),
             "label_order"),
        Case("10% exact copies train->test, fashion-1000",
             png(lambda: panel.copied_across(f1k, 0.1, seed)), "split_leakage"),
        Case("10% mirrored copies train->test, fashion-1000",
             png(lambda: panel.copied_across(f1k, 0.1, seed, mirrored=True)), "split_leakage"),
        Case("class 1 kept at 5%, fashion-1000",
             png(lambda: panel.imbalanced(f1k, 1, 0.05, seed)), "class_balance"),
        Case("class 0 kept at 5%, breast_cancer",
             csvs(lambda: panel.imbalanced(table, 0, 0.05, seed)), "class_balance"),
        Case("10 NaN cells, breast_cancer", csvs(lambda: panel.with_nan(table, 10, seed)), "input_integrity"),
        Case("5 '?' cells in a column, breast_cancer", csvs(lambda: panel.with_markers(table, 5, "?", seed)),
             "input_integrity"),
        Case("columns a scaler missed, breast_cancer", csvs(lambda: panel.unscaled(table, seed)), "feature_scaling"),
        Case("4 values 40 SD out, breast_cancer",
             csvs(lambda: panel.with_extreme_values(table, 4, 40.0, seed)), "outliers"),
        Case("label + noise column, breast_cancer",
             csvs(lambda: panel.with_label_column(table, 0.5, seed)), "target_leakage"),
        Case("label + noise column, wine", csvs(lambda: panel.with_label_column(panel.sklearn_table("wine", seed),
                                                                                0.5, seed)), "target_leakage"),
        Case("shuffled target, diabetes regression",
             csvs(lambda: panel.shuffled_labels(panel.diabetes(seed), seed), label="target"), "learnability"),
    ]
    try:
        import skimage.data  # noqa: F401 - optional source
        cases.append(Case("10% mirrored copies train->test, photo tiles",
                          png(lambda: panel.copied_across(photo_tiles(seed), 0.1, seed, mirrored=True)),
                          "split_leakage"))
    except ImportError:
        pass
    if not quick:
        f3k = fashion(pool, 3000, seed)
        cases += [
            Case("20% flips, fashion-3000 pixel csv",
                 csvs(lambda: panel.flattened(panel.flipped_labels(f3k, 0.2, seed))), "label_noise"),
            Case("20% flips, fashion-3000", png(lambda: panel.flipped_labels(f3k, 0.2, seed)), "label_noise"),
            Case("40% Trouser -> Bag, fashion-3000",
                 png(lambda: panel.pair_flipped_labels(f3k, 1, 8, 0.4, seed)), "label_noise"),
        ]
    return cases


# --- running --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What one profile gave: seconds, loud findings as ``(severity, code)``, or the exception."""

    seconds: float
    loud: tuple[tuple[str, str], ...]
    failure: str = ""


def profile(case: Case, seed: int) -> Outcome:
    """Write the set to a temporary folder (or build its objects) and profile it with the default
    checks."""
    import datacheck

    with tempfile.TemporaryDirectory() as tmp:
        source = case.write(Path(tmp))
        start = time.perf_counter()
        try:
            if isinstance(source, dict):
                report = datacheck.profile(**source, seed=seed)
            else:
                report = datacheck.profile(source, seed=seed)
        except Exception as exc:  # a crash is a result to print, not a reason to stop the panel
            return Outcome(time.perf_counter() - start, (), f"{type(exc).__name__}: {exc}"[:120])
        seconds = time.perf_counter() - start
    found = sorted((f.severity.value, f.code) for f in report.findings if f.severity.value in LOUD)
    return Outcome(seconds, tuple(found))


def codes(outcome: Outcome) -> str:
    """``severity code`` of each loud finding, or the failure."""
    if outcome.failure:
        return f"RAISED {outcome.failure}"
    return ", ".join(f"{s[0].upper()}:{c}" for s, c in outcome.loud) or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="import datacheck from this folder (a checkout), not the installed one")
    parser.add_argument("--sizes", default="300,600,1000,3000,10000", help="Fashion-MNIST subset sizes")
    parser.add_argument("--only", default=None, help="run only the sets whose name holds this text")
    parser.add_argument("--quick", action="store_true",
                        help="Fashion-MNIST at 300 and 1,000 only, fewer large sets")
    parser.add_argument("--fashion-dir", type=Path, default=FASHION)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.root is not None:
        sys.path.insert(0, str(args.root.resolve()))
    warnings.simplefilter("ignore")
    import datacheck

    sizes = [300, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    pool = fashion_pool(args.fashion_dir)
    print(f"datacheck from {Path(datacheck.__file__).parent.parent}, seed={args.seed}")

    def chosen(cases: list[Case]) -> list[Case]:
        return [c for c in cases if args.only is None or args.only in c.name]

    clean = chosen(clean_cases(sizes, pool, args.seed, args.quick))
    n_loud = 0
    print(f"\nclean panel (target: 0 warnings/errors)\n{'set':34s} {'time':>7s} {'loud':>4s}  codes")
    for case in clean:
        out = profile(case, args.seed)
        n_loud += len(out.loud) + bool(out.failure)
        print(f"{case.name:34s} {out.seconds:6.1f}s {len(out.loud):4d}  {codes(out)}", flush=True)

    planted = chosen(planted_cases(pool, args.seed, args.quick))
    n_caught = 0
    print(f"\nplanted panel (target: all caught)\n"
          f"{'defect':46s} {'expects':16s} {'caught':>6s} {'time':>7s}  codes")
    for case in planted:
        out = profile(case, args.seed)
        caught = any(code.split(".")[0] == case.expect for _, code in out.loud)
        n_caught += caught
        print(f"{case.name:46s} {case.expect:16s} {'yes' if caught else 'NO':>6s} {out.seconds:6.1f}s  "
              f"{codes(out)}", flush=True)
    print(f"\nclean sets: {len(clean)}, warning/error findings on them: {n_loud}; "
          f"planted defects caught: {n_caught}/{len(planted)}")


if __name__ == "__main__":
    main()
