"""The ``Check`` base class and the registry of checks by id."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from datacheck.checks.context import CheckContext
from datacheck.checks.params import Param
from datacheck.errors import ConfigError
from datacheck.report.findings import Evidence, Finding, Severity

REGISTRY: dict[str, type["Check"]] = {}


def _need_unmet(need: str, ctx: CheckContext) -> str | None:
    """Why the context does not meet ``need``, or None when it does."""
    ds = ctx.dataset
    scans = ctx.splits()
    if need == "labels":
        if not any((s.y >= 0).any() for s in scans):
            return "the dataset has no labels"
    elif need == "images":
        if not any(s.images is not None for s in scans):
            return "the dataset holds no images"
    elif need == "features":
        if not any(s.columns is not None and s.columns.shape[0] for s in scans):
            return "the dataset has no numeric features"
    elif need == "order":
        if not ds.ordered:
            return ("an image folder has no sample order (files are listed by name); "
                    "check the order of your loader with `datacheck smoke`")
    elif need == "two_splits":
        if len(ds.splits) < 2:
            return "needs at least two splits (e.g. train and test)"
    else:  # pragma: no cover - guarded by __init_subclass__
        raise ValueError(need)
    return None


KNOWN_NEEDS = ("labels", "images", "features", "order", "two_splits")


class Check:
    """A check: declares what it needs and its parameters; turns scan results into findings.

    Subclasses set ``id``, ``items`` (checklist item numbers), ``needs`` (from
    ``KNOWN_NEEDS``) and ``params`` (name -> ``Param``), document "What it detects" and
    "Why it matters" in their docstring, and implement ``run``. They hold no presentation code.
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
            raise ConfigError(f"Unknown parameter(s) {', '.join(sorted(unknown))} for check "
                              f"{self.id}; its parameters are: {known}.")
        self.config = {name: p.default for name, p in self.params.items()}
        for name, value in params.items():
            self.config[name] = self.params[name].validate(self.id, name, value)

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Why this check cannot run on ``ctx``, or None; extend for check-specific needs."""
        for need in self.needs:
            reason = _need_unmet(need, ctx)
            if reason:
                return reason
        return None

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Return the findings of this check on ``ctx`` (never mutates it)."""
        raise NotImplementedError

    def finding(self, what: str, severity: Severity, message: str, *, hint: str = "",
                split: str | None = None, metrics: dict | None = None,
                samples: list[str] | tuple[str, ...] = (), n_samples: int = 0,
                evidence: list[Evidence] | tuple[Evidence, ...] = (),
                items: tuple[int, ...] | None = None) -> Finding:
        """Build a ``Finding`` of this check with code ``<id>.<what>``."""
        return Finding(check=self.id, code=f"{self.id}.{what}", severity=severity, message=message,
                       hint=hint, checklist=self.items if items is None else items, split=split,
                       metrics=metrics or {}, samples=tuple(samples), n_samples=n_samples,
                       evidence=tuple(evidence))

    @classmethod
    def doc(cls) -> str:
        """The class docstring, dedented (the HTML report shows its "Why it matters")."""
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


def register(cls: type[Check]) -> type[Check]:
    """Class decorator adding a check to ``REGISTRY``; refuses a duplicate id.

    Built-in checks must live in a module named after their id, in a class named after it
    in CamelCase plus ``Check``.
    """
    if cls.id in REGISTRY and REGISTRY[cls.id] is not cls:
        raise ValueError(f"a check with id {cls.id!r} is already registered")
    module = cls.__module__
    if module.startswith("datacheck.checks."):
        expected = "".join(part.title() for part in cls.id.split("_")) + "Check"
        if module.rsplit(".", 1)[1] != cls.id or cls.__name__ != expected:
            raise TypeError(f"check {cls.id!r} must be class {expected} in datacheck/checks/{cls.id}.py")
    REGISTRY[cls.id] = cls
    return cls


def get_check(check_id: str) -> type[Check]:
    """The check class registered under ``check_id``; ``ConfigError`` naming the known ids."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise ConfigError(f"Unknown check {check_id!r}; known checks: {', '.join(sorted(REGISTRY))}.") from None
