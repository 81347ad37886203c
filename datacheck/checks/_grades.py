"""Classes that are ordered grades, shared by ``label_noise`` and ``learnability``.

Grades (ratings 1-5, severity 0-4, "low"/"medium"/"high") are classes whose values are
consecutive integers, which the models confuse with their neighbours
(``models.noise.grade_share``). A middle grade has no unambiguous samples, and predicting
6 for a 7 is half right: the balanced accuracy understates what the inputs tell of a grade,
which the rank correlation of the predicted and the given grade measures.
"""

from __future__ import annotations

import numpy as np

from datacheck.checks.context import CheckContext
from datacheck.data.grades import grade_values
from datacheck.models.noise import GRADE_SHARE, grade_share


def class_values(ctx: CheckContext, classes: np.ndarray) -> np.ndarray:
    """The number each class stands for, by its value or its name's rank ("1 star", "low").

    Parameters
    ----------
    ctx : CheckContext
        The run.
    classes : numpy.ndarray
        Class codes (indexes into ``ctx.classes``), in the models' column order.

    Returns
    -------
    numpy.ndarray
        float64 (len(classes),); NaN where a class stands for no number.
    """
    values = ctx.scan.facts.target_values
    values = values[classes] if len(values) == len(ctx.classes) else np.full(len(classes), np.nan)
    if np.isfinite(values).all():
        return values
    return grade_values([ctx.classes[c] for c in classes])


def grade_correlation(ctx: CheckContext, oof) -> float | None:
    """Spearman correlation of the predicted grade (the probability-weighted mean) with the given
    one, where the classes are grades; None otherwise.

    Parameters
    ----------
    ctx : CheckContext
        The run.
    oof : OutOfFold
        Out-of-fold probabilities of the pooled samples.
    """
    from scipy.stats import spearmanr

    values = class_values(ctx, oof.classes)
    if not grade_share(oof.proba, oof.y, values) >= GRADE_SHARE:
        return None
    given = values[oof.y]
    if np.all(given == given[0]):
        return None
    return float(spearmanr(oof.proba @ values, given).statistic)
