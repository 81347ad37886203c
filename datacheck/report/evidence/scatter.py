"""``scatter``: points, optionally in groups (e.g. image width against height per split)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from datacheck.report import plots
from datacheck.report.evidence._registry import EvidenceKind, chart, register


def terminal(data: Mapping[str, Any]) -> str:
    """How many points per group."""
    series = data.get("series")
    if isinstance(series, Mapping):
        sizes = {name: len(plots.field(pts, "x")) if isinstance(pts, Mapping) else len(pts)
                 for name, pts in series.items()}
        return "points: " + ", ".join(f"{name} {n:,}" for name, n in sizes.items())
    n = plots.floats(plots.field(data, "x")).size
    groups = plots.plain(series) if isinstance(series, (list, tuple, np.ndarray)) else None
    if groups is None or len(groups) != n:
        return f"{n:,} points"
    return "points: " + ", ".join(f"{name} {k:,}" for name, k in Counter(map(str, groups)).items())


register(EvidenceKind("scatter", "``x``, ``y``, ``series`` (a group per point, or one name), or "
                      "``series``: name -> ``{x, y}`` or ``[[x, y], ...]``; optional ``x_label``, "
                      "``y_label``", chart(plots.scatter_svg), terminal))
