"""Rows or images far from the rest: wrong entries in a column, and isolated samples."""

from __future__ import annotations

import numpy as np

from datacheck.checks._extremes import EXTREME_Z, ISOLATION_RATIO, RobustScale, isolation
from datacheck.checks._leakage.stats import sample_rows
from datacheck.checks._pixel_tables import pixel_grid
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.models import oof_skip_reason
from datacheck.models.oof import model_threads, pooled, pooled_features, reduced_inputs
from datacheck.models.isolation import isolation_scores
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.scan.parallel import run_blocks
from datacheck.spec.params import Param

# Samples and cells named in a finding at most, and listed in its evidence.
MAX_LISTED = 50
MAX_NAMED = 3
# A column is judged from this many finite train values; fewer say little about its spread.
MIN_VALUES = 30
# Its scale is estimated on at most this many train rows (seeded sample).
SCALE_ROWS = 100_000
# Modelled samples whose isolation is scored at most (``sample_rows``; each score searches the
# same reference, so a sample keeps every score's quality): on 200,000 x 50 inputs
# the neighbour search took 0.85 s of one core, a fifth of the 1M-row table's default profile.
MAX_SCORED = 50_000


@register
class OutliersCheck(Check):
    """Values far outside the rest of their column, and the samples farthest from the others.

    What it detects
    ---------------
    *Extreme values* in numeric feature columns (tables and 2-D feature arrays). Each column
    is scaled robustly on the training split: its median and median absolute deviation, on the
    log scale for a positive, right-skewed column, so that the extremes themselves cannot set
    the scale. A value more than ``extreme_z`` robust deviations out is extreme; extremes that
    lie at least ``isolation_ratio`` times farther out than any other value of the column on
    their side stand apart from the data (a unit slip, a typing error, a -999 sentinel) and
    are a warning that names the rows, columns and values. Extremes that continue a heavy
    tail are left alone: they are the data. Columns where over half the values are equal
    (indicators, sparse counts) have no robust spread and are not judged, nor are the columns
    of a pixel table (whole numbers 0-255 on a square grid of correlated neighbours, as a
    Kaggle pixel CSV): every value lies in the image's range.

    *Isolated samples*: the mean distance of every modelled sample (a seeded sample of 50,000
    of them when there are more) to its 10 nearest neighbours, on the inputs the models of
    ``label_noise`` use (standardized columns, or the leading principal components of the
    pixels), over the median sample's. The samples farthest from all others are listed at
    ``info`` with their scores, ranked, for a look: they are atypical, not necessarily wrong.
    Every scored sample's score is in the per-sample table.

    Why it matters
    --------------
    One value a thousand times too large dominates a standardization (every other row of the
    column collapses to the same input), a squared loss and the gradients of the first
    layer; a network trained on it fits the mistake. Isolated samples are where corrupt
    inputs, another data source or a rare sub-population hide; a model meets too few of them
    to learn them, and a test split full of them measures something else.
    """

    id = "outliers"
    items = (1, 3)
    params = {
        "extreme_z": Param(EXTREME_Z, "Robust deviations (1.4826 MAD, on the log scale for a positive "
                           "right-skewed column) from the train median beyond which a feature value is "
                           "extreme.", float, 3, None),
        "isolation_ratio": Param(ISOLATION_RATIO, "An extreme value is a warning when it lies this many "
                                 "times farther out than any other value of its column on its side.",
                                 float, 1, None),
        "isolated_score": Param(2.5, "Neighbour distance, in multiples of the median sample's, from "
                                "which a sample is listed as isolated (info).", float, 1, None,
                                low_open=True),
    }

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Skipped when there are neither numeric feature columns nor model inputs."""
        reason = super().skip_reason(ctx)
        if reason:
            return reason
        has_columns = any(s.columns is not None and s.columns.shape[0] for s in ctx.splits())
        if not has_columns and oof_skip_reason(ctx):
            return "the dataset has neither numeric feature columns nor inputs a model can read"
        return None

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The extreme-value warning, and the isolated samples (info)."""
        return self._extreme_values(ctx) + self._isolated(ctx)

    # -- extreme values in feature columns --------------------------------------------------------

    def _extreme_values(self, ctx: CheckContext) -> list[Finding]:
        train = ctx.scan.splits[ctx.train_name]
        if train.columns is None or not train.columns.shape[0] or train.feature_stats is None:
            return []
        if pixel_grid(ctx) is not None:
            # pixels: every value lies in the image's range, and a column of a border pixel is
            # mostly 0 with a few bright strokes, far out by its own spread
            return []
        names = list(train.feature_stats.names)
        scales = _column_scales(train.columns, ctx.seed, model_threads(ctx.options))
        cells = []  # (split, row, column, value, z, isolation)
        for split in ctx.splits():
            if split.columns is None or split.feature_stats is None or list(split.feature_stats.names) != names:
                continue
            for j in self._candidate_columns(split, scales):
                values = self._column(ctx, split, names[j], j)
                z = scales[j].z(values)
                cells += self._isolated_cells(split.name, names[j], values, z)
        if not cells:
            return []
        return [self._extreme_finding(ctx, cells)]

    def _candidate_columns(self, split, scales: list["ColumnScale | None"]) -> list[int]:
        """Columns whose min or max is extreme (from the scan's exact aggregates, no re-read)."""
        stats, limit = split.feature_stats, self.config["extreme_z"]
        out = []
        for j, scale in enumerate(scales):
            if scale is None or not stats.n_finite[j]:
                continue
            ends = scale.z(np.array([stats.min[j], stats.max[j]]))
            if np.any(np.abs(ends) > limit):
                out.append(j)
        return out

    @staticmethod
    def _column(ctx: CheckContext, split, name: str, j: int) -> np.ndarray:
        """Every value of one numeric column of a split, float64 in row order."""
        if split.column_rows is None:
            return split.columns[j]
        table = ctx.rows(split.name, [name])
        return np.asarray(table.column(0).to_numpy(zero_copy_only=False), dtype=np.float64)

    def _isolated_cells(self, split: str, column: str, values: np.ndarray, z: np.ndarray) -> list[tuple]:
        finite_z = z
        extreme = np.abs(finite_z) > self.config["extreme_z"]
        out = []
        for side in (1, -1):
            mine = extreme & (side * finite_z > 0)
            if not mine.any():
                continue
            ratio = isolation(finite_z, extreme, side)
            if ratio >= self.config["isolation_ratio"]:
                out += [(split, int(r), column, float(values[r]), float(finite_z[r]), ratio)
                        for r in np.flatnonzero(mine)]
        return out

    def _extreme_finding(self, ctx: CheckContext, cells: list[tuple]) -> Finding:
        cells.sort(key=lambda c: -abs(c[4]))
        ids = {}
        for split in {c[0] for c in cells[:MAX_LISTED]}:
            rows = sorted({c[1] for c in cells[:MAX_LISTED] if c[0] == split})
            ids.update(zip(((split, r) for r in rows), ctx.sample_ids(split, rows)))
        columns = sorted({c[2] for c in cells})
        rows_hit = {(c[0], c[1]) for c in cells}
        for split in {c[0] for c in cells}:
            rows = np.array(sorted({c[1] for c in cells if c[0] == split}), np.int64)
            score = np.array([max(abs(c[4]) for c in cells if c[0] == split and c[1] == r) for r in rows])
            ctx.sample_column(split, "extreme_z", score, rows=rows)
        named = "; ".join(f"{ids[(c[0], c[1])]} `{c[2]}` = {c[3]:.6g} ({abs(c[4]):.0f} robust deviations "
                          "from the train median)" for c in cells[:MAX_NAMED])
        more = f" and {len(cells) - MAX_NAMED} more" if len(cells) > MAX_NAMED else ""
        n = len(cells)
        message = (f"{n} value{'s' if n > 1 else ''} in {len(rows_hit)} row{'s' if len(rows_hit) > 1 else ''} "
                   f"{'lie' if n > 1 else 'lies'} far outside the rest of {'their' if n > 1 else 'its'} "
                   f"column, apart from every other value: {named}{more}. Likely wrong entries (a unit slip, "
                   "a typing error, a sentinel such as -999); one such value dominates a standardization "
                   "and a squared loss.")
        rows = [{"sample": ids.get((c[0], c[1]), f"{c[0]}[{c[1]}]"), "split": c[0], "column": c[2],
                 "value": c[3], "robust deviations": round(abs(c[4]), 1),
                 "times farther than the rest": round(c[5], 1) if np.isfinite(c[5]) else None}
                for c in cells[:MAX_LISTED]]
        return self.finding(
            "extreme_values", Severity.WARNING, message,
            hint="Check these values at the source; fix them, or set them missing and impute, before "
                 "fitting a scaler or training.",
            metrics={"n_values": n, "n_rows": len(rows_hit), "columns": columns[:MAX_LISTED],
                     "max_robust_z": round(abs(cells[0][4]), 2)},
            samples=[r["sample"] for r in rows], n_samples=len(rows_hit),
            evidence=[Evidence("table", "Values far outside their column", {
                "columns": ["sample", "split", "column", "value", "robust deviations",
                            "times farther than the rest"], "rows": rows})])

    # -- isolated samples ---------------------------------------------------------------------------

    def _isolated(self, ctx: CheckContext) -> list[Finding]:
        if oof_skip_reason(ctx):
            return []
        pool, x, features = _model_inputs(ctx)
        scored = sample_rows(len(pool), MAX_SCORED, ctx.seed)
        scores = np.full(len(pool), np.nan)
        scores[scored] = ctx.cached("outliers.isolation", lambda: isolation_scores(
            x[scored], ctx.seed, threads=model_threads(ctx.options)))
        for k, name in enumerate(pool.split_names):
            at, rows = pool.rows_of(k)
            keep = ~np.isnan(scores[at])
            at, rows = at[keep], rows[keep]
            ctx.sample_column(name, "isolation", scores[at], rows=rows)
        far = np.flatnonzero(scores >= self.config["isolated_score"])
        if not len(far):
            return []
        far = far[np.argsort(-scores[far], kind="stable")]
        listed = far[:MAX_LISTED]
        ids = pool.sample_ids(ctx, listed)
        sampled = (f" (of {len(scored):,} scored samples out of {pool.n_available:,})"
                   if len(scored) < pool.n_available else "")
        named = ", ".join(f"{i} ({scores[p]:.1f}x)" for i, p in zip(ids[:MAX_NAMED], listed))
        return [self.finding(
            "isolated_samples", Severity.INFO,
            f"{len(far):,} sample{'s lie' if len(far) > 1 else ' lies'} far from all others{sampled}: "
            f"{self.config['isolated_score']:g} or more times the typical distance to their nearest "
            f"neighbours, on {features}. The farthest: {named}. Atypical rather than wrong; worth a "
            "look for corrupt inputs or another source.",
            hint="Look at the listed samples first; the per-sample table (--samples) scores every scored sample.",
            metrics={"n_isolated": len(far), "n_modelled": len(pool), "n_scored": len(scored),
                     "max_score": round(float(scores[far[0]]), 2),
                     "threshold": self.config["isolated_score"]},
            samples=ids, n_samples=len(far),
            evidence=[Evidence("images" if ctx.modality != "tabular" else "table", "The most isolated samples",
                               {"samples": ids, "captions": [f"{scores[p]:.1f}x the typical distance"
                                                             for p in listed]}
                               if ctx.modality != "tabular" else
                               {"columns": ["sample", "distance / typical"],
                                "rows": [[i, round(float(scores[p]), 2)] for i, p in zip(ids, listed)]})])]


