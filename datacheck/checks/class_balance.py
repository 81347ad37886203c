"""Class counts per split: imbalance, rare and missing classes, unseen labels, label shift
(checklist items 8 and 9); for a regression target, the target's distribution per split."""

from __future__ import annotations

import numpy as np

from datacheck.checks._target.distribution import target_findings
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity

# Classes drawn in a bars evidence at most (the rarest and the most common).
MAX_BARS = 200
# Classes named in a message at most.
MAX_NAMED = 5
# Expected count below which classes are pooled for the G-test, and the normal deviate
# (p about 3e-7) a label shift must reach on top of its effect size: in 750,000 simulated
# random splits (20 to 50,000 samples, 2 to 200 classes, skewed or not) none passed 4.95.
MIN_EXPECTED = 5.0
SHIFT_SIGMAS = 5.0


def _name_counts(classes: list[str], codes: np.ndarray, counts: np.ndarray) -> str:
    """``Bag (3), Sandal (7)`` for the first few codes, with ``and N more``."""
    named = ", ".join(f"{classes[c]} ({counts[c]})" for c in codes[:MAX_NAMED])
    return named + (f" and {len(codes) - MAX_NAMED} more" if len(codes) > MAX_NAMED else "")


def _names(classes: list[str], codes: np.ndarray) -> list[str]:
    return [classes[c] for c in codes]


