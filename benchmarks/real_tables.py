"""Benchmark: the default profile on real tables, each finding judged as a careful engineer would.

The tables are the data sets of R's ``modeldata`` package (MIT): Telco and another churn table,
credit scoring, loans, house prices (Ames, Sacramento), concrete strength, penguins, speech
features (752 columns), a developer survey and others, 96 to 9,857 rows, classification and
regression. Each is written as Parquet and profiled as ``datacheck profile FILE --label COL``
runs it (all checks, model checks included).

Real data has real defects. Each set lists the warnings and errors that are true, each with
what in the data makes it so (missing values, rows stored sorted, copied rows, a value thousands
of deviations out); any other warning or error is a false alarm, and a listed one not raised is
a miss. Target: no false alarm, no miss.

Source: Debian's ``r-cran-modeldata`` package, unpacked, not installed (it would pull in R):
``apt-get download r-cran-modeldata && dpkg -x r-cran-modeldata_*.deb DIR``, which this script
does itself into ``--cache`` when ``apt-get`` is at hand. Its data is an R lazy-load database,
read with the ``rdata`` package (``pip install rdata``).

    python benchmarks/real_tables.py [--root DIR] [--only TEXT] [--cache DIR] [--modeldata DIR]

``--root DIR`` imports datacheck from DIR (a ``git worktree`` of an older commit), so that two
versions are compared on the same sets. It takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import lzma
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELDATA = "usr/lib/R/site-library/modeldata/data"
LOUD = ("warning", "error")


@dataclass(frozen=True)
class Table:
    """One real table of the panel.

    Parameters
    ----------
    name : str
        Its name in ``modeldata``.
    label : str
        The column to predict.
    split_col : str, optional
        A column naming each row's split.
    true : dict
        Finding code -> why the data holds what it says: the warnings and errors that are right.
    """

    name: str
    label: str
    split_col: str | None = None
    true: dict[str, str] = field(default_factory=dict)


NAN = "input_integrity.nan"
TABLES = (
    Table("ad_data", "Class"),
    Table("ames", "Sale_Price"),
    Table("attrition", "Attrition"),
    Table("biomass", "HHV", "dataset"),
    Table("bivariate_train", "Class"),
    Table("car_prices", "Price"),
    Table("cells", "class", "case"),
    Table("concrete", "compressive_strength", true={
        "duplicates.exact": "25 rows are stored twice, a known fault of this data",
        "duplicates.label_conflicts": "one mix at 7 days holds strengths 55.9, 55.9, 55.9 and 22.9"}),
    Table("credit_data", "Status", true={NAN: "455 values are NA in Income, Assets, Debt, Home, Marital, Job"}),
    Table("hpc_data", "class", true={
        "label_order.clustered": "the rows are stored by protocol: runs of one class up to 90 long"}),
    Table("lending_club", "Class", true={"class_balance.imbalance": "517 bad loans against 9,340 good"}),
    Table("mlc_churn", "churn"),
    Table("oils", "class", true={
        "class_balance.few_samples": "corn has 2 samples, peanut 3, olive 7",
        "class_balance.imbalance": "pumpkin 37 samples, corn 2",
        "duplicates.exact": "5 of the 96 rows are stored twice"}),
    Table("parabolic", "class"),
    Table("pd_speech", "class", true={
        "outliers.extreme_values": "tqwt_entropy_shannon_dec_29 holds -4994 where every other value is above -34"}),
    Table("penguins", "species", true={
        NAN: "2 birds have no measurement and 9 no sex",
        "label_order.sorted_runs": "the rows are stored by species"}),
    Table("Sacramento", "price", true={
        "label_order.sorted_target": "the sales are stored by day and, within a day, by price"}),
    Table("scat", "Species", true={NAN: "47 values are NA"}),
    Table("stackoverflow", "Remote"),
    Table("two_class_dat", "Class"),
    Table("wa_churn", "churn", true={NAN: "total_charges is NA for the 11 customers of tenure 0"}),
)


# --- reading R's lazy-load database ---------------------------------------------------------------

def _inflate(blob: bytes) -> bytes:
    """An R lazy-load entry: 4 bytes of length, then a type byte and the compressed bytes
    (``Z`` raw xz, ``2`` bzip2, ``1`` zlib, ``0`` none), or zlib right after the length."""
    kind = blob[4:5]
    if kind == b"Z":
        return lzma.decompress(blob[5:], format=lzma.FORMAT_RAW,
                               filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
    if kind == b"2":
        import bz2

        return bz2.decompress(blob[5:])
    if kind == b"1":
        return zlib.decompress(blob[5:])
    if kind == b"0":
        return blob[5:struct.unpack(">I", blob[:4])[0] + 5]
    return zlib.decompress(blob[4:])


def read_frames(folder: Path, names: list[str]) -> dict:
    """The data frames ``names`` of the lazy-load database in ``folder`` (``Rdata.rdx`` and
    ``Rdata.rdb``), factors as text."""
    import rdata

    def convert(raw: bytes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unknown file type: assumed RDS"
            return rdata.conversion.convert(rdata.parser.parse_data(raw, expand_altrep=True))

    index = convert(gzip.decompress((folder / "Rdata.rdx").read_bytes()))
    out = {}
    with open(folder / "Rdata.rdb", "rb") as db:
        for name in names:
            start, length = (int(v) for v in index["variables"][name])
            db.seek(start)
            frame = convert(_inflate(db.read(length)))
            for col in frame.columns:
                if str(frame[col].dtype) == "category":
                    frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            out[name] = frame
    return out


def modeldata_folder(cache: Path) -> Path:
    """The unpacked ``r-cran-modeldata`` data folder under ``cache``, fetched with apt-get once."""
    folder = cache / MODELDATA
    if not (folder / "Rdata.rdb").exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "r-cran-modeldata"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL)
        deb = sorted(cache.glob("r-cran-modeldata_*.deb"))[-1]
        subprocess.run(["dpkg", "-x", str(deb), str(cache)], check=True)
    return folder


# --- running --------------------------------------------------------------------------------------

def profile(table: Table, frame, seed: int) -> tuple[float, str, list[str]]:
    """Seconds, the task and the loud finding codes of the default profile of ``frame`` as a
    Parquet file."""
    import datacheck

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{table.name}.parquet"
        frame.to_parquet(path)
        start = time.perf_counter()
        report = datacheck.profile(path, label=table.label, split_col=table.split_col, seed=seed)
        seconds = time.perf_counter() - start
    return seconds, report.dataset.task, sorted({f.code for f in report.findings if f.severity.value in LOUD})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="import datacheck from this folder (a checkout), not the installed one")
    parser.add_argument("--only", default=None, help="run only the tables whose name holds this text")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "datacheck-modeldata")
    parser.add_argument("--modeldata", type=Path, default=None,
                        help="the unpacked package's data folder (holding Rdata.rdb), if not fetched")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str((args.root or REPO).resolve()))
    warnings.simplefilter("ignore")
    try:
        import rdata  # noqa: F401
    except ImportError:
        sys.exit("real_tables.py reads R data with the rdata package: pip install rdata")
    import datacheck

    folder = args.modeldata or modeldata_folder(args.cache)
    tables = [t for t in TABLES if args.only is None or args.only in t.name]
    frames = read_frames(folder, [t.name for t in tables])
    print(f"datacheck from {Path(datacheck.__file__).parent.parent}, seed={args.seed}\n")
    print(f"{'table':16s} {'rows':>6s} {'cols':>4s} {'task':>14s} {'time':>6s}  loud findings (! false alarm, "
          "? missed)")
    false_alarms, misses = 0, 0
    for table in tables:
        frame = frames[table.name]
        seconds, task, loud = profile(table, frame, args.seed)
        wrong = [code for code in loud if code not in table.true]
        missed = [code for code in table.true if code not in loud]
        false_alarms += len(wrong)
        misses += len(missed)
        task = task if task == "regression" else f"{frame[table.label].nunique()} classes"
        shown = [("! " if code in wrong else "") + code for code in loud] + [f"? {code}" for code in missed]
        print(f"{table.name:16s} {len(frame):6,d} {frame.shape[1] - 1:4d} {task:>14s} {seconds:5.1f}s  "
              f"{', '.join(shown) or '-'}", flush=True)
    print(f"\n{len(tables)} tables: {false_alarms} false alarms, {misses} missed true findings")


if __name__ == "__main__":
    main()
