"""Declared, validated check parameters (the scikit-learn ``_parameter_constraints`` idea)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from datacheck.errors import ConfigError


@dataclass(frozen=True)
class Param:
    """One keyword-only parameter of a check.

    Parameters
    ----------
    default : Any
        Value used when none is given.
    doc : str
        One sentence for ``datacheck checks`` and the docs.
    kind : type
        ``int``, ``float``, ``bool`` or ``str``.
    low, high : float, optional
        Bounds of a number.
    low_open, high_open : bool
        Whether the bounds are excluded.
    options : tuple of str, optional
        Allowed values of a string.
    """

    default: Any
    doc: str
    kind: type = float
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    options: tuple[str, ...] | None = None

    def describe(self) -> str:
        """The allowed values in words, e.g. ``a float in (0, 1]``."""
        if self.options:
            return "one of " + ", ".join(repr(o) for o in self.options)
        noun = {int: "an int", float: "a float", bool: "a bool", str: "a str"}[self.kind]
        if self.low is None and self.high is None:
            return noun
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        return f"{noun} in {left}{lo}, {hi}{right}"

    def validate(self, owner: str, name: str, value: Any) -> Any:
        """Return ``value`` (ints accepted for floats) or raise ``ConfigError``.

        Parameters
        ----------
        owner : str
            The check id, for the message.
        name : str
            The parameter name, for the message.
        value : Any
            What the user gave.
        """
        def fail() -> ConfigError:
            return ConfigError(f"The {name!r} parameter of {owner} must be {self.describe()}. "
                               f"Got {value!r} instead.")

        if self.kind is bool:
            if not isinstance(value, bool):
                raise fail()
            return value
        if self.kind is str:
            if not isinstance(value, str) or (self.options and value not in self.options):
                raise fail()
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail()
        if self.kind is int and not float(value).is_integer():
            raise fail()
        v = float(value)
        if math.isnan(v):
            raise fail()
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            raise fail()
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            raise fail()
        return int(v) if self.kind is int else v
