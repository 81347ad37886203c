"""``label_variants``: class names (and string feature values) spelled two ways (item 6)."""

from __future__ import annotations

import unicodedata

import numpy as np

from dataclasses import replace

from datacheck.checks._variants import VariantGroup, find_variants
from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.models.oof import oof_skip_reason, pooled, reduced_inputs
from datacheck.report.findings import MAX_SAMPLES, Evidence, Finding, Severity
from datacheck.spec.params import Param

# Groups named in a message at most.
MAX_NAMED = 5
# Two spellings are two classes where a linear model on the models' inputs tells their samples
# apart with this balanced accuracy (cross-validated), each spelling with MIN_APART samples or
# more: one class spelled two ways gives 0.5, give or take 0.08 with 20 samples a spelling (0.04
# with 90). The Vowel data's five pairs of vowels named alike ('hAd' and 'had', 90 samples
# each) are told apart at 0.75-0.98 (read from CSV or from Parquet).
APART_ACCURACY = 0.7
MIN_APART = 20
APART_FOLDS = 5
_KINDS = {"case": "differs in case or spacing", "punctuation": "differs in punctuation",
          "typo": "one letter off", "number": "the same number"}


def _told_apart(ctx: CheckContext, groups: list[VariantGroup]) -> dict[frozenset, tuple[tuple[str, str], float]]:
    """The pairs of spellings, in groups with a strong one, whose samples a linear model on the
    models' inputs tells apart (``APART_ACCURACY``): two classes named alike (the vowels of
    'had' and 'hAd'), not one spelled two ways. Measured only where both spellings have
    ``MIN_APART`` modelled samples.

    Returns
    -------
    dict
        ``frozenset({a, b})`` -> ``((a, b), balanced accuracy)``.
    """
    pairs = [(u.name, v.name) for g in groups if g.strong
             for i, u in enumerate(g.members) for v in g.members[i + 1:]]
    if not pairs or oof_skip_reason(ctx) is not None:
        return {}
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from datacheck.models.permutation import balanced_accuracy

    code = {name: i for i, name in enumerate(ctx.classes)}
    pool, x = pooled(ctx), reduced_inputs(ctx)
    out = {}
    for first, second in pairs:
        a, b = pool.y == code[first], pool.y == code[second]
        if min(a.sum(), b.sum()) < MIN_APART:
            continue
        both = np.flatnonzero(a | b)
        y = b[both].astype(np.int64)
        folds = StratifiedKFold(APART_FOLDS, shuffle=True, random_state=ctx.seed)
        pred = cross_val_predict(LogisticRegression(max_iter=300), x[both], y, cv=folds)
        accuracy = balanced_accuracy(y, pred, 2)
        if accuracy >= APART_ACCURACY:
            out[frozenset((first, second))] = ((first, second), accuracy)
    return out


def _counts_text(counts: tuple[int, ...], splits: list[str]) -> str:
    """``train 7, test 3`` (splits without any left out)."""
    return ", ".join(f"{s} {c:,}" for s, c in zip(splits, counts) if c)


def _how(name: str, main: str, kind: str) -> str:
    """What sets a spelling apart from the main one, in words."""
    if kind == "case":
        if name.casefold() == main.casefold():
            return "differs in case"
        if " ".join(name.split()) == " ".join(main.split()):
            return "differs in spacing"
        return "differs in case and spacing"
    if kind == "punctuation" and _letters(name) != _letters(main):
        return "differs in case and punctuation"
    return _KINDS[kind]


def _letters(name: str) -> str:
    """The name without whitespace and punctuation, case kept."""
    return "".join(c for c in name if not (c.isspace() or unicodedata.category(c).startswith("P")))


def _describe(group: VariantGroup, splits: list[str], strong_only: bool) -> str:
    """``'dog' (train 500, test 100) is also spelled 'Dog' (train 7, test 3; differs in case)``;
    with weak variants, ``'a' (train 100) beside 'A' (train 5; differs in case)``."""
    others = [v for v in group.others if v.strong or not strong_only]
    verb = "is also spelled" if strong_only else "beside"
    spelled = " and ".join(f"{v.name!r} ({_counts_text(v.counts, splits)}; {_how(v.name, group.main.name, v.kind)})"
                           for v in others)
    return f"{group.main.name!r} ({_counts_text(group.main.counts, splits)}) {verb} {spelled}"


