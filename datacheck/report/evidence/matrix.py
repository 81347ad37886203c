"""``matrix``: a heat table, e.g. a confusion or noise matrix between classes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from datacheck.report import plots
from datacheck.report.evidence._registry import Drawn, EvidenceKind, HtmlPage, register

MAX_CELLS = 30

HTML = """\
{% from "macros.html.j2" import more %}
  <div class="table-wrap"><table class="heat">
    {% if m.column_label %}<tr><th class="corner"></th><th class="axis-title" colspan="{{ m.columns | length }}">{{ m.column_label }} →</th></tr>{% endif %}
    <tr><th class="corner">{{ m.row_label }}{% if m.row_label %} ↓{% endif %}</th>{% for col in m.columns %}<th class="col" title="{{ col }}"><span>{{ col }}</span></th>{% endfor %}</tr>
    {% for row in m.rows %}<tr><th class="row" title="{{ row.label }}">{{ row.label }}</th>{% for cell in row.cells %}<td style="{{ cell.style }}"{% if cell.zero %} class="zero"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>
    {% endfor %}
  </table></div>
  {% if m.square %}<p class="note">Diagonal shaded blue, off-diagonal red, each on its own scale.</p>{% endif %}
  {{ more(m.more_rows, "rows") }}{{ more(m.more_cols, "columns") }}
"""


def _grid(data: Mapping[str, Any]) -> tuple[np.ndarray, list[str], list[str]]:
    """The values as a float grid (short rows padded with NaN), row names and column names."""
    values = [plots.floats(r) for r in plots.field(data, "values")]
    if not values:
        raise ValueError("matrix needs 'values'")
    n_cols = max(len(r) for r in values)
    grid = np.vstack([np.r_[r, np.full(n_cols - len(r), np.nan)] for r in values])
    rows = [str(r) for r in plots.plain(plots.field(data, "rows")) or range(grid.shape[0])]
    cols = [str(c) for c in plots.plain(plots.field(data, "columns")) or range(n_cols)]
    return grid, rows, cols


def _label(data: Mapping[str, Any], *keys: str) -> str:
    value = plots.plain(plots.field(data, *keys, default=""))
    return "" if value is None else str(value)


def _cell_format(grid: np.ndarray):
    """One format for every cell: values below 1 in fixed decimals, two significant digits of
    the smallest nonzero one and at most 4 (``0.0918`` beside ``0.0008``, not ``8.00e-04``),
    zeros as ``0``; other grids (counts, large or tiny values) each value as
    ``plots.fmt_num`` gives it."""
    finite = np.abs(grid[np.isfinite(grid)])
    nonzero = finite[finite > 0]
    if not len(nonzero) or nonzero.max() >= 1 or nonzero.min() < 1e-4:
        return lambda v: plots.fmt_num(v if math.isfinite(v) else None)
    decimals = min(4, max(2, math.ceil(-math.log10(nonzero.min())) + 1))
    return lambda v: ("0" if v == 0 else f"{v:.{decimals}f}") if math.isfinite(v) else plots.fmt_num(None)


def matrix_view(data: Mapping[str, Any]) -> dict:
    """A heat table; on a square matrix the diagonal and the rest are shaded on separate scales."""
    grid, rows, cols = _grid(data)
    n_rows, n_cols = grid.shape
    square = n_rows == n_cols and rows == cols
    finite = np.where(np.isfinite(grid), np.abs(grid), 0.0)
    diag = np.eye(n_rows, n_cols, dtype=bool) if square else np.zeros_like(grid, dtype=bool)
    max_off = float(finite[~diag].max()) if (~diag).any() else 0.0
    max_diag = float(finite[diag].max()) if diag.any() else 0.0
    r_cap, c_cap = min(n_rows, MAX_CELLS), min(n_cols, MAX_CELLS)
    text = _cell_format(grid)
    body = []
    for i in range(r_cap):
        cells = []
        for j in range(c_cap):
            v = float(grid[i, j])
            top = max_diag if diag[i, j] else max_off
            level = abs(v) / top if math.isfinite(v) and top > 0 else 0.0
            rgb = "225,87,89" if square and not diag[i, j] else "78,121,167"
            alpha = 0.06 + 0.84 * level if level > 0 else 0.0
            cells.append({"text": text(v),
                          "style": f"background:rgba({rgb},{alpha:.2f});"
                                   + ("color:#fff;" if alpha > 0.55 else ""),
                          "zero": v == 0})
        body.append({"label": rows[i] if i < len(rows) else str(i), "cells": cells})
    return {"columns": [cols[j] if j < len(cols) else str(j) for j in range(c_cap)], "rows": body,
            "row_label": _label(data, "row_label", "y_label"),
            "column_label": _label(data, "column_label", "x_label"),
            "square": square, "more_rows": n_rows - r_cap, "more_cols": n_cols - c_cap}


def html(data: Mapping[str, Any], page: HtmlPage) -> Drawn:
    """The heat table, cut to ``MAX_CELLS`` rows and columns."""
    return page.render(HTML, m=matrix_view(data)), None


def terminal(data: Mapping[str, Any]) -> str:
    """The matrix's shape and its largest cell off the diagonal (or overall, if not square)."""
    grid, rows, cols = _grid(data)
    square = grid.shape[0] == grid.shape[1] and rows == cols
    finite = np.where(np.isfinite(grid), np.abs(grid), -np.inf)
    if square:
        np.fill_diagonal(finite, -np.inf)
    shape = f"{grid.shape[0]:,} × {grid.shape[1]:,}"
    if not np.isfinite(finite).any():
        return shape
    i, j = np.unravel_index(int(np.argmax(finite)), finite.shape)
    name = f"{rows[i] if i < len(rows) else i} → {cols[j] if j < len(cols) else j}"
    return f"{shape}; largest{' off the diagonal' if square else ''}: {name} {plots.fmt_num(float(grid[i, j]))}"


register(EvidenceKind("matrix", "``rows``, ``columns``, ``values``; optional ``row_label``, "
                      "``column_label``", html, terminal))
