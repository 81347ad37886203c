"""Load a suite file strictly and run it with an ephemeral GX context into a ``Report``."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
from great_expectations import exceptions as gx_exceptions
from great_expectations.compatibility import pydantic
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation_configuration import (
    ExpectationConfiguration,
)

from datacheck.checks.input_integrity import InputIntegrityCheck, malformed_rows
from datacheck.suite_file import read_suite_json
from datacheck.errors import InputError
from datacheck.gx.fit import check_fits, not_applicable
from datacheck.gx.frames import SuiteFrame, suite_frame
from datacheck.report.findings import CheckOutcome, Finding, Report, Severity, Status

CHECK_ID = "suite"
# What the report shows beside the suite's outcome and findings (as a check's docstring gives).
DOC = {"summary": "Each expectation of a Great Expectations suite, validated against the data.",
       "why it matters": "A suite records what the data looked like when a model was trained on it; "
                         "data that no longer meets it (a column out of range, a shifted mean, a new "
                         "class) will be read by the model as if it did."}
SEVERITY = {"critical": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 50}
_SPLIT_CONDITION = re.compile(r"^\s*`?([^`=]+?)`?\s*==\s*[\"'](.*)[\"']\s*$")


def suite_from_dict(data: dict, *, source: str | Path) -> gx.ExpectationSuite:
    """Build a GX suite from its JSON form, refusing what GX would silently drop.

    Accepts GX 1.x suites (``name``, ``expectations: [{type, kwargs, ...}]``) and the 0.x
    form (``expectation_suite_name``, ``expectation_type``).

    Raises
    ------
    InputError
        On a missing name, an unknown expectation type or an invalid configuration, naming
        the expectation by position and type.
    """
    name = data.get("name") or data.get("expectation_suite_name")
    if not isinstance(name, str) or not name:
        raise InputError(source, "the suite has no 'name'")
    items = data.get("expectations", [])
    if not isinstance(items, list):
        raise InputError(source, "'expectations' must be a list")
    configs = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(source, f"expectation {i} is not a JSON object")
        item = dict(item)
        if "expectation_type" in item:
            item["type"] = item.pop("expectation_type")
        kind = item.get("type")
        try:
            config = ExpectationConfiguration(**item)
            config.to_domain_obj()
        except gx_exceptions.ExpectationNotFoundError:
            raise InputError(source, f"expectation {i} has unknown type {kind!r} (not a GX 1.x or "
                                     "datacheck expectation)") from None
        except (gx_exceptions.InvalidExpectationConfigurationError, pydantic.ValidationError,
                TypeError, ValueError) as exc:
            detail = " ".join(str(exc).split())
            raise InputError(source, f"expectation {i} ({kind}) is invalid: {detail}") from None
        configs.append(config)
    meta = data.get("meta")
    return gx.ExpectationSuite(name=name, expectations=configs,
                               meta=dict(meta) if isinstance(meta, dict) else None,
                               notes=data.get("notes"))


def load_suite(path: str | Path) -> gx.ExpectationSuite:
    """Read a suite file (GX 1.x JSON) into a GX ``ExpectationSuite``; ``InputError`` if bad."""
    return suite_from_dict(read_suite_json(path), source=path)


def run_suite(suite: gx.ExpectationSuite, frame) -> Any:
    """Validate a DataFrame against a suite in a fresh ephemeral GX context."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("datacheck").add_dataframe_asset("data")
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame}))
    return batch.validate(suite, result_format=RESULT_FORMAT)


def validate_suite(path: str | Path, suite_file: str | Path, *, label: str | None = None,
                   split_col: str | None = None, workers: int | None = None,
                   task: str | None = None) -> Report:
    """Run a suite on a dataset and report each unmet expectation as a finding.

    The suite runs on ``suite_frame`` of the dataset (the table itself, or the per-sample
    image summary). Each unmet expectation becomes a finding of check ``suite`` with code
    ``suite.<expectation type>``, the severity of the expectation (critical -> error,
    warning -> warning, info -> info), its split when it is restricted to one, and the
    rows it names as samples.

    Parameters
    ----------
    path : str or pathlib.Path
        The dataset, in any layout ``datacheck profile`` reads.
    suite_file : str or pathlib.Path
        A GX 1.x suite, written by ``datacheck suite`` or by hand.
    label, split_col : str, optional
        Label and split columns; by default those the suite names in ``meta["datacheck"]``.
    workers : int, optional
        Image decoding processes.
    task : {"classification", "regression"}, optional
        The learning task; by default the one the suite names in ``meta["datacheck"]``,
        else inferred from the label.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        When the suite file or the dataset cannot be read.
    """
    from datacheck.api import summarize

    suite = load_suite(suite_file)
    info = suite.meta.get("datacheck") if isinstance(suite.meta.get("datacheck"), dict) else {}
    if label is None and info.get("table") == "table":
        label = info.get("label")
    sf = suite_frame(path, label=label, split_col=split_col, workers=workers,
                     split_name=split_col or info.get("split_column"), task=task or info.get("task"),
                     task_reason=None if task else f"set by suite {Path(suite_file).name}")
    check_fits(suite, info, sf, suite_file, path)
    configs = [e.configuration for e in suite.expectations]
    reasons = [not_applicable(c, sf, _split_of) for c in configs]
    skipped = [not_applicable_finding(c, why, sf) for c, why in zip(configs, reasons) if why]
    suite = gx.ExpectationSuite(name=suite.name, meta=suite.meta, notes=suite.notes,
                                expectations=[c for c, why in zip(configs, reasons) if not why])
    start = time.perf_counter()
    result = run_suite(suite, sf.frame)
    findings = [finding_of(r, sf, suite_file) for r in result.results if not r.success]
    # rows the reader left out were validated by no expectation: that fails the suite too
    findings += malformed_rows(InputIntegrityCheck(), sf.dataset.malformed)
    failed = any(f.severity >= Severity.WARNING for f in findings)
    outcome = CheckOutcome(CHECK_ID, Status.FAILED if failed else Status.PASSED, time.perf_counter() - start,
                           doc=DOC)
    summary = summarize(sf.dataset)
    note = (f"suite {suite.name!r} ({suite_file}): {len(configs)} expectations, "
            + (f"{len(skipped)} not applicable to this data, " if skipped else "")
            + f"{len(findings)} not met")
    summary = dataclasses.replace(summary, notes=(*summary.notes, note))
    return Report(source=str(path), dataset=summary, checks=(outcome,),
                  findings=tuple(findings) + tuple(skipped))


