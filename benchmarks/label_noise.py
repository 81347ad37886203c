"""Benchmark: label_noise and learnability on a clean panel and planted flips, and the baseline.

Panel (the default; issue 14): Fashion-MNIST subsets of 300, 600, 1,000, 3,000 and 10,000
images (balanced, from the train set), each clean, with 10% uniform flips, and with 40% of
one class (Ankle boot) relabelled as another (Bag); scikit-learn digits (300 and all),
wine and breast_cancer, clean and with 20% uniform flips or a 40% class-pair flip; the 64x64
tiles of six scikit-image photos (label: the photo; exact duplicate tiles dropped); wide
sparse-signal tables (label = f0 > 0). It prints the true and estimated noise rate, the
severity of label_noise's and learnability's findings (the loudest, with its code), and
precision and recall against the planted rows of the suspects (of the named pair's samples
where a class pair is warned about, marked ``*``); then the time
of label_noise + learnability on the clean 10,000-image set. Target: clean sets give no
warning and no error; planted flips stay caught where the models can see them. Run it
against an older checkout with ``PYTHONPATH=<checkout>`` for before/after figures.

Flip comparison (``--flips``): cases (symmetric noise: a planted sample's label moves to one of
the other classes at random):

- scikit-learn digits at 10% and 20%, as 64 raw features and as 8x8 images;
- a 10,000-image Fashion-MNIST subset (Debian package ``dataset-fashion-mnist``) at 10%;
- larger tables, where the models are logistic regression and gradient boosting: a synthetic
  60,000 x 20 table (10 classes, scikit-learn's ``make_classification``) and 20,000
  Fashion-MNIST images as a 784-column table, both at 10% (the baseline's logistic regression
  on 784 raw columns takes well over 10 minutes there: ``--skip-baseline``);
- timing: the 60,000-image Fashion-MNIST train set profiled with ``label_noise`` alone.

For each noise case it prints precision, recall and F1 of the flagged samples against the
planted flips, the estimated noise rate against the true one, and the wall time (load, scan
and check), next to the baseline "5-fold logistic regression on the raw features +
``cleanlab.filter.find_label_issues``" on the same labels. Targets (issue 3): estimated rate
within 3 points of the truth, F1 at least the baseline's plus 0.05, and the 60,000-image
profile under 3 minutes on 2 CPU cores (run it under ``taskset -c 0,1``). ``--draws N`` plants
each case with N seeds instead (the models' seed alike, no baseline) and prints how many draws
warn and the spread of F1 and of the estimate: digits as a table at 10% warned in 8 of 8 draws
from seed 0 and 7 of 8 from seed 100 (the other one info), F1 0.875-0.938.

Regression panel (``--regression``; issue 15): scikit-learn diabetes (442 rows, features
standardized, raw target) and make_friedman1 at 1,000 and 10,000 rows, each clean, shuffled,
and with 5% (diabetes) or 3% wrong targets of three kinds: far beyond the range, unit slips
(x10), and values drawn from the range; plus clean friedman1 with heavy-tailed (t, 2 degrees of
freedom) and log-normal noise (sigma 0.5 and 1). It prints the true and estimated share of wrong targets,
precision and recall of all suspects and of the 50 listed, the loudest label_noise and
learnability findings, and the out-of-fold R². Target: clean sets give no warning and no error,
far and unit-slip targets are warned about with most of them listed.

Ordered grades panel (``--grades``): ratings cut at quantiles from a linear score of 10 columns
plus Gaussian noise (3, 5 and 7 grades; 1,000, 5,000 and 20,000 rows; noise 0.3, 0.7 and 1.2
times the score's spread), clean and with 10% of the labels moved to another grade at random.
It prints whether label_noise read the classes as grades, the share of each grade most
confused with a neighbour, the rate measured on the anchors, the models' skill, the loudest
finding and precision/recall of the suspects. Target: clean grades give no warning; moved
labels are warned about where the models are strong (skill 0.4 and more).

Every row judged (``--beyond``; issue 17): tables longer than ``noise_max_samples`` (200,000):
the models are cross-fitted on a stratified sample and the other rows judged by the fold
models (``models.every_row``). make_classification tables of 300,000 x 20 (10 classes) and
1,000,000 x 20 (2 classes), clean and with 10% of the labels moved at random, a 400,000 x 10
Friedman regression, clean and with 3% of the targets far beyond the range, and the 60,000
Fashion-MNIST training images as arrays (where Debian's ``dataset-fashion-mnist`` is installed),
clean and with 10% moved, modelled on 20,000 of them (``noise_max_samples``) and the other
40,000 judged by the pixel models of the folds. It prints the estimated rate, the share flagged
within the modelled sample and beyond it, precision and recall of each part against the planted
rows, the severity and the time. Target: the rows
beyond are judged as well as the modelled ones (their flagged share and P/R alike), clean
tables stay quiet. With ``--stream`` each table is written to Parquet and read in batches
(``stream=True``): the models see the row sample of the streamed split, and the other rows are
read again and judged.

    python benchmarks/label_noise.py [--flips | --regression | --grades | --beyond [--stream]] [--fashion-dir DIR] [--noise-model auto|cnn]
                                     [--seed N] [--skip-60k] [--skip-baseline] [--only TEXT]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import fashion_mnist
from fashion_mnist import FASHION



def plant(y: np.ndarray, rate: float, n_classes: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Labels with ``rate`` of them moved to another class at random, and the planted positions."""
    noisy = y.copy()
    at = np.sort(rng.choice(len(y), int(round(rate * len(y))), replace=False))
    noisy[at] = (noisy[at] + rng.integers(1, n_classes, len(at))) % n_classes
    return noisy, at


