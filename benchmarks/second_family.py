"""Benchmark: what the second model family adds beside the main models, by the main models' kind.

Label noise checks a claim on a table against a second family (gradient boosting of depth 3 on
the ``SCREENED_FEATURES`` features that best split the labels, ``oof.second_opinion``), which
joins the estimate where its balanced accuracy is ``SECOND_MARGIN`` above the main models'.
Where the main models already include gradient boosting on the same, unreduced features
(``OutOfFold.boosted``), it is not fitted (``oof.second_family_adds``). This panel measures both
families on every table, whatever the check would do, and prints per table whether the main
models are boosted, whether their inputs are reduced (PCA of a wide table), both balanced
accuracies and their difference.

Tables: synthetic clusters (``make_classification``: 2, 3 and 10 classes; 6,000, 20,000 and
60,000 rows; class_sep 0.7 and 1.5), and labels no linear model draws (XOR of two columns, a
radius, one column among 200, a linear rule with a threshold) at 10,000 and 30,000 rows; each
clean and with 10% of its labels moved to another class. ``--real`` adds the real
classification tables of ``real_tables.py`` with 5,000 rows or more (needs ``rdata`` and the R
packages, as there).

Target: where the main models are boosted on unreduced inputs, no difference near the margin
(measured with ``--real``: -0.077 to +0.011 on 42 such tables, none at the margin; the synthetic
ones are boosted from 10,000 rows). Where they are logistic regression alone, the second family
may join (churn +0.25, letters +0.15): the rule keeps it there. It takes about 2.5 minutes on 2
cores, ``--real`` included.

    python benchmarks/second_family.py [--real] [--only TEXT] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from label_noise import plant

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _moved(y: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """``y`` with a share ``rate`` of its labels moved to another class, at random."""
    return plant(y, rate, int(y.max()) + 1, rng)[0]


def synthetic_cases(seed: int):
    """(name, frame, label column) of the synthetic panel."""
    from sklearn.datasets import make_classification

    rng = np.random.default_rng(seed)
    for n in (6_000, 20_000, 60_000):
        for k in (2, 3, 10):
            for sep in (0.7, 1.5):
                x, y = make_classification(n, 20, n_informative=10, n_redundant=4, n_classes=k,
                                           n_clusters_per_class=1 if k == 10 else 2, class_sep=sep,
                                           random_state=seed + n + k)
                for rate in (0.0, 0.1):
                    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(20)])
                    yield f"clusters n={n} k={k} sep={sep} {rate:.0%}", frame.assign(label=_moved(y, rate, rng)), "label"
    for n in (10_000, 30_000):
        x = rng.normal(size=(n, 20))
        wide = rng.normal(size=(n, 200))
        rules = {"xor": ((x[:, 0] > 0) ^ (x[:, 1] > 0), x),
                 "radius": (np.hypot(x[:, 0], x[:, 1]) > 1.2, x),
                 "one column of 200": (wide[:, 7] > 0.5, wide),
                 "linear + threshold": ((x[:, 0] + x[:, 1] > 0) ^ (x[:, 2] > 2), x)}
        for name, (rule, inputs) in rules.items():
            for rate in (0.0, 0.1):
                frame = pd.DataFrame(inputs, columns=[f"f{i}" for i in range(inputs.shape[1])])
                yield f"{name} n={n} {rate:.0%}", frame.assign(label=_moved(rule.astype(int), rate, rng)), "label"


def real_cases():
    """(name, frame, label column) of the real classification tables of 5,000 rows or more."""
    import real_tables

    tables = [t for t in real_tables.TABLES if t.test is None]
    unpacked = real_tables.unpack(Path(tempfile.gettempdir()) / "datacheck-r-data", {t.package for t in tables})
    for table in tables:
        frame = real_tables.read_frame(unpacked, table.package, table.name)
        if len(frame) >= 5_000:
            yield f"real {table.name}", frame, table.label


def measure(frame: pd.DataFrame, label: str, seed: int) -> dict | None:
    """Both families' balanced accuracies on ``frame``'s pooled samples, or None where no
    classification model is fitted (a numeric target, too few samples)."""
    from datacheck.checks import CheckContext
    from datacheck.data import from_objects
    from datacheck.models import oof_skip_reason, out_of_fold
    from datacheck.models.oof import model_inputs, reduced_inputs, second_opinion
    from datacheck.models.permutation import balanced_accuracy
    from datacheck.scan import scan

    ds = from_objects({"train": frame}, label=label)
    if ds.is_regression:
        return None
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": seed})
    if oof_skip_reason(ctx) is not None:
        return None
    oof = out_of_fold(ctx)
    if oof.kind != "table":
        return None
    k = len(oof.classes)
    return {"n": oof.n, "boosted": oof.boosted,
            "reduced": reduced_inputs(ctx).shape[1] != model_inputs(ctx).shape[1],
            "main": balanced_accuracy(oof.y, oof.proba.argmax(axis=1), k),
            "second": balanced_accuracy(oof.y, second_opinion(ctx).argmax(axis=1), k)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="add the real tables of real_tables.py (5,000 rows+)")
    parser.add_argument("--only", default=None, help="run only the tables whose name holds this text")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from datacheck.checks.label_noise import SECOND_MARGIN

    cases = list(synthetic_cases(args.seed))
    if args.real:
        cases += list(real_cases())
    print(f"{'table':40s} {'n':>7s} {'boosted':>7s} {'reduced':>7s} {'main':>6s} {'second':>6s} {'diff':>7s} "
          f"{'joins':>5s} {'time':>6s}")
    diffs = {True: [], False: []}
    for name, frame, label in cases:
        if args.only is not None and args.only not in name:
            continue
        start = time.perf_counter()
        got = measure(frame, label, args.seed)
        if got is None:
            print(f"{name:40s} (no classification models)")
            continue
        diff = got["second"] - got["main"]
        same_kind = got["boosted"] and not got["reduced"]
        diffs[same_kind].append(diff)
        print(f"{name:40s} {got['n']:7,d} {'yes' if got['boosted'] else 'no':>7s} "
              f"{'yes' if got['reduced'] else 'no':>7s} {got['main']:6.3f} {got['second']:6.3f} {diff:+7.3f} "
              f"{'yes' if diff >= SECOND_MARGIN else 'no':>5s} {time.perf_counter() - start:5.1f}s", flush=True)
    for same_kind, what in ((True, "boosted on unreduced inputs (second family not fitted)"),
                            (False, "otherwise (second family fitted)")):
        d = diffs[same_kind]
        if d:
            print(f"{what}: {len(d)} tables, difference {min(d):+.3f} to {max(d):+.3f}, "
                  f"{sum(v >= SECOND_MARGIN for v in d)} at the margin {SECOND_MARGIN} or more")


if __name__ == "__main__":
    main()
