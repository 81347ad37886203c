"""``sequence``: label codes in row order, to show sorted or blocked labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from datacheck.report import plots
from datacheck.report.evidence._registry import EvidenceKind, chart, register


def terminal(data: Mapping[str, Any]) -> str:
    """How many labels, in how many runs, and the longest run."""
    values = plots.floats(plots.field(data, "values"))
    if values.size == 0:
        raise ValueError("sequence needs 'values'")
    codes = np.where(np.isfinite(values), values, -1).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    longest = int(np.diff(np.r_[starts, codes.size]).max())
    return f"{codes.size:,} labels in row order: {starts.size:,} runs, the longest {longest:,}"


register(EvidenceKind("sequence", "``values``: label codes in order, ``labels``; optional ``stride``",
                      chart(plots.sequence_svg), terminal))
