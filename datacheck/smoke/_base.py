"""The ``Probe`` base class and the registry of smoke probes by id.

A probe mirrors a data check (``datacheck.checks.base.Check``): it declares its id, the
checklist items it covers, what it needs and its keyword-only parameters with defaults, and
documents "What it detects" and "Why it matters" in its docstring. It reads a
``SmokeContext`` and returns findings; it never changes the user's model or optimizer.
"""

from __future__ import annotations

import inspect
import itertools
from typing import TYPE_CHECKING, Any, ClassVar

from datacheck.checks.params import Param
from datacheck.errors import ConfigError
from datacheck.report.findings import Evidence, Finding, Severity

if TYPE_CHECKING:
    from datacheck.smoke._context import SmokeContext

REGISTRY: dict[str, type[Probe]] = {}

KNOWN_NEEDS = ("tensor_input", "float_input", "reference_loss", "trainable")


class Skip(Exception):
    """Raised inside ``Probe.run`` when the probe finds it cannot apply; carries the reason."""


class Probe:
    """A smoke probe: one model-side question answered by a short, seeded experiment.

    Subclasses set ``id`` (``smoke.<name>``), ``items`` (checklist item numbers), ``needs``
    (from ``KNOWN_NEEDS``) and ``params`` (name -> ``Param``), and implement ``run``.
    """

    id: ClassVar[str]
    items: ClassVar[tuple[int, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[dict[str, Param]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.needs) - set(KNOWN_NEEDS)
        if unknown:
            raise TypeError(f"{cls.__name__}.needs has unknown needs {sorted(unknown)}")

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.params)
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise ConfigError(f"Unknown parameter(s) {', '.join(sorted(unknown))} for probe "
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

    def skip_reason(self, ctx: SmokeContext) -> str | None:
        """Why this probe cannot run on ``ctx``, or None."""
        for need in self.needs:
            reason = ctx.unmet(need)
            if reason:
                return reason
        return None

    def run(self, ctx: SmokeContext) -> list[Finding]:
        """Return the findings of this probe; may raise ``Skip``."""
        raise NotImplementedError

    def finding(self, what: str, severity: Severity, message: str, *, hint: str = "",
                metrics: dict | None = None, samples: list[str] | tuple[str, ...] = (),
                n_samples: int = 0, evidence: list[Evidence] | tuple[Evidence, ...] = (),
                items: tuple[int, ...] | None = None) -> Finding:
        """Build a ``Finding`` of this probe with code ``<id>.<what>``."""
        return Finding(check=self.id, code=f"{self.id}.{what}", severity=severity,
                       message=message, hint=hint,
                       checklist=self.items if items is None else items, split=None,
                       metrics=metrics or {}, samples=tuple(samples), n_samples=n_samples,
                       evidence=tuple(evidence))

    @classmethod
    def doc(cls) -> str:
        """The class docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

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


def register(cls: type[Probe]) -> type[Probe]:
    """Class decorator adding a probe to ``REGISTRY``; refuses a duplicate id.

    A built-in probe ``smoke.<name>`` lives in ``datacheck/smoke/probes/<name>.py`` as class
    ``<Name>Probe`` (CamelCase).
    """
    if cls.id in REGISTRY and REGISTRY[cls.id] is not cls:
        raise ValueError(f"a probe with id {cls.id!r} is already registered")
    if not cls.id.startswith("smoke."):
        raise TypeError(f"probe id {cls.id!r} must start with 'smoke.'")
    name = cls.id.split(".", 1)[1]
    if cls.__module__.startswith("datacheck.smoke.probes."):
        expected = "".join(part.title() for part in name.split("_")) + "Probe"
        if cls.__module__.rsplit(".", 1)[1] != name or cls.__name__ != expected:
            raise TypeError(f"probe {cls.id!r} must be class {expected} in "
                            f"datacheck/smoke/probes/{name}.py")
    REGISTRY[cls.id] = cls
    return cls


def get_probe(probe_id: str) -> type[Probe]:
    """The probe class for ``probe_id`` (``smoke.x`` or ``x``); ``ConfigError`` if unknown."""
    key = probe_id if probe_id.startswith("smoke.") else f"smoke.{probe_id}"
    try:
        return REGISTRY[key]
    except KeyError:
        raise ConfigError(f"Unknown smoke probe {probe_id!r}; known probes: "
                          f"{', '.join(REGISTRY)}.") from None
