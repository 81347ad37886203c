"""The report model and its renderers (terminal, JSON, HTML)."""

from datacheck.report.findings import (
    CheckOutcome,
    DatasetSummary,
    Evidence,
    Finding,
    Report,
    Severity,
    Status,
)

__all__ = ["CheckOutcome", "DatasetSummary", "Evidence", "Finding", "Report", "Severity", "Status"]
