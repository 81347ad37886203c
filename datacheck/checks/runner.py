"""Run checks over a context, isolating each: a skip or a crash never stops the run."""

from __future__ import annotations

import logging
import threading
import time
import traceback
import warnings
from typing import Callable, Iterable

from threadpoolctl import threadpool_limits

from datacheck.checks.base import Check
from datacheck.checks.context import CheckContext
from datacheck.models.oof import fits_beside
from datacheck.report.findings import CheckOutcome, Finding, Severity, Status

log = logging.getLogger(__name__)


def run_checks(ctx: CheckContext, checks: Iterable[Check],
               meanwhile: Callable[[], object] | None = None) -> tuple[list[CheckOutcome], list[Finding]]:
    """Run each check and record its outcome.

    Parameters
    ----------
    ctx : CheckContext
        What the checks read.
    checks : iterable of Check
        Configured check instances.
    meanwhile : callable, optional
        The caller's own work (the report's column overview), called with no argument in
        this thread once its checks are done, while the model checks may still run in the
        other; what it returns is dropped.

    Returns
    -------
    outcomes : list of CheckOutcome
        One per check, in the order given: passed, failed (a warning or error), skipped (with
        the reason) or errored (with the exception).
    findings : list of Finding
        In the same order.

    Notes
    -----
    Where the model fits run in one thread while more CPUs are available (a table, or few
    samples: ``models.oof.fits_beside``), the checks that fit the models (``Check.fits_models``)
    run one after the other in a second thread, beside the others: their fits are mostly Python
    steps that hold the GIL, the others' mostly numpy loops that release it. The decision reads
    the pool only: the model inputs are built in the second thread too, and the caller's
    ``meanwhile`` runs here once the other checks are done (on a 1M x 50 table the column
    overview, 0.15 s, and the model inputs, 0.1-0.4 s, left the path that waits for the models:
    its profile 1.7-2.0 s to 1.5-1.6 s). Every BLAS and OpenMP pool then runs one thread, and
    warnings are ignored. The findings are those of a run one check at a time: each cached value
    is computed once whichever check asks first, and ``ctx.peek`` waits for the checks before
    the caller's.

    ``ctx.progress`` gets one bar over the checks, advanced after each; when the ``advance``
    it returns has a ``describe(text)`` method, the bar is renamed to name the checks
    running. A check's long steps (model fits) open bars of their own through ``ctx.progress``.
    """
    checks = list(checks)
    title = f"running {len(checks)} checks"
    advance = ctx.progress(title, len(checks)) if ctx.progress else None
    describe = getattr(advance, "describe", None)
    results: list = [None] * len(checks)
    done = [threading.Event() for _ in checks]
    running: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            with lock:
                running.append(checks[i].id)
                if describe is not None:
                    describe(f"{title}: {', '.join(running)}")
            with ctx.checking(lambda: [event.wait() for event in done[:i]]):
                results[i] = _run_one(ctx, checks[i])
        finally:
            done[i].set()  # never leave a ``peek`` waiting
        with lock:
            running.remove(checks[i].id)
            if advance:
                advance(1)

    beside = [i for i, check in enumerate(checks) if check.fits_models] if _models_beside(ctx, checks) else []
    if not beside:
        for i in range(len(checks)):
            run(i)
        if meanwhile is not None:
            meanwhile()
    else:
        # thread limits and warning filters are process-wide, and the checks' own blocks that
        # set them (one thread per fit; a capped solver's convergence warnings ignored) would
        # undo each other's in two threads: one frame around both sets and restores them
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lane = _Lane(lambda: [run(i) for i in beside], lambda: [done[i].set() for i in beside])
            try:
                for i in range(len(checks)):
                    if i not in beside:
                        run(i)
                if meanwhile is not None:
                    meanwhile()
            finally:
                lane.join()
    outcomes = [outcome for outcome, _ in results]
    findings = [finding for _, found in results for finding in found]
    return outcomes, findings


def _models_beside(ctx: CheckContext, checks: list[Check]) -> bool:
    """Whether the model-fitting checks run beside the others (see ``run_checks``)."""
    fitting = [check for check in checks if check.fits_models]
    if not fitting or len(fitting) == len(checks):
        return False
    try:
        # from the pool alone: the model inputs are built in the second thread, beside the
        # other checks (their skip reasons, which build them, are asked there too)
        return fits_beside(ctx)
    except Exception:  # noqa: BLE001 - the checks report it when they run
        return False


class _Lane:
    """``work()`` in a second thread, started now; ``join`` re-raises what it raised.

    Where it raises, ``give_up()`` runs in its thread, so that nothing waits for the rest of
    its work. A daemon thread: an interrupted run does not wait for it.
    """

    def __init__(self, work: Callable[[], object], give_up: Callable[[], object]) -> None:
        self.error: BaseException | None = None

        def target() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - re-raised by join, in the caller's thread
                self.error = exc
                give_up()

        self.thread = threading.Thread(target=target, name="datacheck-models", daemon=True)
        self.thread.start()

    def join(self) -> None:
        """Wait for the work; raise what it raised."""
        self.thread.join()
        if self.error is not None:
            raise self.error


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
