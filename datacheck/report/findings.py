"""The report data model: severities, findings, check outcomes and the report.

Everything here is a frozen dataclass with one ``to_dict``/``from_dict`` pair; the JSON
contract of DESIGN.md section 3 is exactly ``Report.to_dict()``. Renderers are functions of a
``Report`` and know nothing of checks; checks know nothing of renderers.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from datacheck._version import __version__
from datacheck.report.samples import SampleColumns, SampleIndex

SCHEMA_VERSION = 1
MAX_SAMPLES = 50


class Severity(enum.Enum):
    """How bad a finding is; ``ERROR > WARNING > INFO``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Order of the severity: info 0, warning 1, error 2."""
        return _RANK[self]

    def __lt__(self, other: "Severity") -> bool:
        return self.rank < other.rank

    def __le__(self, other: "Severity") -> bool:
        return self.rank <= other.rank


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Status(enum.Enum):
    """What happened to a check in a run."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERRORED = "errored"


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON types; NaN and inf become None.

    Parameters
    ----------
    value : Any
        A metric value or a nested container of them.

    Returns
    -------
    Any
        The same value built from dict, list, str, int, float, bool and None only.
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True)
class Evidence:
    """Typed data behind a finding, for renderers to draw; never HTML.

    Parameters
    ----------
    kind : str
        What the data is: the name of a kind registered in ``datacheck.report.evidence`` (one
        module per kind, e.g. ``bars``, ``table``, ``matrix``, ``pairs``); each kind's ``doc``
        names the payload it reads. Renderers show an unknown kind as its raw data.
    title : str
        A short caption.
    data : dict
        The payload, JSON-able.
    """

    kind: str
    title: str
    data: Mapping[str, Any]

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {"kind": self.kind, "title": self.title, "data": to_jsonable(self.data)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Evidence":
        """Build from the JSON form."""
        return cls(kind=d["kind"], title=d["title"], data=dict(d["data"]))


@dataclass(frozen=True)
class Finding:
    """One thing a check found.

    Parameters
    ----------
    check : str
        Id of the check that produced it.
    code : str
        Stable dotted id, ``<check>.<what>``.
    severity : Severity
        How bad it is.
    message : str
        One sentence a person can act on.
    hint : str
        What to do about it.
    checklist : tuple of int
        Items of the checklist it relates to.
    split : str or None
        The split it is about, or None for the whole dataset.
    metrics : dict
        Numbers behind the finding.
    samples : tuple of str
        Affected samples, most telling first, at most 50.
    n_samples : int
        Full count of affected samples.
    evidence : tuple of Evidence
        Data for renderers to draw.
    """

    check: str
    code: str
    severity: Severity
    message: str
    hint: str = ""
    checklist: tuple[int, ...] = ()
    split: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    samples: tuple[str, ...] = ()
    n_samples: int = 0
    evidence: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        if not self.code.startswith(self.check + "."):
            raise ValueError(f"finding code {self.code!r} must start with {self.check + '.'!r}")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "checklist", tuple(int(i) for i in self.checklist))
        object.__setattr__(self, "metrics", to_jsonable(dict(self.metrics)))
        samples = tuple(str(s) for s in self.samples)
        object.__setattr__(self, "n_samples", int(max(self.n_samples, len(samples))))
        object.__setattr__(self, "samples", samples[:MAX_SAMPLES])
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict:
        """Return the JSON form (DESIGN.md section 3)."""
        return {
            "check": self.check,
            "code": self.code,
            "severity": self.severity.value,
            "split": self.split,
            "message": self.message,
            "hint": self.hint,
            "checklist": list(self.checklist),
            "metrics": dict(self.metrics),
            "samples": list(self.samples),
            "n_samples": self.n_samples,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        """Build from the JSON form."""
        return cls(
            check=d["check"],
            code=d["code"],
            severity=Severity(d["severity"]),
            message=d["message"],
            hint=d.get("hint", ""),
            checklist=tuple(d.get("checklist", ())),
            split=d.get("split"),
            metrics=d.get("metrics", {}),
            samples=tuple(d.get("samples", ())),
            n_samples=d.get("n_samples", 0),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", ())),
        )


@dataclass(frozen=True)
class CheckOutcome:
    """What happened to one check in a run.

    Parameters
    ----------
    id : str
        The check id.
    status : Status
        passed, failed (it produced a warning or error), skipped or errored.
    duration_s : float
        Wall time spent in the check.
    reason : str or None
        Why it was skipped or what error it raised; None otherwise.
    doc : mapping of str to str
        The check's doc sections that reports show (``summary``, ``why it matters``), so
        that a renderer needs nothing but the report.
    sample_columns : SampleColumns or None
        Per-sample flags and scores the check attached (``ctx.sample_column``), for
        ``Report.samples``; not part of the JSON form nor of equality.
    """

    id: str
    status: Status
    duration_s: float = 0.0
    reason: str | None = None
    doc: Mapping[str, str] = field(default_factory=dict)
    sample_columns: SampleColumns | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Rounded here, not only in to_dict, so a report and its JSON round trip are equal.
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "duration_s", round(float(self.duration_s), 4))

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {
            "id": self.id,
            "status": self.status.value,
            "duration_s": self.duration_s,
            "reason": self.reason,
            "doc": dict(self.doc),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CheckOutcome":
        """Build from the JSON form."""
        return cls(d["id"], Status(d["status"]), d.get("duration_s", 0.0), d.get("reason"),
                   dict(d.get("doc") or {}))


@dataclass(frozen=True)
class DatasetSummary:
    """What was profiled: modality, label, classes and split sizes.

    Parameters
    ----------
    modality : str
        ``image``, ``tabular`` or ``array``.
    label : str or None
        Name of the label column, if any.
    classes : tuple of str
        All class names across splits, sorted; empty for a regression target.
    splits : dict
        Split name -> ``{"n_samples": int, "n_classes": int}``; for a regression target
        ``{"n_samples": int, "target": {"n", "min", "max", "mean", "std", "quantiles"}}``.
    notes : tuple of str
        Facts about how the data was read (sampling, dropped columns).
    task : str
        ``classification`` or ``regression``.
    task_reason : str
        Why that task: ``inferred: ...`` or ``set by --task``.
    """

    modality: str
    label: str | None
    classes: tuple[str, ...]
    splits: Mapping[str, Mapping[str, Any]]
    notes: tuple[str, ...] = ()
    task: str = "classification"
    task_reason: str = ""

    @property
    def task_text(self) -> str:
        """The task and why, for headers: ``regression (inferred: float target ...)``."""
        return f"{self.task} ({self.task_reason})" if self.task_reason else self.task

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {
            "modality": self.modality,
            "task": self.task,
            "task_reason": self.task_reason,
            "label": self.label,
            "classes": list(self.classes),
            "splits": to_jsonable(self.splits),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "DatasetSummary":
        """Build from the JSON form."""
        return cls(
            d["modality"], d.get("label"), tuple(d.get("classes", ())),
            dict(d.get("splits", {})), tuple(d.get("notes", ())),
            d.get("task", "classification"), d.get("task_reason", ""),
        )


@dataclass(frozen=True)
class Report:
    """Everything a run found; the single input of every renderer.

    Parameters
    ----------
    source : str
        The path or object description as given.
    dataset : DatasetSummary
        What was profiled.
    checks : tuple of CheckOutcome
        One outcome per check that was asked for.
    findings : tuple of Finding
        Sorted by severity (errors first), then check id.
    datacheck_version : str
        Version of datacheck that wrote it.
    columns : tuple of dict
        The per-column overview (``datacheck.scan.columns``): per column its name, dtype, the
        statistics of each split, shared histogram edges and drift against the training
        split, as plain JSON types; empty without a scan.
    sample_index : SampleIndex or None
        The scanned samples (ids, labels) behind ``samples``; None for a report read from
        JSON or made without a scan. Not part of the JSON form nor of equality.
    """

    source: str
    dataset: DatasetSummary
    checks: tuple[CheckOutcome, ...]
    findings: tuple[Finding, ...]
    datacheck_version: str = ""
    sample_index: SampleIndex | None = field(default=None, compare=False, repr=False)
    columns: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.findings, key=lambda f: (-f.severity.rank, f.check, f.code))
        object.__setattr__(self, "findings", tuple(ordered))
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "columns", tuple(self.columns))
        if not self.datacheck_version:
            object.__setattr__(self, "datacheck_version", __version__)

    @property
    def summary(self) -> dict[str, int]:
        """Count of findings per severity."""
        counts = {s.value: 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts

    @functools.cached_property
    def samples(self):
        """The per-sample table (pandas DataFrame), built on first access.

        One row per sample of every split: ``id`` (as in findings' ``samples``), ``split``,
        ``row``, ``label``, image ``height``/``width``/``mode``, then every sample-level
        check's flags and scores as ``<check id>.<name>`` (``label_noise.quality``,
        ``duplicates.group``...; see ``datacheck.report.samples``). None when the report
        has no scan behind it (read from JSON, or a smoke run).
        """
        if self.sample_index is None:
            return None
        from datacheck.report.samples import samples_table

        return samples_table(self.sample_index, self.checks)

    def worst(self) -> Severity | None:
        """The highest severity among the findings, or None when there are none."""
        return max((f.severity for f in self.findings), default=None, key=lambda s: s.rank)

    def by_check(self, check: str) -> list[Finding]:
        """Findings of one check."""
        return [f for f in self.findings if f.check == check]

    def outcome(self, check: str) -> CheckOutcome:
        """The outcome of one check; KeyError if it was not run."""
        for o in self.checks:
            if o.id == check:
                return o
        raise KeyError(check)

    def to_dict(self) -> dict:
        """Return the JSON contract (DESIGN.md section 3)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "datacheck_version": self.datacheck_version,
            "source": self.source,
            "dataset": self.dataset.to_dict(),
            "columns": [dict(c) for c in self.columns],
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Report":
        """Build from the JSON contract."""
        return cls(
            source=d["source"],
            dataset=DatasetSummary.from_dict(d["dataset"]),
            checks=tuple(CheckOutcome.from_dict(c) for c in d.get("checks", ())),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", ())),
            datacheck_version=d.get("datacheck_version", ""),
            columns=tuple(d.get("columns", ())),
        )


def share_text(ratio: float) -> str:
    """A share as a message writes it: ``2.4%``, or ``under 0.1%`` where one decimal would show
    a few samples among many as none."""
    return "under 0.1%" if 0 < ratio < 0.0005 else f"{ratio:.1%}"


def worst_of(findings: Sequence[Finding]) -> Severity | None:
    """The highest severity in ``findings``, or None."""
    return max((f.severity for f in findings), default=None, key=lambda s: s.rank)
