"""Benchmark ``datacheck.profile`` against the bare floor, both measured in the same run.

Two datasets are generated once (setup, not timed) and cached under ``--cache``:

- a 1,000,000 x 50 Parquet table (45 float64 and 5 integer features) with a ``label`` column;
  its floor is reading the file with ``pyarrow.parquet.read_table``;
- 60,000 28x28 grayscale PNGs in class folders (Fashion-MNIST's training images when Debian's
  ``dataset-fashion-mnist`` is installed, else random blobs); its floor is decoding every file
  with Pillow in one process, ``np.asarray(Image.open(p))`` each.

The table comes twice: with random labels, and with labels that depend on 10 of the features
plus noise (the argmax of a random linear map of them and Gaussian noise): models learn the
second, so its model checks do their full work.

Each line prints the floor, the profile time and their ratio. Targets (2 cores): the one-pass
checks (every check but ``learnability`` and ``label_noise``) within 3x of the Parquet read and
at most 1x the one-process decode; ``--all-checks`` times the whole default profile, the model
checks included, with targets of 4x the Parquet read and 4x the one-process decode, and prints
the model checks' share.

After one untimed call of each, the floor and the profile are timed alternately,
``--repeat`` times (default 3), and the best of each is kept; CPU seconds (this process and the
decoding workers) are printed beside the wall times, since on a machine shared with other jobs
they are the steadier number.

Two more measurements (``--all-checks``):

- **memory**: the peak resident memory of the Parquet read and of the default profile, each in
  a fresh child process (its ``VmHWM``, so neither sees the other's pages); target:
  the profile's peak at most 1.5x the read's;
- **whole process**: what a user waits for, the 1M-row table with labels that depend on the
  features: ``datacheck profile`` (the HTML report written) and a Python process that reads
  the file with pyarrow, each a fresh process, alternately; target 4x. Both pay the
  interpreter's start, the imports and memory got from the system afresh, which the
  in-process timings above leave out (a warm process reuses its pages);
- **load**: the 100,000-row table with labels that depend on the features, and one with a
  numeric target (a regression), each profiled quiet and with one busy process (a pure-Python
  spin loop) on the machine, alternately; target: at most 1.5x the quiet time;
- **boosting worker**: the regression table profiled with every gradient boosting fit in
  this process and with the large ones in the worker process, alternately (no target).

``--only wide`` (run only when named; about 4 minutes with ``--repeat 1``) profiles a 784-column
table, the 60,000 images as pixel columns (Kaggle's pixel CSVs have this shape), quiet and with
one busy process beside it, alternately; target: at most 1.5x the quiet time.

Usage::

    python benchmarks/profile_speed.py            # full size
    python benchmarks/profile_speed.py --quick    # 100,000 rows and 6,000 images, a sanity run
    python benchmarks/profile_speed.py --only table --repeat 5 --cache /data/bench
    python benchmarks/profile_speed.py --only wide --repeat 1
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Boot")
MODEL_FITTING = ("learnability", "label_noise")
TABLE_TARGET = 3.0
IMAGE_TARGET = 1.0
# the default profile, model checks included
ALL_TABLE_TARGET = 4.0
ALL_IMAGE_TARGET = 4.0
RSS_TARGET = 1.5
BUSY_TARGET = 1.5


# --------------------------------------------------------------------------- setup (not timed)

def make_table(path: Path, n_rows: int, seed: int = 0, signal: bool = False,
               regression: bool = False) -> None:
    """Write an ``n_rows`` x 50 feature Parquet table with a 10-class ``label`` column.

    With ``signal`` the label is the argmax of a random linear map of the first 10 features
    (standardized) plus unit Gaussian noise; else it is drawn at random. With ``regression``
    the label is a number instead: Friedman's first function of the first 5 standardized
    features (a product in a sine, a square, two linear terms) plus unit Gaussian noise.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    columns = {}
    for j in range(45):
        columns[f"f{j:02d}"] = rng.standard_normal(n_rows) * (j + 1) + j
    for j in range(45, 50):
        columns[f"f{j:02d}"] = rng.poisson(3 + j, n_rows).astype(np.int64)
    if regression:
        z = np.column_stack([(columns[f"f{j:02d}"] - j) / (j + 1) for j in range(5)])
        columns["label"] = (10 * np.sin(np.pi * z[:, 0] * z[:, 1]) + 20 * (z[:, 2] - 0.5) ** 2 + 10 * z[:, 3]
                            + 5 * z[:, 4] + rng.standard_normal(n_rows))
    elif signal:
        z = np.column_stack([(columns[f"f{j:02d}"] - j) / (j + 1) for j in range(10)])
        scores = z @ rng.standard_normal((10, 10)) + rng.standard_normal((n_rows, 10))
        columns["label"] = scores.argmax(axis=1)
    else:
        columns["label"] = rng.integers(0, 10, n_rows)
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.table(columns), tmp)
    tmp.rename(path)