def _bars(title: str, classes: list[str], series: dict[str, np.ndarray], train: np.ndarray,
          percent: bool = False) -> Evidence:
    """Bars of per-class values per split (shares shown as percentages where ``percent``);
    past ``MAX_BARS`` classes, the rarest and the most common in train."""
    keep = np.arange(len(classes))
    if len(keep) > MAX_BARS:
        order = np.argsort(train, kind="stable")
        keep = np.sort(np.concatenate((order[:MAX_BARS // 2], order[-MAX_BARS // 2:])))
    series = {k: np.asarray(v)[keep].tolist() for k, v in series.items()}
    return Evidence("bars", title, {"labels": [classes[c] for c in keep], "series": series,
                                    "n_labels": len(classes), "percent": percent})


def _samples_of(ctx: CheckContext, split: str, y: np.ndarray,
                codes: np.ndarray) -> tuple[list[str], int]:
    """Ids of the first samples whose label is one of ``codes``, and their full count."""
    idx = np.flatnonzero(np.isin(y, codes))
    return ctx.sample_ids(split, idx[:50]), len(idx)


def label_shift(train: np.ndarray, other: np.ndarray) -> tuple[float, float, int, float]:
    """Total variation between two splits' class proportions, and a G-test of their counts.

    Classes expected fewer than ``MIN_EXPECTED`` times in ``other`` are pooled into one
    cell first, the textbook guard that keeps the chi-square approximation honest on sparse
    tables; the G statistic is turned into a normal deviate by the Wilson-Hilferty cube root,
    which errs on the safe side for one degree of freedom.

    Parameters
    ----------
    train, other : numpy.ndarray
        Per-class counts of the two splits (same classes).

    Returns
    -------
    total_variation, g, dof, z : float, float, int, float
        ``z`` is 0 when there is nothing to test.
    """
    n_train, n_other = train.sum(), other.sum()
    if not n_train or not n_other:  # one split has none of these classes: no proportions
        return 0.0, 0.0, 0, 0.0
    total_variation = float(0.5 * np.abs(train / n_train - other / n_other).sum())
    pooled = train + other
    small = pooled * n_other / (n_train + n_other) < MIN_EXPECTED
    if small.any():
        train = np.append(train[~small], train[small].sum())
        other = np.append(other[~small], other[small].sum())
        pooled = train + other
    dof = len(pooled) - 1
    if dof < 1:
        return total_variation, 0.0, 0, 0.0
    observed = np.stack([train, other]).astype(np.float64)
    expected = np.outer([n_train, n_other], pooled) / (n_train + n_other)
    seen = observed > 0
    g = float(2 * (observed[seen] * np.log(observed[seen] / expected[seen])).sum())
    z = ((g / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / np.sqrt(2 / (9 * dof))
    return total_variation, g, dof, float(z)


@register
class ClassBalanceCheck(Check):
    """Class counts per split: imbalance, too few samples, missing or unseen classes, shift.

    What it detects
    ---------------
    From the label counts of every split (the training split is the reference):

    - *imbalance* in train: the largest class over the smallest, and classes far below
      their fair share (train size over the number of classes);
    - classes with *too few samples* to learn (in train) or to measure (in val/test);
    - classes present in train but *missing* from val or test, and labels in val or test
      that train *never shows* (an error: the model cannot predict them);
    - a *label shift*: val or test class proportions that differ from train's by more than
      a random split of the same samples could, and by a meaningful amount (total
      variation), so that a random split, stratified or not, stays quiet;
    - samples *without a label*.

    An ``info`` finding always gives the counts per class and split.

    On a regression target, the target's distribution instead: its range and quantiles per
    split (info), a strong skew (info), *extreme values* (beyond 8 robust deviations of the
    train median, on the log scale for a positive right-skewed target: a warning when they
    stand apart from the rest, info when they continue a heavy tail), a *constant* target
    (error), and a *target shift*: a two-sample Kolmogorov-Smirnov test between train and
    val/test that warns only when the difference is far beyond sampling noise (p < 3e-7) and
    material (KS statistic of ``max_target_shift`` or more).

    Why it matters
    --------------
    A network trained on imbalanced classes learns to predict the common ones and still
    reaches a high accuracy; a class with a handful of examples is not learned at all; a
    test class never seen in training is always wrong, and one missing from test is never
    measured; when test proportions differ from train's, the evaluation does not measure
    what training optimised. Missing labels crash the loss or are silently dropped. A few
    wrong targets (a sentinel, a unit slip) dominate a squared-error loss; a test split drawn
    from another range of the target measures extrapolation, not the model.
    """

    id = "class_balance"
    items = (8, 9)
    needs = ()  # labels all missing in train is its error, not a reason to skip
    params = {
        "max_imbalance_ratio": Param(10.0, "Largest over smallest train class count at which to "
                                     "warn.", low=1.0, low_open=True),
        "min_share_ratio": Param(0.2, "A train class below this fraction of its fair share "
                                 "(train size over number of classes) is rare and warned about.",
                                 low=0.0, high=1.0, low_open=True),
        "min_class_samples": Param(10, "Train samples a class needs; fewer is a warning.",
                                   kind=int, low=1),
        "min_eval_class_samples": Param(5, "Val/test samples a class needs for its metrics to "
                                        "mean something; fewer is reported as info.", kind=int, low=1),
        "max_label_shift": Param(0.1, "Total variation between train and val/test class "
                                 "proportions at which a significant difference is a warning.",
                                 low=0.0, high=1.0, low_open=True),
        "max_target_shift": Param(0.2, "Regression: KS statistic between the train and val/test "
                                  "targets at which a significant difference is a warning.",
                                  low=0.0, high=1.0, low_open=True),
        "min_target_samples": Param(50, "Regression: labelled train targets needed to learn a number "
                                    "across its range; fewer is a warning.", int, 2, None),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Report class counts (or the target's distribution) and what is wrong with them."""
        if ctx.is_regression:
            return self._missing_labels(ctx, ctx.train_name) + target_findings(self, ctx)
        k = len(ctx.classes)
        counts = {s.name: np.bincount(s.y[s.y >= 0], minlength=k) for s in ctx.splits()}
        train = ctx.train_name
        findings = self._missing_labels(ctx, train)
        if not counts[train].sum():
            return findings
        findings.append(self._counts(ctx, counts, train))
        findings += self._train_balance(ctx, counts[train], train)
        for split in ctx.splits():
            if split.name != train and counts[split.name].sum():
                findings += self._against_train(ctx, split.name, split.y, counts[split.name],
                                                counts[train])
        return findings

    def _missing_labels(self, ctx: CheckContext, train: str) -> list[Finding]:
        out = []
        for split in ctx.splits():
            missing = np.flatnonzero(split.y < 0)
            if not len(missing):
                continue
            title = split.name.capitalize()
            hint = "Fill in the missing labels, or drop those samples explicitly before training."
            listed, affected = missing[:50], len(missing)
            if len(missing) == split.n and split.name != train:
                # the samples to predict (a competition's test set): none is singled out
                severity, listed, affected = Severity.INFO, missing[:0], 0
                message = (f"{title} has no labels at all, so it cannot be used for evaluation; its "
                           "inputs are still checked (leakage, drift, shapes).")
                hint = ("Nothing to fix if these are the samples to predict; to measure the model, "
                        "hold out labelled samples of train as a validation split.")
            elif len(missing) == split.n:
                severity = Severity.ERROR
                message = f"{title} has no labels at all, so it cannot be used for training."
            else:
                severity = Severity.WARNING
                message = (f"{title} has {len(missing)} samples without a label "
                           f"({len(missing) / split.n:.1%}); the loss either crashes on them or "
                           "they are dropped silently.")
            out.append(self.finding(
                "missing_label", severity, message, split=split.name, hint=hint,
                metrics={"n_missing": len(missing), "missing_ratio": len(missing) / split.n},
                samples=ctx.sample_ids(split.name, listed), n_samples=affected))
        return out

    def _counts(self, ctx: CheckContext, counts: dict[str, np.ndarray], train: str) -> Finding:
        present = counts[train][counts[train] > 0]
        ratio = present.max() / present.min()
        sizes = {split.name: split.n for split in ctx.splits()}
        parts = [f"{name} {int(c.sum()):,} samples in {np.count_nonzero(c)} classes" if c.sum()
                 else f"{name} {sizes[name]:,} samples, unlabelled" for name, c in counts.items()]
        return self.finding(
            "counts", Severity.INFO, "Class counts: " + "; ".join(parts) + ".",
            metrics={"n_classes": len(ctx.classes), "imbalance_ratio": round(float(ratio), 3),
                     **{f"n_{name}": int(c.sum()) for name, c in counts.items()}},
            evidence=[_bars("Samples per class and split", ctx.classes,
                            {name: c for name, c in counts.items() if c.sum()}, counts[train])])

    def _train_balance(self, ctx: CheckContext, tc: np.ndarray, train: str) -> list[Finding]:
        classes, title, out = ctx.classes, train.capitalize(), []
        present = np.flatnonzero(tc)
        if len(present) == 1:
            return [self.finding(
                "single_class", Severity.ERROR,
                f"{title} holds a single class ({classes[present[0]]}), so a classifier has "
                "nothing to learn.", split=train,
                hint="Check the label column and how the split was made.",
                metrics={"n_classes": 1})]
        largest, smallest = present[np.argmax(tc[present])], present[np.argmin(tc[present])]
        ratio = tc[largest] / tc[smallest]
        fair = tc.sum() / len(present)
        rare = present[tc[present] < self.config["min_share_ratio"] * fair]
        rare = rare[np.argsort(tc[rare], kind="stable")]
        if ratio >= self.config["max_imbalance_ratio"] or len(rare):
            message = (f"{title} classes are imbalanced: {classes[largest]} has {tc[largest]} samples "
                       f"and {classes[smallest]} only {tc[smallest]} ({ratio:.1f} to 1)")
            if len(rare):
                message += (f"; {len(rare)} {'class is' if len(rare) == 1 else 'classes are'} below "
                            f"{self.config['min_share_ratio']:.0%} of a fair share of {fair:.0f}: "
                            f"{_name_counts(classes, rare, tc)}")
            out.append(self.finding(
                "imbalance", Severity.WARNING, message + ".", split=train,
                hint="Collect more samples of the rare classes, or oversample them "
                     "(WeightedRandomSampler) or weight the loss by class, and judge the model "
                     "by per-class recall or balanced accuracy rather than accuracy.",
                metrics={"imbalance_ratio": round(float(ratio), 3), "n_largest": tc[largest],
                         "n_smallest": tc[smallest], "largest_class": classes[largest],
                         "smallest_class": classes[smallest], "n_fair_share": round(fair, 1),
                         "n_rare_classes": len(rare), "rare_classes": _names(classes, rare)},
                evidence=[_bars(f"{title} samples per class", classes, {train: tc}, tc)]))
        few = present[tc[present] < self.config["min_class_samples"]]
        if len(few):
            few = few[np.argsort(tc[few], kind="stable")]
            samples, n = _samples_of(ctx, train, ctx.scan[train].y, few)
            out.append(self.finding(
                "few_samples", Severity.WARNING,
                f"{title} has fewer than {self.config['min_class_samples']} samples in {len(few)} "
                f"{'class' if len(few) == 1 else 'classes'}: {_name_counts(classes, few, tc)}; "
                "a network cannot learn a class from so few examples.", split=train,
                hint="Collect more samples of these classes, merge them into a broader class, or "
                     "drop them from the task.",
                metrics={"n_classes": len(few), "classes": _names(classes, few),
                         "min_class_samples": self.config["min_class_samples"]},
                samples=samples, n_samples=n))
        return out

    def _against_train(self, ctx: CheckContext, name: str, y: np.ndarray, ec: np.ndarray,
                       tc: np.ndarray) -> list[Finding]:
        classes, title, out = ctx.classes, name.capitalize(), []
        seen = tc > 0
        unseen = np.flatnonzero((ec > 0) & ~seen)
        if len(unseen):
            samples, n = _samples_of(ctx, name, y, unseen)
            out.append(self.finding(
                "unseen_label", Severity.ERROR,
                f"{title} has {n} samples of {len(unseen)} "
                f"{'class' if len(unseen) == 1 else 'classes'} that train never shows: "
                f"{_name_counts(classes, unseen, ec)}; the model cannot predict them, so they are "
                "always wrong.", split=name,
                hint="Add training samples of these classes, or remove them from the evaluation "
                     "split; check for typos or inconsistent class names.",
                metrics={"n_classes": len(unseen), "classes": _names(classes, unseen)},
                samples=samples, n_samples=n))
        missing = np.flatnonzero(seen & (ec == 0))
        if len(missing):
            out.append(self.finding(
                "missing_class", Severity.WARNING,
                f"{title} has no samples of {len(missing)} "
                f"{'class' if len(missing) == 1 else 'classes'} present in train "
                f"({', '.join(_names(classes, missing[:MAX_NAMED]))}"
                f"{' and more' if len(missing) > MAX_NAMED else ''}), so its metrics never "
                "measure them.", split=name,
                hint="Re-split with stratification (e.g. train_test_split(..., stratify=y)) so "
                     "every class appears in every split.",
                metrics={"n_classes": len(missing), "classes": _names(classes, missing)}))
        few = np.flatnonzero(seen & (ec > 0) & (ec < self.config["min_eval_class_samples"]))
        if len(few):
            few = few[np.argsort(ec[few], kind="stable")]
            out.append(self.finding(
                "few_samples", Severity.INFO,
                f"{title} has fewer than {self.config['min_eval_class_samples']} samples in "
                f"{len(few)} {'class' if len(few) == 1 else 'classes'} "
                f"({_name_counts(classes, few, ec)}), so their per-class metrics are mostly noise.",
                split=name, hint="Collect more evaluation samples of these classes.",
                metrics={"n_classes": len(few), "classes": _names(classes, few),
                         "min_class_samples": self.config["min_eval_class_samples"]}))
        shift = self._shift(ctx, name, tc[seen], ec[seen], np.flatnonzero(seen))
        return out + ([shift] if shift else [])

    def _shift(self, ctx: CheckContext, name: str, tc: np.ndarray, ec: np.ndarray,
               codes: np.ndarray) -> Finding | None:
        if ec.sum() == 0 or len(tc) < 2:
            return None
        observed, g, dof, z = label_shift(tc, ec)
        if observed < self.config["max_label_shift"] or z < SHIFT_SIGMAS:
            return None
        title = name.capitalize()
        p_train, p_other = tc / tc.sum(), ec / ec.sum()
        worst = np.argsort(-np.abs(p_other - p_train), kind="stable")[:3]
        moves = ", ".join(f"{ctx.classes[codes[i]]} {p_train[i]:.0%} vs {p_other[i]:.0%}" for i in worst)
        return self.finding(
            "label_shift", Severity.WARNING,
            f"{title} class proportions differ from train's by a total variation of {observed:.2f}, "
            f"far beyond what a random split gives (G-test, {z:.1f} standard deviations): {moves}.",
            split=name,
            hint="Re-split with stratification (train_test_split(..., stratify=y)); if the shift is "
                 "real (deployment differs from training), report per-class metrics and consider "
                 "reweighting the classes.",
            metrics={"total_variation": round(observed, 4), "g_statistic": round(g, 2),
                     "degrees_of_freedom": dof, "z_score": round(z, 2)},
            evidence=[_bars(f"Class proportions, train vs {name}", [ctx.classes[c] for c in codes],
                            {"train": p_train, name: p_other}, tc, percent=True)])
