"""Preprocessing statistics fit on the union of the splits instead of train alone (item 15)."""

from __future__ import annotations

import numpy as np

from datacheck.checks._leakage import columns as cols
from datacheck.checks._leakage.stats import pooled_moments, sample_rows
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.report.findings import Evidence, Finding, Severity

# Statistics recomputed from stored values agree with the fitted ones to float precision;
# data written with fewer decimals widens this to half a rounding step.
_FLOOR_TOL = 1e-5
_IMAGE_MEAN_TOL = 1e-5
_IMAGE_STD_TOL = 1e-2
_CORR_TOL = 1e-4
_MAX_PCA_FEATURES = 256
_IMPUTE_SAMPLE = 20000


@register
class PreprocessingLeakageCheck(Check):
    """Scalers, imputers and projections fit on all splits together.

    What it detects
    ---------------
    Per feature (and per channel of float image arrays): the union of the splits has mean 0
    and standard deviation 1 (or minimum 0 and maximum 1) to within rounding, while the
    training split alone departs from it by more than rounding allows: a StandardScaler or
    MinMaxScaler fit before splitting. A block of one repeated value, foreign to the column,
    equal to the mean or median of the observed values of all splits together but not of
    train's: missing values imputed with statistics of all splits. Components uncorrelated and centred over the union but correlated within train:
    a PCA or whitening fit on all splits. Also every split standardized with its own
    statistics (the test split fit on itself).

    Why it matters
    --------------
    Statistics computed with the test split carry information about it into training; the
    evaluation is no longer on unseen data, and in production (where only training statistics
    exist) inputs are scaled differently from what the model was validated on (item 15).
    """

    id = "preprocessing_leakage"
    items = (15,)
    needs = ("two_splits",)
    params: dict = {}

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Look for each signature over the features common to all splits."""
        cols.key_columns(ctx)
        out: list[Finding] = []
        names = cols.common_numeric(ctx)
        if names and all(s.n >= 2 for s in ctx.splits()):
            stats = _FeatureTable(ctx, names)
            pca = self._pca(ctx, stats)
            out += pca
            if not pca:
                out += self._scaler(ctx, stats)
            out += self._minmax(ctx, stats)
            out += self._imputer(ctx, stats)
        if all(s.images is not None and s.array is not None and s.array.dtype.startswith("float")
               for s in ctx.splits()):
            out += self._image_channels(ctx)
        return out

    # ------------------------------------------------------------------------ scalers

    def _scaler(self, ctx: CheckContext, t: "_FeatureTable") -> list[Finding]:
        union_ok = (np.abs(t.u_mean) <= t.tol) & _unit_std(t.u_std, t.u_n, t.tol)
        split_ok = (np.abs(t.mean) <= t.tol) & _unit_std(t.std, t.n, t.tol)
        # Departing by more than twice the rounding tolerance: beyond what storage explains.
        train_exact = (np.abs(t.mean[0]) <= 2 * t.tol) & _unit_std(t.std[0], t.n[0], 2 * t.tol)
        loose = t.scaled & (np.abs(t.u_mean) <= 0.1) & (np.abs(t.u_std - 1) <= 0.1)
        hit = t.scaled & union_ok & ~train_exact
        if hit.any() and hit.sum() >= 0.5 * loose.sum():
            return [self._union_finding(
                ctx, t, hit, "scaler_on_union",
                f"{_plural(int(hit.sum()), 'feature')} {'has' if hit.sum() == 1 else 'have'} mean 0 "
                f"and standard deviation 1 over "
                f"all splits together but not over {t.splits[0]} alone, so the scaler was fit on "
                f"every split, test included.",
                "Fit the scaler on the training split only, then transform every split with it.",
                ("mean", "std"))]
        each = t.scaled & split_ok.all(axis=0)
        if each.any() and each.sum() >= 0.5 * loose.sum():
            return [self._each_finding(ctx, t, each)]
        return []

    def _minmax(self, ctx: CheckContext, t: "_FeatureTable") -> list[Finding]:
        cand = t.scaled
        union_ok = (np.abs(t.u_min) <= t.tol) & (np.abs(t.u_max - 1) <= t.tol)
        if cand.sum() < 2 or not union_ok[cand].all():
            return []
        train_ok = (np.abs(t.min[0]) <= t.tol) & (np.abs(t.max[0] - 1) <= t.tol)
        hit = cand & ~train_ok
        if not hit.any():
            return []
        return [self._union_finding(
            ctx, t, hit, "minmax_on_union",
            f"All {_plural(int(cand.sum()), 'feature')} span exactly [0, 1] over all splits "
            f"together but {int(hit.sum())} do not over {t.splits[0]} alone, so the min-max "
            f"scaler was fit on every split, test included.",
            "Fit the scaler on the training split only; test values may then fall outside [0, 1], "
            "which is expected.", ("min", "max"))]

    def _union_finding(self, ctx: CheckContext, t: "_FeatureTable", hit: np.ndarray, what: str,
                       message: str, hint: str, stats: tuple[str, str]) -> Finding:
        feats = np.flatnonzero(hit)
        train = t.splits[0]
        rows = [[t.names[j]] + [round(float(getattr(t, "u_" + s)[j]), 6) for s in stats]
                + [round(float(getattr(t, s)[0][j]), 6) for s in stats] for j in feats[:50]]
        table = {"columns": ["feature"] + [f"union {s}" for s in stats] + [f"{train} {s}" for s in stats],
                 "rows": rows}
        return self.finding(
            what, Severity.ERROR, message, hint=hint, split=train,
            metrics={"n_features": len(feats), "n_candidates": int(t.scaled.sum()),
                     "features": [t.names[j] for j in feats[:20]]},
            evidence=[Evidence("table", f"union vs {train} statistics", table)])

    def _each_finding(self, ctx: CheckContext, t: "_FeatureTable", each: np.ndarray) -> Finding:
        feats = np.flatnonzero(each)
        rows = [[t.names[j]] + [round(float(t.mean[i][j]), 6) for i in range(len(t.splits))]
                for j in feats[:50]]
        return self.finding(
            "fit_on_each_split", Severity.WARNING,
            f"Every split has mean exactly 0 and standard deviation 1 on {_plural(len(feats), 'feature')}, so "
            f"each split was standardized with its own statistics.",
            hint="Fit the scaler on the training split only and apply it to the other splits "
                 "(scaler.transform, not fit_transform, on validation and test).",
            metrics={"n_features": len(feats), "features": [t.names[j] for j in feats[:20]]},
            evidence=[Evidence("table", "mean per split",
                               {"columns": ["feature", *t.splits], "rows": rows})])

    # ------------------------------------------------------------------------ imputer

    def _imputer(self, ctx: CheckContext, t: "_FeatureTable") -> list[Finding]:
        found = []
        rows = [sample_rows(len(c[0]), _IMPUTE_SAMPLE, ctx.seed) for c in t.columns]
        for j in np.flatnonzero(t.candidate):
            # An imputed value is a block of one value at the centre of the column: a value
            # repeated in a sample, foreign to the column, at its mean or median. Only such
            # columns (none, in clean continuous data) are read in full.
            sample = np.concatenate([c[j][r] for c, r in zip(t.columns, rows)])
            sample = sample[np.isfinite(sample)]
            fills = [v for v in _central_repeats(sample, t.u_mean[j], t.tol[j])
                     if _stands_out(sample, v, ctx.seed)]
            if not fills:
                continue
            union = np.concatenate([c[j] for c in t.columns])
            union = union[np.isfinite(union)]
            train_vals = t.columns[0][j][np.isfinite(t.columns[0][j])]
            for fill in fills:
                # Statistics of the observed values: what an imputer would have been fit on.
                observed, observed_train = union[union != fill], train_vals[train_vals != fill]
                if not len(observed) or not len(observed_train):
                    continue
                stats = {"mean": (observed.mean(), observed_train.mean()),
                         "median": (_median_of(observed, fill), _median_of(observed_train, fill))}
                if any(_near(fill, tr, t.tol[j]) for _, tr in stats.values()):
                    continue  # an imputer fit on train, as it should be
                hit = [k for k, (un, _) in stats.items() if _near(fill, un, t.tol[j])]
                if hit:
                    train_stat = float(np.ravel(stats[hit[0]][1])[0])
                    found.append((t.names[j], hit[0], fill, train_stat, len(union) - len(observed)))
                    break
        if not found:
            return []
        train = t.splits[0]
        rows = [[name, stat, round(v, 6), round(vt, 6), n] for name, stat, v, vt, n in found[:50]]
        return [self.finding(
            "imputer_on_union", Severity.ERROR,
            f"{_plural(len(found), 'feature')} {'repeats' if len(found) == 1 else 'repeat'} a value "
            f"equal to the {found[0][1]} of the observed "
            f"values over all splits together (not over {train}), so missing values were "
            f"imputed with statistics of every split.",
            hint="Fit the imputer on the training split only, then transform every split with it.",
            split=train,
            metrics={"n_features": len(found), "n_imputed": int(sum(f[4] for f in found)),
                     "features": [f[0] for f in found[:20]]},
            evidence=[Evidence("table", "repeated value vs statistics of the observed values",
                               {"columns": ["feature", "statistic", "repeated value (= union)",
                                            f"{train} statistic", "rows"], "rows": rows})])]

    # ------------------------------------------------------------------------ PCA

    def _pca(self, ctx: CheckContext, t: "_FeatureTable") -> list[Finding]:
        feats = np.flatnonzero(t.scaled & t.all_finite)
        if not 2 <= len(feats) <= _MAX_PCA_FEATURES:
            return []
        n_total = 0
        sums = np.zeros(len(feats))
        cross = np.zeros((len(feats), len(feats)))
        train_corr = None
        for i, columns in enumerate(t.columns):
            x = np.stack([columns[j] for j in feats])
            n_total += x.shape[1]
            s = x.sum(axis=1)
            c = x @ x.T
            sums += s
            cross += c
            if i == 0:
                train_corr = _corr(c, s, x.shape[1])
        union_corr = _corr(cross, sums, n_total)
        mean = sums / n_total
        off = ~np.eye(len(feats), dtype=bool)
        u_max = float(np.abs(union_corr[off]).max())
        tr_max = float(np.abs(train_corr[off]).max())
        if u_max > _CORR_TOL or tr_max <= 10 * _CORR_TOL or np.abs(mean).max() > np.max(t.tol[feats]):
            return []
        train = t.splits[0]
        return [self.finding(
            "pca_on_union", Severity.ERROR,
            f"The {len(feats)} features are uncorrelated and centred over all splits together "
            f"(largest correlation {u_max:.1e}) but correlated within {train} (up to "
            f"{tr_max:.3f}), so a PCA or whitening was fit on every split.",
            hint="Fit the PCA (or whitening) on the training split only, then transform every split.",
            split=train,
            metrics={"n_features": len(feats), "union_max_abs_corr": u_max,
                     "train_max_abs_corr": round(tr_max, 6)},
            evidence=[Evidence("matrix", f"{train} correlations of the components",
                               {"rows": [t.names[j] for j in feats[:20]],
                                "columns": [t.names[j] for j in feats[:20]],
                                "values": np.round(train_corr[:20, :20], 4).tolist()})])]

    # ------------------------------------------------------------------------ images

    def _image_channels(self, ctx: CheckContext) -> list[Finding]:
        scans = ctx.splits()
        n = np.array([[s.n] * 3 for s in scans], dtype=float)
        moments = [_channel_moments(s.images) for s in scans]
        mean = np.array([m for m, _ in moments])
        std = np.array([s for _, s in moments])
        present = np.isfinite(mean).all(axis=0)
        if not present.any():
            return []
        _, u_mean, u_std = pooled_moments(n[:, present], mean[:, present], std[:, present])
        # Channel statistics are usually computed in float32, which gets the mean right to
        # ~1e-7 but the std only to ~1e-3: the mean carries the signature, the std confirms.
        ok = lambda m, s: (np.abs(m) <= _IMAGE_MEAN_TOL) & (np.abs(s - 1) <= _IMAGE_STD_TOL)  # noqa: E731
        union_ok = ok(u_mean, u_std)
        split_ok = ok(mean[:, present], std[:, present])
        train_mean = np.abs(mean[0, present])
        train = scans[0].name
        if len(scans) >= 2 and split_ok.all():
            what, sev = "fit_on_each_split", Severity.WARNING
            msg = ("Every split's image channels have mean exactly 0 and standard deviation 1, so "
                   "each split was normalized with its own statistics.")
            hint = "Normalize every split with the training split's per-channel mean and std."
        elif union_ok.all() and (train_mean > np.maximum(10 * np.abs(u_mean), _IMAGE_MEAN_TOL)).all():
            what, sev = "scaler_on_union", Severity.ERROR
            msg = (f"Image channels have mean 0 and standard deviation 1 over all splits together "
                   f"but not over {train} alone, so the normalization statistics were computed "
                   f"on every split.")
            hint = "Compute the per-channel mean and std on the training split only."
        else:
            return []
        rows = [[s.name] + [round(float(v), 6) for v in mean[i, present]]
                + [round(float(v), 6) for v in std[i, present]] for i, s in enumerate(scans)]
        chans = [str(c) for c in np.flatnonzero(present)]
        return [self.finding(
            what, sev, msg, hint=hint, split=train if sev is Severity.ERROR else None,
            metrics={"union_mean": u_mean.round(6).tolist(), "union_std": u_std.round(6).tolist()},
            evidence=[Evidence("table", "per-channel statistics per split",
                               {"columns": ["split"] + [f"mean {c}" for c in chans]
                                + [f"std {c}" for c in chans], "rows": rows})])]


class _FeatureTable:
    """Per-split statistics of the features common to all splits, and their union."""

    def __init__(self, ctx: CheckContext, names: list[str]) -> None:
        scans = ctx.splits()
        self.names = names
        self.splits = [s.name for s in scans]
        self.columns = [cols.feature_rows(s, names) for s in scans]
        idx = [cols.feature_index(s, names) for s in scans]
        fs = [s.feature_stats for s in scans]
        self.n = np.array([f.n_finite[i] for f, i in zip(fs, idx)], dtype=float)
        self.mean = np.array([f.mean[i] for f, i in zip(fs, idx)])
        self.std = np.array([f.std[i] for f, i in zip(fs, idx)])
        self.min = np.array([f.min[i] for f, i in zip(fs, idx)])
        self.max = np.array([f.max[i] for f, i in zip(fs, idx)])
        self.u_n, self.u_mean, self.u_std = pooled_moments(self.n, np.nan_to_num(self.mean),
                                                           np.nan_to_num(self.std))
        with np.errstate(invalid="ignore"):
            self.u_min, self.u_max = np.nanmin(self.min, axis=0), np.nanmax(self.max, axis=0)
        distinct = np.array([f.n_distinct_lo[i] for f, i in zip(fs, idx)]).max(axis=0)
        self.candidate = (distinct >= 3) & (self.u_std > 0) & (self.n >= 2).all(axis=0)
        self.all_finite = np.array([f.n_finite[i] == f.n for f, i in zip(fs, idx)]).all(axis=0)
        dec = np.array([cols.split_decimals(ctx, s.name, names) for s in scans])
        full = (dec < 0).all(axis=0)
        quantum = np.where(full, 0.0, cols.resolution(np.where(dec < 0, 99, dec).min(axis=0)))
        self.tol = np.maximum(_FLOOR_TOL, quantum / 2)
        # Values kept to fewer than 2 decimals (counts, raw pixels) are not the output of a
        # scaler, and their means land near 0 and 1 by coincidence.
        self.scaled = self.candidate & (full | (np.where(dec < 0, 99, dec).min(axis=0) >= 2))


def _channel_moments(images) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of all pixel values per channel (NaN for an absent channel)."""
    m = images.mean.astype(np.float64)
    sq = images.std.astype(np.float64) ** 2 + m**2
    present = np.isfinite(m)
    count = present.sum(axis=0)
    safe = np.where(count > 0, count, 1)
    mean = np.where(count > 0, np.where(present, m, 0).sum(axis=0) / safe, np.nan)
    var = np.where(present, sq, 0).sum(axis=0) / safe - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _unit_std(std: np.ndarray, n: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Standard deviation 1 to within ``tol``, with or without Bessel's correction."""
    bessel = np.sqrt(np.maximum(n - 1, 0) / np.maximum(n, 1))
    return (np.abs(std - 1) <= tol) | (np.abs(std - bessel) <= tol)


def _corr(cross: np.ndarray, sums: np.ndarray, n: int) -> np.ndarray:
    """Correlation matrix from the cross-product matrix and sums of n rows."""
    mean = sums / n
    cov = cross / n - np.outer(mean, mean)
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-300))
    return cov / np.outer(sd, sd)


