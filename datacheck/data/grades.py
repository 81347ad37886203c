"""Class names that stand for ordered grades: numbers in text, or the words of a rating scale.

``label_noise`` measures the noise of ordered grades differently (a middle grade has no
unambiguous samples), and needs their order. Numeric class names carry it already; text ones
carry it when each name holds one integer in the same words ("1 star" ... "5 stars",
"grade_0" ... "grade_4", "KL0" ... "KL4"), or when every name is a step of one known scale
("low", "medium", "high"). Letters are left out: "a", "b", "c" name categories as often as
grades.
"""

from __future__ import annotations

import re

import numpy as np

# Rating scales, lowest first; the words of one step are synonyms.
SCALES = (
    (("very low",), ("low",), ("medium", "moderate", "mid", "middle", "average", "normal"), ("high",),
     ("very high",)),
    (("none", "no"), ("mild", "minimal", "slight"), ("moderate",), ("severe",), ("very severe", "critical",
                                                                                  "extreme")),
    (("very poor", "terrible", "awful"), ("poor", "bad"), ("fair", "average", "ok", "okay", "neutral"),
     ("good",), ("very good", "great"), ("excellent", "outstanding")),
    (("strongly disagree",), ("disagree",), ("neutral", "neither agree nor disagree"), ("agree",),
     ("strongly agree",)),
    (("very negative",), ("negative",), ("neutral",), ("positive",), ("very positive",)),
    (("never",), ("rarely", "seldom"), ("sometimes", "occasionally"), ("often", "frequently"), ("always",)),
    (("xxs",), ("xs", "extra small"), ("s", "small"), ("m", "medium"), ("l", "large"), ("xl", "extra large"),
     ("xxl",), ("xxxl",)),
)
_INTEGER = re.compile(r"-?\d+")


def grade_values(names: list[str]) -> np.ndarray:
    """The rank each class name stands for on an ordered scale, NaN where none is found.

    Parameters
    ----------
    names : list of str
        Class names.

    Returns
    -------
    numpy.ndarray
        float64 (len(names),): the integer in each name, or the names' ranks on the one known
        scale holding them all (0 for its lowest step present, consecutive); all NaN when the
        names are not grades of one kind.
    """
    none = np.full(len(names), np.nan)
    if len(names) < 3:
        return none
    words = [" ".join(re.sub(r"[_\-]+", " ", str(n)).lower().split()) for n in names]
    numbered = _numbered(words)
    if numbered is not None:
        return numbered
    for scale in SCALES:
        step = {w: i for i, synonyms in enumerate(scale) for w in synonyms}
        ranks = [step.get(w) for w in words]
        if None not in ranks and len(set(ranks)) == len(ranks):
            order = np.unique(ranks)
            return np.searchsorted(order, ranks).astype(np.float64)
    return none


def _numbered(words: list[str]) -> np.ndarray | None:
    """The one integer of each name when the names differ only by it (a plural 's' aside)."""
    found = [_INTEGER.findall(w) for w in words]
    if any(len(f) != 1 for f in found):
        return None
    rest = {re.sub(r"s\b", "", _INTEGER.sub("#", w, count=1)) for w in words}
    if len(rest) != 1 or rest == {"#"}:  # plain numbers are the dataset's own target values
        return None
    return np.array([int(f[0]) for f in found], np.float64)
