"""The ``Probe`` base class and the registry of smoke probes by id.

A probe mirrors a data check (``datacheck.checks.base.Check``): it declares its id, the
checklist items it covers, what it needs and its keyword-only parameters with defaults, and
documents "What it detects" and "Why it matters" in its docstring. It reads a
``SmokeContext`` and returns findings; it never changes the user's model or optimizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datacheck.spec.declared import Declared
from datacheck.errors import ConfigError
from datacheck.report.findings import Finding

if TYPE_CHECKING:
    from datacheck.smoke._context import SmokeContext

REGISTRY: dict[str, type[Probe]] = {}

KNOWN_NEEDS = ("tensor_input", "float_input", "reference_loss", "trainable", "valid_targets",
               "classification", "target_scale")


class Skip(Exception):
    """Raised inside ``Probe.run`` when the probe finds it cannot apply; carries the reason."""


class Probe(Declared):
    """A smoke probe: one model-side question answered by a short, seeded experiment.

    Subclasses set ``id`` (``smoke.<name>``), ``items`` (checklist item numbers), ``needs``
    (from ``KNOWN_NEEDS``) and ``params`` (name -> ``Param``), and implement ``run``.
    """

    known_needs = KNOWN_NEEDS
    noun = "probe"

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
