"""``smoke.loader_batches``: what the real loader yields (items 1, 3, 10)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.smoke._base import Probe, register
from datacheck.smoke._batch_targets import batch_spread
from datacheck.smoke._context import SmokeContext
from datacheck.smoke._hooks import fmt
from datacheck.smoke._targets import target_mismatch
from datacheck.smoke._torch import torch


def _labels(y: Any) -> np.ndarray | None:
    """Class codes of one batch: integer targets, or the argmax of one-hot/probability rows."""
    if not isinstance(y, torch.Tensor) or y.ndim == 0:
        return None
    t = y.detach()
    if t.is_floating_point():
        if t.ndim != 2 or t.shape[1] < 2:
            return None
        t = t.argmax(dim=1)
    if t.ndim != 1:
        return None
    return t.cpu().numpy().astype(np.int64)


_HINT_SHUFFLE = ("Shuffle the training loader (DataLoader(..., shuffle=True)), or shuffle the data "
                 "once before training.")


def _values(y: Any) -> np.ndarray | None:
    """Finite regression targets of one batch (one per sample), or None."""
    if not isinstance(y, torch.Tensor) or y.ndim == 0 or y.numel() != len(y):
        return None
    v = y.detach().reshape(-1).double().cpu().numpy()
    return v[np.isfinite(v)]


def _fingerprint(x: Any, y: Any) -> str:
    """A cheap digest of a batch: strided sample of values, sums, shapes."""
    h = hashlib.blake2b(digest_size=16)
    for t in (x, y):
        if not isinstance(t, torch.Tensor):
            h.update(repr(type(t)).encode())
            continue
        flat = t.detach().reshape(-1)
        step = max(1, flat.numel() // 4096)
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(flat[::step].cpu().numpy().tobytes())
        if t.numel():
            h.update(np.float64(float(flat.double().sum())).tobytes())
    return h.hexdigest()


def _dataset_labels(loader: Any) -> np.ndarray | None:
    """Labels of the loader's whole dataset when they are exposed (``targets``, TensorDataset)."""
    ds = getattr(loader, "dataset", None)
    if ds is None:
        return None
    for attr in ("targets", "labels", "y"):
        value = getattr(ds, attr, None)
        if value is not None:
            arr = np.asarray(value.cpu() if isinstance(value, torch.Tensor) else value)
            if arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
                return arr.astype(np.int64)
    tensors = getattr(ds, "tensors", None)
    if isinstance(tensors, tuple) and len(tensors) >= 2:
        return _labels(tensors[1])
    return None