def not_applicable_finding(config, why: str, sf: SuiteFrame) -> Finding:
    """An expectation that does not apply to this data, as an ``info`` finding (never a failure)."""
    return Finding(
        check=CHECK_ID, code=f"{CHECK_ID}.not_applicable", severity=Severity.INFO,
        message=f"Suite expectation not applicable: {_subject(config)}; {why}.",
        hint="Nothing to fix in the data; leave the expectation out of the suite if it will never apply.",
        split=_split_of(config, sf.split_col), metrics={"expectation": config.type, "applicable": False})


def _split_of(config, split_col: str) -> str | None:
    """The split an expectation is restricted to by a ``split == "name"`` row condition
    (a GX comparison condition, or a pandas query string)."""
    condition = config.kwargs.get("row_condition")
    if hasattr(condition, "dict"):
        condition = condition.dict()
    if isinstance(condition, dict):
        if (condition.get("type") == "comparison" and condition.get("operator") in ("==", "=")
                and (condition.get("column") or {}).get("name") == split_col):
            return str(condition.get("parameter"))
        condition = condition.get("pass_through_filter")
    match = _SPLIT_CONDITION.match(condition) if isinstance(condition, str) else None
    return match.group(2) if match and match.group(1).strip() == split_col else None


def _subject(config) -> str:
    if config.description:
        return config.description.rstrip(". ")
    kwargs = config.kwargs
    where = f" where {kwargs['row_condition']}" if kwargs.get("row_condition") else ""
    column = f" on column {kwargs['column']!r}" if "column" in kwargs else ""
    return f"{config.type}{column}{where}"


def finding_of(r, sf: SuiteFrame, suite_file: str | Path) -> Finding:
    """One unmet expectation (a GX ``ExpectationValidationResult``) as a finding."""
    from datacheck.checks import REGISTRY

    config = r.expectation_config
    res = r.result or {}
    meta = (config.meta or {}).get("datacheck") or {}
    severity = SEVERITY.get(str(getattr(config.severity, "value", config.severity)), Severity.ERROR)
    kwargs = config.kwargs
    metrics: dict[str, Any] = {k: kwargs[k] for k in ("column", "min_value", "max_value", "batch_size",
                                                     "row_condition") if k in kwargs}
    # Row positions (the frame has a RangeIndex); an expectation asking for index columns
    # gives dicts instead, which name no sample here.
    positions = [int(p) for p in res.get("partial_unexpected_index_list") or () if isinstance(p, (int, np.integer))]
    if r.exception_info and r.exception_info.get("raised_exception"):
        error = (r.exception_info.get("exception_message") or "unknown error").strip().splitlines()[0]
        detail = f"it could not be evaluated ({error})"
    elif "unexpected_count" in res:
        n, total = res["unexpected_count"], res.get("element_count", 0)
        examples = ", ".join(repr(v) for v in (res.get("partial_unexpected_list") or [])[:3])
        detail = f"{n} of {total} values do not" + (f" (e.g. {examples})" if examples else "")
        metrics.update(n_unexpected=n, n_values=total,
                       unexpected_ratio=round(res.get("unexpected_percent", 0.0) / 100, 6))
    elif res.get("observed_value") is None:
        detail = "no value was observed (no rows, or none with a value, under its conditions)"
    else:
        observed = res.get("observed_value")
        detail = f"observed {observed:.4g}" if isinstance(observed, float) else f"observed {observed!r}"
    if "observed_value" in res:
        metrics["observed"] = res["observed_value"]
    check = meta.get("check")
    hint = meta.get("hint") or (f"Fix the data, or edit this expectation in {Path(suite_file).name} "
                                "if the change is intended.")
    counted = res.get("unexpected_count", res.get("observed_value") if positions else 0)
    n_samples = int(counted) if isinstance(counted, (int, np.integer)) else len(positions)
    return Finding(
        check=CHECK_ID, code=f"{CHECK_ID}.{config.type}", severity=severity,
        message=f"Suite expectation not met: {_subject(config)}; {detail}.", hint=hint,
        checklist=REGISTRY[check].items if check in REGISTRY else (),
        # An expectation over every split may name the one it observed (the target shift).
        split=_split_of(config, sf.split_col) or (res.get("details") or {}).get("split"), metrics=metrics,
        samples=tuple(sf.sample_ids(positions)), n_samples=n_samples,
    )