def scores(flagged: np.ndarray, planted: np.ndarray, n: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of flagged positions against planted ones."""
    truth = np.zeros(n, bool)
    truth[planted] = True
    hit = np.zeros(n, bool)
    hit[flagged] = True
    tp = int((truth & hit).sum())
    p = tp / max(hit.sum(), 1)
    r = tp / max(truth.sum(), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def run_datacheck(x: np.ndarray, y: np.ndarray, seed: int,
                  noise_model: str) -> tuple[np.ndarray, float, float, str]:
    """Load, scan and run label_noise; return all suspects, the estimated rate, seconds, severity."""
    from datacheck.checks import CheckContext
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.data import from_objects
    from datacheck.models import estimate_noise, out_of_fold
    from datacheck.scan import scan

    start = time.perf_counter()
    ds = from_objects({"train": (x, y)})
    ctx = CheckContext(ds, scan(ds), {"seed": seed, "noise_model": noise_model})
    findings = LabelNoiseCheck().run(ctx)
    seconds = time.perf_counter() - start
    oof = out_of_fold(ctx)  # cached: the same probabilities the check used
    est = estimate_noise(oof.proba, oof.y)
    flagged = oof.pool.row[est.suspects]
    severity = findings[0].severity.value if findings else "none"
    return flagged, est.noise_ratio, seconds, severity


def run_baseline(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, float, float]:
    """5-fold logistic regression on the raw features + cleanlab's default filter."""
    from cleanlab.filter import find_label_issues
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    start = time.perf_counter()
    flat = x.reshape(len(x), -1).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = cross_val_predict(LogisticRegression(max_iter=1000), flat, y,
                                  cv=StratifiedKFold(5, shuffle=True, random_state=seed), method="predict_proba")
        issues = find_label_issues(y, proba, n_jobs=1)
    flagged = np.flatnonzero(issues)
    return flagged, len(flagged) / len(y), time.perf_counter() - start


def noise_case(name: str, x: np.ndarray, y: np.ndarray, rate: float, seed: int, noise_model: str,
               baseline: bool = True) -> dict:
    """One planted-noise case, datacheck and baseline on the same labels."""
    k = int(y.max()) + 1
    noisy, planted = plant(y, rate, k, np.random.default_rng(seed))
    ours, our_rate, our_s, severity = run_datacheck(x, noisy, seed, noise_model)
    base, base_rate, base_s = run_baseline(x, noisy, seed) if baseline else (np.zeros(0, np.int64), np.nan, np.nan)
    p, r, f = scores(ours, planted, len(y))
    bp, br, bf = scores(base, planted, len(y)) if baseline else (np.nan,) * 3
    return dict(name=name, true=len(planted) / len(y), rate=our_rate, p=p, r=r, f=f, s=our_s,
                severity=severity, b_rate=base_rate, bp=bp, br=br, bf=bf, b_s=base_s)


def run_draws(cases: list[tuple], seed: int, draws: int, noise_model: str) -> None:
    """``--flips --draws N``: each case planted with ``draws`` seeds (``seed`` on, the models'
    seed alike); how many draws warn, and the spread of F1 and of the estimated rate: one draw
    can sit on either side of a threshold (digits as a table at 10%: not every draw warns)."""
    head = (f"{'case':32s} {'true':>6s} | {'warned':>7s} {'F1 mean':>7s} {'F1 min':>6s} {'F1 max':>6s} {'est min':>7s} "
            f"{'est max':>7s} | severities of the others")
    print(head)
    print("-" * len(head))
    for name, x, y, rate in cases:
        runs = [noise_case(name, x, y, rate, seed + i, noise_model, baseline=False) for i in range(draws)]
        f1, est = [c["f"] for c in runs], [c["rate"] for c in runs]
        warned = [c["severity"] in ("warning", "error") for c in runs]
        quiet = sorted({c["severity"] for c, w in zip(runs, warned) if not w})
        print(f"{name:32s} {runs[0]['true']:6.3f} | {sum(warned):3d}/{draws:<3d} {np.mean(f1):7.3f} {min(f1):6.3f} "
              f"{max(f1):6.3f} {min(est):7.3f} {max(est):7.3f} | {', '.join(quiet) or '-'}", flush=True)


def balanced(y: np.ndarray, n: int, rng) -> np.ndarray:
    """Sorted positions of ``n // K`` samples of each of the K classes."""
    k = int(y.max()) + 1
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), n // k, replace=False) for c in range(k)]))


