"""Class names that stand for ordered grades: an integer in the same words, or one rating scale."""

from __future__ import annotations

import numpy as np
import pytest

from datacheck.data.grades import grade_values


@pytest.mark.parametrize("names, ranks", [
    (["high", "low", "medium"], [2, 0, 1]),  # sorted by name, ranked by meaning
    (["1 star", "2 stars", "3 stars", "4 stars", "5 stars"], [1, 2, 3, 4, 5]),
    (["grade_0", "grade_1", "grade_2"], [0, 1, 2]),
    (["KL0", "KL1", "KL2", "KL3", "KL4"], [0, 1, 2, 3, 4]),
    (["Mild", "Moderate", "None", "Severe"], [1, 2, 0, 3]),
    (["L", "M", "S", "XL"], [2, 1, 0, 3]),
    (["high", "low", "very high"], [1, 0, 2]),  # a step missing: the order still holds
    (["Agree", "Disagree", "Neutral", "Strongly agree", "Strongly disagree"], [3, 1, 2, 4, 0]),
])
def test_grades_are_ranked(names, ranks):
    assert grade_values(names).tolist() == ranks


@pytest.mark.parametrize("names", [
    ["cat", "dog", "bird"],  # categories
    ["a", "b", "c"],  # letters name categories as often as grades
    ["1", "2", "3"],  # plain numbers: the target's own values
    ["low", "high"],  # two classes have no middle
    ["low", "medium", "good"],  # steps of two scales
    ["poor", "bad", "good"],  # one step twice
    ["model 3 v2", "model 4 v2", "model 5 v2"],  # two integers a name
])
def test_other_names_are_not_grades(names):
    assert np.isnan(grade_values(names)).all()
