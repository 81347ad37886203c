"""Great Expectations 1.x integration (the ``[gx]`` extra).

Importing this package imports great_expectations and registers datacheck's custom
expectations with it, so plain GX code can run a suite written by ``datacheck suite``::

    import great_expectations as gx
    import datacheck.gx  # registers expect_column_longest_run_to_be_between, ...

It also infers suites from a dataset (``infer_suite``), builds the table a suite runs on
(``suite_frame``) and runs a suite into a datacheck ``Report`` (``validate_suite``).
"""

from __future__ import annotations

import logging

try:
    import great_expectations  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("datacheck.gx needs great_expectations 1.x: pip install 'datacheck[gx]'") from exc

# GX pins one module's logger at INFO, which prints a line per ephemeral context whatever the
# application configured; let it follow the application's logging instead.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.NOTSET)

from datacheck.gx.expectations import (
    ExpectColumnClassImbalanceRatioToBeBetween,
    ExpectColumnLabelVariantCountToBeBetween,
    ExpectColumnLongestRunToBeBetween,
    ExpectColumnMinClassShareToBeBetween,
    ExpectColumnNarrowTargetBatchRatioToBeBetween,
    ExpectColumnSingleLabelBatchRatioToBeBetween,
    ExpectColumnSplitLeakedRowCountToBeBetween,
    ExpectColumnTargetOrderCorrelationToBeBetween,
    ExpectColumnTargetShiftKsToBeBetween,
)
from datacheck.gx.frames import SuiteFrame, suite_frame
from datacheck.gx.infer import infer_suite, write_suite
from datacheck.gx.run import load_suite, validate_suite

__all__ = [
    "ExpectColumnClassImbalanceRatioToBeBetween",
    "ExpectColumnLabelVariantCountToBeBetween",
    "ExpectColumnLongestRunToBeBetween",
    "ExpectColumnMinClassShareToBeBetween",
    "ExpectColumnNarrowTargetBatchRatioToBeBetween",
    "ExpectColumnSingleLabelBatchRatioToBeBetween",
    "ExpectColumnSplitLeakedRowCountToBeBetween",
    "ExpectColumnTargetOrderCorrelationToBeBetween",
    "ExpectColumnTargetShiftKsToBeBetween",
    "SuiteFrame",
    "infer_suite",
    "load_suite",
    "suite_frame",
    "validate_suite",
    "write_suite",
]
