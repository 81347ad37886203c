"""The scan: one pass over the data producing per-split summaries and aggregates."""

from datacheck.scan.result import ScanResult, SplitScan
from datacheck.scan.runner import scan

__all__ = ["ScanResult", "SplitScan", "scan"]
