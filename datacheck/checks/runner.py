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

    Notes
    -----
    ``ctx.progress`` gets one bar over the checks, advanced after each; when the ``advance``
    it returns has a ``describe(text)`` method, the bar is renamed to name each check as it
    starts.
    """
    checks = list(checks)
    title = f"running {len(checks)} checks"
    advance = ctx.progress(title, len(checks)) if ctx.progress else None
    # A bar that can be renamed (``advance.describe(text)``) names the check running now; a
    # check's long steps (model fits) open bars of their own through ``ctx.progress``.
    describe = getattr(advance, "describe", None)
    outcomes, findings = [], []
    for check in checks:
        if describe is not None:
            describe(f"{title}: {check.id}")
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
