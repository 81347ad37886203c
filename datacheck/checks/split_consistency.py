"""Splits prepared by different pipelines, and large natural drift between them (item 15)."""

from __future__ import annotations

import numpy as np

from datacheck.checks._leakage import columns as cols
from datacheck.checks._leakage.stats import sample_rows
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.spec.params import Param
from datacheck.report.findings import Evidence, Finding, Severity

_ALPHA = 1e-3
_MIN_ROWS = 20
_NAMED_FACTORS = (255.0, 256.0, 100.0, 1000.0, 65535.0, 65536.0)


@register
class SplitConsistencyCheck(Check):
    """Splits that were preprocessed differently.

    What it detects
    ---------------
    Compared with the training split, an evaluation split whose features or columns differ;
    whose values are on another scale (about 255 times larger: left in [0, 255] beside a split
    in [0, 1]; other units); that is standardized while the other is raw, or centred on 0
    while the other is not; stored NCHW beside NHWC, or with another sample shape; images of
    another size or color mode; another dtype (context only). Large natural drift (a
    two-sample Kolmogorov-Smirnov test on each feature, significant after correcting for the
    number of features, with a distance of at least ``drift_effect``) is a warning: a random
    split never shows it.

    Why it matters
    --------------
    A model evaluated on inputs prepared differently from its training inputs is tested on a
    different problem: scores collapse for reasons that have nothing to do with the model,
    or, worse, look plausible (item 15).
    """

    id = "split_consistency"
    items = (15,)
    needs = ("two_splits",)
    params = {
        "scale_ratio": Param(10.0, "Ratio of a feature's spread between splits at or beyond which "
                                   "the splits are on different scales.", float, low=1.0, low_open=True),
        "drift_effect": Param(0.3, "Kolmogorov-Smirnov distance at or above which a significant "
                                   "difference between splits is reported as drift.",
                              float, low=0.0, high=1.0, low_open=True),
        "max_rows": Param(20000, "Rows sampled per split for quantiles and drift tests.",
                          int, low=100),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Compare every split with the training split."""
        cols.key_columns(ctx)
        scans = [s for s in ctx.splits() if s.n]
        out: list[Finding] = []
        if len(scans) < 2:
            return out
        ref = scans[0]
        for ev in scans[1:]:
            mismatch = False
            if ref.array is not None and ev.array is not None:
                found = self._arrays(ctx, ref.name, ev.name)
                mismatch = any(f.severity is Severity.ERROR for f in found)
                out += found
            if ctx.source(ref.name).schema is not None:
                out += self._columns(ctx, ref.name, ev.name)
            if ref.columns is not None and ev.columns is not None and not mismatch:
                out += self._features(ctx, ref.name, ev.name)
            if ref.images is not None and ev.images is not None and not mismatch:
                out += self._images(ctx, ref.name, ev.name)
        return out

    # -------------------------------------------------------------------------- arrays

    def _arrays(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        a, b = ctx.scan[ref].array, ctx.scan[ev].array
        table = {"columns": ["split", "shape", "layout", "dtype", "min", "max"],
                 "rows": [[n, "x".join(map(str, i.shape)), i.layout, i.dtype, _fmt(i.value_min),
                           _fmt(i.value_max)] for n, i in ((ref, a), (ev, b))]}
        evidence = [Evidence("table", "array splits", table)]
        out = []
        shape_a, shape_b = _sample_shape(a), _sample_shape(b)
        layouts = ("NHWC", "NCHW", "NHW")
        layout_differs = a.layout in layouts and b.layout in layouts and a.layout != b.layout
        if layout_differs:
            out.append(self.finding(
                "layout", Severity.ERROR,
                f"{ev} is stored {b.layout} {_shape(b.shape)} while {ref} is {a.layout} "
                f"{_shape(a.shape)}, so the splits went through different pipelines and a model "
                f"fed both reads channels as rows in one of them.",
                hint=f"Convert {ev} to {a.layout} (e.g. np.moveaxis) in the same pipeline as {ref}.",
                split=ev, metrics={"ref_layout": a.layout, "eval_layout": b.layout},
                evidence=evidence))
        if not layout_differs and shape_a is not None and shape_b is not None and shape_a != shape_b:
            out.append(self.finding(
                "sample_shape", Severity.ERROR,
                f"Each {ev} sample has shape {_shape(shape_b)} but each {ref} sample "
                f"{_shape(shape_a)}, so one model cannot take both as they are.",
                hint=f"Resize or reshape {ev} exactly as {ref} was prepared.",
                split=ev, metrics={"ref_shape": list(shape_a), "eval_shape": list(shape_b)},
                evidence=evidence))
        scale = self._array_scale(ctx, ref, ev, evidence)
        out += scale
        if a.dtype != b.dtype and not scale:
            out.append(self.finding(
                "dtype", Severity.INFO,
                f"{ev} is stored as {b.dtype} and {ref} as {a.dtype}, on the same value scale.",
                hint="Harmless if the loader converts both the same way.",
                split=ev, metrics={"ref_dtype": a.dtype, "eval_dtype": b.dtype}, evidence=evidence))
        return out

    def _array_scale(self, ctx: CheckContext, ref: str, ev: str, evidence: list) -> list[Finding]:
        """Value scale of image arrays from pixel statistics (feature arrays go by feature)."""
        a, b = ctx.scan[ref], ctx.scan[ev]
        if a.images is None or b.images is None:
            return []
        sd_a, sd_b = _pixel_std(a.images), _pixel_std(b.images)
        lo_a, hi_a, lo_b, hi_b = a.array.value_min, a.array.value_max, b.array.value_min, b.array.value_max
        if not (sd_a > 0 and sd_b > 0):
            return []
        ratio = sd_b / sd_a
        limit = self.config["scale_ratio"]
        if ratio >= limit or ratio <= 1 / limit:
            return [self.finding(
                "value_scale", Severity.ERROR,
                f"{ev} values span {_fmt(lo_b)} to {_fmt(hi_b)} while {ref} values span "
                f"{_fmt(lo_a)} to {_fmt(hi_a)} (a spread {_factor(ratio)}), so one split was "
                f"scaled and the other was not.",
                hint=f"Apply the same scaling to every split (e.g. divide {ev if ratio > 1 else ref} by 255).",
                split=ev, metrics={"scale_ratio": round(ratio, 4)}, evidence=evidence)]
        span = max(hi_a - lo_a, hi_b - lo_b)
        centred_a, centred_b = lo_a < -0.05 * span, lo_b < -0.05 * span
        if centred_a != centred_b:
            which, other = (ref, ev) if centred_a else (ev, ref)
            return [self.finding(
                "standardized_vs_raw", Severity.ERROR,
                f"{which} values are centred on 0 (down to {_fmt(min(lo_a, lo_b))}) while {other} "
                f"values are all non-negative, so the splits were normalized differently.",
                hint="Normalize every split with the same mean and std (the training split's).",
                split=ev, metrics={"ref_min": lo_a, "eval_min": lo_b}, evidence=evidence)]
        return []

    # ------------------------------------------------------------------------- columns

    def _columns(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        keys = set(cols.key_columns(ctx).values())
        sa, sb = ctx.source(ref).schema, ctx.source(ev).schema
        names_a = [c for c in sa.names if c not in keys]
        names_b = [c for c in sb.names if c not in keys]
        missing = [c for c in names_a if c not in names_b]
        extra = [c for c in names_b if c not in names_a]
        num_a, num_b = set(ctx.scan[ref].feature_stats.names), set(ctx.scan[ev].feature_stats.names)
        retyped = [c for c in names_a if c in names_b and (c in num_a) != (c in num_b)]
        if missing or extra or retyped:
            parts = []
            if missing:
                parts.append(f"lacks {_names(missing)}")
            if extra:
                parts.append(f"adds {_names(extra)}")
            if retyped:
                parts.append(f"changes the type of {_names(retyped)} (numeric in one split only)")
            return [self.finding(
                "columns", Severity.ERROR,
                f"{ev} {' and '.join(parts)} compared with {ref}, so a model trained on {ref} "
                f"cannot read {ev} as it is.",
                hint=f"Build {ev}'s features with the same code as {ref}'s.",
                split=ev, metrics={"n_missing": len(missing), "n_extra": len(extra),
                                   "n_retyped": len(retyped), "missing": missing[:20],
                                   "extra": extra[:20], "retyped": retyped[:20]})]
        if names_a != names_b:
            return [self.finding(
                "column_order", Severity.WARNING,
                f"{ev} has the same columns as {ref} in another order, so features end up "
                f"swapped wherever the table is turned into an array by position.",
                hint=f"Select {ev}'s columns in {ref}'s order (df[train_columns]) before training.",
                split=ev, metrics={"ref_order": names_a[:20], "eval_order": names_b[:20]})]
        return []

    # ------------------------------------------------------------------------ features

    def _features(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        names = cols.common_numeric(ctx, [ref, ev])
        if not names:
            return []
        fa, fb = _FeatureSample(ctx, ref, names, self.config["max_rows"]), _FeatureSample(ctx, ev, names, self.config["max_rows"])
        usable = (fa.std > 0) & (fb.std > 0) & (fa.n >= _MIN_ROWS) & (fb.n >= _MIN_ROWS) & (fa.distinct >= 3)
        if not usable.any():
            return []
        out, done = [], np.zeros(len(names), bool)
        std_like = lambda f: (np.abs(f.mean) <= 0.5) & (f.std >= 0.5) & (f.std <= 2.0)  # noqa: E731
        # Far from standardized: off centre by more than a standard deviation, or scaled.
        not_std = lambda f: (np.abs(f.mean) > 1) | (f.std < 0.5) | (f.std > 2.0)  # noqa: E731
        share = lambda m: m[usable].mean()  # noqa: E731
        if usable.sum() >= 2:
            for standardized, raw, which in ((fa, fb, ref), (fb, fa, ev)):
                if share(std_like(standardized)) >= 0.8 and share(not_std(raw)) >= 0.5:
                    done = usable & not_std(raw)
                    other = ev if which == ref else ref
                    out.append(self.finding(
                        "standardized_vs_raw", Severity.ERROR,
                        f"{which} is standardized (features near mean 0, std 1) but {other} is "
                        f"not ({int(done.sum())} of {int(usable.sum())} features far from it), so "
                        f"only one split went through the scaler.",
                        hint=f"Put every split through the same scaler, fit on {ref}.",
                        split=ev, metrics={"n_features": int(done.sum())},
                        evidence=[_stats_table(names, done, fa, fb, ref, ev)]))
                    break
        d, p = np.zeros(len(names)), np.ones(len(names))
        for j in np.flatnonzero(usable & ~done):
            d[j], p[j] = ks_2samp(fa.values[j], fb.values[j])
        significant = p * max(int(usable.sum()), 1) < _ALPHA
        ratio = _spread_ratio(fa.quantiles, fb.quantiles, fa.std, fb.std)
        limit = self.config["scale_ratio"]
        scaled = usable & ~done & significant & ((ratio >= limit) | (ratio <= 1 / limit))
        if scaled.any():
            factor = float(np.median(ratio[scaled]))
            out.append(self.finding(
                "value_scale", Severity.ERROR,
                f"{_plural(int(scaled.sum()), 'feature')} of {ev} "
                f"({_names([names[j] for j in np.flatnonzero(scaled)])}) spread {_factor(factor)} "
                f"than in {ref}, so the splits are in different units or only one was scaled.",
                hint=f"Apply the same units and scaling to {ev} as to {ref}.",
                split=ev, metrics={"n_features": int(scaled.sum()), "scale_ratio": round(factor, 4)},
                evidence=[_stats_table(names, scaled, fa, fb, ref, ev)]))
            done |= scaled
        drifted = usable & ~done & significant & (d >= self.config["drift_effect"])
        if drifted.any():
            out.append(self._drift(ref, ev, names, fa, fb, drifted, d, p))
        return out

    def _drift(self, ref: str, ev: str, names: list[str], fa: "_FeatureSample",
               fb: "_FeatureSample", drifted: np.ndarray, d: np.ndarray, p: np.ndarray) -> Finding:
        order = np.flatnonzero(drifted)[np.argsort(-d[drifted])]
        table = _stats_table(names, drifted, fa, fb, ref, ev, order=order,
                             extra={"KS distance": d, "p": p})
        return self.finding(
            "drift", Severity.WARNING,
            f"{_plural(len(order), 'feature')} of {ev} ({_names([names[j] for j in order])}) are "
            f"distributed very differently from {ref} (Kolmogorov-Smirnov distance up to "
            f"{d[order[0]]:.2f}), so {ref} scores will not carry over to {ev}.",
            hint=f"Check how {ev} was collected; if it is meant to match {ref}, split at random.",
            split=ev, metrics={"n_features": len(order), "max_ks": round(float(d[order[0]]), 4)},
            evidence=[table])

    # -------------------------------------------------------------------------- images

    def _images(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        ia, ib = ctx.scan[ref].images, ctx.scan[ev].images
        ok_a, ok_b = ia.ok, ib.ok
        if ok_a.sum() < _MIN_ROWS or ok_b.sum() < _MIN_ROWS:
            return []
        out = []
        files = ctx.scan[ref].array is None
        if files:
            out += self._image_size(ctx, ref, ev)
            out += self._image_mode(ctx, ref, ev)
        bright_a = np.nanmean(ia.mean[ok_a].astype(np.float64), axis=1)
        bright_b = np.nanmean(ib.mean[ok_b].astype(np.float64), axis=1)
        contrast_a = np.nanmean(ia.std[ok_a].astype(np.float64), axis=1)
        contrast_b = np.nanmean(ib.std[ok_b].astype(np.float64), axis=1)
        rows, flagged = [], []
        for name, va, vb in (("brightness", bright_a, bright_b), ("contrast", contrast_a, contrast_b)):
            sa = va[sample_rows(len(va), self.config["max_rows"], ctx.seed)]
            sb = vb[sample_rows(len(vb), self.config["max_rows"], ctx.seed)]
            d, p = ks_2samp(sa, sb)
            rows.append([name, round(float(va.mean()), 4), round(float(vb.mean()), 4), round(d, 4), p])
            if p * 2 < _ALPHA and d >= self.config["drift_effect"]:
                flagged.append((name, d, vb.mean() - va.mean()))
        if flagged:
            words = ", ".join(f"{'higher' if delta > 0 else 'lower'} {name}" for name, _, delta in flagged)
            out.append(self.finding(
                "drift", Severity.WARNING,
                f"{ev} images have {words} than {ref} images (Kolmogorov-Smirnov distance up to "
                f"{max(f[1] for f in flagged):.2f}), so they were captured or processed differently.",
                hint=f"Check how {ev} was captured and preprocessed; if it should match {ref}, split at random.",
                split=ev, metrics={"max_ks": round(max(f[1] for f in flagged), 4)},
                evidence=[Evidence("table", "per-image statistics",
                                   {"columns": ["statistic", f"{ref} mean", f"{ev} mean", "KS distance", "p"],
                                    "rows": rows})]))
        return out

    def _image_size(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        ia, ib = ctx.scan[ref].images, ctx.scan[ev].images
        ha, wa = ia.height[ia.ok], ia.width[ia.ok]
        hb, wb = ib.height[ib.ok], ib.width[ib.ok]
        lo_h, hi_h = np.percentile(ha, [1, 99])
        lo_w, hi_w = np.percentile(wa, [1, 99])
        outside = (hb < lo_h) | (hb > hi_h) | (wb < lo_w) | (wb > hi_w)
        share = float(outside.mean())
        if share < 0.5:
            return []
        typical = lambda h, w: f"{int(np.median(w))}x{int(np.median(h))}"  # noqa: E731
        return [self.finding(
            "image_size", Severity.WARNING,
            f"{share:.0%} of {ev} images have sizes never seen in {ref} (typically "
            f"{typical(hb, wb)} against {typical(ha, wa)} width x height), so the splits were "
            f"resized or cropped differently.",
            hint=f"Produce {ev} images with the same resizing as {ref}'s, or resize both in the loader.",
            split=ev, metrics={"outside_ratio": round(share, 4)},
            samples=ctx.sample_ids(ev, np.flatnonzero(ib.ok)[outside][:50]),
            n_samples=int(outside.sum()))]

    def _image_mode(self, ctx: CheckContext, ref: str, ev: str) -> list[Finding]:
        ia, ib = ctx.scan[ref].images, ctx.scan[ev].images
        import pandas as pd

        modes_a = pd.Series(ia.mode)[ia.ok].value_counts(normalize=True)
        modes_b = pd.Series(ib.mode)[ib.ok]
        rare = modes_b.map(modes_a).fillna(0.0).to_numpy() < 0.01
        share = float(rare.mean())
        if share < 0.5:
            return []
        return [self.finding(
            "image_mode", Severity.WARNING,
            f"{share:.0%} of {ev} images are in a color mode rare in {ref} ({_names(sorted(set(modes_b[rare])))} "
            f"against mostly {modes_a.index[0]}), so the splits were converted differently.",
            hint=f"Convert every split to one mode (e.g. image.convert('{modes_a.index[0]}')) in the loader.",
            split=ev, metrics={"rare_mode_ratio": round(share, 4)},
            samples=ctx.sample_ids(ev, np.flatnonzero(ib.ok)[rare][:50]), n_samples=int(rare.sum()))]


class _FeatureSample:
    """Moments of every feature of one split, and a row sample for quantiles and tests."""

    def __init__(self, ctx: CheckContext, split: str, names: list[str], max_rows: int) -> None:
        scan = ctx.scan[split]
        idx = cols.feature_index(scan, names)
        fs = scan.feature_stats
        self.n, self.mean, self.std = fs.n_finite[idx], fs.mean[idx], fs.std[idx]
        self.distinct = fs.n_distinct_lo[idx]
        rows = sample_rows(scan.n_column_rows, max_rows, ctx.seed)
        sample = np.stack([c[rows] for c in cols.feature_rows(scan, names)])
        self.values = [v[np.isfinite(v)] for v in sample]
        self.quantiles = np.array([np.percentile(v, [5, 25, 75, 95]) if len(v) else [np.nan] * 4
                                   for v in self.values])


def ks_2samp(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov distance and its asymptotic p-value.

    Parameters
    ----------
    a, b : numpy.ndarray
        Finite samples.

    Returns
    -------
    distance : float
        Largest gap between the empirical distribution functions.
    p : float
        Asymptotic two-sided p-value (Kolmogorov distribution, with Stephens' correction).
    """
    from scipy.special import kolmogorov  # scipy.stats takes seconds to import

    a, b = np.sort(a), np.sort(b)
    if not len(a) or not len(b):
        return 0.0, 1.0
    grid = np.concatenate([a, b])
    gap = np.abs(np.searchsorted(a, grid, "right") / len(a) - np.searchsorted(b, grid, "right") / len(b))
    d = float(gap.max())
    en = np.sqrt(len(a) * len(b) / (len(a) + len(b)))
    return d, float(kolmogorov((en + 0.12 + 0.11 / en) * d))


def _stats_table(names, mask, fa, fb, ref, ev, order=None, extra=None) -> Evidence:
    order = np.flatnonzero(mask) if order is None else order
    columns = ["feature", f"{ref} mean", f"{ev} mean", f"{ref} std", f"{ev} std", *(extra or {})]
    rows = [[names[j], *(round(float(v), 4) for v in (fa.mean[j], fb.mean[j], fa.std[j], fb.std[j])),
             *(float(f"{float(arr[j]):.4g}") for arr in (extra or {}).values())] for j in order[:50]]
    return Evidence("table", f"feature statistics, {ref} vs {ev}", {"columns": columns, "rows": rows})


def _spread_ratio(qa: np.ndarray, qb: np.ndarray, sd_a: np.ndarray, sd_b: np.ndarray) -> np.ndarray:
    """Ratio of spreads (b over a) per feature, on the same robust measure for both splits:
    the interquartile range, else the 5-95% range (sparse features), else the std."""
    iqr_a, iqr_b = qa[:, 2] - qa[:, 1], qb[:, 2] - qb[:, 1]
    in_a, in_b = qa[:, 3] - qa[:, 0], qb[:, 3] - qb[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((iqr_a > 0) & (iqr_b > 0), iqr_b / iqr_a,
                        np.where((in_a > 0) & (in_b > 0), in_b / in_a, sd_b / sd_a))


def _sample_shape(info) -> tuple[int, ...] | None:
    """Shape of one sample in NHWC order (features: its width), or None for other layouts."""
    shape = info.shape
    if info.layout == "NCHW":
        return (shape[2], shape[3], shape[1])
    if info.layout == "NHWC":
        return tuple(shape[1:])
    if info.layout == "NHW":
        return (shape[1], shape[2], 1)
    if info.layout == "features":
        return (shape[1],)
    return None


def _pixel_std(images) -> float:
    """Standard deviation of all pixel values (all channels) from per-image moments."""
    mean = images.mean[images.ok].astype(np.float64)
    std = images.std[images.ok].astype(np.float64)
    mu = np.nanmean(mean)
    return float(np.sqrt(max(np.nanmean(std**2 + mean**2) - mu**2, 0.0)))


def _factor(ratio: float) -> str:
    """'about 255 times wider' or '... narrower', naming a familiar factor when close to one."""
    big = ratio if ratio >= 1 else 1 / ratio
    for f in _NAMED_FACTORS:
        if abs(big / f - 1) <= 0.1:
            big = f
            break
    text = f"{big:.0f}" if big >= 10 else f"{big:.1f}"
    return f"about {text} times {'wider' if ratio >= 1 else 'narrower'}"


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _names(names: list[str], k: int = 5) -> str:
    shown = ", ".join(names[:k])
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
