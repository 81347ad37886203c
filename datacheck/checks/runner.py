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
    checks = list(checks)
    advance = ctx.progress(f"running {len(checks)} checks", len(checks)) if ctx.progress else None
    outcomes, findings = [], []
    for check in checks:
        outcome, found = _run_one(ctx, check)
        outcomes.append(outcome)
        findings.extend(found)
        if advance:
            advance(1)
    return outcomes, findings


def _run_one(ctx: CheckContext, check: Check) -> tuple[CheckOutcome, list[Finding]]:
    """One check's outcome and findings; a crash becomes an ``errored`` outcome."""
    start = time.perf_counter()
    doc = check.report_doc()
    try:
        reason = check.skip_reason(ctx)
        if reason:
            return CheckOutcome(check.id, Status.SKIPPED, 0.0, reason, doc), []
        ctx.take_sample_columns()  # none left over from outside the runner
        found = list(check.run(ctx))
    except Exception as exc:  # noqa: BLE001 - one broken check must not stop the others
        log.debug("check %s raised:\n%s", check.id, traceback.format_exc())
        ctx.take_sample_columns()
        return CheckOutcome(check.id, Status.ERRORED, time.perf_counter() - start,
                            f"{type(exc).__name__}: {exc}", doc), []
    failed = any(f.severity >= Severity.WARNING for f in found)
    return CheckOutcome(check.id, Status.FAILED if failed else Status.PASSED,
                        time.perf_counter() - start, doc=doc,
                        sample_columns=ctx.take_sample_columns()), found
