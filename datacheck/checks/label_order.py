"""Labels (or a regression target) sorted or clustered in the stored order (checklist items
7 and 10)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datacheck.checks._target.order import target_order_findings
from datacheck.checks._time_order import time_order, time_order_text
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity

MAX_SEQUENCE_POINTS = 2000
# Random orders a flagged split is compared with, and the size up to which that is done;
# beyond it a flagged effect involves too many samples to be a fluke of a few.
MC_ORDERS = 100
MC_MAX_SAMPLES = 20_000
# Samples outside the largest class below which no order is remarkable: two rare samples
# side by side at the end look sorted by chance once in a few hundred shuffles.
MIN_MINORITY = 20
# Chernoff bound on the chance of the observed single-label batches under a random order,
# below which they are not chance: 1e-6 keeps the check quiet for any shuffle.
_BATCH_LOG_P = np.log(1e-6)
# Labels read at a time by the run and batch statistics (memory stays a block's).
_BLOCK = 1 << 20
_EVAL_SEVERITY = {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.INFO}


@dataclass(frozen=True)
class OrderStats:
    """How one split's label sequence compares with a random order of the same labels.

    Same-label pairs are counted over two sets of positions: neighbours (``i``, ``i+1``),
    whose count gives the number of runs, and pairs inside one batch of ``batch_size``
    consecutive samples. Their mean and variance under a uniformly random permutation of the
    labels are exact (``same_label_null``).
    """

    n: int
    n_runs: int
    n_runs_expected: float
    runs_z: float
    longest_run: int
    longest_run_start: int
    longest_run_label: int
    n_batches: int
    n_single_label_batches: int
    expected_single_label_batch_ratio: float
    single_label_log_p: float
    batch_same_label_ratio: float
    expected_batch_same_label_ratio: float
    batch_z: float

    @property
    def single_label_batch_ratio(self) -> float:
        """Share of full batches holding one label."""
        return self.n_single_label_batches / self.n_batches if self.n_batches else 0.0


def _pair_probabilities(counts: np.ndarray) -> tuple[float, float, float]:
    """Chances, under a random permutation, that 2 or 3 given positions, or two given
    disjoint pairs of positions, each hold one label."""
    c = counts[counts > 0].astype(np.float64)
    n = float(c.sum())
    f2 = c * (c - 1)
    f3 = f2 * (c - 2)
    f4 = f3 * (c - 3)
    a = f2.sum() / (n * (n - 1))
    q3 = f3.sum() / (n * (n - 1) * (n - 2))
    # Two disjoint pairs: both of one class, or each of its own class.
    q4 = (f4.sum() + f2.sum() ** 2 - (f2 ** 2).sum()) / (n * (n - 1) * (n - 2) * (n - 3))
    return a, q3, q4


def same_label_null(n_pairs: float, n_touching: float,
                    probs: tuple[float, float, float]) -> tuple[float, float]:
    """Exact mean and variance of the number of same-label pairs in a random permutation.

    Parameters
    ----------
    n_pairs : float
        Number of position pairs counted.
    n_touching : float
        Ordered pairs of distinct counted pairs that share one position.
    probs : tuple of float
        ``_pair_probabilities`` of the label counts.

    Returns
    -------
    mean, variance : float
    """
    a, q3, q4 = probs
    n_disjoint = n_pairs * (n_pairs - 1) - n_touching
    var = n_pairs * a * (1 - a) + n_touching * (q3 - a * a) + n_disjoint * (q4 - a * a)
    return n_pairs * a, max(var, 0.0)


def _percent(share: float) -> str:
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _z(observed: float, mean: float, var: float) -> float:
    return 0.0 if var <= 0 else (observed - mean) / np.sqrt(var)


def _log_single_label_chance(counts: np.ndarray, n: int, batch_size: int) -> float:
    """Log of the chance that ``batch_size`` samples drawn without replacement share a label."""
    big = counts[counts >= batch_size].astype(np.float64)
    if not len(big):
        return -np.inf
    j = np.arange(batch_size, dtype=np.float64)
    logs = np.log(big[:, None] - j).sum(axis=1) - np.log(n - j).sum()
    top = logs.max()
    return float(top + np.log(np.exp(logs - top).sum()))


def _log_binomial_tail_bound(k: int, m: int, log_p: float) -> float:
    """Chernoff bound on log P(Binomial(m, p) >= k); 0 when k is not above the mean."""
    if m == 0 or k <= m * np.exp(log_p):
        return 0.0
    x = k / m
    log_1mp = np.log1p(-np.exp(log_p)) if log_p < 0 else -np.inf
    kl = x * (np.log(x) - log_p)
    if x < 1:
        kl += (1 - x) * (np.log1p(-x) - log_1mp)
    return float(-m * kl)


def _same_label_pairs_in_sorted_rows(rows: np.ndarray) -> np.ndarray:
    """Same-label pairs in each batch of ``rows`` (shape (m, batches, batch_size), each batch
    sorted), summed per leading index: a block of ``L`` equal labels holds ``L(L-1)/2``."""
    new_run = np.ones(rows.shape, bool)
    new_run[..., 1:] = rows[..., 1:] != rows[..., :-1]
    starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(starts, rows.size)).astype(np.float64)
    per_row = rows.size // rows.shape[0]
    return np.bincount(starts // per_row, weights=lengths * (lengths - 1) / 2,
                       minlength=rows.shape[0])


def beats_random_orders(y: np.ndarray, batch_size: int, rng: np.random.Generator,
                        n_orders: int = MC_ORDERS) -> bool:
    """Whether ``y`` has more same-label neighbours and more same-label pairs per batch than
    every one of ``n_orders`` random permutations of it.

    The z-scores of ``order_stats`` are normal approximations; with a handful of samples of
    a class (two minority samples side by side) they can pass any threshold by chance. A
    random order beats all ``n_orders`` others with probability at most
    ``1 / (n_orders + 1)``, for any label counts.
    """
    n_batches = len(y) // batch_size
    orders = np.tile(y, (n_orders, 1))
    rng.permuted(orders, axis=1, out=orders)
    same = np.count_nonzero(orders[:, 1:] == orders[:, :-1], axis=1)
    batches = orders[:, :n_batches * batch_size].reshape(n_orders, n_batches, batch_size)
    in_batches = _same_label_pairs_in_sorted_rows(np.sort(batches, axis=2))
    own = np.sort(y[:n_batches * batch_size].reshape(1, n_batches, batch_size), axis=2)
    return bool(np.count_nonzero(y[1:] == y[:-1]) > same.max()
                and _same_label_pairs_in_sorted_rows(own)[0] > in_batches.max())


def _runs(y: np.ndarray) -> tuple[int, int, int]:
    """Number of runs of one label, and the length and start of the first longest one.

    Read in blocks, the open run carried from one to the next, so memory stays a block's
    whatever the length of ``y``.
    """
    n_runs, best, best_start, open_start = 1, 0, 0, 0
    for s in range(1, len(y), _BLOCK):
        e = min(len(y), s + _BLOCK)
        change = np.flatnonzero(y[s:e] != y[s - 1:e - 1]) + s
        if not len(change):
            continue
        starts = np.concatenate(([open_start], change))
        lengths = np.diff(starts)
        i = int(np.argmax(lengths))
        if lengths[i] > best:
            best, best_start = int(lengths[i]), int(starts[i])
        n_runs += len(change)
        open_start = int(change[-1])
    if len(y) - open_start > best:
        best, best_start = len(y) - open_start, open_start
    return n_runs, best, best_start


def _batch_composition(y: np.ndarray, batch_size: int) -> tuple[int, float]:
    """Single-label batches, and same-label pairs within batches, of consecutive batches.

    The last partial batch is dropped; batches are sorted a block at a time.
    """
    n_batches = len(y) // batch_size
    per_block = max(1, _BLOCK // batch_size)
    single, same = 0, 0.0
    for b in range(0, n_batches, per_block):
        k = min(per_block, n_batches - b)
        rows = np.sort(y[b * batch_size:(b + k) * batch_size].reshape(k, batch_size), axis=1)
        single += int(np.count_nonzero(rows[:, 0] == rows[:, -1]))
        same += float(_same_label_pairs_in_sorted_rows(rows[None])[0])
    return single, same


def order_stats(y: np.ndarray, batch_size: int) -> OrderStats:
    """Runs, longest run and batch composition of a label sequence, against a random order.

    Parameters
    ----------
    y : numpy.ndarray
        Label codes (>= 0) in stored order; at least 4 and ``2 * batch_size`` of them.
    batch_size : int
        Batch size of a loader that does not shuffle (last partial batch dropped).

    Returns
    -------
    OrderStats
    """
    n = len(y)
    counts = np.bincount(y)
    probs = _pair_probabilities(counts)

    n_runs, longest_run, longest_start = _runs(y)
    same_neighbours = n - n_runs
    mean, var = same_label_null(n - 1, 2 * (n - 2), probs)

    n_batches = n // batch_size
    single, same_in_batches = _batch_composition(y, batch_size)
    b_pairs = n_batches * batch_size * (batch_size - 1) / 2
    # Ordered pairs of batch pairs sharing a sample: (B-1)(B-2) per sample.
    touching = n_batches * batch_size * (batch_size - 1) * (batch_size - 2)
    b_mean, b_var = same_label_null(b_pairs, touching, probs)

    log_e = _log_single_label_chance(counts, n, batch_size)
    return OrderStats(
        n=n, n_runs=n_runs, n_runs_expected=n - mean,
        runs_z=-_z(same_neighbours, mean, var),
        longest_run=longest_run, longest_run_start=longest_start,
        longest_run_label=int(y[longest_start]),
        n_batches=n_batches, n_single_label_batches=single,
        expected_single_label_batch_ratio=float(np.exp(log_e)),
        single_label_log_p=_log_binomial_tail_bound(single, n_batches, log_e),
        batch_same_label_ratio=same_in_batches / b_pairs, expected_batch_same_label_ratio=probs[0],
        batch_z=_z(same_in_batches, b_mean, b_var),
    )


@register
class LabelOrderCheck(Check):
    """Labels sorted, or in long same-label blocks, in the order the samples are stored.

    What it detects
    ---------------
    For every split of a source with a sample order (a table, an array, a manifest; an image
    folder has none and is skipped), it compares the label sequence with a random order of
    the same labels:

    - the *runs* (maximal blocks of one label): their number against its exact mean and
      variance under a random permutation, as a z-score (a generalisation of the
      Wald-Wolfowitz runs test to any number of classes), and the longest run;
    - the *batches* a loader that does not shuffle would form from ``batch_size``
      consecutive samples: the share holding a single label against the share expected in
      a random order, and how often two samples of a batch share a label against the
      chance of that in a random order.

    Both must agree, with wide margins, before anything is reported, so a shuffled dataset
    stays quiet for any seed. Labels sorted or in long blocks (most batches single-label)
    are an error on the training split; batches clearly less mixed than random are a
    warning. Either is info where the rows follow a time column (``_time_order``: a date,
    a timestamp, ``time_col``): labels that follow time form blocks in its order (activities
    recorded minute by minute, rainy days), as the data does. A sorted validation or test split is reported one level lower: evaluation
    does not depend on order, but a prefix of it (``x_test[:1000]``) or a model evaluated
    in train mode (BatchNorm) sees only a few classes. A split of under two batches, or
    with fewer than 20 samples outside its largest class, is not judged: its order cannot be
    told apart from chance.

    On a regression target: the Spearman rank correlation of the target with its position,
    the runs above and below the median against a random order (Wald-Wolfowitz runs test,
    ``z_threshold``), and the share of batches whose target range is under a quarter of the
    split's 5-95% spread against the share random orders give. Too few runs with most
    batches narrow (``single_label_excess`` above chance) or a rank correlation of 0.9 or
    more is a sorted target, an error on train; too few runs with a material trend (rank correlation of 0.3 or more) or more
    narrow batches than chance (``batch_excess``) is a warning; both are info where the rows
    follow a time column.

    Why it matters
    --------------
    Data stored sorted by label and fed without shuffling gives batches of a single class:
    each step pushes the model to predict that class, the next block undoes it, and the
    loss oscillates without learning; the model ends up predicting whatever class came
    last. Shuffle the training data every epoch (``DataLoader(shuffle=True)``).
    """

    id = "label_order"
    items = (7, 10)
    needs = ("labels", "order")
    params = {
        "batch_size": Param(32, "Batch size of a loader that reads the samples in stored order.",
                            kind=int, low=2),
        "z_threshold": Param(6.0, "How many standard deviations fewer runs (and more same-label "
                             "pairs per batch) than a random order gives before reporting.",
                             low=3.0),
        "single_label_excess": Param(0.25, "Share of single-label batches above the share a "
                                     "random order gives at which the order is an error.",
                                     low=0.0, high=1.0, low_open=True),
        "batch_excess": Param(0.05, "How much more often two samples of a batch share a label "
                              "than in a random order before warning.", low=0.0, high=1.0,
                              low_open=True),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Report splits whose label (or target) order is far from random."""
        if ctx.is_regression:
            return target_order_findings(self, ctx)
        findings = []
        train = ctx.train_name
        for split in ctx.splits():
            labelled = split.y >= 0
            # All labelled (the usual case): the stored sequence itself, no copy.
            keep = None if labelled.all() else np.flatnonzero(labelled)
            y = split.y if keep is None else split.y[keep]
            # Under two batches the order cannot change what a batch holds; with few samples
            # outside the largest class any order may be chance.
            batch = self.config["batch_size"]
            if len(y) < 2 * batch or len(y) - np.bincount(y).max() < MIN_MINORITY:
                continue
            stats = order_stats(y, batch)
            verdict = self.verdict(stats)
            if verdict is None or (verdict == "clustered" and len(y) <= MC_MAX_SAMPLES and not
                                   beats_random_orders(y, batch, np.random.default_rng(ctx.seed))):
                continue
            time = time_order(ctx, split.name)
            findings.append(self._finding(ctx, split.name, split.name == train, keep, y, stats,
                                          verdict, time))
        return findings

    def verdict(self, s: OrderStats) -> str | None:
        """``sorted_runs`` when batches are mostly single-label, ``clustered`` when they are
        clearly less mixed than in a random order, else None; runs must agree in both cases."""
        z = self.config["z_threshold"]
        if s.runs_z > -z:
            return None
        excess = s.single_label_batch_ratio - s.expected_single_label_batch_ratio
        if excess >= self.config["single_label_excess"] and s.single_label_log_p <= _BATCH_LOG_P:
            return "sorted_runs"
        mixed = s.batch_same_label_ratio - s.expected_batch_same_label_ratio
        if s.batch_z >= z and mixed >= self.config["batch_excess"]:
            return "clustered"
        return None

    def _finding(self, ctx: CheckContext, name: str, is_train: bool, keep: np.ndarray | None,
                 y: np.ndarray, s: OrderStats, code: str, time: str | None = None) -> Finding:
        classes = ctx.classes
        batch = self.config["batch_size"]
        sorted_ = code == "sorted_runs"
        severity = Severity.ERROR if sorted_ else Severity.WARNING
        if time is not None:
            severity = Severity.INFO
        elif not is_train:
            severity = _EVAL_SEVERITY[severity]
        title = name.capitalize()
        shares = (f"{_percent(s.single_label_batch_ratio)} of its {s.n_batches} batches of {batch} "
                  f"hold a single label ({_percent(s.expected_single_label_batch_ratio)} expected in "
                  f"a random order), and the longest run is {s.longest_run} samples of class "
                  f"{classes[s.longest_run_label]!r}")
        if sorted_:
            message = f"{title} labels are sorted or in long same-label blocks: {shares}."
        else:
            message = (f"{title} labels are clustered: {s.n_runs} runs of one label where a random "
                       f"order gives about {s.n_runs_expected:.0f}; {shares}.")
        if time is not None:
            more, hint = time_order_text(time, "labels that follow time form")
            message += more
        elif is_train:
            hint = ("Shuffle the training samples every epoch (DataLoader(shuffle=True)), or shuffle "
                    "the rows once before saving.")
        else:
            hint = ("Order does not change a full evaluation, but shuffle before taking a subset of "
                    "this split, and evaluate in eval mode so BatchNorm does not see one-class batches.")
        run = np.arange(s.longest_run_start, s.longest_run_start + min(s.longest_run, 50))
        run_rows = run if keep is None else keep[run]
        stride = max(1, -(-len(y) // MAX_SEQUENCE_POINTS))
        evidence = Evidence("sequence", f"{title} labels in stored order"
                            + (f" (one sample in {stride})" if stride > 1 else ""),
                            {"values": y[::stride].tolist(), "labels": list(classes), "stride": stride})
        metrics = {
            "n_labelled": s.n, "n_runs": s.n_runs, "n_runs_expected": round(s.n_runs_expected, 1),
            "runs_z": round(s.runs_z, 2), "longest_run": s.longest_run,
            "longest_run_label": classes[s.longest_run_label],
            "batch_size": batch, "n_batches": s.n_batches,
            "n_single_label_batches": s.n_single_label_batches,
            "single_label_batch_ratio": round(s.single_label_batch_ratio, 4),
            "expected_single_label_batch_ratio": round(s.expected_single_label_batch_ratio, 4),
            "batch_same_label_ratio": round(s.batch_same_label_ratio, 4),
            "expected_batch_same_label_ratio": round(s.expected_batch_same_label_ratio, 4),
            "batch_z": round(s.batch_z, 2),
        }
        return self.finding(code, severity, message, hint=hint, split=name, metrics=metrics,
                            samples=ctx.sample_ids(name, run_rows), n_samples=s.longest_run,
                            evidence=[evidence])
