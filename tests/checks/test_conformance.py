"""The check contract (``datacheck.testing``) over every registered check, and a third-party one.

A new check is tested for the contract for free: its parameters are validated, it describes
itself, degenerate data gives an outcome and never an ``errored`` status, it does not mutate
its inputs, the same seed gives the same findings, and its findings survive the JSON round trip.
"""

from __future__ import annotations

import numpy as np
import pytest

from datacheck import testing
from datacheck.checks import REGISTRY, Check, Param
from datacheck.report.findings import Severity

CHECK_IDS = sorted(REGISTRY)


class MeanShiftCheck(Check):
    """A third party's check, defined outside datacheck and not registered.

    What it detects
    ---------------
    Numeric feature means that differ between the first two splits.

    Why it matters
    --------------
    A shifted feature makes the test split measure another population.
    """

    id = "mean_shift"
    items = (15,)
    needs = ("features", "two_splits")
    params = {"max_shift": Param(1.0, "Largest allowed shift of a mean, in train standard deviations.",
                                 float, 0, None, low_open=True)}

    def run(self, ctx):
        """One warning per split pair whose largest standardized mean shift exceeds ``max_shift``."""
        ref, ev = ctx.splits()[:2]
        if not ref.n_column_rows or not ev.n_column_rows:
            return []
        shift = np.abs(ev.columns.mean(axis=1) - ref.columns.mean(axis=1)) / np.maximum(ref.columns.std(axis=1), 1e-12)
        worst = float(np.nanmax(shift, initial=0.0))
        if worst <= self.config["max_shift"]:
            return []
        return [self.finding("shifted", Severity.WARNING, f"A feature mean moved {worst:.1f} standard deviations.",
                             split=ev.name, metrics={"max_shift": round(worst, 3)})]


def test_registry_has_checks():
    assert CHECK_IDS, "no check registered"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_describes_itself(check_id):
    testing.check_describes_itself(REGISTRY[check_id])


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_parameters_are_validated(check_id):
    testing.check_parameters_are_validated(REGISTRY[check_id])


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_degenerate_data_gives_outcomes_not_crashes(check_id, tmp_path):
    testing.check_degenerate_data(REGISTRY[check_id], tmp_path)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_same_seed_same_findings(check_id):
    testing.check_same_seed_same_findings(REGISTRY[check_id])


def test_a_third_party_check_passes_the_shipped_contract():
    testing.check_conformance(MeanShiftCheck)


def test_the_contract_fails_a_check_that_mutates_its_input():
    class MutatingCheck(MeanShiftCheck):
        """Zeroes the labels it reads.

        What it detects
        ---------------
        Nothing.

        Why it matters
        --------------
        It shows that mutation is caught.
        """

        id = "mutating"

        def run(self, ctx):
            """Mutates the labels of every split."""
            for s in ctx.dataset.splits.values():
                s.y[:] = 0
            return []

    with pytest.raises(AssertionError, match="labels of train mutated"):
        testing.check_conformance(MutatingCheck)
