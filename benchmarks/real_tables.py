"""Benchmark: the default profile on real tables, each finding judged as a careful engineer would.

The tables are the data sets of seven R packages, all in Debian: ``modeldata`` (churn, credit,
loans, Ames houses, concrete, penguins, 752 speech features, a developer survey), ``mlbench``
(Shuttle 58,000 rows, letters 20,000, satellite images, sonar, glass, soybeans, DNA, vowels),
``kernlab`` (spam, a marketing survey's incomes, caravan insurance, musk), ``AER`` (credit
cards, mortgages, doctor visits, wages 28,155 rows), ``ggplot2`` (diamonds 53,940 rows, mpg,
Texas housing), ``MASS`` (AIDS patients, births, crabs, a student survey, Pima diabetes as its
own train and test split) and ``caret`` (German credit, cell segmentation with its split
column): 59 tables of 93 to 58,000 rows, classification and regression. Each is written as
Parquet (a folder of train and test files where the package splits it) and profiled as
``datacheck profile PATH --label COL`` runs it (all checks, model checks included).

Real data has real defects. Each set lists the warnings and errors that are true, each with
what in the data makes it so (missing values, rows stored sorted, copied rows, a value thousands
of deviations out, a column recorded after the outcome); any other warning or error is a false
alarm, and a listed one not raised is a miss. Target: no false alarm, no miss.

Source: the Debian packages (``r-cran-modeldata`` and the others), unpacked, not installed
(that would pull in R): ``apt-get download r-cran-modeldata && dpkg -x r-cran-modeldata_*.deb
DIR``, which this script does itself into ``--cache`` when ``apt-get`` is at hand. The data are
``.rda`` files or an R lazy-load database, read with the ``rdata`` package (``pip install rdata``).

    python benchmarks/real_tables.py [--root DIR] [--only TEXT] [--csv] [--cache DIR] [--unpacked DIR]

``--csv`` writes each table as CSV instead (``pandas.to_csv``), as many users keep them: the
text reader's path, with its type inference.

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
# Where the packages unpack: recommended ones (MASS) into R's own library.
LIBRARIES = ("usr/lib/R/site-library", "usr/lib/R/library")
LOUD = ("warning", "error")


@dataclass(frozen=True)
class Table:
    """One real table of the panel.

    Parameters
    ----------
    package : str
        The R package that holds it.
    name : str
        Its name there.
    label : str
        The column to predict.
    split_col : str, optional
        A column naming each row's split.
    test : str, optional
        Another data frame of the package: the test split, the table itself the train split.
    true : dict
        Finding code -> why the data holds what it says: the warnings and errors that are right.
    may : dict
        Finding code -> why it is defensible where it is raised (a format's reading of a
        column): neither a false alarm nor, where absent, a miss.
    """

    package: str
    name: str
    label: str
    split_col: str | None = None
    true: dict[str, str] = field(default_factory=dict)
    may: dict[str, str] = field(default_factory=dict)
    test: str | None = None


NAN = "input_integrity.nan"
MD, ML, KL, AER, GG, MASS, CARET = "modeldata", "mlbench", "kernlab", "AER", "ggplot2", "MASS", "caret"
TABLES = (
    Table(MD, "ad_data", "Class"),
    Table(MD, "ames", "Sale_Price"),
    Table(MD, "attrition", "Attrition"),
    Table(MD, "biomass", "HHV", "dataset"),
    Table(MD, "bivariate_train", "Class"),
    Table(MD, "car_prices", "Price"),
    Table(MD, "cells", "class", "case"),
    Table(MD, "concrete", "compressive_strength", true={
        "duplicates.exact": "25 rows are stored twice, a known fault of this data",
        "duplicates.label_conflicts": "one mix at 7 days holds strengths 55.9, 55.9, 55.9 and 22.9"}),
    Table(MD, "credit_data", "Status", true={NAN: "455 values are NA in Income, Assets, Debt, Home, Marital, Job"}),
    Table(MD, "hpc_data", "class", true={
        "label_order.clustered": "the rows are stored by protocol: runs of one class up to 90 long"}),
    Table(MD, "lending_club", "Class", true={"class_balance.imbalance": "517 bad loans against 9,340 good"}),
    Table(MD, "mlc_churn", "churn"),
    Table(MD, "oils", "class", true={
        "class_balance.few_samples": "corn has 2 samples, peanut 3, olive 7",
        "class_balance.imbalance": "pumpkin 37 samples, corn 2",
        "duplicates.exact": "5 of the 96 rows are stored twice"}),
    Table(MD, "parabolic", "class"),
    Table(MD, "pd_speech", "class", true={
        "outliers.extreme_values": "tqwt_entropy_shannon_dec_29 holds -4994 where every other value is above -34"}),
    Table(MD, "penguins", "species", true={
        NAN: "2 birds have no measurement and 9 no sex",
        "label_order.sorted_runs": "the rows are stored by species"}),
    Table(MD, "Sacramento", "price", true={
        "label_order.sorted_target": "the sales are stored by day and, within a day, by price"}),
    Table(MD, "scat", "Species", true={NAN: "47 values are NA"}),
    Table(MD, "stackoverflow", "Remote"),
    Table(MD, "two_class_dat", "Class"),
    Table(MD, "wa_churn", "churn", true={NAN: "total_charges is NA for the 11 customers of tenure 0"}),
    Table(ML, "BostonHousing", "medv"),
    Table(ML, "BreastCancer", "Class", true={
        NAN: "16 values of Bare.nuclei are NA",
        "duplicates.exact": "8 rows are stored twice, Id included"}, may={
        "outliers.extreme_values": "from CSV the Id is a number, and 13454352 has a digit more than any other"}),
    Table(ML, "DNA", "Class", true={"duplicates.exact": "184 of the 3,186 sequences are stored twice or more"}),
    Table(ML, "Glass", "Type", true={
        "label_order.sorted_runs": "the rows are stored by type",
        "class_balance.few_samples": "type 6 has 9 samples"}),
    Table(ML, "HouseVotes84", "Class", true={NAN: "392 votes are NA"}),
    Table(ML, "Ionosphere", "Class"),
    Table(ML, "LetterRecognition", "lettr", true={
        "duplicates.exact": "1,332 rows repeat another of the same letter, all 16 integer features equal"}),
    Table(ML, "PimaIndiansDiabetes", "diabetes", true={
        "input_integrity.zero_markers": "glucose, blood pressure and BMI are 0 where not measured"}),
    Table(ML, "Satellite", "classes", true={
        "label_order.clustered": "the pixels are stored by place: runs of one soil up to 44 long"}),
    Table(ML, "Shuttle", "Class", true={
        "class_balance.imbalance": "Rad.Flow has 45,586 samples, Bpv.Close 10",
        "outliers.extreme_values": "V9 holds -356, -298 and -264 where every other value is above -19"}),
    Table(ML, "Sonar", "Class", true={"label_order.sorted_runs": "the rocks are stored first, then the mines"}),
    Table(ML, "Soybean", "Class", true={
        NAN: "2,337 values are NA",
        "class_balance.few_samples": "herbicide-injury has 8 samples",
        "class_balance.imbalance": "brown-spot 92 samples, herbicide-injury 8",
        "duplicates.exact": "52 rows repeat another of the same disease",
        "duplicates.label_conflicts": "two plants with all 35 attributes equal carry two diseases, where 41 "
                                      "other groups of equal rows agree",
        "label_order.clustered": "the rows are stored by disease"}),
    Table(ML, "Vehicle", "Class"),
    Table(ML, "Vowel", "Class"),
    Table(ML, "Zoo", "type", true={
        "class_balance.few_samples": "amphibians 4, reptiles 5, insects 8",
        "class_balance.imbalance": "mammals 41, amphibians 4",
        "duplicates.exact": "34 of the 101 animals share all 16 features with another of their type"}),
    Table(KL, "income", "INCOME", true={NAN: "2,694 answers are NA"}),
    Table(KL, "musk", "Class", true={"label_order.sorted_runs": "the molecules are stored by class"}),
    Table(KL, "spam", "type", true={
        "label_order.sorted_runs": "the spam is stored first, then the rest",
        "duplicates.exact": "391 e-mails repeat another, all 57 features equal"}),
    Table(KL, "ticdata", "CARAVAN", true={"class_balance.imbalance": "586 caravan policies among 9,822 customers"}),
    Table(AER, "CollegeDistance", "education", true={
        "class_balance.imbalance": "education is years of school, 12 for 1,832 students and 18 for 57"}),
    Table(AER, "CPS1988", "wage"),
    Table(AER, "CreditCard", "card", true={
        "target_leakage.column": "expenditure and share are 0 for every refused applicant: recorded after "
                                 "the decision"}),
    Table(AER, "DoctorVisits", "visits", true={
        "label_order.sorted_runs": "the rows are stored by the number of visits",
        "class_balance.few_samples": "9 visits once, 8 five times",
        "class_balance.imbalance": "no visit 4,141 times, 9 visits once"}),
    Table(AER, "HMDA", "deny"),
    Table(GG, "diamonds", "price", true={
        "input_integrity.zero_markers": "20 diamonds measure 0 mm across, where the rest measure 1 mm or more",
        "label_order.sorted_target": "the diamonds are stored by price within each cut",
        "outliers.extreme_values": "y = 58.9 mm and z = 31.8 mm, where the rest are under 11"}),
    Table(GG, "mpg", "class", true={
        "class_balance.few_samples": "5 two-seaters",
        "class_balance.imbalance": "62 SUVs, 5 two-seaters",
        "duplicates.exact": "9 cars are stored twice",
        "label_order.clustered": "the cars are stored by maker and model",
        "target_leakage.column": "the model's name gives its class away"}),
    Table(MASS, "Aids2", "status", true={
        "label_order.clustered": "the patients are stored by state: runs of one outcome up to 102 long",
        "target_leakage.column": "death is the date of death, or the study's end for the living"}),
    Table(MASS, "birthwt", "low", true={
        "label_order.sorted_runs": "the births are stored by low weight",
        "duplicates.exact": "5 births are stored twice, their weights in grams included"}),
    Table(MASS, "Boston", "medv"),
    Table(MASS, "Cars93", "Type", true={
        NAN: "13 values of Rear.seat.room and Luggage.room are NA",
        "class_balance.few_samples": "9 vans"}),
    Table(MASS, "crabs", "sp", true={"label_order.sorted_runs": "the blue crabs are stored first"}),
    Table(MASS, "Melanoma", "status"),
    Table(MASS, "OME", "OME", may={
        "label_order.clustered": "the tests are stored by child",
        "label_order.sorted_runs": "the same, once the 385 labels 'N/A' read as missing (CSV)",
        "class_balance.missing_label": "from CSV the label's level 'N/A' is missing, as pandas reads it"}),
    Table(MASS, "Pima.tr", "type", test="Pima.te"),
    Table(MASS, "survey", "Sex", true={
        NAN: "106 answers are NA",
        "class_balance.missing_label": "one student's sex is NA"}),
    Table(CARET, "GermanCredit", "Class"),
    Table(CARET, "segmentationData", "Class", "Case", may={
        "outliers.extreme_values": "Cell is an identifier, and 77 ids from another block stand 40 deviations out"}),
    Table(GG, "txhousing", "median", true={
        NAN: "4,027 values of sales, volume, listings and inventory are NA",
        "label_order.sorted_target": "the rows are stored by city and month",
        "class_balance.missing_label": "616 months have no median price"}),
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


def _lazy_load(folder: Path, name: str):
    """The object ``name`` of the lazy-load database in ``folder`` (``Rdata.rdx``, ``Rdata.rdb``)."""
    index = _convert(gzip.decompress((folder / "Rdata.rdx").read_bytes()))
    start, length = (int(v) for v in index["variables"][name])
    with open(folder / "Rdata.rdb", "rb") as db:
        db.seek(start)
        return _convert(_inflate(db.read(length)))


def _convert(raw: bytes):
    """An R object from its serialized bytes, as Python (a data frame as a pandas one)."""
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Unknown file type: assumed RDS"
        return rdata.conversion.convert(rdata.parser.parse_data(raw, expand_altrep=True))


def read_frame(unpacked: Path, package: str, name: str):
    """The data frame ``name`` of the R ``package`` unpacked under ``unpacked``, factors as text."""
    folder = next(unpacked / where / package / "data" for where in LIBRARIES
                  if (unpacked / where / package / "data").exists())
    stored = [folder / f"{name}{suffix}" for suffix in (".rda", ".RData") if (folder / f"{name}{suffix}").exists()]
    if stored:
        import rdata

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = rdata.read_rda(stored[0])[name]
    else:
        frame = _lazy_load(folder, name)
    for col in frame.columns:
        if str(frame[col].dtype) == "category":
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def unpack(cache: Path, packages: set[str]) -> Path:
    """The folder under which ``packages`` are unpacked (``cache``), fetched with apt-get once."""
    for package in sorted(packages):
        if any((cache / where / package / "data").exists() for where in LIBRARIES):
            continue
        cache.mkdir(parents=True, exist_ok=True)
        deb_name = f"r-cran-{package.lower()}"
        subprocess.run(["apt-get", "download", deb_name], cwd=cache, check=True, stdout=subprocess.DEVNULL)
        deb = sorted(cache.glob(f"{deb_name}_*.deb"))[-1]
        subprocess.run(["dpkg", "-x", str(deb), str(cache)], check=True)
    return cache


# --- running --------------------------------------------------------------------------------------

def profile(table: Table, frame, seed: int, suffix: str = "parquet") -> tuple[float, str, list[str]]:
    """Seconds, the task and the loud finding codes of the default profile of ``frame`` as a
    Parquet or CSV file (``suffix``)."""
    import datacheck

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{table.name}.{suffix}"
        if isinstance(frame, dict):  # train and test: a folder of two files
            path = Path(tmp) / table.name
            path.mkdir()
            for split, part in frame.items():
                _write(part, path / f"{split}.{suffix}")
        else:
            _write(frame, path)
        start = time.perf_counter()
        report = datacheck.profile(path, label=table.label, split_col=table.split_col, seed=seed)
        seconds = time.perf_counter() - start
    return seconds, report.dataset.task, sorted({f.code for f in report.findings if f.severity.value in LOUD})


def _write(frame, path: Path) -> None:
    """``frame`` as a CSV (``pandas.to_csv``) or Parquet file, by ``path``'s suffix."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="import datacheck from this folder (a checkout), not the installed one")
    parser.add_argument("--only", default=None, help="run only the tables whose name holds this text")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "datacheck-r-data")
    parser.add_argument("--unpacked", type=Path, default=None,
                        help="the folder the packages are unpacked under (holding usr/lib/R), if not fetched")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", action="store_true", help="write each table as CSV (pandas.to_csv), not Parquet")
    args = parser.parse_args()
    sys.path.insert(0, str((args.root or REPO).resolve()))
    warnings.simplefilter("ignore")
    try:
        import rdata  # noqa: F401
    except ImportError:
        sys.exit("real_tables.py reads R data with the rdata package: pip install rdata")
    import datacheck
    import pandas as pd

    tables = [t for t in TABLES if args.only is None or args.only in t.name]
    unpacked = args.unpacked or unpack(args.cache, {t.package for t in tables})
    print(f"datacheck from {Path(datacheck.__file__).parent.parent}, seed={args.seed}\n")
    print(f"{'table':19s} {'rows':>6s} {'cols':>4s} {'task':>14s} {'time':>6s}  loud findings (! false alarm, "
          "? missed)")
    false_alarms, misses = 0, 0
    for table in tables:
        frame = read_frame(unpacked, table.package, table.name)
        whole = frame
        if table.test is not None:
            test = read_frame(unpacked, table.package, table.test)
            frame, whole = {"train": frame, "test": test}, pd.concat([frame, test], ignore_index=True)
        seconds, task, loud = profile(table, frame, args.seed, "csv" if args.csv else "parquet")
        wrong = [code for code in loud if code not in table.true and code not in table.may]
        missed = [code for code in table.true if code not in loud]
        false_alarms += len(wrong)
        misses += len(missed)
        task = task if task == "regression" else f"{whole[table.label].nunique()} classes"
        shown = [("! " if code in wrong else "") + code for code in loud] + [f"? {code}" for code in missed]
        print(f"{table.name:19s} {len(whole):6,d} {whole.shape[1] - 1:4d} {task:>14s} {seconds:5.1f}s  "
              f"{', '.join(shown) or '-'}", flush=True)
    print(f"\n{len(tables)} tables: {false_alarms} false alarms, {misses} missed true findings")


if __name__ == "__main__":
    main()
