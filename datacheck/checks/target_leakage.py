"""Target leakage: a feature that gives the label away; ID-like columns (checklist item 4)."""

from __future__ import annotations

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.models import single_feature as sf
from datacheck.models.features import common, id_like_columns, numeric_names, pooled_columns
from datacheck.models.oof import model_threads
from datacheck.models.pool import build_pool
from datacheck.report.findings import Evidence, Finding, Severity
from datacheck.spec.params import Param

# Labelled rows needed to judge single columns; a warning needs WARN_ROWS.
MIN_ROWS = 20
WARN_ROWS = 50
# A leak is a shortcut past features that predict the label on their own: a warning needs the
# other features to reach this skill (balanced accuracy scaled so chance is 0, or R²). Where
# nothing else predicts the label, the column is the whole task (a label computed from it by
# a rule, or the only informative feature), and the finding is info.
REST_SIGNAL = 0.2
# A numeric column whose sorted order has at most this share of rows in label changes beyond
# one per class boundary maps one-to-one to the classes (real features: 0.067 and more on the
# scikit-learn tables; label + uniform noise: 0).
MAX_EXCESS = 0.01
# Categorical columns: this many frequent categories, the rest pooled.
MAX_CATEGORIES = sf.MAX_GROUPS - 1
# A text column with more distinct values than this share of rows is an id or a code: its
# letters and separators (digits masked) are tried as a category instead.
ID_TEXT_RATIO = 0.5
# Columns named in a message, and drawn in the evidence table, at most.
MAX_NAMED = 5
MAX_TABLE = 10


