"""Evidence kinds register their renderers: a kind defined here is drawn in HTML and in the
terminal with no other edit, every built-in kind has both renderers, and evidence that no kind
can draw falls back to its raw data with the reason."""

from __future__ import annotations

import html
import io
import re

import pytest
from rich.console import Console

from datacheck.report import evidence
from datacheck.report.findings import (CheckOutcome, DatasetSummary, Evidence, Finding, Report,
                                       Severity, Status)
from datacheck.report.html import render_html
from datacheck.report.terminal import evidence_text, render_terminal
from tests.report.test_html import EVIL, _every_evidence

STARS = """\
  <p class="stars">{% for name, n in stars %}<span title="{{ name }}">{{ "★" * n }}</span>{% endfor %}</p>"""


def _stars_html(data, page):
    stars = list(data["stars"].items())
    return page.render(STARS, stars=stars), f"{len(stars)} rated"


def _stars_terminal(data):
    return "\n".join(f"{name}: {'*' * n}" for name, n in data["stars"].items())


@pytest.fixture
def stars_kind():
    """A third-party kind: one registration, removed again after the test."""
    kind = evidence.register(evidence.EvidenceKind("stars", "``stars``: name -> count",
                                                   _stars_html, _stars_terminal))
    yield kind
    del evidence.KINDS[kind.name]


def _report(*ev: Evidence) -> Report:
    finding = Finding("duplicates", "duplicates.exact", Severity.WARNING, "Something found.",
                      evidence=ev)
    summary = DatasetSummary("tabular", "label", ("a", "b"), {"train": {"n_samples": 10, "n_classes": 2}})
    return Report("data.csv", summary, (CheckOutcome("duplicates", Status.FAILED, 0.1),), (finding,))


def _terminal(report: Report, *, verbose: bool = True) -> str:
    out = io.StringIO()
    render_terminal(report, Console(file=out, width=200, color_system=None), verbose=verbose)
    return out.getvalue()


def test_a_kind_registered_here_is_drawn_in_html_and_terminal(stars_kind):
    report = _report(Evidence("stars", "Ratings", {"stars": {"alpha": 3, EVIL: 1}}))
    page = render_html(report)
    figure = re.search(r'<figure class="ev ev-stars">(.*?)</figure>', page, re.S)
    assert figure is not None
    assert '<figcaption class="ev-title">Ratings</figcaption>' in figure.group(1)
    assert '<span title="alpha">★★★</span>' in figure.group(1)
    assert '<p class="note">2 rated</p>' in figure.group(1)
    assert EVIL not in page and 'title="&lt;script&gt;' in page  # the kind's snippet is escaped
    assert '<pre class="raw">' not in page
    text = _terminal(report)
    assert "Ratings:" in text and "alpha: ***" in text and f"{EVIL}: *" in text
    assert "Ratings" not in _terminal(report, verbose=False)  # evidence shows with --verbose only


def test_unknown_kind_falls_back_to_raw_data():
    report = _report(Evidence("mystery", "Unknown kind", {"answer": 42}))
    page = render_html(report)
    figure = html.unescape(re.search(r'<figure class="ev ev-raw">(.*?)</figure>', page, re.S).group(1))
    assert '<pre class="raw">{\n "answer": 42\n}</pre>' in figure
    assert "This mystery evidence could not be drawn (ValueError: unknown evidence kind" in figure
    text = _terminal(report)
    assert '{"answer": 42}' in text and "could not be shown: ValueError: unknown evidence kind" in text


def test_a_failing_renderer_falls_back_to_raw_data(stars_kind):
    report = _report(Evidence("stars", "Bad ratings", {"stars": "not a mapping"}))
    page = render_html(report)
    assert '<pre class="raw">' in page and "This stars evidence could not be drawn (AttributeError" in page
    assert "could not be shown: AttributeError" in _terminal(report)


def test_every_builtin_kind_has_both_renderers(tmp_path):
    assert set(evidence.KINDS) == {"bars", "sequence", "histogram", "scatter", "table", "matrix",
                                   "images", "pairs"}
    ids = [f"train/x/{i}.png" for i in range(14)]
    expected = {"Samples per class": "cat: train", "Label order": "400 labels in row order",
                "Noise matrix": "4 × 4; largest off the diagonal", "Label suspects": "train/x/0.png: given",
                "Duplicate pairs": "train/x/0.png = train/x/1.png", "Near copies": "≈ train/x/4.png (r = 0.991",
                "Pixels per split": "256 bins from 0 to 256", "Image sizes": "points: train 50, test 1",
                "Worst columns": "feature | mean"}
    for ev in _every_evidence(ids, ["cat", "dog", "cow", "bird"]):
        text = evidence_text(ev)
        assert text.startswith(f"{ev.title}:\n  ") and "could not be shown" not in text, ev.kind
        assert expected[ev.title] in text, (ev.kind, text)
        assert evidence.get_kind(ev.kind).doc


def test_a_kind_name_is_registered_once(stars_kind):
    with pytest.raises(ValueError, match="already registered"):
        evidence.register(stars_kind)


def test_bars_of_shares_read_as_percentages():
    data = {"labels": ["cat", "dog"], "series": {"train": [0.07648, 0.005736], "test": [0.5, 0.0]}}
    shares = Evidence("bars", "Class proportions", {**data, "percent": True})
    assert "cat: train 7.6%, test 50%" in evidence_text(shares)
    assert "dog: train 0.57%, test 0%" in evidence_text(shares)
    page = render_html(_report(shares))
    assert ">7.6%<" in page and ">0.57%<" in page and "0.07648" not in page
    # without the flag, the same values read as numbers
    assert "cat: train 0.07648, test 0.5" in evidence_text(Evidence("bars", "Values", data))


def test_a_matrix_of_shares_has_one_format_for_every_cell():
    from datacheck.report.evidence.matrix import matrix_view

    def cells(values):
        return [c["text"] for row in matrix_view({"values": values})["rows"] for c in row["cells"]]

    # a noise matrix's shares: fixed decimals for the smallest, no exponent beside them
    assert cells([[0.0918, 0.0008], [0.0016, 0.0]]) == ["0.0918", "0.0008", "0.0016", "0"]
    assert cells([[0.5, 0.25], [0.125, 0.75]]) == ["0.50", "0.25", "0.12", "0.75"]
    # counts, and values too large or too small for fixed decimals, keep their own format
    assert cells([[10, 2], [3, 40]]) == ["10", "2", "3", "40"]
    assert cells([[0.9, 0.00002], [1.5, float("nan")]]) == ["0.9", "2.00e-05", "1.5", "—"]