class ColumnScale:
    """Robust z of a column's values: on the log scale for a positive right-skewed column, where
    a value that is not positive (a 0, a -999 sentinel) is judged on the linear scale instead."""

    def __init__(self, linear: RobustScale, log: RobustScale | None):
        self.linear, self.log = linear, log

    def z(self, values: np.ndarray) -> np.ndarray:
        """Robust z of ``values``; 0 where a value is missing or infinite (other checks' business)."""
        z = self.linear.z(values)
        if self.log is not None:
            positive = values > 0
            z = np.where(positive, self.log.z(np.where(positive, values, 1.0)), z)
        return np.where(np.isfinite(values), z, 0.0)


def _model_inputs(ctx: CheckContext):
    """The pooled samples, their reduced model inputs and their description: those of the
    out-of-fold models (no model is fit for this check)."""
    return pooled(ctx), reduced_inputs(ctx), pooled_features(ctx).description


def _column_scales(columns: np.ndarray, seed: int, threads: int = 1) -> list[ColumnScale | None]:
    """The robust scale of every train column (None where it has no spread or few values),
    computed in ``threads`` threads."""
    if columns.shape[1] > SCALE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(columns.shape[1], SCALE_ROWS, replace=False))
        columns = columns[:, rows]
    out: list[ColumnScale | None] = [None] * len(columns)

    def scale_of(j: int) -> None:
        col = columns[j]
        finite = col[np.isfinite(col)]
        scale = RobustScale.of(finite) if len(finite) >= MIN_VALUES else None
        if scale is None or not scale.log:
            out[j] = ColumnScale(scale, None) if scale is not None else None
            return
        center = float(np.median(finite))
        spread = 1.4826 * float(np.median(np.abs(finite - center)))
        out[j] = ColumnScale(RobustScale(False, center, spread), scale) if spread > 0 else None

    # columns in threads: their medians and quantiles are numpy partitions, which release the GIL
    run_blocks(scale_of, range(len(columns)), workers=threads)
    return out