def _fashion_images(n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The first ``n`` Fashion-MNIST training images and labels, if the idx files are installed."""
    images, labels = FASHION_DIR / "train-images-idx3-ubyte.gz", FASHION_DIR / "train-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        return None
    x = np.frombuffer(gzip.decompress(images.read_bytes()), np.uint8, offset=16).reshape(-1, 28, 28)
    y = np.frombuffer(gzip.decompress(labels.read_bytes()), np.uint8, offset=8)
    return (x[:n], y[:n]) if len(x) >= n else None


def _blob_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random smooth blobs with a class-dependent position, as stand-in 28x28 images."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    grid = np.arange(28, dtype=np.float32)
    cy = (y % 5 * 4 + 6 + rng.normal(0, 1.5, n)).astype(np.float32)[:, None, None]
    cx = (y // 5 * 10 + 9 + rng.normal(0, 1.5, n)).astype(np.float32)[:, None, None]
    d2 = (grid[None, :, None] - cy) ** 2 + (grid[None, None, :] - cx) ** 2
    x = 255 * np.exp(-d2 / 30) + rng.normal(0, 12, (n, 28, 28))
    return np.clip(x, 0, 255).astype(np.uint8), y


def make_wide_table(path: Path, n: int) -> str:
    """Write ``n`` 28x28 images as a Parquet table of 784 uint8 ``pixel<i>`` columns and a
    ``label`` (the shape of Kaggle's pixel CSVs); return where they came from."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _fashion_images(n)
    source = "Fashion-MNIST training images" if data is not None else "random blobs"
    x, y = data if data is not None else _blob_images(n)
    flat = x.reshape(len(x), -1)
    columns = {f"pixel{j + 1}": flat[:, j] for j in range(flat.shape[1])}
    columns["label"] = y.astype(np.int64)
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.table(columns), tmp)
    tmp.rename(path)
    return source


def _write_pngs(args: tuple[str, list[tuple[str, np.ndarray]]]) -> None:
    from PIL import Image

    root, items = args
    for rel, pixels in items:
        Image.fromarray(pixels, mode="L").save(os.path.join(root, rel))


def make_images(root: Path, n: int) -> str:
    """Write ``n`` 28x28 L PNGs as ``root/<class>/<index>.png``; return where they came from."""
    data = _fashion_images(n)
    source = "Fashion-MNIST training images" if data is not None else "random blobs"
    x, y = data if data is not None else _blob_images(n)
    tmp = root.with_name(root.name + ".tmp")
    for name in CLASSES:
        (tmp / name).mkdir(parents=True, exist_ok=True)
    items = [(f"{CLASSES[int(c)]}/{i:05d}.png", x[i]) for i, c in enumerate(y)]
    parts = [(str(tmp), items[i:i + 2000]) for i in range(0, len(items), 2000)]
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write_pngs, parts))
    tmp.rename(root)
    return source


# --------------------------------------------------------------------------- timing