def _group_metrics(group: VariantGroup, splits: list[str]) -> dict:
    return {"name": group.main.name, "counts": dict(zip(splits, group.main.counts)),
            "variants": [{"name": v.name, "kind": v.kind, "strong": v.strong,
                          "counts": dict(zip(splits, v.counts))} for v in group.others]}


def _table(groups: list[VariantGroup], splits: list[str], title: str) -> Evidence:
    rows = [[repr(v.name), repr(g.main.name) if v is not g.main else "", v.kind if v is not g.main else "",
             *v.counts] for g in groups for v in g.members]
    return Evidence("table", title, {"columns": ["spelling", "spelling of", "differs in", *splits],
                                     "rows": rows})


@register
class LabelVariantsCheck(Check):
    """Class names spelled more than one way: ``Dog`` beside ``dog``, ``dgo`` beside ``dog``.

    What it detects
    ---------------
    Class names that differ only in letter case, whitespace (``'class_2 '`` beside
    ``'class_2'``) or punctuation (``Dog_`` beside ``dog``, ``T-shirt/top`` beside
    ``T-shirt top``), whatever their counts; and a rare name one slip of the hand from a common
    one (``dgo`` beside ``dog``: swapped neighbours, a neighbouring key, a dropped or doubled
    letter), when it has at most ``max_share`` of the other's samples. It reads the class counts
    of every split, so it works for table label columns, class folders and manifests alike, and
    finds variants present in train and test both. Names that differ on purpose stay quiet:
    a digit (``class_1`` / ``class_2``, ``0`` .. ``9``), one letter at similar counts (``cat`` /
    ``car``), short names (``a`` / ``A``, ``A-`` / ``A``: info at most), and any pair in a list
    of more than ``max_names`` names, where real names one letter apart are common (info).
    Where two such spellings have ``MIN_APART`` samples each, a linear model on the models'
    inputs is asked to tell them apart: names that it separates (``APART_ACCURACY``) are two
    classes named alike (the Vowel data's vowels 'had' and 'hAd'), info.

    String feature columns with few distinct values (300 at most per split, counted by the scan
    over every row) are searched the same way; their variants are reported as info.

    Why it matters
    --------------
    Each spelling becomes its own class: the network is trained to tell ``Dog`` from ``dog``,
    which nothing in the inputs can do, so those samples teach it noise and the class it
    should have learned has fewer examples; a spelling found only in test is a class the model
    can never predict. In a feature column, spellings split one category into several, so a
    one-hot or target encoding learns each from fewer rows.
    """

    id = "label_variants"
    items = (6,)
    needs = ()
    params = {
        "max_share": Param(0.1, "A name one letter from another is taken for a typo of it only when "
                           "it has at most this fraction of the other's samples.",
                           low=0.0, high=1.0, low_open=True),
        "max_names": Param(100, "Past this many distinct names (normalized), near spellings are "
                           "common by chance and are reported as info only.", kind=int, low=2),
    }

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Report class names and string feature values spelled more than one way."""
        findings = [] if ctx.is_regression else self._class_names(ctx)
        return findings + self._feature_values(ctx)

    def _find(self, counts: dict[str, list[int]]) -> list[VariantGroup]:
        return find_variants(counts, max_share=self.config["max_share"], max_names=self.config["max_names"])

    def _class_names(self, ctx: CheckContext) -> list[Finding]:
        k, splits = len(ctx.classes), ctx.split_names
        if k < 2:
            return []
        per_split = np.stack([np.bincount(s.y[s.y >= 0], minlength=k) for s in ctx.splits()], axis=1)
        groups = self._find({name: per_split[i].tolist() for i, name in enumerate(ctx.classes)})
        apart = _told_apart(ctx, groups)
        # a spelling is one of a class spelled two ways while some other spelling of its group
        # is not told apart from it
        groups = [VariantGroup(tuple(replace(v, strong=v.strong and any(
            frozenset((u.name, v.name)) not in apart for u in g.members if u is not v)) for v in g.members))
            for g in groups]
        strong, weak = [g for g in groups if g.strong], [g for g in groups if not g.strong]
        out = []
        if strong:
            out.append(self._strong_classes(ctx, strong, splits))
        if weak:
            named = "; ".join(_describe(g, splits, False) for g in weak[:MAX_NAMED])
            more = f" and {len(weak) - MAX_NAMED} more" if len(weak) > MAX_NAMED else ""
            told = ", ".join(f"{a!r} from {b!r} ({accuracy:.2f})"
                             for (a, b), accuracy in list(apart.values())[:MAX_NAMED])
            told = (f"; the inputs tell {told} apart (balanced accuracy of a linear model), as they would two "
                    "classes, not one spelled two ways" if apart else "")
            out.append(self.finding(
                "class_names", Severity.INFO,
                f"Class names that look alike, though they may be meant apart: {named}{more}{told}.",
                hint="If these are one class spelled two ways, map them to one name; otherwise "
                     "nothing to do.",
                metrics={"n_groups": len(weak), "groups": [_group_metrics(g, splits) for g in weak]},
                evidence=[_table(weak, splits, "Similar class names")]))
        return out

    def _strong_classes(self, ctx: CheckContext, groups: list[VariantGroup], splits: list[str]) -> Finding:
        code = {name: i for i, name in enumerate(ctx.classes)}
        variant_codes = np.array([code[v.name] for g in groups for v in g.others if v.strong], np.int64)
        samples, n_samples = [], 0
        for split in ctx.splits():
            idx = np.flatnonzero(np.isin(split.y, variant_codes))
            n_samples += len(idx)
            room = MAX_SAMPLES - len(samples)
            if room > 0 and len(idx):
                samples += ctx.sample_ids(split.name, idx[:room])
        named = "; ".join(_describe(g, splits, True) for g in groups[:MAX_NAMED])
        more = f"; and {len(groups) - MAX_NAMED} more" if len(groups) > MAX_NAMED else ""
        n = len(groups)
        pairs = [f"{v.name!r}: {g.main.name!r}" for g in groups for v in g.others if v.strong]
        mapping = ", ".join(pairs[:MAX_NAMED]) + (", ..." if len(pairs) > MAX_NAMED else "")
        return self.finding(
            "class_names", Severity.WARNING,
            f"{n} class {'name is' if n == 1 else 'names are'} spelled more than one way, so each "
            f"spelling is trained as a separate class: {named}{more}.",
            hint=f"Map every spelling to one class name before training (rename the folders, or "
                 f"relabel, e.g. df[label].replace({{{mapping}}})); if two names really are "
                 "different classes, rename one so that they cannot be confused.",
            metrics={"n_groups": n, "groups": [_group_metrics(g, splits) for g in groups]},
            samples=samples, n_samples=n_samples,
            evidence=[_table(groups, splits, "Spellings of the same class name")])

    def _feature_values(self, ctx: CheckContext) -> list[Finding]:
        splits = [s for s in ctx.splits() if s.string_counts is not None]
        if not splits:
            return []
        names = [s.name for s in splits]
        columns = list(dict.fromkeys(c for s in splits for c in s.string_counts.counts))
        out = []
        for column in columns:
            per_split = [s.string_counts.counts.get(column, {}) for s in splits]
            if any(values is None for values in per_split):
                continue  # too many distinct values in some split: not counted, not a category
            values = list(dict.fromkeys(v for values in per_split for v in values))
            groups = [g for g in self._find({v: [values_.get(v, 0) for values_ in per_split]
                                             for v in values}) if g.strong]
            if not groups:
                continue
            named = "; ".join(_describe(g, names, True) for g in groups[:MAX_NAMED])
            more = f"; and {len(groups) - MAX_NAMED} more" if len(groups) > MAX_NAMED else ""
            out.append(self.finding(
                "feature_values", Severity.INFO,
                f"Column {column!r} spells {len(groups)} "
                f"{'value' if len(groups) == 1 else 'values'} more than one way: {named}{more}.",
                hint=f"Map the spellings of {column!r} to one value before encoding it.",
                metrics={"column": column, "n_groups": len(groups),
                         "groups": [_group_metrics(g, names) for g in groups]},
                evidence=[_table(groups, names, f"Spellings of values of {column!r}")]))
        return out
