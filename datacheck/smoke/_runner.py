"""Running the probes: selection, parameters, outcomes, and the ``Report`` of ``smoke()``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from datacheck.errors import ConfigError
from datacheck.report.findings import (
    CheckOutcome,
    DatasetSummary,
    Finding,
    Report,
    Severity,
    Status,
)
from datacheck.smoke._base import REGISTRY, Probe, Skip, get_probe
from datacheck.smoke._context import DEFAULT_STEPS, SmokeContext
from datacheck.smoke._torch import torch
from datacheck.smoke.probes import RUN_ORDER  # importing registers the built-in probes

log = logging.getLogger("datacheck.smoke")


def _ordered() -> list[type[Probe]]:
    """Registered probes in run order (built-ins by ``RUN_ORDER``, others after, by id)."""
    rank = {pid: i for i, pid in enumerate(RUN_ORDER)}
    return sorted(REGISTRY.values(), key=lambda c: (rank.get(c.id, len(rank)), c.id))


def describe_probes() -> list[dict]:
    """Every probe's id, checklist items, needs, parameters (default, allowed values, doc) and
    docstring ("What it detects / Why it matters"), in run order; needs no torch."""
    return [cls.describe() for cls in _ordered()]


def _select(probes: Iterable[str] | None, skip: Iterable[str] | None) -> list[type[Probe]]:
    chosen = {c.id for c in _ordered()} if probes is None else {get_probe(p).id for p in probes}
    dropped = {get_probe(p).id for p in (skip or ())}
    return [c for c in _ordered() if c.id in chosen and c.id not in dropped]


def _instantiate(classes: list[type[Probe]], params: Mapping[str, Mapping[str, Any]] | None) -> list[Probe]:
    given: dict[str, Mapping[str, Any]] = {}
    for key, value in (params or {}).items():
        if not isinstance(value, Mapping):
            raise ConfigError(f"The parameters of probe {key!r} must be a mapping of name to value.")
        given[get_probe(key).id] = value
    return [cls(**given.get(cls.id, {})) for cls in classes]


def run_probes(model: Any, loader: Any, loss_fn: Callable | None = None, optimizer: Any = None, *,
               device: Any = "auto", steps: int = DEFAULT_STEPS, seed: int = 0, amp: bool = False,
               probes: Iterable[str] | None = None, skip: Iterable[str] | None = None,
               params: Mapping[str, Mapping[str, Any]] | None = None, threads: int | None = None,
               task: str | None = None) -> tuple[list[CheckOutcome], list[Finding]]:
    """Run the smoke probes on a model and its loader.

    Parameters
    ----------
    model : torch.nn.Module
        The model as you train it; never modified (probes work on copies).
    loader : iterable
        Yields ``(inputs, targets)`` (a DataLoader); at most one pass, 64 batches, is read.
    loss_fn : callable, optional
        ``loss_fn(prediction, targets)``; default ``torch.nn.CrossEntropyLoss()``, or
        ``torch.nn.MSELoss()`` for a regression task.
    optimizer : torch.optim.Optimizer or callable, optional
        Your optimizer (copied onto each probe's model copy) or a factory ``params -> Optimizer``;
        default Adam(lr=1e-3).
    device : str, default="auto"
        ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
    steps : int, default=100
        Length of the short training run read by several probes, and of each zero_input twin.
    seed : int, default=0
        Seed of every probe's RNG; the same seed gives the same findings.
    amp : bool, default=False
        Forward under autocast (float16 with a GradScaler on CUDA, bfloat16 on CPU).
    probes, skip : iterable of str, optional
        Probe ids to run / leave out (``smoke.init_loss`` or ``init_loss``); default all.
    params : mapping, optional
        Probe id -> {parameter: value}, validated before anything runs.
    threads : int, optional
        CPU threads torch uses during the run, restored afterwards; None leaves torch's
        setting. Small models on few shared cores run much faster on 1 thread.
    task : {"classification", "regression"}, optional
        What the model predicts. None infers it: regression for MSELoss, L1Loss, HuberLoss or
        SmoothL1Loss, or, without one of the known losses, for floating-point targets (not all
        0/1) with one model output per sample; classification otherwise.

    Returns
    -------
    outcomes : list of CheckOutcome
        One per probe run: passed, failed (a warning or error), skipped (with the reason) or
        errored (with the exception; the other probes still run).
    findings : list of Finding
        What the probes found.
    """
    outcomes, findings, _ = _execute(model, loader, loss_fn, optimizer, device=device, steps=steps,
                                     seed=seed, amp=amp, probes=probes, skip=skip, params=params,
                                     threads=threads, task=task)
    return outcomes, findings


def _execute(model: Any, loader: Any, loss_fn: Callable | None, optimizer: Any, *, device: Any,
             steps: int, seed: int, amp: bool, probes: Iterable[str] | None,
             skip: Iterable[str] | None, params: Mapping[str, Mapping[str, Any]] | None,
             threads: int | None, task: str | None,
             ) -> tuple[list[CheckOutcome], list[Finding], dict[str, Any]]:
    """``run_probes``, plus facts about the run for the report (input shape, class count, task)."""
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ConfigError(f"The 'threads' parameter must be an int >= 1 or None. Got {threads!r} instead.")
    instances = _instantiate(_select(probes, skip), params)
    ctx = SmokeContext(model, loader, loss_fn, optimizer, device=device, steps=steps, seed=seed, amp=amp,
                       task=task)
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        outcomes, findings = _run(ctx, instances)
        x, _ = ctx.first
        facts: dict[str, Any] = {"input_ndim": getattr(x, "ndim", 0), "device": str(ctx.device),
                                 "task": ctx.task}
        try:
            facts["n_classes"] = 0 if ctx.is_regression else ctx.n_classes
        except Exception:  # noqa: BLE001 - the model's forward may be what is broken
            facts["n_classes"] = 0
        return outcomes, findings, facts
    finally:
        if threads is not None:
            torch.set_num_threads(before)
        cuda = ctx.device.type == "cuda"
        del ctx  # the cached batches, trace and model copies
        if cuda:
            torch.cuda.empty_cache()


def _run(ctx: SmokeContext, instances: list[Probe]) -> tuple[list[CheckOutcome], list[Finding]]:
    ctx.first  # noqa: B018 - bad loaders are usage errors: raise before any probe runs
    outcomes: list[CheckOutcome] = []
    findings: list[Finding] = []
    for probe in instances:
        start = time.perf_counter()
        doc = probe.report_doc()
        try:
            reason = probe.skip_reason(ctx)
            if reason is None:
                found = probe.run(ctx)
        except Skip as exc:
            reason, found = str(exc), []
        except Exception as exc:
            log.warning("smoke probe %s raised %s: %s", probe.id, type(exc).__name__, exc,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            outcomes.append(CheckOutcome(probe.id, Status.ERRORED, time.perf_counter() - start,
                                         f"{type(exc).__name__}: {exc}", doc))
            continue
        elapsed = time.perf_counter() - start
        if reason is not None:
            outcomes.append(CheckOutcome(probe.id, Status.SKIPPED, elapsed, reason, doc))
            continue
        findings.extend(found)
        failed = any(f.severity >= Severity.WARNING for f in found)
        outcomes.append(CheckOutcome(probe.id, Status.FAILED if failed else Status.PASSED, elapsed, doc=doc))
    return outcomes, findings


def smoke(model: Any, loader: Any, loss_fn: Callable | None = None, optimizer: Any = None, *,
          device: Any = "auto", steps: int = DEFAULT_STEPS, seed: int = 0, amp: bool = False,
          probes: Iterable[str] | None = None, skip: Iterable[str] | None = None,
          params: Mapping[str, Mapping[str, Any]] | None = None, threads: int | None = None,
          task: str | None = None, source: str | None = None) -> Report:
    """Run the smoke probes and return a ``Report`` (see ``run_probes`` for the parameters).

    ``source`` names what was tested in the report (default: the model's class name).
    """
    outcomes, findings, facts = _execute(model, loader, loss_fn, optimizer, device=device, steps=steps,
                                         seed=seed, amp=amp, probes=probes, skip=skip, params=params,
                                         threads=threads, task=task)
    dataset = getattr(loader, "dataset", None)
    n = len(dataset) if hasattr(dataset, "__len__") else 0
    c = int(facts["n_classes"])
    split = {"n_samples": n} if facts["task"] == "regression" else {"n_samples": n, "n_classes": c}
    reason = "set by task=" if task is not None else "inferred: from the loss and the targets"
    summary = DatasetSummary(modality="image" if facts["input_ndim"] == 4 else "array", label=None,
                             classes=tuple(str(i) for i in range(c)), splits={"train": split},
                             notes=(f"smoke run of a model and its loader on {facts['device']}",),
                             task=facts["task"], task_reason=reason)
    return Report(source=source or f"{type(model).__name__} model", dataset=summary,
                  checks=tuple(outcomes), findings=tuple(findings))
