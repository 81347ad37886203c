"""The ``Check`` base class and the registry of checks by id."""

from __future__ import annotations

from typing import Any, ClassVar

from datacheck.checks.context import CheckContext
from datacheck.errors import ConfigError
from datacheck.report.findings import Finding
from datacheck.spec.declared import Declared
from datacheck.spec.tasks import TASKS

REGISTRY: dict[str, type["Check"]] = {}


def _need_unmet(need: str, ctx: CheckContext) -> str | None:
    """Why the context does not meet ``need``, or None when it does."""
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
        if not ctx.ordered:
            return ("an image folder has no sample order (files are listed by name); "
                    "check the order of your loader with `datacheck smoke`")
    elif need == "two_splits":
        if len(ctx.split_names) < 2:
            return "needs at least two splits (e.g. train and test)"
    else:  # pragma: no cover - guarded by __init_subclass__
        raise ValueError(need)
    return None


KNOWN_NEEDS = ("labels", "images", "features", "order", "two_splits")


class Check(Declared):
    """A check: declares what it needs and its parameters; turns scan results into findings.

    Subclasses set ``id``, ``items`` (checklist item numbers), ``needs`` (from
    ``KNOWN_NEEDS``), ``tasks`` (the targets they apply to, default both) and ``params``
    (name -> ``Param``), document "What it detects" and "Why it matters" in their docstring,
    and implement ``run``. They hold no presentation code. A check whose work is fitting the
    shared out-of-fold models sets ``fits_models``: the runner may run it beside the others.
    """

    known_needs = KNOWN_NEEDS
    tasks: ClassVar[tuple[str, ...]] = TASKS
    fits_models: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.tasks) - set(TASKS)
        if unknown or not cls.tasks:
            raise TypeError(f"{cls.__name__}.tasks must be a non-empty subset of {TASKS}")

    @classmethod
    def describe(cls) -> dict:
        """The declaration (see ``Declared.describe``) and the tasks the check applies to."""
        return {**super().describe(), "tasks": list(cls.tasks)}

    def skip_reason(self, ctx: CheckContext) -> str | None:
        """Why this check cannot run on ``ctx``, or None; extend for check-specific needs."""
        if ctx.task not in self.tasks:
            return f"applies to {' and '.join(self.tasks)} targets; this target is {ctx.task}"
        for need in self.needs:
            reason = _need_unmet(need, ctx)
            if reason:
                return reason
        return None

    def run(self, ctx: CheckContext) -> list[Finding]:
        """Return the findings of this check on ``ctx`` (never mutates it)."""
        raise NotImplementedError


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
