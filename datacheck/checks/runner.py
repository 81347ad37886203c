"""Run checks over a context, isolating each: a skip or a crash never stops the run."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Iterable

from datacheck.checks.base import Check
from datacheck.checks.context import CheckContext
from datacheck.report.findings import CheckOutcome, Finding, Severity, Status

log = logging.getLogger(__name__)


def run_checks(ctx: CheckContext, checks: Iterable[Check]) -> tuple[list[CheckOutcome], list[Finding]]:
    """Run each check and record its outcome.

    Parameters
    ----------
    ctx : CheckContext
        What the checks read.
    checks : iterable of Check
        Configured check instances.

    Returns
    -------
    outcomes : list of CheckOutcome
        One per check: passed, failed (a warning or error), skipped (with the reason) or
        errored (with the exception).
    findings : list of Finding
    """
    outcomes, findings = [], []
    for check in checks:
        start = time.perf_counter()
        try:
            reason = check.skip_reason(ctx)
            if reason:
                outcomes.append(CheckOutcome(check.id, Status.SKIPPED, 0.0, reason))
                continue
            found = list(check.run(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
            log.debug("check %s raised:\n%s", check.id, traceback.format_exc())
            outcomes.append(CheckOutcome(check.id, Status.ERRORED, time.perf_counter() - start,
                                         f"{type(exc).__name__}: {exc}"))
            continue
        failed = any(f.severity >= Severity.WARNING for f in found)
        outcomes.append(CheckOutcome(check.id, Status.FAILED if failed else Status.PASSED,
                                     time.perf_counter() - start))
        findings.extend(found)
    return outcomes, findings
