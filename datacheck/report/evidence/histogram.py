"""``histogram``: counts per bin for one or more series (e.g. per split), drawn as shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacheck.report import plots
from datacheck.report.evidence._registry import EvidenceKind, chart, register


def terminal(data: Mapping[str, Any]) -> str:
    """The bins' range and each series' total count."""
    edges = plots.floats(plots.field(data, "edges"))
    series = plots.field(data, "series", default={})
    if edges.size < 2 or not isinstance(series, Mapping) or not series:
        raise ValueError("histogram needs 'edges' and 'series'")
    totals = ", ".join(f"{name} {plots.fmt_num(float(plots.floats(v)[:edges.size - 1].sum()))}"
                       for name, v in series.items())
    return (f"{edges.size - 1:,} bins from {plots.fmt_num(float(edges[0]))} to "
            f"{plots.fmt_num(float(edges[-1]))}; counts: {totals}")


register(EvidenceKind("histogram", "``edges``, ``series``: name -> counts; optional ``x_label``",
                      chart(plots.histogram_svg), terminal))
