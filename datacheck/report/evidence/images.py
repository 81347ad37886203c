"""``images``: samples to look at, with captions (e.g. label suspects), as thumbnails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacheck.report import plots
from datacheck.report.evidence._registry import Drawn, EvidenceKind, HtmlPage, register

MAX_SAMPLES = 24
MAX_TERMINAL_SAMPLES = 3

HTML = """\
{% from "macros.html.j2" import figure, more %}
  {% if v.grid %}
  <div class="tiles">{% for s in v["items"] %}{{ figure(s) }}{% endfor %}</div>
  {% else %}
  <table class="data ids"><tbody>{% for s in v["items"] %}<tr><td class="mono">{{ s.id }}</td><td>{{ s.caption }}</td></tr>{% endfor %}</tbody></table>
  {% endif %}
  {{ more(v.more, "samples") }}
"""


def _captions(data: Mapping[str, Any], n: int) -> list:
    return plots.plain(plots.field(data, "captions")[:n])


def html(data: Mapping[str, Any], page: HtmlPage) -> Drawn:
    """Thumbnails with captions (a list of ids when none can be shown), at most ``MAX_SAMPLES``."""
    samples = plots.field(data, "samples")
    captions = _captions(data, MAX_SAMPLES)
    items = [page.sample(s, captions[i] if i < len(captions) else None)
             for i, s in enumerate(plots.plain(samples[:MAX_SAMPLES]))]
    view = {"items": items, "grid": any(it["thumb"] for it in items),
            "more": max(len(samples) - len(items), 0)}
    return page.render(HTML, v=view), None


def terminal(data: Mapping[str, Any]) -> str:
    """The first sample ids with their captions."""
    samples = plots.field(data, "samples")
    captions = _captions(data, MAX_TERMINAL_SAMPLES)
    lines = [f"{s}" + (f": {captions[i]}" if i < len(captions) and captions[i] is not None else "")
             for i, s in enumerate(plots.plain(samples[:MAX_TERMINAL_SAMPLES]))]
    if len(samples) > MAX_TERMINAL_SAMPLES:
        lines.append(f"+ {len(samples) - MAX_TERMINAL_SAMPLES:,} more samples")
    return "\n".join(lines)


register(EvidenceKind("images", "``samples``: ids, ``captions``", html, terminal))
