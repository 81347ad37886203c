"""``bars``: a value per label and series (e.g. samples per class and split)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacheck.report import plots
from datacheck.report.evidence._registry import EvidenceKind, chart, register

MAX_LINES = 6


def terminal(data: Mapping[str, Any]) -> str:
    """One line per label, ``label: series value, ...``, for the first labels."""
    labels = plots.texts(plots.field(data, "labels"))
    series = plots.field(data, "series", default={})
    if not labels or not isinstance(series, Mapping) or not series:
        raise ValueError("bars need 'labels' and 'series'")
    values = {str(name): plots.plain(v) for name, v in series.items()}
    fmt = plots.value_format(data)
    lines = [f"{label}: " + ", ".join(f"{name} {fmt(v[i] if i < len(v) else None)}"
                                      for name, v in values.items())
             for i, label in enumerate(labels[:MAX_LINES])]
    total = max(int(plots.field(data, "n_labels", default=len(labels)) or len(labels)), len(labels))
    if total > MAX_LINES:
        lines.append(f"+ {total - MAX_LINES:,} more labels")
    return "\n".join(lines)


register(EvidenceKind("bars", "``labels``, ``series``: name -> values; ``n_labels``: how many labels "
                                "there are when ``labels`` holds some of them; ``percent``: true when "
                                "the values are shares, shown as percentages", chart(plots.bars_svg), terminal))
