"""Benchmark: profiling datasets larger than memory should comfortably hold, streamed.

Generates N rows x 20 float features and a 10-class label (class-dependent means, rows in
random order) as a folder of Parquet part files, or with ``--format csv`` as one CSV file,
then, for each size, profiles it streamed in a fresh process and prints that process's peak
memory, the load and scan's time per row and as a ratio to a baseline measured in the same
process (one pass of pyarrow reading every record batch of the same files), and the checks'
time (the model-based ones work on a fixed-size sample, so their cost stops growing). Issue
9's target: peak memory under 2 GiB at 20,000,000 rows, and time per row about constant
across 1M, 5M and 20M rows (linear growth).

    python benchmarks/scale.py [--rows 1000000,5000000,20000000] [--format parquet|csv]
                               [--workdir DIR] [--keep] [--checks all|scan-only]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_FEATURES = 20
N_CLASSES = 10
PART_ROWS = 1_000_000
ROW_GROUP = 250_000


def generate(folder: Path, n_rows: int, fmt: str = "parquet", seed: int = 0) -> None:
    """Write ``n_rows`` rows as Parquet part files of ``PART_ROWS`` rows each, or as one CSV."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (N_CLASSES, N_FEATURES))
    writer = None
    for k, start in enumerate(range(0, n_rows, PART_ROWS)):
        n = min(PART_ROWS, n_rows - start)
        y = rng.integers(0, N_CLASSES, n)
        x = rng.normal(0, 1, (n, N_FEATURES)) + centres[y]
        cols = {f"f{j:02d}": x[:, j] for j in range(N_FEATURES)}
        cols["label"] = y
        table = pa.table(cols)
        if fmt == "parquet":
            pq.write_table(table, folder / f"part-{k:05d}.parquet", row_group_size=ROW_GROUP)
            continue
        writer = writer or pacsv.CSVWriter(folder / "data.csv", table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def read_baseline(folder: Path) -> float:
    """Seconds for one pass of pyarrow over every record batch of every file."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    total = 0.0
    for f in sorted(folder.glob("*.parquet")):
        with pq.ParquetFile(f) as pf:
            for batch in pf.iter_batches(batch_size=1 << 18):
                total += batch.num_rows
    for f in sorted(folder.glob("*.csv")):
        for batch in pacsv.open_csv(f, read_options=pacsv.ReadOptions(block_size=1 << 24)):
            total += batch.num_rows
    return time.perf_counter() - start


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from benchmarks.scale import read_baseline
from datacheck.api import select_checks
from datacheck.checks import CheckContext
from datacheck.checks.runner import run_checks
from datacheck.data import load
from datacheck.scan import scan
folder, checks = Path(sys.argv[1]), sys.argv[2]
base = read_baseline(folder)
start = time.perf_counter()
dataset = load(folder, stream=True)
result = scan(dataset)
scanned = time.perf_counter()
findings = None
if checks == "all":
    _, found = run_checks(CheckContext(dataset, result, {"seed": 0}), select_checks())
    findings = {s: sum(f.severity.value == s for f in found) for s in ("error", "warning", "info")}
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"baseline_s": base, "scan_s": scanned - start, "checks_s": done - scanned,
                  "peak_bytes": peak, "findings": findings}))
"""


def profile_in_child(folder: Path, checks: str) -> dict:
    """Profile ``folder`` in a fresh Python process; its own peak memory and timings."""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), checks], cwd=root,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,5000000,20000000")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--checks", choices=("all", "scan-only"), default="all")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="datacheck-scale-"))
    print(f"{'rows':>12} {'read s':>7} {'load+scan s':>11} {'ratio':>6} {'scan us/row':>11} "
          f"{'checks s':>8} {'total us/row':>12} {'peak MiB':>8}  findings")
    try:
        for n in sizes:
            folder = work / f"{args.format}-rows-{n}"
            if not folder.exists():
                generate(folder, n, args.format)
            res = profile_in_child(folder, args.checks)
            total = res["scan_s"] + res["checks_s"]
            print(f"{n:>12,} {res['baseline_s']:>7.2f} {res['scan_s']:>11.2f} "
                  f"{res['scan_s'] / res['baseline_s']:>6.2f} {res['scan_s'] / n * 1e6:>11.3f} "
                  f"{res['checks_s']:>8.2f} {total / n * 1e6:>12.3f} {res['peak_bytes'] / 2**20:>8.0f}"
                  f"  {res['findings']}", flush=True)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print("target: peak under 2048 MiB at 20M rows; us/row about constant across sizes")


if __name__ == "__main__":
    main()