@register
class LoaderBatchesProbe(Probe):
    """The first batches of the real loader: order, repeats, and first-layer input statistics.

    What it detects, over the first ``n_batches`` batches: targets the loss cannot take, read
    over every batch the run reads (one error that says what was seen: class labels outside
    the model's outputs, such as labels 1..10 for 10 outputs, which look 1-based, labels of C
    or more, negative labels, binary targets outside [0, 1]; every probe that computes the
    loss is then skipped with that reason); labels in sorted or grouped order
    (every class in one contiguous block: error); a share of single-label batches more than
    ``excess`` above the share expected from shuffling, sum over classes of p_c^B (error at
    0.5 or more, else warning); only one class in all of them (error); the same batch twice
    (error); inputs that are all zero, constant, or not finite (error). On a regression
    target it reads target ranges instead of label runs: regression targets that are NaN or
    infinite, or shaped unlike the prediction (the loss would broadcast them), are the one
    error of the first kind; every target equal is an error; batches that each hold a narrow
    slice of the target's range (batch membership explains more of the targets' rank
    variance than shuffling gives, by ``excess`` of what is left beyond chance, at p below
    ``max_p_value``: see ``datacheck.smoke._batch_targets``) warn, and are an error at 0.5 or
    more. It notes whether the loader's sampler is sequential (no shuffle) and the statistics
    of the input the first layer sees (info).
    Why it matters: a loader that does not shuffle sorted data feeds one class at a time, and
    the model learns to predict the class of the moment; a loader that returns one batch
    again and again makes the loss fall while nothing general is learnt. What the loader
    yields after augmentation and collation is exactly what the model sees.

    Parameters
    ----------
    n_batches : int, default=50
        Batches read from the loader.
    excess : float, default=0.25
        Single-label batch share allowed above the expected share; for a regression target,
        the share of the targets' rank variance beyond chance that batch membership may
        explain.
    min_batches : int, default=4
        Fewest batches for the order tests.
    max_p_value : float, default=1e-3
        Regression: a batch grouping is reported only when shuffled batches would show one as
        strong with at most this probability (Kruskal-Wallis).
    """

    id = "smoke.loader_batches"
    items = (1, 3, 10)
    params = {
        "n_batches": Param(50, "Batches read from the loader.", int, 1, None),
        "excess": Param(0.25, "Single-label batch share allowed above the expected share.", float, 0, 1),
        "min_batches": Param(4, "Fewest batches for the order tests.", int, 2, None),
        "max_p_value": Param(1e-3, "Regression: largest p-value of the batch grouping that is "
                                   "reported.", float, 0, 1, low_open=True),
    }

    def run(self, ctx: SmokeContext) -> list[Finding]:
        batches = ctx.batches(self.config["n_batches"])
        findings = self._targets(ctx)
        findings += self._repeats(batches)
        findings += self._target_order(ctx, batches) if ctx.is_regression else self._order(ctx, batches)
        findings += self._inputs(ctx, batches)
        return findings

    def _targets(self, ctx: SmokeContext) -> list[Finding]:
        mismatch = target_mismatch(ctx)
        if mismatch is None:
            return []
        hints = {
            "one_based": "Subtract 1 from the labels (classes must be numbered 0..C-1).",
            "too_high": f"Give the model {mismatch.high + 1:.0f} outputs, or map the labels to "
                        f"0..{mismatch.n_outputs - 1} (class ids are not always contiguous).",
            "negative": "Drop the unlabelled samples, or mark them with the loss's ignore_index.",
            "binary_range": "Scale the targets to [0, 1] (a 0/255 mask divided by 255), or use "
                            "CrossEntropyLoss for class labels.",
            "non_finite": "Drop the samples without a target (or fill them) before building the "
                          "loader; `datacheck profile` lists them.",
            "shape": "Make the prediction and the target the same shape: targets of shape (N, 1) "
                     "for one output, or squeeze the output (model(x).squeeze(-1)).",
        }
        codes = {"non_finite": "non_finite_targets", "shape": "target_shape"}
        sentence = mismatch.message[0].upper() + mismatch.message[1:]
        metrics = {"kind": mismatch.kind, "n_outputs": mismatch.n_outputs, "n_bad": mismatch.n_bad,
                   "n_targets": mismatch.n_targets}
        if mismatch.kind != "shape":
            metrics.update(min=mismatch.low, max=mismatch.high)
        return [self.finding(
            codes.get(mismatch.kind, "labels_out_of_range"), Severity.ERROR,
            f"{sentence}; the loss cannot take them, so the probes that compute it are skipped.",
            hint=hints[mismatch.kind], metrics=metrics,
            items=(1, 25) if mismatch.kind == "shape" else None)]

    def _repeats(self, batches: list) -> list[Finding]:
        first: dict[str, int] = {}
        pairs = []
        for i, (x, y) in enumerate(batches):
            key = _fingerprint(x, y)
            j = first.get(key)
            if j is not None and _equal(batches[j], (x, y)):
                pairs.append((j, i))
            else:
                first.setdefault(key, i)
        if not pairs:
            return []
        j, i = pairs[0]
        return [self.finding(
            "repeated_batch", Severity.ERROR,
            f"Batch {i} is identical to batch {j}"
            + (f", and {len(pairs) - 1} more batches repeat earlier ones" if len(pairs) > 1 else "")
            + f" (of the first {len(batches)}): the loader returns the same data again and again.",
            hint="Check the Dataset's __getitem__ (does it use its index?) and that the loader is not "
                 "built from one fixed batch.",
            metrics={"n_repeated": len(pairs), "n_batches": len(batches), "pairs": pairs[:20]},
            items=(3,))]

    def _order(self, ctx: SmokeContext, batches: list) -> list[Finding]:
        per_batch = [_labels(y) for _, y in batches]
        if any(lab is None or not len(lab) for lab in per_batch):
            return []
        flat = np.concatenate(per_batch)
        sequential = _sequential(ctx)
        distinct = np.unique(flat)
        enough = len(batches) >= self.config["min_batches"]
        base = {"n_batches": len(batches), "sequential_sampler": sequential,
                "n_classes_seen": len(distinct)}
        if enough and len(distinct) == 1 and ctx.n_classes > 1:
            return [self.finding(
                "single_class", Severity.ERROR,
                f"All {len(flat)} samples of the first {len(batches)} batches have the same label "
                f"({int(distinct[0])}) although the model predicts {ctx.n_classes} classes.",
                hint=_HINT_SHUFFLE, metrics=base, items=(7, 10))]
        single = np.array([len(np.unique(lab)) == 1 for lab in per_batch])
        prior = _dataset_labels(ctx.loader)
        pool = prior if prior is not None and len(prior) else flat
        p = np.bincount(pool[pool >= 0]) / max(int((pool >= 0).sum()), 1)
        expected = float(np.mean([np.sum(p ** len(lab)) for lab in per_batch]))
        share = float(single.mean())
        metrics = {**base, "single_label_share": share, "expected_share": expected}
        changes = int(np.count_nonzero(np.diff(flat)))
        if enough and len(distinct) >= 2 and changes == len(distinct) - 1:
            ascending = bool(np.all(np.diff(flat) >= 0))
            return [self.finding(
                "sorted_labels", Severity.ERROR,
                f"The first {len(batches)} batches hold the labels in "
                + ("sorted" if ascending else "grouped") + f" order, one class after another "
                f"({share:.0%} of batches hold a single label)"
                + (" and the loader does not shuffle." if sequential else "."),
                hint=_HINT_SHUFFLE, metrics={**metrics, "label_changes": changes},
                evidence=(Evidence("sequence", "Labels in loader order",
                                   {"values": flat[:2000].tolist()}),), items=(7, 10))]
        if enough and share > expected + self.config["excess"]:
            return [self.finding(
                "single_label_batches", Severity.ERROR if share >= 0.5 else Severity.WARNING,
                f"{share:.0%} of the first {len(batches)} batches hold a single label, against "
                f"{expected:.1%} expected from shuffled data.",
                hint=_HINT_SHUFFLE, metrics=metrics, items=(7, 10))]
        return self._no_shuffle(metrics) if sequential else []

    def _no_shuffle(self, metrics: dict) -> list[Finding]:
        return [self.finding(
            "no_shuffle", Severity.INFO,
            "The loader does not shuffle (SequentialSampler); right for evaluation, not for training.",
            hint="Use shuffle=True for the training loader.", metrics=metrics, items=(10,))]

    def _target_order(self, ctx: SmokeContext, batches: list) -> list[Finding]:
        """Regression targets: constant, or sorted/grouped so that each batch holds a narrow
        slice of the range (see ``datacheck.smoke._batch_targets``)."""
        per_batch = [_values(y) for _, y in batches]
        if any(v is None or not len(v) for v in per_batch) or len(batches) < self.config["min_batches"]:
            return []
        sequential = _sequential(ctx)
        flat = np.concatenate(per_batch)
        base = {"n_batches": len(batches), "n_targets": len(flat), "sequential_sampler": sequential}
        if np.ptp(flat) == 0:
            return [self.finding(
                "constant_target", Severity.ERROR,
                f"All {len(flat)} targets of the first {len(batches)} batches equal {fmt(flat[0])}: "
                "there is nothing to learn from them.",
                hint="Check the target column and the Dataset's __getitem__; if the data is ordered, "
                     "shuffle it.", metrics=base, items=(7, 10))]
        spread = batch_spread(per_batch)
        metrics = {**base, "explained_share": spread.explained, "expected_share": spread.chance,
                   "excess": spread.excess, "p_value": spread.p_value,
                   "rank_correlation": spread.rank_correlation, "range_ratio": spread.range_ratio}
        cfg = self.config
        if spread.p_value < cfg["max_p_value"] and spread.excess >= cfg["excess"]:
            rho = spread.rank_correlation
            order = (("ascending" if rho > 0 else "descending") + " order"
                     if abs(rho) >= 0.9 else "groups of similar values")
            return [self.finding(
                "sorted_targets", Severity.ERROR if spread.excess >= 0.5 else Severity.WARNING,
                f"The first {len(batches)} batches hold the targets in {order}: batch membership "
                f"explains {spread.explained:.0%} of the targets' rank variance ({spread.chance:.0%} "
                f"expected from shuffled batches) and a typical batch spans {spread.range_ratio:.0%} "
                "of the range" + (", and the loader does not shuffle." if sequential else "."),
                hint=_HINT_SHUFFLE, metrics=metrics,
                evidence=(Evidence("sequence", "Targets in loader order",
                                   {"values": flat[:2000].tolist()}),), items=(7, 10))]
        return self._no_shuffle(metrics) if sequential else []

    def _inputs(self, ctx: SmokeContext, batches: list) -> list[Finding]:
        xs = [x for x, _ in batches if isinstance(x, torch.Tensor) and x.dtype != torch.bool and not x.is_complex()]
        if not xs or len(xs) != len(batches):
            return []
        n, nonfinite, count, total, total2 = 0, 0, 0, 0.0, 0.0
        lo, hi = float("inf"), float("-inf")
        for x in xs:
            ok = torch.isfinite(x)
            f = x[ok].double()
            n += x.numel()
            nonfinite += int(x.numel() - f.numel())
            if f.numel():
                count += f.numel()
                total += float(f.sum())
                total2 += float((f * f).sum())
                lo, hi = min(lo, float(f.min())), max(hi, float(f.max()))
        mean = total / count if count else float("nan")
        var = max(total2 / count - mean * mean, 0.0) if count else float("nan")
        x0 = batches[0][0]
        metrics = {"shape": list(x0.shape), "dtype": str(x0.dtype), "mean": mean,
                   "std": var ** 0.5 if count else None, "min": lo, "max": hi,
                   "n_batches": len(xs), "n_values": n}
        if nonfinite:
            return [self.finding(
                "non_finite_input", Severity.ERROR,
                f"{nonfinite} input values in the first {len(xs)} batches are NaN or Inf.",
                hint="Find them with `datacheck profile` (input_integrity) and fix or drop those samples; "
                     "check normalization for divisions by a zero std.",
                metrics={**metrics, "n_non_finite": nonfinite}, items=(1,))]
        if lo == hi:
            what = "all zero" if lo == 0 else f"all equal to {fmt(lo)}"
            return [self.finding(
                "constant_input", Severity.ERROR,
                f"Every input value in the first {len(xs)} batches is {what}: the model sees no signal.",
                hint="Check the decoding, the normalization (a std of 0, a wrong scale factor) and "
                     "the Dataset's __getitem__.",
                metrics=metrics, items=(1,))]
        return [self.finding(
            "input_stats", Severity.INFO,
            f"The first layer sees inputs of shape {tuple(x0.shape)} ({x0.dtype}) with mean {fmt(mean)}, "
            f"std {fmt(metrics['std'])}, range [{fmt(lo)}, {fmt(hi)}].",
            hint="Compare with what the model expects (e.g. standardized, or the pretrained "
                 "weights' mean/std).",
            metrics=metrics, items=(1,))]


def _equal(a: tuple, b: tuple) -> bool:
    return all(torch.equal(u, v) if isinstance(u, torch.Tensor) and isinstance(v, torch.Tensor)
               else u is v for u, v in zip(a, b))


def _sequential(ctx: SmokeContext) -> bool:
    """Whether the loader reads its dataset in stored order (a SequentialSampler)."""
    return isinstance(getattr(ctx.loader, "sampler", None), torch.utils.data.SequentialSampler)
