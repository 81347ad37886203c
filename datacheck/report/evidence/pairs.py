"""``pairs``: pairs of samples that relate (e.g. exact or near duplicates), side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacheck.report import plots
from datacheck.report.evidence._registry import Drawn, EvidenceKind, HtmlPage, register

MAX_PAIRS = 8
MAX_TERMINAL_PAIRS = 3

HTML = """\
{% from "macros.html.j2" import figure, more %}
  {% if v.grid %}
  <div class="pairs">{% for p in v.pairs %}<div class="pair">{{ figure(p.a) }}<span class="eq">{{ v.relation }}</span>{{ figure(p.b) }}{% if p.caption %}<div class="pair-cap">{{ p.caption }}</div>{% endif %}</div>{% endfor %}</div>
  {% else %}
  <table class="data ids"><tbody>{% for p in v.pairs %}<tr><td class="mono">{{ p.a.id }}</td><td class="eq">{{ v.relation }}</td><td class="mono">{{ p.b.id }}</td>{% if p.caption %}<td>{{ p.caption }}</td>{% endif %}</tr>{% endfor %}</tbody></table>
  {% endif %}
  {{ more(v.more, "pairs") }}
"""


def _pairs(data: Mapping[str, Any], n: int) -> tuple[list[tuple[Any, Any, str]], str, int]:
    """The first ``n`` well-formed pairs as ``(a, b, caption)``, the relation, how many are left."""
    pairs = plots.field(data, "pairs")
    shown = [p for p in plots.plain(pairs[:n]) if isinstance(p, list) and len(p) >= 2]
    captions = plots.plain(plots.field(data, "captions")[:n])
    out = [(a, b, str(captions[i]) if i < len(captions) and captions[i] is not None else "")
           for i, (a, b, *_) in enumerate(shown)]
    relation = data.get("relation") if isinstance(data.get("relation"), str) else None
    return out, relation or "=", max(len(pairs) - len(out), 0)


def html(data: Mapping[str, Any], page: HtmlPage) -> Drawn:
    """The pairs as thumbnails side by side (a list of ids when none can be shown)."""
    pairs, relation, more = _pairs(data, MAX_PAIRS)
    items = [{"a": page.sample(a), "b": page.sample(b), "caption": caption} for a, b, caption in pairs]
    view = {"pairs": items, "grid": any(p["a"]["thumb"] or p["b"]["thumb"] for p in items),
            "more": more, "relation": relation}
    return page.render(HTML, v=view), None


def terminal(data: Mapping[str, Any]) -> str:
    """The first pairs, ``a = b``."""
    pairs, relation, more = _pairs(data, MAX_TERMINAL_PAIRS)
    lines = [f"{a} {relation} {b}" + (f" ({caption})" if caption else "") for a, b, caption in pairs]
    if more:
        lines.append(f"+ {more:,} more pairs")
    return "\n".join(lines)


register(EvidenceKind("pairs", "``pairs``: [[a, b], ...] of sample ids; optional ``captions``, "
                      "``relation`` (default ``=``)", html, terminal))