def plant_pair(y: np.ndarray, source: int, target: int, rate: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Labels with ``rate`` of class ``source`` relabelled ``target``, and the planted positions."""
    noisy = y.copy()
    at = np.sort(rng.choice(np.flatnonzero(y == source), int(round(rate * np.sum(y == source))), replace=False))
    noisy[at] = target
    return noisy, at


def photo_tiles(side: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping tiles of six scikit-image photos, labelled by photo; exact duplicates dropped."""
    import skimage.data

    tiles, labels = [], []
    for label, name in enumerate(("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
                                  "hubble_deep_field")):
        image = getattr(skimage.data, name)()
        rows, cols = image.shape[0] // side, image.shape[1] // side
        cut = image[:rows * side, :cols * side].reshape(rows, side, cols, side, 3).swapaxes(1, 2)
        tiles.append(cut.reshape(-1, side, side, 3))
        labels.append(np.full(rows * cols, label))
    x, y = np.concatenate(tiles), np.concatenate(labels)
    _, first = np.unique(x.reshape(len(x), -1), axis=0, return_index=True)
    keep = np.sort(first)
    return x[keep], y[keep]


def panel_cases(fx: np.ndarray, fy: np.ndarray, sizes: list[int], seed: int) -> list[tuple]:
    """(name, x, given labels, planted positions) of the clean and planted panel."""
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    out = []
    for n in sizes:
        rng = np.random.default_rng(seed + n)
        at = balanced(fy, n, rng)
        x, y = fx[at], fy[at]
        out += [(f"Fashion {n:,} clean", x, y, np.zeros(0, np.int64)),
                (f"Fashion {n:,} 10% uniform", x, *plant(y, 0.1, 10, rng)),
                (f"Fashion {n:,} 40% boot->bag", x, *plant_pair(y, 9, 8, 0.4, rng))]
    rng = np.random.default_rng(seed)
    digits = load_digits()
    small = balanced(digits.target, 300, rng)
    tables = [("digits 300", digits.data[small], digits.target[small]), ("digits", digits.data, digits.target)]
    for name, load in (("wine", load_wine), ("breast_cancer", load_breast_cancer)):
        data = load()
        tables.append((name, (data.data - data.data.mean(0)) / data.data.std(0), data.target))
    for name, x, y in tables:
        out += [(f"{name} clean", x, y, np.zeros(0, np.int64)),
                (f"{name} 20% uniform", x, *plant(y, 0.2, int(y.max()) + 1, rng))]
        if name.startswith("digits"):
            out.append((f"{name} 40% 1->7", x, *plant_pair(y, 1, 7, 0.4, rng)))
    x, y = photo_tiles()
    out.append((f"photo tiles ({len(y)}, 6 photos)", x, y, np.zeros(0, np.int64)))
    for rows, cols in ((200, 5000), (1000, 500)):
        x = rng.normal(size=(rows, cols)).astype(np.float32)
        out.append((f"sparse {rows}x{cols} (y = f0 > 0)", x, (x[:, 0] > 0).astype(np.int64), np.zeros(0, np.int64)))
    return out


def panel_case(x: np.ndarray, y: np.ndarray, planted: np.ndarray, seed: int) -> dict:
    """label_noise and learnability on one set: loudest findings, estimate, suspects' scores."""
    from datacheck.checks import CheckContext
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.checks.learnability import LearnabilityCheck
    from datacheck.data import from_objects
    from datacheck.models import estimate_noise, out_of_fold
    from datacheck.scan import scan

    start = time.perf_counter()
    ds = from_objects({"train": (x, y)})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": seed})
    check = LabelNoiseCheck()
    noise, learn = check.run(ctx), LearnabilityCheck().run(ctx)
    seconds = time.perf_counter() - start
    oof = out_of_fold(ctx)
    # the suspects the findings were made from (checkouts before issue 14: the main models')
    est = check.estimate(ctx)[0] if hasattr(check, "estimate") else estimate_noise(oof.proba, oof.y)
    rate = next((f.metrics["noise_ratio"] for f in noise if "noise_ratio" in f.metrics), 0.0)
    flagged = oof.pool.row[est.suspects]
    pair = next((f for f in noise if f.code.endswith("class_pair")), None)
    if pair is not None:  # the pair's samples: labelled as given, predicted as suggested
        given, seen = (int(np.searchsorted(oof.classes, ctx.classes.index(pair.metrics[key])))
                       for key in ("given", "suggested"))
        flagged = oof.pool.row[(oof.y == given) & (oof.proba.argmax(axis=1) == seen)]
    p, r, _ = scores(flagged, planted, len(y))
    return dict(noise=_loudest(noise), learn=_loudest(learn), rate=rate, p=p, r=r, s=seconds,
                pair=pair is not None)


def _loudest(findings: list) -> str:
    order = {"error": 0, "warning": 1, "info": 2}
    if not findings:
        return "none"
    f = min(findings, key=lambda f: order[f.severity.value])
    return f"{f.severity.value} {f.code.split('.', 1)[1]}"


def run_panel(fx: np.ndarray, fy: np.ndarray, sizes: list[int], seed: int, only: str | None) -> None:
    """Print the panel's table and the 10,000-image timing."""
    import datacheck

    head = (f"{'case':34s} {'true':>6s} {'est':>6s} {'P':>5s} {'R':>5s}  | {'label_noise':24s} | "
            f"{'learnability':22s} | {'time':>6s}")
    print(head)
    print("-" * len(head))
    for name, x, y, planted in panel_cases(fx, fy, sizes, seed):
        if only is not None and only not in name:
            continue
        c = panel_case(x, y, planted, seed)
        pr = f"{c['p']:5.2f} {c['r']:5.2f}" if len(planted) else f"{'-':>5s} {'-':>5s}"
        pr += "*" if c["pair"] else " "
        print(f"{name:34s} {len(planted) / len(y):6.3f} {c['rate']:6.3f} {pr} | {c['noise']:24s} | "
              f"{c['learn']:22s} | {c['s']:5.1f}s", flush=True)
    if only is None:
        at = balanced(fy, 10_000, np.random.default_rng(seed + 10_000))
        start = time.perf_counter()
        datacheck.profile(train=(fx[at], fy[at]), checks=["label_noise", "learnability"], seed=seed)
        print(f"Fashion 10,000 clean, profile with label_noise + learnability: {time.perf_counter() - start:.1f}s")


def plant_targets(y: np.ndarray, rate: float, kind: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of the targets made wrong; the wrong ones' positions.

    ``unit_slip``: multiplied by 10; ``far``: beyond the maximum by two to six standard
    deviations; ``in_range``: drawn uniformly from the target's range (mostly within the
    models' error: few can be told from a hard sample).
    """
    wrong = y.copy()
    at = np.sort(rng.choice(len(y), int(round(rate * len(y))), replace=False))
    if kind == "unit_slip":
        wrong[at] *= 10
    elif kind == "far":
        wrong[at] = y.max() + rng.uniform(2, 6, len(at)) * y.std()
    else:
        wrong[at] = rng.uniform(y.min(), y.max(), len(at))
    return wrong, at


def regression_cases(seed: int) -> list[tuple]:
    """(name, x, given targets, planted positions) of the regression panel."""
    from sklearn.datasets import load_diabetes, make_friedman1

    rng = np.random.default_rng(seed)
    x, y = load_diabetes(return_X_y=True)
    sets = [("diabetes", (x - x.mean(0)) / x.std(0), y)]
    for n in (1_000, 10_000):
        sets.append((f"friedman1 {n:,}", *make_friedman1(n, noise=1.0, random_state=seed)))
    none = np.zeros(0, np.int64)
    out = []
    for name, x, y in sets:
        rate = 0.05 if len(y) < 1000 else 0.03
        out.append((f"{name} clean", x, y, none))
        for kind in ("far", "unit_slip", "in_range"):
            out.append((f"{name} {rate:.0%} {kind}", x, *plant_targets(y, rate, kind, rng)))
        out.append((f"{name} shuffled", x, rng.permutation(y), none))
    x, y = make_friedman1(3_000, noise=0.0, random_state=seed)
    out += [("friedman1 3,000 clean, t2 noise", x, y + rng.standard_t(2, len(y)), none)]
    for sigma in (0.5, 1.0):
        out.append((f"friedman1 3,000 clean, log-normal {sigma:g}", x,
                    np.exp(0.3 * y / y.std() + rng.normal(0, sigma, len(y))), none))
    return out


def run_regression(seed: int, only: str | None) -> None:
    """Print the regression panel: rate, precision and recall of the suspects, severities."""
    import pandas as pd

    from datacheck.checks import CheckContext
    from datacheck.checks.label_noise import MAX_ROWS, LabelNoiseCheck
    from datacheck.checks.learnability import LearnabilityCheck
    from datacheck.data import from_objects
    from datacheck.models.regression import regression_out_of_fold
    from datacheck.models.residuals import target_noise
    from datacheck.scan import scan

    head = (f"{'case':36s} {'true':>6s} {'est':>6s} {'P':>5s} {'R':>5s} {'P@50':>5s} | {'label_noise':24s} | "
            f"{'learnability':22s} {'R²':>5s} | {'time':>6s}")
    print(head)
    print("-" * len(head))
    for name, x, y, planted in regression_cases(seed):
        if only is not None and only not in name:
            continue
        start = time.perf_counter()
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).assign(target=y)
        ds = from_objects({"train": frame})
        ds.set_task("regression")
        ctx = CheckContext(ds, scan(ds, workers=1), {"seed": seed})
        check = LabelNoiseCheck()
        noise, learn = check.run(ctx), LearnabilityCheck().run(ctx)
        seconds = time.perf_counter() - start
        est = target_noise(ctx, check.config["residual_z"])
        flagged = regression_out_of_fold(ctx).pool.row[est.suspects]
        rate = next((f.metrics["noise_ratio"] for f in noise if "noise_ratio" in f.metrics), 0.0)
        if len(planted):
            p, r, _ = scores(flagged, planted, len(y))
            listed, _, _ = scores(flagged[:MAX_ROWS], planted, len(y))
            pr = f"{p:5.2f} {r:5.2f} {listed:5.2f}"
        else:
            pr = f"{'-':>5s} {'-':>5s} {'-':>5s}"
        r2 = learn[0].metrics.get("r2", float("nan"))
        print(f"{name:36s} {len(planted) / len(y):6.3f} {rate:6.3f} {pr} | {_loudest(noise):24s} | "
              f"{_loudest(learn):22s} {r2:5.2f} | {seconds:5.1f}s", flush=True)


def graded(n: int, grades: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Grades 1..grades cut at quantiles from a linear score of 10 columns plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    w = rng.normal(size=10)
    score = x @ w / np.linalg.norm(w) + noise * rng.normal(size=n)
    return x, 1 + np.searchsorted(np.quantile(score, np.linspace(0, 1, grades + 1)[1:-1]), score)


def run_grades(seed: int, only: str | None) -> None:
    """Print the ordered grades panel: clean and 10%-moved grades, how label_noise read them."""
    import pandas as pd

    from datacheck.checks import CheckContext
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.data import from_objects
    from datacheck.models import out_of_fold, relation
    from datacheck.scan import scan

    head = (f"{'case':44s} {'grades':>6s} {'nbr':>5s} {'ends':>6s} {'skill':>5s} | {'label_noise':24s} | "
            f"{'P':>5s} {'R':>5s} | {'time':>6s}")
    print(head)
    print("-" * len(head))
    for n in (1000, 5000, 20000):
        for k in (3, 5, 7):
            for noise in (0.3, 0.7, 1.2):
                for rate in (0.0, 0.1):
                    name = f"{n:,} rows, {k} grades, noise {noise}" + (f", {rate:.0%} moved" if rate else "")
                    if only is not None and only not in name:
                        continue
                    x, y = graded(n, k, noise, seed)
                    noisy, planted = plant(y - 1, rate, k, np.random.default_rng(seed))
                    start = time.perf_counter()
                    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(10)]).assign(rating=noisy + 1)
                    ds = from_objects({"train": frame}, label="rating")
                    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": seed})
                    check = LabelNoiseCheck()
                    found = check.run(ctx)
                    seconds = time.perf_counter() - start
                    est = check.estimate(ctx)[0]
                    pr = (" ".join(f"{v:5.2f}" for v in scores(out_of_fold(ctx).pool.row[est.suspects], planted, n)[:2])
                          if rate else f"{'-':>5s} {'-':>5s}")
                    graded_as = getattr(est, "grades", False)  # older checkouts: never
                    print(f"{name:44s} {'yes' if graded_as else 'no':>6s} {getattr(est, 'grade_share', np.nan):5.2f} "
                          f"{est.widespread_ratio:6.3f} {relation(ctx).skill:5.2f} | {_loudest(found):24s} | {pr} | "
                          f"{seconds:5.1f}s", flush=True)


def run_beyond(seed: int, only: str | None, stream: bool = False, fashion_dir: Path | None = None) -> None:
    """The ``--beyond`` panel: suspects within the modelled sample and beyond it (``stream``:
    each table read in batches from a Parquet file; the images stay arrays)."""
    from sklearn.datasets import make_classification, make_friedman1

    from datacheck.checks import CheckContext
    from datacheck.checks.label_noise import LabelNoiseCheck
    from datacheck.data import from_objects
    from datacheck.models import out_of_fold, regression_out_of_fold
    from datacheck.scan import scan

    cases = []
    for name, n, k in [("300k x 20, 10 classes", 300_000, 10), ("1M x 20, 2 classes", 1_000_000, 2)]:
        x, y = make_classification(n, 20, n_informative=10, n_redundant=4, n_classes=k, n_clusters_per_class=1,
                                   class_sep=1.5, random_state=seed)
        for rate in (0.0, 0.1):
            noisy, planted = plant(y, rate, k, np.random.default_rng(seed))
            cases.append((f"{name}, {rate:.0%} moved", x, noisy, planted, None))
    x, y = make_friedman1(400_000, 10, noise=1.0, random_state=seed)
    for rate in (0.0, 0.03):
        wrong, planted = plant_targets(y, rate, "far", np.random.default_rng(seed))
        cases.append((f"friedman1 400k x 10, {rate:.0%} far", x, wrong, planted, "regression"))
    if fashion_dir is not None and fashion_dir.exists():
        # images: the 60,000 training images as 28x28 arrays, modelled on 20,000 (the default
        # noise_max_samples is 200,000: this is the same path at a tenth of the scale)
        fx, fy = fashion_mnist.load(fashion_dir)
        for rate in (0.0, 0.1):
            noisy, planted = plant(fy, rate, 10, np.random.default_rng(seed))
            cases.append((f"Fashion 60k images, {rate:.0%} moved", fx[..., None], noisy, planted, None))
    folder = Path(tempfile.mkdtemp(prefix="datacheck-beyond-"))
    print(f"{'case':34s} {'est':>6s} {'flag in':>7s} {'beyond':>7s} | {'P in':>5s} {'R in':>5s} "
          f"{'P out':>5s} {'R out':>5s} | {'severity':>8s} {'time':>6s}")
    for label, x, labels, planted, task in cases:
        if only is not None and only not in label:
            continue
        n = len(labels)
        start = time.perf_counter()
        ds = _streamed(x, labels, folder) if stream and x.ndim == 2 else from_objects({"train": (x, labels)})
        if task:
            ds.set_task(task)
        images = x.ndim > 2
        ctx = CheckContext(ds, scan(ds), {"seed": seed, **({"noise_max_samples": 20_000} if images else {})})
        findings = LabelNoiseCheck().run(ctx)
        seconds = time.perf_counter() - start
        flag = ~np.asarray(pd.isna(ctx.take_sample_columns().get("train", "flag").to_pandas(n)))
        pooled = np.zeros(n, bool)
        pooled[(regression_out_of_fold(ctx) if task else out_of_fold(ctx)).pool.row] = True
        truth = np.zeros(n, bool)
        truth[planted] = True
        part = []
        for inside in (pooled, ~pooled):
            hits = flag & inside
            part.append((hits.sum() / max(inside.sum(), 1), (hits & truth).sum() / max(hits.sum(), 1),
                         (hits & truth).sum() / max((truth & inside).sum(), 1)))
        est = findings[0].metrics.get("noise_ratio", 0.0) if findings else 0.0
        order = ["none", "info", "warning", "error"]
        severity = max((f.severity.value for f in findings), default="none", key=order.index)
        print(f"{label:34s} {est:6.3f} {part[0][0]:7.3f} {part[1][0]:7.3f} | {part[0][1]:5.2f} {part[0][2]:5.2f} "
              f"{part[1][1]:5.2f} {part[1][2]:5.2f} | {severity:>8s} {seconds:5.1f}s", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


def _streamed(x: np.ndarray, labels: np.ndarray, folder: Path):
    """``x`` and ``labels`` as a Parquet file (``label`` column), loaded to be read in batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from datacheck.data import load

    path = folder / "table.parquet"
    columns = {f"x{j}": x[:, j] for j in range(x.shape[1])}
    pq.write_table(pa.table({**columns, "label": labels}), path, row_group_size=65_536)
    return load(path, stream=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion-dir", type=Path, default=FASHION)
    parser.add_argument("--noise-model", default="auto", choices=("auto", "cnn"))
    parser.add_argument("--skip-60k", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="leave out the baseline (its columns read nan)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=None, help="run only the cases whose name holds this text")
    parser.add_argument("--flips", action="store_true", help="the flip comparison against the baseline")
    parser.add_argument("--draws", type=int, default=1,
                        help="with --flips: plant each case with this many seeds and give how many warn")
    parser.add_argument("--sizes", default="300,600,1000,3000,10000", help="Fashion-MNIST panel sizes")
    parser.add_argument("--regression", action="store_true", help="the regression panel (planted wrong targets)")
    parser.add_argument("--grades", action="store_true", help="the ordered grades panel (clean and moved ratings)")
    parser.add_argument("--beyond", action="store_true", help="tables beyond noise_max_samples: every row judged")
    parser.add_argument("--stream", action="store_true", help="with --beyond: each table read in batches from Parquet")
    args = parser.parse_args()
    if args.beyond:
        run_beyond(args.seed, args.only, args.stream, args.fashion_dir)
        return
    if args.regression:
        run_regression(args.seed, args.only)
        return
    if args.grades:
        run_grades(args.seed, args.only)
        return
    if not args.flips:
        fx, fy = fashion_mnist.load(args.fashion_dir)
        run_panel(fx, fy, [int(v) for v in args.sizes.split(",")], args.seed, args.only)
        return

    from sklearn.datasets import load_digits, make_classification

    digits = load_digits()
    fx, fy = fashion_mnist.load(args.fashion_dir)
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(fy), 10_000, replace=False))
    wide = np.sort(rng.choice(len(fy), 20_000, replace=False))
    sx, sy = make_classification(60_000, 20, n_informative=12, n_redundant=4, n_classes=10,
                                 n_clusters_per_class=2, class_sep=1.2, random_state=args.seed)
    cases = [
        ("digits, 64 features, 10%", digits.data, digits.target, 0.10),
        ("digits, 64 features, 20%", digits.data, digits.target, 0.20),
        ("digits, 8x8 images, 10%", digits.images.astype(np.uint8), digits.target, 0.10),
        ("digits, 8x8 images, 20%", digits.images.astype(np.uint8), digits.target, 0.20),
        ("Fashion-MNIST 10k, 10%", fx[pick], fy[pick], 0.10),
        ("synthetic table 60k x 20, 10%", sx, sy, 0.10),
        ("Fashion-MNIST 20k as table, 10%", fx[wide].reshape(len(wide), -1).astype(np.float64), fy[wide], 0.10),
    ]
    cases = [c for c in cases if args.only is None or args.only in c[0]]
    print(f"noise_model={args.noise_model} seed={args.seed}")
    if args.draws > 1:
        run_draws(cases, args.seed, args.draws, args.noise_model)
        return
    head = (f"{'case':32s} {'true':>6s} | {'est':>6s} {'P':>5s} {'R':>5s} {'F1':>5s} {'time':>6s} {'severity':>8s} | "
            f"{'base est':>8s} {'P':>5s} {'R':>5s} {'F1':>5s} {'time':>6s} | {'|est-true|':>10s} {'dF1':>6s}")
    print(head)
    print("-" * len(head))
    for name, x, y, rate in cases:
        c = noise_case(name, x, y, rate, args.seed, args.noise_model, not args.skip_baseline)
        print(f"{c['name']:32s} {c['true']:6.3f} | {c['rate']:6.3f} {c['p']:5.2f} {c['r']:5.2f} {c['f']:5.3f} "
              f"{c['s']:5.1f}s {c['severity']:>8s} | {c['b_rate']:8.3f} {c['bp']:5.2f} {c['br']:5.2f} {c['bf']:5.3f} "
              f"{c['b_s']:5.1f}s | {abs(c['rate'] - c['true']):10.3f} {c['f'] - c['bf']:+6.3f}", flush=True)
    if not args.skip_60k and args.only is None:
        import datacheck

        start = time.perf_counter()
        report = datacheck.profile(train=(fx, fy), checks=["label_noise"], seed=args.seed,
                                   noise_model=args.noise_model)
        seconds = time.perf_counter() - start
        found = report.by_check("label_noise")
        rate = found[0].metrics["noise_ratio"] if found else 0.0
        severity = found[0].severity.value if found else "none"
        print(f"Fashion-MNIST train, 60,000 images, label_noise only: {seconds:.1f}s "
              f"(target < 180s on 2 cores); estimated noise {rate:.3f}, severity {severity}")


if __name__ == "__main__":
    main()
