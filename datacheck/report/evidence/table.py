"""``table``: rows under named columns (e.g. the worst columns of a check)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacheck.report import plots
from datacheck.report.evidence._registry import Drawn, EvidenceKind, HtmlPage, register

MAX_ROWS = 50
MAX_COLS = 20
MAX_TERMINAL_ROWS = 5

HTML = """\
{% from "macros.html.j2" import more %}
  <div class="table-wrap"><table class="data">
    <thead><tr>{% for col in t.columns %}<th>{{ col }}</th>{% endfor %}</tr></thead>
    <tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td{% if cell.num %} class="n"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>{% endfor %}</tbody>
  </table></div>
  {{ more(t.more_rows, "rows") }}{{ more(t.more_cols, "columns") }}
"""


def _cell(value: Any) -> dict:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    text = plots.fmt_num(value) if numeric or value is None else str(value)
    return {"text": text if len(text) <= 200 else text[:199] + "…", "num": numeric}


def table_view(data: Mapping[str, Any], max_rows: int = MAX_ROWS) -> dict:
    """Columns, the first ``max_rows`` rows of cells and how many rows and columns were cut."""
    rows = plots.field(data, "rows")
    first = plots.plain(rows[0]) if len(rows) else None
    columns = plots.plain(plots.field(data, "columns")) or (list(first) if isinstance(first, Mapping) else [])
    columns = [str(c) for c in columns]
    shown = []
    for row in plots.plain(rows[:max_rows]):
        cells = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        shown.append([_cell(v) for v in cells[:MAX_COLS]])
    return {"columns": columns[:MAX_COLS], "rows": shown,
            "more_rows": max(len(rows) - max_rows, 0),
            "more_cols": max(len(columns) - MAX_COLS, 0)}


def html(data: Mapping[str, Any], page: HtmlPage) -> Drawn:
    """The table, cut to ``MAX_ROWS`` rows and ``MAX_COLS`` columns."""
    return page.render(HTML, t=table_view(data)), None


def terminal(data: Mapping[str, Any]) -> str:
    """The header and the first rows, cells separated by ``|``."""
    t = table_view(data, MAX_TERMINAL_ROWS)
    lines = [" | ".join(t["columns"])] + [" | ".join(c["text"] for c in row) for row in t["rows"]]
    if t["more_rows"]:
        lines.append(f"+ {t['more_rows']:,} more rows")
    return "\n".join(lines)


register(EvidenceKind("table", "``columns``, ``rows`` (lists, or mappings by column)", html, terminal))
