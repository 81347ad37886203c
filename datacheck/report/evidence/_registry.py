"""The registry of evidence kinds and what a kind's renderers are given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from markupsafe import Markup

# An HTML renderer's result: the markup of the figure body and a note on what was left out.
Drawn = tuple[Markup, "str | None"]


class HtmlPage(Protocol):
    """What the HTML report lends a kind's renderer while it draws one finding's evidence."""

    def sample(self, sample_id: Any, caption: Any = None) -> dict:
        """A sample to show: ``{"id", "name", "caption", "thumb"}`` (``thumb`` None: name only)."""

    def render(self, source: str, **values: Any) -> Markup:
        """Render Jinja ``source`` as the report does (autoescaped, its filters and macros)."""


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence data and its renderers.

    Parameters
    ----------
    name : str
        The ``Evidence.kind`` it draws.
    doc : str
        The payload it reads, e.g. ``labels``, ``series``: name -> values.
    html : callable
        ``html(data, page) -> (markup, note)``: the figure body (indented two spaces, as the
        report's ``evidence`` macro places it) and a sentence on what was cut, or None.
    terminal : callable
        ``terminal(data) -> str``: a few plain lines summing the data up.
    """

    name: str
    doc: str
    html: Callable[[Mapping[str, Any], HtmlPage], Drawn]
    terminal: Callable[[Mapping[str, Any]], str]


KINDS: dict[str, EvidenceKind] = {}


def register(kind: EvidenceKind) -> EvidenceKind:
    """Add ``kind`` to the registry (a kind of the same name is an error) and return it."""
    if kind.name in KINDS:
        raise ValueError(f"evidence kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> EvidenceKind:
    """The registered kind ``name``; ``ValueError`` if there is none."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown evidence kind {name!r}") from None


_CHART = '  <div class="chart-wrap">{{ svg }}</div>'


def chart(draw: Callable[[Mapping[str, Any]], Drawn]) -> Callable[[Mapping[str, Any], HtmlPage], Drawn]:
    """An HTML renderer from an SVG drawer ``draw(data) -> (svg, note)`` of ``report.plots``."""

    def html(data: Mapping[str, Any], page: HtmlPage) -> Drawn:
        svg, note = draw(data)
        return page.render(_CHART, svg=svg), note

    return html
