"""Errors datacheck raises for bad usage and unreadable input.

Bad *data* (a corrupt image inside a dataset, NaN in a column) never raises: it becomes a
finding. These errors are for what stops a run before it starts; the CLI turns them into a
one-line message and exit code 2.
"""

from __future__ import annotations


class DatacheckError(Exception):
    """Base class of datacheck's own errors."""


class ConfigError(DatacheckError, ValueError):
    """A parameter or option has a value outside what is allowed.

    The message names the parameter, the allowed values and the value given.
    """


class InputError(DatacheckError):
    """The input cannot be read as a dataset (missing path, no label column, empty folder).

    Parameters
    ----------
    path : str
        The path (or object description) the problem is about.
    problem : str
        One sentence saying what is wrong.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = printable(problem)
        super().__init__(f"{self.path}: {self.problem}")


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (its type's name when it has none), for a
    one-line error."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def printable(text: str) -> str:
    """``text`` safe for one terminal line: control characters (and the U+FFFD left by bytes
    that failed to decode) written as escapes, so a binary file's bytes never reach the
    terminal."""
    if text.isprintable() and "\ufffd" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\ufffd" else ascii(c)[1:-1] for c in text)
