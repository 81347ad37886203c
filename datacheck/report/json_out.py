"""Render a ``Report`` as the JSON contract of DESIGN.md section 3."""

from __future__ import annotations

import json

from datacheck.report.findings import Report


def to_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as JSON text (``Report.to_dict`` serialised; NaN never appears).

    With ``indent``, each entry of the top-level ``columns`` overview is written on one line:
    a wide table's thousands of columns would otherwise take a line per number.
    """
    d = report.to_dict()
    columns = d.get("columns") or []
    if indent is None or not columns:
        return json.dumps(d, indent=indent, allow_nan=False)
    d["columns"] = []
    text = json.dumps(d, indent=indent, allow_nan=False)
    pad = " " * indent
    head = f'\n{pad}"columns": []'
    if text.count(head) != 1:  # not expected: the key is unique at this indentation
        d["columns"] = columns
        return json.dumps(d, indent=indent, allow_nan=False)
    rows = f",\n{pad}{pad}".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in columns)
    return text.replace(head, f'\n{pad}"columns": [\n{pad}{pad}{rows}\n{pad}]', 1)


def from_json(text: str) -> Report:
    """Read a report back from its JSON text."""
    return Report.from_dict(json.loads(text))