def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the image decoding workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(fn) -> tuple[float, float, object]:
    """Wall and CPU seconds of one call of ``fn``, and its result."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


CHECKS_WALL: list[float] = []


def time_the_checks() -> None:
    """Record the wall time of every run of the checks in ``CHECKS_WALL``: the checks' own
    durations may overlap (the model checks run beside the others), so their sum is not it."""
    from datacheck.checks import runner

    inner = runner.run_checks

    def run_checks(ctx, checks, meanwhile=None):
        start = time.perf_counter()
        try:
            return inner(ctx, checks, meanwhile)
        finally:
            CHECKS_WALL.append(time.perf_counter() - start)
    runner.run_checks = run_checks


def compare(repeat: int, floor_fn, profile_fn):
    """Best (smallest) wall and CPU times of the floor and the profile, measured alternately,
    and the report and checks' wall time of the profile's fastest run.

    One untimed call of each first (imports, the page cache); alternating keeps a burst of
    load on a shared machine from landing on one side only.
    """
    floor_fn()
    profile_fn()
    floor, prof = [], []
    for _ in range(repeat):
        wall, cpu, _ = timed(floor_fn)
        floor.append((wall, cpu))
        prof.append((*timed(profile_fn), CHECKS_WALL[-1] if CHECKS_WALL else 0.0))
    best = min(prof, key=lambda run: run[0])
    # the report of the fastest run, so that its check times belong to its wall time
    return min(floor), best[:2], best[2:]


def peak_rss_mib(code: str) -> float:
    """Peak resident memory (MiB) of a fresh Python child process running ``code``.

    The child reports its own ``VmHWM`` (``/proc/self/status``): the high-water mark of
    its address space, which starts afresh at ``exec``. (Its ``ru_maxrss`` would not: Linux
    carries the forking parent's peak over into it.)
    """
    probe = (f"{code}\nimport re\n"
             "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=str(Path(__file__).resolve().parent.parent),
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def whole_process_compare(repeat: int, floor_code: str, profile_args: list[str]) -> tuple[float, float]:
    """Best wall seconds of two fresh Python processes, run alternately: one running
    ``floor_code``, one running the ``datacheck`` command line with ``profile_args``.

    What a user waits for: each pays the interpreter's start, its imports, and memory it
    must get from the system (a warm process reuses pages it already has, which flatters
    whatever runs in it second). One untimed run of each first (the page cache).
    """
    root = str(Path(__file__).resolve().parent.parent)
    cli = "import sys; from datacheck.cli import run; sys.argv[0] = 'datacheck'; run()"
    commands = ([sys.executable, "-c", floor_code], [sys.executable, "-c", cli, *profile_args])
    walls: tuple[list, list] = ([], [])
    for run in range(repeat + 1):
        for command, kept in zip(commands, walls):
            start = time.perf_counter()
            subprocess.run(command, cwd=root, capture_output=True, check=True)
            if run:
                kept.append(time.perf_counter() - start)
    return min(walls[0]), min(walls[1])


def _spin() -> None:
    """A busy process: a pure-Python loop that never ends (terminated by the caller)."""
    x = 0
    while True:
        x = (x + 1) % 1_000_003


def busy_compare(repeat: int, profile_fn) -> tuple[float, float]:
    """Best wall time of ``profile_fn`` quiet and with one busy process beside it, alternating."""
    import multiprocessing

    profile_fn()
    quiet, busy = [], []
    for _ in range(repeat):
        quiet.append(timed(profile_fn)[0])
        spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
        spinner.start()
        try:
            time.sleep(0.2)
            busy.append(timed(profile_fn)[0])
        finally:
            spinner.terminate()
            spinner.join()
    return min(quiet), min(busy)


def worker_compare(repeat: int, profile_fn) -> tuple[float, float]:
    """Best wall time of ``profile_fn`` with every gradient boosting fit in this process, and
    with the large ones taken by the worker process (``datacheck.models.workers``),
    alternating; the worker is started by the untimed first call, as in any later profile
    of the same Python session."""
    from datacheck.models import workers

    offload_cells = workers.OFFLOAD_CELLS
    profile_fn()
    here, beside = [], []
    try:
        for _ in range(repeat):
            workers.OFFLOAD_CELLS = sys.maxsize
            here.append(timed(profile_fn)[0])
            workers.OFFLOAD_CELLS = offload_cells
            beside.append(timed(profile_fn)[0])
    finally:
        workers.OFFLOAD_CELLS = offload_cells
    return min(here), min(beside)


def read_parquet(path: Path):
    import pyarrow.parquet as pq

    return pq.read_table(path)


def decode_one_process(paths: list[str]) -> int:
    from PIL import Image

    total = 0
    for p in paths:
        total += np.asarray(Image.open(p)).size
    return total


def list_pngs(root: Path) -> list[str]:
    return sorted(str(p) for p in root.glob("*/*.png"))


def breakdown(run: tuple, total: float) -> str:
    """Load+scan time (the rest of the total), the checks' wall time, the slowest checks and
    the model checks' share; ``run`` is the report and the checks' wall time."""
    report, in_checks = run
    outcomes = sorted(report.checks, key=lambda o: -o.duration_s)
    slow = ", ".join(f"{o.id} {o.duration_s:.2f}" for o in outcomes[:5])
    models = sum(o.duration_s for o in outcomes if o.id in MODEL_FITTING)
    used = {f.metrics.get("model") for f in report.findings if f.check in MODEL_FITTING} - {None}
    fitted = f", model checks {models:.2f} s ({'; '.join(sorted(used))})" if models else ""
    beside = " (some side by side)" if sum(o.duration_s for o in outcomes) > in_checks * 1.05 else ""
    return f"load+scan {total - in_checks:.2f} s, checks {in_checks:.2f} s{beside} ({slow}){fitted}"


def line(name: str, floor_name: str, floor: tuple, took: tuple, target: float) -> str:
    ratio = took[0] / floor[0]
    verdict = "ok" if ratio <= target else "MISSED"
    return (f"{name}: floor ({floor_name}) {floor[0]:.2f} s | profile {took[0]:.2f} s | "
            f"ratio {ratio:.2f}x (target <= {target:g}x: {verdict}) | "
            f"CPU s {floor[1]:.2f} vs {took[1]:.2f} ({took[1] / floor[1]:.2f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows and 6,000 images")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/datacheck-bench"),
                        help="where the generated data is kept between runs")
    parser.add_argument("--only", choices=("table", "images", "wide"),
                        help="run one benchmark (``wide`` runs only when named)")
    parser.add_argument("--all-checks", action="store_true",
                        help="time every check, the model-fitting ones included")
    parser.add_argument("--repeat", type=int, default=3,
                        help="best of N runs of each timing, floor and profile alternating")
    args = parser.parse_args(argv)

    import datacheck
    from datacheck.checks import REGISTRY
    from datacheck.scan.images import available_cpus

    checks = None if args.all_checks else [c for c in REGISTRY if c not in MODEL_FITTING]
    time_the_checks()

    n_rows, n_images = (100_000, 6_000) if args.quick else (1_000_000, 60_000)
    args.cache.mkdir(parents=True, exist_ok=True)
    print(f"datacheck benchmark: {available_cpus()} CPUs, {'quick' if args.quick else 'full'} size, "
          f"data in {args.cache}")

    table_target, image_target = ((ALL_TABLE_TARGET, ALL_IMAGE_TARGET) if args.all_checks
                                  else (TABLE_TARGET, IMAGE_TARGET))
    if args.only in (None, "table"):
        for signal, suffix, labels in ((False, "", "random labels"),
                                       (True, "_signal", "labels depend on 10 features")):
            path = args.cache / f"table_{n_rows}x50{suffix}.parquet"
            if not path.exists():
                make_table(path, n_rows, signal=signal)
                print(f"    wrote {path} (not timed)")
            floor, took, run = compare(args.repeat, lambda: read_parquet(path).num_rows,
                                          lambda: datacheck.profile(path, checks=checks))
            print(line(f"table  {n_rows:,} x 50 Parquet, {labels}", "pyarrow read", floor, took, table_target))
            print(f"    {breakdown(run, took[0])}")
            if signal and args.all_checks:
                read_peak = peak_rss_mib(f"import pyarrow.parquet as pq; pq.read_table({str(path)!r})")
                prof_peak = peak_rss_mib(f"import datacheck; datacheck.profile({str(path)!r})")
                ratio = prof_peak / read_peak
                print(f"    memory: peak RSS of the read {read_peak:,.0f} MiB | profile {prof_peak:,.0f} MiB | "
                      f"ratio {ratio:.2f}x (target <= {RSS_TARGET:g}x: {'ok' if ratio <= RSS_TARGET else 'MISSED'})")
                with tempfile.TemporaryDirectory() as out:
                    read, cli = whole_process_compare(
                        args.repeat, f"import pyarrow.parquet as pq; pq.read_table({str(path)!r})",
                        ["profile", str(path), "--html", f"{out}/report.html"])
                ratio = cli / read
                print(f"    whole process: python reading it {read:.2f} s | `datacheck profile` with its HTML report "
                      f"{cli:.2f} s | ratio {ratio:.2f}x (target <= {ALL_TABLE_TARGET:g}x: "
                      f"{'ok' if ratio <= ALL_TABLE_TARGET else 'MISSED'})")
        if args.all_checks:
            path = args.cache / "table_100000x50_signal.parquet"
            if not path.exists():
                make_table(path, 100_000, signal=True)
            quiet, busy = busy_compare(args.repeat, lambda: datacheck.profile(path))
            ratio = busy / quiet
            print(f"table  100,000 x 50 Parquet, one busy process beside it: quiet {quiet:.2f} s | busy {busy:.2f} s | "
                  f"ratio {ratio:.2f}x (target <= {BUSY_TARGET:g}x: {'ok' if ratio <= BUSY_TARGET else 'MISSED'})")
            path = args.cache / "table_100000x50_regression.parquet"
            if not path.exists():
                make_table(path, 100_000, regression=True)
            quiet, busy = busy_compare(args.repeat, lambda: datacheck.profile(path, task="regression"))
            ratio = busy / quiet
            print(f"table  100,000 x 50 Parquet, numeric target, one busy process beside it: quiet {quiet:.2f} s | "
                  f"busy {busy:.2f} s | ratio {ratio:.2f}x (target <= {BUSY_TARGET:g}x: "
                  f"{'ok' if ratio <= BUSY_TARGET else 'MISSED'})")
            here, beside = worker_compare(args.repeat, lambda: datacheck.profile(path, task="regression"))
            print(f"    boosting fits all in this process {here:.2f} s | large ones in the worker process "
                  f"{beside:.2f} s | ratio {beside / here:.2f}x")

    if args.only == "wide":
        path = args.cache / f"table_{n_images}x784.parquet"
        if not path.exists():
            print(f"    wrote {path} from {make_wide_table(path, n_images)} (not timed)")
        quiet, busy = busy_compare(args.repeat, lambda: datacheck.profile(path))
        ratio = busy / quiet
        print(f"table  {n_images:,} x 784 Parquet (pixels as columns), one busy process beside it: quiet "
              f"{quiet:.2f} s | busy {busy:.2f} s | ratio {ratio:.2f}x (target <= {BUSY_TARGET:g}x: "
              f"{'ok' if ratio <= BUSY_TARGET else 'MISSED'})")

    if args.only in (None, "images"):
        root = args.cache / f"images_{n_images}"
        if not root.exists():
            print(f"    writing {n_images:,} PNGs from {make_images(root, n_images)} (not timed)")
        paths = list_pngs(root)
        floor, took, run = compare(args.repeat, lambda: decode_one_process(paths),
                                      lambda: datacheck.profile(root, checks=checks))
        print(line(f"images {len(paths):,} 28x28 PNGs", "Pillow decode, 1 process", floor, took,
                   image_target))
        print(f"    {breakdown(run, took[0])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
