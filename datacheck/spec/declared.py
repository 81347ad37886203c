"""What data checks and smoke probes share: a declared id, checklist items, needs and
validated keyword-only parameters, a docstring the report reuses, and a finding factory."""

from __future__ import annotations

import inspect
import itertools
from typing import Any, ClassVar

from datacheck.spec.docs import REPORT_SECTIONS, doc_sections
from datacheck.spec.params import Param
from datacheck.errors import ConfigError
from datacheck.report.findings import Evidence, Finding, Severity


class Declared:
    """Base of ``Check`` and ``Probe``.

    Subclasses set ``id``, ``items`` (checklist item numbers), ``needs`` (from their family's
    ``known_needs``) and ``params`` (name -> ``Param``), and document "What it detects" and
    "Why it matters" in their docstring.
    """

    id: ClassVar[str]
    items: ClassVar[tuple[int, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[dict[str, Param]] = {}
    known_needs: ClassVar[tuple[str, ...]] = ()
    noun: ClassVar[str] = "check"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.needs) - set(cls.known_needs)
        if unknown:
            raise TypeError(f"{cls.__name__}.needs has unknown needs {sorted(unknown)}")

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.params)
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise ConfigError(f"Unknown parameter(s) {', '.join(sorted(unknown))} for {self.noun} "
                              f"{self.id}; its parameters are: {known}.")
        self.config = {name: p.default for name, p in self.params.items()}
        for name, value in params.items():
            self.config[name] = self.params[name].validate(self.id, name, value)
        self.validate()

    def validate(self) -> None:
        """Check relations between parameters (e.g. a warning bound inside an error bound)."""

    def _order(self, *names: str) -> None:
        """Raise ``ConfigError`` unless the named parameters are non-decreasing."""
        values = [self.config[n] for n in names]
        if any(a > b for a, b in itertools.pairwise(values)):
            pairs = ", ".join(f"{n}={v!r}" for n, v in zip(names, values))
            raise ConfigError(f"The parameters of {self.id} must satisfy "
                              f"{' <= '.join(names)}. Got {pairs} instead.")

    def finding(self, what: str, severity: Severity, message: str, *, hint: str = "",
                split: str | None = None, metrics: dict | None = None,
                samples: list[str] | tuple[str, ...] = (), n_samples: int = 0,
                evidence: list[Evidence] | tuple[Evidence, ...] = (),
                items: tuple[int, ...] | None = None) -> Finding:
        """Build a ``Finding`` with code ``<id>.<what>``."""
        return Finding(check=self.id, code=f"{self.id}.{what}", severity=severity, message=message,
                       hint=hint, checklist=self.items if items is None else items, split=split,
                       metrics=metrics or {}, samples=tuple(samples), n_samples=n_samples,
                       evidence=tuple(evidence))

    @classmethod
    def doc(cls) -> str:
        """The class docstring, dedented (the HTML report shows its "Why it matters")."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def report_doc(cls) -> dict[str, str]:
        """The doc sections a report shows (``REPORT_SECTIONS``), carried by each outcome."""
        sections = doc_sections(cls.doc())
        return {name: sections[name] for name in REPORT_SECTIONS if sections.get(name)}

    @classmethod
    def describe(cls) -> dict:
        """The id, checklist items, needs, parameters with defaults, and docstring."""
        return {
            "id": cls.id,
            "checklist": list(cls.items),
            "needs": list(cls.needs),
            "params": {n: {"default": p.default, "allowed": p.describe(), "doc": p.doc}
                       for n, p in cls.params.items()},
            "doc": cls.doc(),
        }
