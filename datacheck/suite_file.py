"""Suite files as plain JSON: read one, and the datacheck thresholds it carries.

Neither needs great_expectations: ``profile --suite`` reads a suite's thresholds without
importing it, and ``datacheck.gx`` reads suite files through here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datacheck.errors import DatacheckError, InputError


def read_suite_json(path: str | Path) -> dict:
    """Read a suite file as a JSON object.

    Raises
    ------
    InputError
        When the file is missing, unreadable, not JSON, or not a JSON object.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such suite file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"the suite file cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"the suite file is not JSON ({exc.msg} at line {exc.lineno}, "
                               f"column {exc.colno})") from None
    if not isinstance(data, dict):
        raise InputError(path, "the suite file must hold a JSON object with 'name' and 'expectations'")
    return data


def thresholds_from_suite(path: str | Path) -> dict[str, dict[str, Any]]:
    """The datacheck check parameters a suite carries, for ``datacheck.profile(params=...)``.

    They live in ``meta["datacheck"]["params"]`` as ``{check_id: {param: value}}`` (suites
    written by ``datacheck suite`` and the shipped ``expectations/*.json`` carry every
    check's defaults; edit them there).

    Parameters
    ----------
    path : str or pathlib.Path
        The suite file.

    Returns
    -------
    dict
        Check id -> parameter overrides; empty when the suite carries none.

    Raises
    ------
    InputError
        When the file is not a suite, or names an unknown check or parameter, or a value
        outside what the parameter allows.
    """
    from datacheck.checks import REGISTRY

    meta = read_suite_json(path).get("meta")
    info = meta.get("datacheck") if isinstance(meta, dict) else None
    params = info.get("params") if isinstance(info, dict) else None
    params = {} if params is None else params
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise InputError(path, "meta.datacheck.params must map check ids to {parameter: value}")
    for cid, values in params.items():
        if cid not in REGISTRY:
            raise InputError(path, f"meta.datacheck.params names unknown check {cid!r}; known checks: "
                                   f"{', '.join(sorted(REGISTRY))}")
        declared = REGISTRY[cid].params
        for name, value in values.items():
            if name not in declared:
                raise InputError(path, f"meta.datacheck.params.{cid} has unknown parameter {name!r}; "
                                       f"its parameters are: {', '.join(sorted(declared)) or 'none'}")
            try:
                declared[name].validate(cid, name, value)
            except DatacheckError as exc:
                raise InputError(path, str(exc)) from None
    return {cid: dict(values) for cid, values in params.items()}
