"""Small assertions shared by tests."""

from __future__ import annotations


def severities(report, check: str) -> list[str]:
    """Severity values of one check's findings."""
    return [f.severity.value for f in report.by_check(check)]


def loud(report, check: str | None = None) -> list:
    """Warning and error findings (of one check, or all)."""
    return [f for f in report.findings if f.severity.value in ("warning", "error")
            and (check is None or f.check == check)]


def sample_sets(root) -> list:
    """Every dataset bundled in ``sample_data/`` (files and folders; truth files and docs left out)."""
    return sorted(p for p in root.iterdir() if p.suffix not in (".json", ".md", ".py"))


def outcome_key(report) -> list:
    """What must not change between two runs of the same checks: statuses and findings."""
    checks = sorted((c.id, c.status.value, c.reason) for c in report.checks)
    found = sorted((f.code, f.severity.value, f.split or "", f.message, tuple(f.samples), f.n_samples)
                   for f in report.findings)
    return checks + found
