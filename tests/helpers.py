"""Small assertions shared by tests."""

from __future__ import annotations


def severities(report, check: str) -> list[str]:
    """Severity values of one check's findings."""
    return [f.severity.value for f in report.by_check(check)]


def loud(report, check: str | None = None) -> list:
    """Warning and error findings (of one check, or all)."""
    return [f for f in report.findings if f.severity.value in ("warning", "error")
            and (check is None or f.check == check)]
