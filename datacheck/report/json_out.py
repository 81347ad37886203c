"""Render a ``Report`` as the JSON contract of DESIGN.md section 3."""

from __future__ import annotations

import json

from datacheck.report.findings import Report


def to_json(report: Report, *, indent: int | None = 2) -> str:
    """The report as JSON text (``Report.to_dict`` serialised; NaN never appears)."""
    return json.dumps(report.to_dict(), indent=indent, allow_nan=False)


def from_json(text: str) -> Report:
    """Read a report back from its JSON text."""
    return Report.from_dict(json.loads(text))
