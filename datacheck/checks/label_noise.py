"""Noisy labels by cross-validated confident learning (checklist item 6)."""

from __future__ import annotations

import numpy as np

from datacheck.checks.base import Check, register
from datacheck.checks.context import CheckContext
from datacheck.checks.params import Param
from datacheck.models import estimate_noise, oof_skip_reason, out_of_fold, relation
from datacheck.report.findings import Evidence, Finding, Severity

# Rows of the suspects table and images shown; classes drawn in the matrix and the bars.
MAX_ROWS = 50
MAX_MATRIX = 20
MAX_BARS = 50
MAX_NAMED = 3


@register
class LabelNoiseCheck(Check):
    """Labels that look wrong: confident learning on out-of-fold predicted probabilities.

    What it detects
    ---------------
    Every labelled sample is predicted by models that never saw it (stratified K-fold; for
    images, features from the scan's thumbnails or the pixels of small image arrays, for
    tables standardized and one-hot encoded columns; a small CNN with
    ``noise_model="cnn"``). cleanlab's confident-learning filter, run on those
    probabilities, flags the samples whose given label the models confidently contradict.
    Each class's noise is also measured on its *anchors*, the samples the models are
    surest about: wrong labels that do not depend on the input show up there, genuine
    ambiguity between similar classes does not. The finding gives the estimated share of
    wrong labels overall and per class, the estimated joint of given and suggested labels,
    and the suspects ranked by how little probability the models give their label.

    A warning needs noise spread over most classes (or a large share overall); a few
    confusable classes, as in real human-labelled sets such as Fashion-MNIST, give an info
    finding with the suspects. Labels no better than chance are an error.

    Why it matters
    --------------
    A network fits wrong labels as readily as right ones: noise lowers the accuracy it can
    reach, makes it memorise instead of generalise, and a noisy test set measures the
    wrong thing. Relabelling or dropping the few hundred worst suspects is often the
    cheapest accuracy gain there is.
    """

    id = "label_noise"
    items = (6,)
    needs = ("labels",)
    params = {
        "warn_ratio": Param(0.06, "Estimated share of wrong labels, spread over most classes, from which "
                            "a warning is raised.", float, 0, 1, low_open=True),
        "warn_total_ratio": Param(0.15, "Estimated share of wrong labels overall from which a warning is "
                                  "raised even when they sit in a few classes.", float, 0, 1, low_open=True),
    }

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Also skipped without two learnable classes or without features."""
        return super().skip_reason(ctx) or oof_skip_reason(ctx)

    def run(self, ctx: CheckContext) -> list[Finding]:
        """One finding with the estimated noise and the ranked suspects (see the class doc)."""
        oof = out_of_fold(ctx)
        est = estimate_noise(oof.proba, oof.y)
        names = [ctx.classes[c] for c in oof.classes]
        metrics = {
            "noise_ratio": round(est.noise_ratio, 4),
            "widespread_noise_ratio": round(est.widespread_ratio, 4),
            "cleanlab_ratio": round(est.cleanlab_ratio, 4),
            "n_suspects": len(est.suspects),
            "n_modelled": oof.n,
            "n_labelled": oof.pool.n_available,
            "model": oof.model,
            "features": oof.features,
        }
        context = "".join(f"; {note}" for note in oof.notes)
        rel = relation(ctx)
        if not rel.related:
            metrics["balanced_accuracy"] = round(rel.balanced_accuracy, 4)
            return [self.finding(
                "noise_rate", Severity.ERROR,
                f"The labels look no better than chance: models trained on the inputs reach a "
                f"balanced accuracy of {rel.balanced_accuracy:.2f} against {rel.chance:.2f} by chance, "
                f"so nearly every label disagrees with its input{context}.",
                hint="Check that labels and inputs are read in the same order and from the same "
                     "source (a shuffled or misaligned label column looks exactly like this).",
                metrics=metrics, evidence=[_joint(est.joint, names)])]
        if not len(est.suspects):
            return []
        widespread = est.widespread_ratio >= self.config["warn_ratio"]
        warn = widespread or est.noise_ratio >= self.config["warn_total_ratio"]
        severity = Severity.WARNING if warn else Severity.INFO
        few = est.noise_ratio < self.config["warn_ratio"]
        ids = oof.sample_ids(ctx, est.suspects[:MAX_ROWS])
        worst = np.argsort(-est.class_ratio, kind="stable")[:MAX_MATRIX]
        metrics["class_noise_ratio"] = {names[c]: round(float(est.class_ratio[c]), 4)
                                        for c in worst if est.class_ratio[c] > 0}
        return [self.finding(
            "noise_rate", severity, _message(est, names, oof.n, severity, few, widespread) + context + ".",
            hint=_hint(severity, few), metrics=metrics, samples=ids, n_samples=len(est.suspects),
            evidence=_evidence(ctx, oof.y, est, names, ids))]


def _message(est, names: list[str], n: int, severity: Severity, few: bool, widespread: bool) -> str:
    head = (f"About {est.noise_ratio:.1%} of the labels look wrong ({len(est.suspects):,} of {n:,} "
            f"samples contradict what models trained on the other samples confidently predict)")
    if widespread:
        return head + ", across most classes"
    if few:
        return head + ", too few to point to systematic noise"
    order = np.argsort(-est.class_ratio, kind="stable")[:MAX_NAMED]
    worst = [names[c] for c in order if est.class_ratio[c] > 0]
    named = ", ".join(worst[:-1]) + f" and {worst[-1]}" if len(worst) > 1 else worst[0]
    if severity is Severity.WARNING:
        return head + f", most of them in {named}"
    return (head + f", most of them in {named}: classes that are easy to confuse, or a group of "
            "samples mislabelled together")


def _hint(severity: Severity, few: bool) -> str:
    if severity is Severity.WARNING:
        return ("Review the top suspects: relabel or drop the wrong ones, and look for the cause "
                "(a bad class mapping, a careless annotation batch) if the errors share a pattern.")
    if few:
        return "A few wrong or ambiguous labels are normal; review the top suspects for a cleaner set."
    return ("Review the top suspects of the classes named: genuinely ambiguous samples are expected "
            "in human-labelled data, but a block of wrong labels between two classes is worth fixing.")


def _evidence(ctx: CheckContext, y: np.ndarray, est, names: list[str], ids: list[str]) -> list[Evidence]:
    given = [names[c] for c in y[est.suspects[:MAX_ROWS]]]
    suggested = [names[c] for c in est.suggested[:MAX_ROWS]]
    rows = [[sid, g, s, round(float(q), 4)] for sid, g, s, q in zip(ids, given, suggested, est.quality)]
    out = [
        _joint(est.joint, names),
        _bars(est, names),
        Evidence("table", "Most suspicious labels (quality: probability the models give the label)",
                 {"columns": ["sample", "given", "suggested", "quality"], "rows": rows}),
    ]
    if ctx.dataset.modality == "image":
        out.append(Evidence("images", "Suspects: given → suggested",
                            {"samples": ids, "captions": [f"{g} → {s}" for g, s in zip(given, suggested)]}))
    return out


def _joint(joint: np.ndarray, names: list[str]) -> Evidence:
    """The estimated joint, restricted to the classes with the most off-diagonal mass."""
    keep = np.arange(len(names))
    title = "Estimated joint of given (rows) and suggested (columns) labels, share of samples"
    if len(keep) > MAX_MATRIX:
        off = joint.sum(axis=0) + joint.sum(axis=1) - 2 * np.diag(joint)
        keep = np.sort(np.argsort(-off, kind="stable")[:MAX_MATRIX])
        title += f" ({MAX_MATRIX} most involved classes)"
    values = np.round(joint[np.ix_(keep, keep)], 4)
    labels = [names[c] for c in keep]
    return Evidence("matrix", title, {"rows": labels, "columns": labels, "values": values.tolist(),
                                      "row_label": "given", "column_label": "suggested"})


def _bars(est, names: list[str]) -> Evidence:
    keep = np.arange(len(names))
    if len(keep) > MAX_BARS:
        keep = np.sort(np.argsort(-est.class_ratio, kind="stable")[:MAX_BARS])
    return Evidence("bars", "Estimated share of wrong labels per class", {
        "labels": [names[c] for c in keep],
        "series": {"suspects (share of the class)": np.round(est.class_ratio[keep], 4).tolist(),
                   "most confident predictions labelled otherwise": np.round(est.anchor_ratio[keep], 4).tolist()},
    })