def _median_of(observed: np.ndarray, fill: float) -> np.ndarray:
    """The median of the observed values, with and without one value equal to ``fill``: with
    an odd count the median is itself an observation, indistinguishable from the fills."""
    return np.array([np.median(observed), np.median(np.append(observed, fill))])


def _near(value: float, stat, tol: float) -> bool:
    return bool(np.any(np.abs(value - np.asarray(stat)) <= tol))


def _central_repeats(sample: np.ndarray, mean: float, tol: float) -> list[float]:
    """Values repeated in the sample that sit at the column's mean or nearest its median."""
    uniq, counts = np.unique(sample, return_counts=True)
    rep = uniq[counts >= 2]
    if not len(rep):
        return []
    out = {float(v) for v in rep[np.abs(rep - mean) <= tol]}
    out.add(float(rep[np.argmin(np.abs(rep - np.median(sample)))]))
    return sorted(out)


def _stands_out(values: np.ndarray, fill: float, seed: int) -> bool:
    """Whether a repeated value is foreign to the column, as an imputed value is.

    In a column written with a fixed number of decimals, a fill value off that lattice is;
    in a continuous column, a value repeated twice as often as any other is. The mean or
    median of a discrete column is otherwise a common value by nature.
    """
    rest = values[values != fill]
    count = len(values) - len(rest)
    if not len(rest) or count < 2:
        return False
    dec = int(cols.decimals([rest], seed)[0])
    if dec >= 0:
        scaled = fill * 10.0**dec
        return abs(scaled - round(scaled)) > 1e-6 * max(1.0, abs(scaled))
    _, counts = np.unique(rest, return_counts=True)
    return count >= 2 * int(counts.max())