def _quote(names: list[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


@register
class TargetLeakageCheck(Check):
    """A feature that gives the label away: one column that alone nearly determines it.

    What it detects
    ---------------
    How well each feature *alone* predicts the label, for every column of a table or a
    feature array at once (images are not checked), on a stratified sample of the labelled
    rows of every split: each row's label is predicted, leaving the row out, from the rows
    with the same value (a category, a column of few values; a missing value counts as a
    value, so a column filled in for one class only is caught) or from its nearest values on
    either side in the column's sorted order (a one-dimensional nearest-neighbour model, which
    follows any threshold or monotone map). The skill is the balanced accuracy of those
    predictions (R² for a regression target, or the squared correlation of a straight-line
    fit when higher). A text column of near-unique codes is judged by its letters and
    separators with the digits masked (``MAL-0017`` and ``BEN-0342`` become ``MAL-#`` and
    ``BEN-#``), which catches record codes built from the class.

    A column is a *leak* (a warning) when it alone reaches ``warn_skill`` and either leaves at
    most 1/``min_error_ratio`` of the errors of models trained on the other features
    (a random forest and a linear model, cross-validated; one fit for all suspect columns,
    which are left out of it together) or sorts the rows into one block per class (its values
    map to the classes through thresholds), while those other features predict the label on
    their own (skill of at least 0.2 above chance): a shortcut past the real signal. Where
    nothing else predicts the label, the column is the task itself (a label computed from it
    by a rule, or the only informative feature), and the finding is info. Columns that alone
    reach ``info_skill`` are reported as info with their numbers: real data has strong
    features (breast_cancer's worst perimeter 0.91, iris's petal width 0.95), and a strong
    feature is only suspect when nothing else comes close.

    Integer columns whose values are all distinct and that increase (or decrease) with the
    row order, or run without gaps, look like *row ids*: an info note names them (and says
    when such an id predicts the label, which happens when rows were sorted by label before
    the ids were given; ``label_order`` reports the order itself).

    Why it matters
    --------------
    A column built from the label (a record code, a status filled in after the outcome, a
    score computed from the target) makes a model look perfect in validation and useless in
    production, where the column is missing or means something else: the network learns the
    shortcut instead of the task. A row id is not a property of a sample; a model that uses
    it memorises the file's order.
    """

    id = "target_leakage"
    items = (4,)
    needs = ("labels",)
    params = {
        "warn_skill": Param(0.98, "Balanced accuracy (R² for a regression target) that one column alone must "
                            "reach to be called a leak.", low=0.5, high=1.0, low_open=True),
        "info_skill": Param(0.9, "Balanced accuracy (R² for a regression target) from which a column alone "
                            "is reported as a strong feature (info).", low=0.0, high=1.0, low_open=True),
        "min_error_ratio": Param(2.0, "A leak leaves at most 1/this of the errors of the models on the other "
                                 "features.", low=1.0),
        "max_samples": Param(10_000, "Labelled rows sampled (stratified) for the single-column skills.",
                             int, 100),
    }

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Also skipped for images and for data without table or feature-array columns."""
        reason = super().skip_reason(ctx)
        if reason:
            return reason
        scans = ctx.splits()
        if ctx.modality == "image" or not any(
                (s.columns is not None and s.columns.shape[0]) or s.other_columns for s in scans):
            return "needs table columns or a 2-D feature array (images are not checked)"
        return None

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Single-column skills, the rest-of-the-features baseline, and ID-like columns."""
        found = []
        ids = {name: column.how for name, column in id_like_columns(ctx).items()}
        pool = build_pool(ctx, max_samples=self.config["max_samples"], min_per_class=2, seed=ctx.seed)
        if len(pool) < MIN_ROWS or len(np.unique(pool.y)) < 2:
            return [self._id_finding(ctx, name, how, None) for name, how in ids.items()]
        names, values, codes, numeric = _columns(ctx, pool)
        if not names:
            return [self._id_finding(ctx, name, how, None) for name, how in ids.items()]
        regression = ctx.is_regression
        excess = np.full(len(names), np.inf)  # regression: no class blocks
        if regression:
            y = ctx.scan.facts.target_values[pool.y].astype(np.float64)
            skill = sf.r2(values, codes, y, numeric, ctx.seed, threads=model_threads(ctx.options))
            chance = 0.0
        else:
            y = np.unique(pool.y, return_inverse=True)[1]
            skill, excess = sf.classification_skill(values, codes, y, ctx.seed,
                                                    threads=model_threads(ctx.options))
            chance = 1.0 / (y.max() + 1)
        by_name = dict(zip(names, skill))
        for name, how in ids.items():
            found.append(self._id_finding(ctx, name, how, by_name.get(name), regression))
        found.extend(self._leaks(ctx, names, values, skill, excess, y, ids, chance, len(pool), pool.notes))
        return found

    def _leaks(self, ctx, names, values, skill, excess, y, ids, chance, n, notes) -> list[Finding]:
        """The leak warning and the strong-feature note, each for a group of columns."""
        regression = ctx.is_regression
        warn, info = self.config["warn_skill"], self.config["info_skill"]
        usable = np.array([name not in ids for name in names])
        strong = usable & (skill >= min(info, warn))
        if not strong.any():
            return []
        suspects = usable & (skill >= warn)
        if not suspects.any():
            suspects = strong
        rest = usable & ~suspects
        rest_skill, rest_model = sf.rest_skill(values[:, rest], y, regression=regression, seed=ctx.seed)
        ratio = self.config["min_error_ratio"]
        beats_rest = (1 - skill) * ratio <= 1 - rest_skill
        one_to_one = excess <= MAX_EXCESS
        rest_signal = rest_skill if regression else (rest_skill - chance) / (1 - chance)
        leak = (suspects & (skill >= warn) & (n >= WARN_ROWS) & (beats_rest | one_to_one)
                & (rest_signal >= REST_SIGNAL))
        target = "target" if regression else "label"
        measure = "R²" if regression else "balanced accuracy"
        n_rest = int(rest.sum())
        common = {"rest_skill": round(float(rest_skill), 4), "rest_model": rest_model, "n_rest_features": n_rest,
                  "n_modelled": int(n), "measure": measure}
        if not regression:
            common["chance"] = round(float(chance), 4)
        whole = _whole_model(ctx)
        if whole is not None:
            common["whole_model_skill"] = round(whole, 4)
        order = np.argsort(-skill, kind="stable")
        table = Evidence("table", f"Held-out {measure} of single columns", {
            "columns": ["column", f"{measure} alone", "role"],
            "rows": [[names[j], round(float(skill[j]), 4),
                      "leak" if leak[j] else "ID-like" if names[j] in ids else
                      "strong" if strong[j] else "other"] for j in order[:MAX_TABLE]]})
        rest_words = (f"models on the other {n_rest} features ({rest_model}) reach {rest_skill:.2f}"
                      if n_rest else "there are no other features")
        context = "".join(f"; {note}" for note in notes)
        found = []
        leaked = [int(j) for j in order if leak[j]]
        if leaked:
            cols = [names[j] for j in leaked]
            one = len(cols) == 1
            top = float(skill[leaked[0]])
            chance_words = "" if regression else f", chance {chance:.2f}"
            if beats_rest[leaked].all():
                why = f"far better than everything else together: {rest_words}"
            else:
                why = (f"{'its values sort' if one else 'their values each sort'} the rows into one block per "
                       f"class; {rest_words}")
            found.append(self.finding(
                "column", Severity.WARNING,
                f"{'Column' if one else 'Columns'} {_quote(cols)} alone predict{'s' if one else ''} the {target} "
                f"almost perfectly (held-out {measure} {top:.3f}{chance_words}), {why}{context}. "
                f"{'It' if one else 'They'} probably encode{'s' if one else ''} the {target} (built from it, or "
                "recorded after the outcome).",
                hint=f"Check how {_quote(cols)} {'is' if one else 'are'} produced; if derived from the {target} or "
                     f"only known after the outcome, drop {'it' if one else 'them'} from the inputs: a model trained "
                     "on a leak learns the shortcut and fails on new data.",
                metrics={"columns": cols, "skill": {names[j]: round(float(skill[j]), 4) for j in leaked}, **common},
                evidence=[_versus(cols, skill[leaked], rest_skill, chance, measure, regression), table]))
        plain = [int(j) for j in order if strong[j] and not leak[j]]
        if plain:
            cols = [names[j] for j in plain]
            one = len(cols) == 1
            versus = (f"; {rest_words} without {'it' if one else 'them'}" if suspects[plain].all() and not leaked
                      else "")
            if skill[plain[0]] >= warn and rest_signal < REST_SIGNAL:
                verdict = (f" Nothing else predicts the {target}: either it was computed from "
                           f"{'this column' if one else 'these columns'} by a rule (then a model learns only the "
                           "rule), or the other features carry no information.")
            else:
                verdict = (" A strong feature is common in real data; it is only a leak if it is not known when "
                           "the model must predict.")
            found.append(self.finding(
                "strong_column", Severity.INFO,
                f"{'Column' if one else 'Columns'} {_quote(cols)} alone predict{'s' if one else ''} the {target} "
                f"well (held-out {measure} up to {skill[plain[0]]:.2f}){versus}{context}.{verdict}",
                hint="Make sure these columns are measured before the outcome and are available at prediction time.",
                metrics={"columns": cols, "skill": {names[j]: round(float(skill[j]), 4) for j in plain}, **common},
                evidence=[table]))
        return found

    def _id_finding(self, ctx, name: str, how: str, skill: float | None, regression: bool = False) -> Finding:
        """The info note on one ID-like column, with its skill when it predicts the label."""
        measure = "R²" if regression else "balanced accuracy"
        predicts = skill is not None and skill >= self.config["info_skill"]
        message = (f"Column `{name}` looks like a row id ({how}): ids are rarely real features, and a model "
                   "that uses one memorises the file's order.")
        if predicts:
            message += (f" It alone predicts the {'target' if regression else 'label'} (held-out {measure} "
                        f"{skill:.2f}): the rows were probably sorted by "
                        f"{'target' if regression else 'label'} before the ids were given (see label_order).")
        metrics = {"how": how}
        if skill is not None:
            metrics["skill"] = round(float(skill), 4)
        return self.finding(
            "id_like", Severity.INFO, message,
            hint=f"Leave `{name}` out of the model's inputs (keep it as an index).",
            metrics={"column": name, **metrics})


def _versus(cols, skills, rest_skill, chance, measure, regression) -> Evidence:
    """Bars: each leaking column alone, the other features together, and chance."""
    labels = [f"{c} alone" for c in cols[:MAX_NAMED]] + ["other features"]
    values = [round(float(v), 4) for v in skills[:MAX_NAMED]] + [round(float(rest_skill), 4)]
    if not regression:
        labels.append("chance")
        values.append(round(float(chance), 4))
    return Evidence("bars", f"Held-out {measure}", {"labels": labels, "series": {measure: values}})


def _whole_model(ctx: CheckContext) -> float | None:
    """The learnability models' held-out skill when they already ran (never computed here)."""
    if ctx.is_regression:
        oof = ctx.peek("oof_regression")
        return None if oof is None else float(max(oof.r2.values()))
    oof = ctx.peek("oof")
    if oof is None:
        return None
    pred = oof.proba.argmax(axis=1)
    present = np.unique(oof.y)
    return float(np.mean([(pred[oof.y == c] == c).mean() for c in present]))


def _columns(ctx: CheckContext, pool) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The pooled rows' columns: names, float values (n, d), group codes (n, d; -1 for a numeric
    column of many values) and which are numeric.

    A text or categorical column is coded by its frequent categories (codes of near-unique text
    by its letters and separators, digits masked); its values are the codes.
    """
    scans = [ctx.scan.splits[name] for name in pool.split_names]
    num_names = numeric_names(scans)
    x = pooled_columns(ctx, pool).T
    x[~np.isfinite(x)] = np.nan
    names, blocks, cblocks = list(num_names), [x], [sf.group_codes(x)]
    for name, cat in _categorical(ctx, pool, scans):
        names.append(name)
        cblocks.append(cat[:, None])
        blocks.append(cat.astype(np.float64)[:, None])
    numeric = np.array([True] * len(num_names) + [False] * (len(names) - len(num_names)), bool)
    return names, np.hstack(blocks), np.hstack(cblocks).astype(np.int32), numeric


def _categorical(ctx: CheckContext, pool, scans) -> list[tuple[str, np.ndarray]]:
    """(name, codes) of the non-numeric columns: frequent categories, null as its own code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for col in common([s.other_columns for s in scans]):
        parts = []
        for k, scan in enumerate(scans):
            _, rows = pool.rows_of(k)
            column = scan.other_values.column(col).take(pa.array(scan.column_positions(rows)))
            try:
                parts.append(pc.cast(column, pa.string(), safe=False))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                parts = None
                break
        if parts is None:
            continue
        values = pa.chunked_array([c for p in parts for c in p.chunks], type=pa.string())
        order = np.concatenate([pool.rows_of(k)[0] for k in range(len(scans))])
        name = col
        codes = _frequent(values)
        if codes is None:  # near-unique text: an id or a code; try its letters and separators
            values = pc.replace_substring_regex(values, pattern="[0-9]+", replacement="#")
            codes = _frequent(values)
            name = f"{col} (digits masked)"
            if codes is None or len(np.unique(codes)) < 2:
                continue
        placed = np.empty(len(pool), np.int64)
        placed[order] = codes
        out.append((name, placed))
    return out


def _frequent(values) -> np.ndarray | None:
    """Codes of the ``MAX_CATEGORIES`` most frequent values (the rest share one code, nulls
    the next); None when most values are distinct."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values).combine_chunks()
    raw = encoded.indices.to_numpy(zero_copy_only=False)
    null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
    raw = np.where(null, 0, raw).astype(np.int64)
    n_distinct = len(encoded.dictionary)
    if n_distinct > ID_TEXT_RATIO * len(raw) and n_distinct > MAX_CATEGORIES:
        return None
    counts = np.bincount(raw[~null], minlength=n_distinct)
    top = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    remap = np.full(n_distinct, MAX_CATEGORIES, np.int64)
    remap[top] = np.arange(len(top))
    return np.where(null, MAX_CATEGORIES + 1, remap[raw])


