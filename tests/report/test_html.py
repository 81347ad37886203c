"""The HTML report: every evidence kind drawn, every status shown, escaping, size bounds, and
each sample dataset's report opened in headless Chromium (no console error, no request)."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import datacheck
from datacheck.report import html as html_mod
from datacheck.report.findings import (CheckOutcome, DatasetSummary, Evidence, Finding, Report,
                                       Severity, Status)
from datacheck.report.html import render_html, rst_blocks, write_html
from datacheck.spec import doc_sections

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.name for p in (ROOT / "sample_data").iterdir()
                 if p.name != "README.md" and not p.name.endswith(".json"))
EVIL = "<script>alert(1)</script>"
MB = 1024 * 1024


def _load_screenshot_module():
    spec = importlib.util.spec_from_file_location("datacheck_screenshot", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


screenshot = _load_screenshot_module()
needs_chromium = pytest.mark.skipif(
    screenshot.find_chromium() is None,
    reason="Chromium not installed (Debian: apt-get install chromium); the browser test needs it")


def _image_folder(root: Path, n: int = 12) -> list[str]:
    """``n`` small grayscale PNGs (one with a hostile name), a big RGB JPEG and a broken file."""
    rng = np.random.default_rng(0)
    ids = []
    for i in range(n):
        folder = root / "train" / ("cat" if i % 2 else "<b>dog</b>")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"img_{i}.png" if i != 3 else 'we<ird>&"name.png'
        Image.fromarray((rng.random((28, 28)) * 255).astype(np.uint8)).save(folder / name)
        ids.append(f"train/{folder.name}/{name}")
    Image.fromarray((rng.random((300, 200, 3)) * 255).astype(np.uint8)).save(root / "train/cat/big.jpg")
    (root / "train/cat/broken.png").write_bytes(b"not a png")
    return ids + ["train/cat/big.jpg", "train/cat/broken.png"]


def _every_evidence(ids: list[str], classes: list[str]) -> list[Evidence]:
    rng = np.random.default_rng(1)
    k = len(classes)
    return [
        Evidence("bars", "Samples per class", {"labels": classes, "series": {
            "train": rng.integers(1, 200, k).tolist(), "test": [None] + rng.integers(0, 40, k - 1).tolist()}}),
        Evidence("sequence", "Label order", {"values": np.sort(rng.integers(0, k, 400)).tolist(),
                                             "labels": classes}),
        Evidence("matrix", "Noise matrix", {"rows": classes, "columns": classes, "row_label": "given",
                                            "column_label": "suggested",
                                            "values": (np.eye(k) * 50 + rng.integers(0, 4, (k, k))).tolist()}),
        Evidence("images", "Label suspects", {"samples": ids[:6], "captions": [f"given {EVIL}"] * 6}),
        Evidence("pairs", "Duplicate pairs", {"pairs": [[ids[0], ids[1]], [ids[2], ids[-2]]]}),
        Evidence("pairs", "Near copies", {"pairs": [[ids[3], ids[4]]], "relation": "≈",
                                          "captions": [f"r = 0.991 {EVIL}"]}),
        Evidence("histogram", "Pixels per split", {"edges": np.linspace(0, 256, 257).tolist(), "series": {
            "train L": np.r_[900, rng.integers(1, 9, 255)].tolist(),
            "test L": rng.integers(1, 9, 256).tolist()}}),
        Evidence("scatter", "Image sizes", {"x": [28] * 50 + [40], "y": [28] * 50 + [56],
                                            "series": ["train"] * 50 + ["test"], "x_label": "width"}),
        Evidence("table", "Worst columns", {"columns": ["feature", "mean", EVIL],
                                            "rows": [[EVIL, 1.5, None], ["b", 12_500_000.5, "x"]]}),
    ]


def synthetic_report(root: Path) -> Report:
    """A report with every evidence kind, every check status and hostile names, via JSON."""
    ids = _image_folder(root)
    classes = ["cat", "<b>dog</b>", EVIL, "bird"]
    ev = _every_evidence(ids, classes)
    findings = [
        Finding("label_order", "label_order.sorted", Severity.ERROR, f"Rows are sorted by label {EVIL}.",
                hint="Shuffle with `df.sample(frac=1)`.", checklist=(7, 10), split="train",
                metrics={"longest_run": 120, "single_label_batch_ratio": 0.93, "per_class": {"a": 1}},
                samples=ids, n_samples=400, evidence=tuple(ev[:3])),
        Finding("duplicates", "duplicates.exact", Severity.WARNING, "2 duplicate pairs.",
                checklist=(3,), samples=ids[:4], evidence=(ev[3], ev[4], ev[5])),
        Finding("input_integrity", "input_integrity.unreadable_files", Severity.ERROR,
                "1 file cannot be read.", samples=["train/cat/broken.png", "../outside.png"]),
        Finding("split_consistency", "split_consistency.pixels", Severity.INFO, "Pixels match.",
                evidence=(ev[6], ev[7], ev[8], Evidence("mystery", "Unknown kind", {"a": 1}),
                          Evidence("bars", "Malformed bars", {"labels": []}))),
    ]
    checks = [CheckOutcome("label_order", Status.FAILED, 0.1), CheckOutcome("duplicates", Status.FAILED, 0.2),
              CheckOutcome("input_integrity", Status.FAILED, 0.0),
              CheckOutcome("split_consistency", Status.PASSED, 0.3),
              CheckOutcome("feature_scaling", Status.SKIPPED, 0.0, "the dataset has no numeric features"),
              CheckOutcome("learnability", Status.ERRORED, 1.0, f"ValueError: {EVIL} & more")]
    summary = DatasetSummary("image", "label", tuple(classes),
                             {"train": {"n_samples": 14, "n_classes": 4},
                              "test": {"n_samples": 0, "n_classes": 0}},
                             (f"note {EVIL}",))
    report = Report(str(root), summary, tuple(checks), tuple(findings))
    return Report.from_dict(json.loads(json.dumps(report.to_dict())))


class _Tags(HTMLParser):
    """Collects start tags and attribute names of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.add(name)
            if name in ("src", "href") and value and not value.startswith(("#", "data:")):
                self.urls.append(value)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    report = synthetic_report(root)
    return report, root, render_html(report, source_root=root)


def test_every_evidence_kind_is_drawn(synthetic):
    _, _, page = synthetic
    for kind in ("bars", "sequence", "histogram", "scatter"):
        chart = rf'class="ev ev-{kind}">\s*<figcaption[^>]*>[^<]*</figcaption>\s*<div class="chart-wrap"><svg'
        assert re.search(chart, page), kind
    assert 'class="heat"' in page and "suggested →" in page
    assert page.count('class="pair"') == 3
    assert re.search(r'<span class="eq">≈</span>.*r = 0\.991', page, re.S)
    assert 'class="ev ev-table"' in page and "1.25e+07" in page
    # unknown kinds and malformed data fall back to their raw JSON with the reason
    assert page.count('<pre class="raw">') == 2
    assert "unknown evidence kind" in page and "bars need" in page


def test_every_status_and_summary(synthetic):
    report, _, page = synthetic
    for status in ("passed", "failed", "skipped", "errored"):
        assert f'<span class="badge {status}">{status}</span>' in page
    assert "the dataset has no numeric features" in page
    assert "1 check crashed" in page
    assert "2 errors: training will very likely fail" in page
    sections = re.findall(r'data-section="([a-z]+)"', page)
    assert sections == ["summary", "error", "warning", "info", "checks"]
    codes = re.findall(r'<article class="finding [a-z]+" id="finding-\d+" data-code="([^"]+)"', page)
    assert codes == [f.code for f in report.findings]
    # the table of contents links every finding
    for i in range(1, len(report.findings) + 1):
        assert f'href="#finding-{i}"' in page


def test_everything_is_escaped(synthetic):
    _, _, page = synthetic
    tags = _parse(page)
    assert "script" not in tags.tags and "<b>dog</b>" not in page
    assert not [a for a in tags.attrs if a.startswith("on")]
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "we&lt;ird&gt;&amp;&#34;name.png" in page
    assert "<code>df.sample(frac=1)</code>" in page  # backticks become code, after escaping


def test_page_is_self_contained(synthetic):
    _, _, page = synthetic
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert _parse(page).urls == []
    assert not re.search(r"url\((?!data:)", page)
    assert "@import" not in page and "@font-face" not in page


def test_thumbnails_downscaled_and_guarded(synthetic):
    _, _, page = synthetic
    uris = re.findall(r"url\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", page)
    assert uris
    sizes = [Image.open(io.BytesIO(base64.b64decode(u))).size for u in uris]
    assert max(max(s) for s in sizes) <= html_mod.THUMB_PX
    assert (html_mod.THUMB_PX, round(html_mod.THUMB_PX * 200 / 300)) in [(max(s), min(s)) for s in sizes]
    assert 'class="thumb broken"' in page  # an unreadable file is shown as such
    assert page.count("url(data:") == len(set(uris))  # each image embedded once
    # a sample id outside the dataset folder is named, never read
    assert "../outside.png" in page and page.count('title="../outside.png"') == 0


@pytest.mark.parametrize("mode, suffix, channels", [
    ("I;16", ".png", 1), ("RGBA", ".png", 3), ("P", ".png", 3), ("LA", ".png", 1), ("1", ".png", 1),
    ("CMYK", ".jpg", 3), ("F", ".tiff", 1)])
def test_thumbnail_of_every_image_mode(tmp_path, mode, suffix, channels):
    path = tmp_path / f"x{suffix}"
    Image.new(mode, (130, 40)).save(path)
    png, w, h, small = html_mod._encode_thumb(path)
    thumb = Image.open(io.BytesIO(png))
    assert (w, h, small) == (130, 40, False)
    assert thumb.size == (64, 20) and len(thumb.getbands()) == channels


def test_json_round_trip_renders_the_same(synthetic):
    report, root, page = synthetic
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert render_html(again, source_root=root) == page


def test_write_html_returns_size(synthetic, tmp_path):
    report, root, page = synthetic
    out = tmp_path / "r.html"
    size = write_html(report, out, source_root=root)
    assert size == out.stat().st_size == len(page.encode())
    # without the dataset folder, samples are named only
    bare = render_html(report)
    assert "url(data:" not in bare and "train/cat/big.jpg" in bare


def test_size_follows_findings_not_dataset(tmp_path):
    """Evidence over a huge dataset renders as small as over a small one."""
    rng = np.random.default_rng(0)
    ids = _image_folder(tmp_path, n=40)

    def page(n: int) -> int:
        ev = (Evidence("sequence", "order", {"values": rng.integers(0, 10, n)}),
              Evidence("histogram", "h", {"edges": np.linspace(0, 1, n // 100 + 1).tolist(),
                                          "series": {"train": rng.integers(0, 9, n // 100).tolist()}}),
              Evidence("scatter", "s", {"x": rng.random(n), "y": rng.random(n)}),
              Evidence("table", "t", {"columns": ["a"], "rows": [[i] for i in range(n)]}),
              Evidence("matrix", "m", {"values": rng.integers(0, 9, (n // 500, n // 500)).tolist()}),
              Evidence("bars", "b", {"labels": [f"c{i}" for i in range(n // 100)],
                                     "series": {"train": rng.integers(0, 9, n // 100).tolist()}}),
              Evidence("images", "i", {"samples": ids * (n // 1000)}),
              Evidence("pairs", "p", {"pairs": [[ids[0], ids[1]]] * (n // 100)}))
        f = Finding("x", "x.y", Severity.WARNING, "m", samples=[f"train/{i}" for i in range(n)], evidence=ev)
        report = Report("s", DatasetSummary("image", "label", ("a",), {"train": {"n_samples": n}}), (), (f,))
        return len(render_html(report, source_root=tmp_path).encode())

    small, large = page(20_000), page(200_000)
    assert large < 1.1 * small
    assert large < 600 * 1024


def test_thumbnail_budget_caps_many_findings(tmp_path, monkeypatch):
    ids = _image_folder(tmp_path, n=30)
    monkeypatch.setattr(html_mod, "THUMB_BUDGET", 5_000)
    findings = [Finding("x", f"x.f{i}", Severity.INFO, "m", samples=ids) for i in range(5)]
    report = Report("s", DatasetSummary("image", None, (), {}), (), tuple(findings))
    page = render_html(report, source_root=tmp_path)
    assert sum(len(u) for u in re.findall(r"base64,([^)]+)\)", page)) < 5_000 + 4_000
    assert "Thumbnails stop after a size budget" in page


def test_empty_and_clean_reports():
    empty = Report("nothing", DatasetSummary("tabular", None, (), {}), (), ())
    page = render_html(empty)
    assert "No findings" in page and "No checks were run" in page
    assert "No errors and no warnings" in page


def test_why_it_matters_comes_from_the_check_docstring_carried_by_its_outcome():
    from datacheck.checks import REGISTRY

    documented = [(cid, doc_sections(cls.doc()).get("why it matters")) for cid, cls in sorted(REGISTRY.items())]
    check_id, why = next((cid, why) for cid, why in documented if why)
    f = Finding(check_id, f"{check_id}.x", Severity.WARNING, "m")
    f2 = Finding(check_id, f"{check_id}.y", Severity.INFO, "m")
    outcome = CheckOutcome(check_id, Status.FAILED, doc=REGISTRY[check_id].report_doc())
    page = render_html(Report("s", DatasetSummary("tabular", None, (), {}), (outcome,), (f, f2)))
    assert str(rst_blocks(why)) in page
    # the renderer reads only the report: without the outcome's doc there is no "Why it matters"
    bare = render_html(Report("s", DatasetSummary("tabular", None, (), {}), (), (f, f2)))
    assert str(rst_blocks(why)) not in bare
    # open at the first finding of the check, folded at the next
    assert page.count('<details class="why" open>') == 1 and page.count('<details class="why">') == 1


def test_docstring_sections_to_html():
    doc = "Summary line.\n\nWhat it detects\n---------------\n- one *thing*\n  continued\n- ``two``\n\n" \
          "Why it matters\n--------------\nBecause <x> & `y`.\n\nSecond paragraph."
    sections = doc_sections(doc)
    assert sections["summary"] == "Summary line."
    assert str(rst_blocks(sections["what it detects"])) == \
        "<ul><li>one <em>thing</em> continued</li><li><code>two</code></li></ul>"
    assert str(rst_blocks(sections["why it matters"])) == \
        "<p>Because &lt;x&gt; &amp; <code>y</code>.</p><p>Second paragraph.</p>"


# -- the bundled sample datasets, rendered and opened in a browser ------------------------------

@pytest.fixture(scope="module")
def sample_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    reports = {}
    for name in SAMPLES:
        path = ROOT / "sample_data" / name
        report = datacheck.profile(str(path), workers=1)
        target = out / f"{Path(name).stem}.html"
        size = write_html(report, target, source_root=path if path.is_dir() else path.parent)
        reports[name] = (report, target, size)
    return reports


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_report_size_and_sections(sample_reports, name):
    report, target, size = sample_reports[name]
    assert size < 3 * MB
    page = target.read_text(encoding="utf-8")
    assert 'data-section="summary"' in page and 'data-section="checks"' in page
    assert re.findall(r'data-code="([^"]+)"', page) == [f.code for f in report.findings]
    for outcome in report.checks:
        assert f'id="check-{outcome.id}"' in page
    root = target.parent  # thumbnails aside, a run's report and its JSON round trip render alike
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert render_html(again, source_root=root) == render_html(report, source_root=root)


@pytest.fixture(scope="module")
def browser():
    if screenshot.find_chromium() is None:
        pytest.skip("Chromium not installed (Debian: apt-get install chromium); the browser test needs it")
    with screenshot.Browser() as b:
        yield b


def test_reports_open_in_chromium(browser, sample_reports, synthetic, tmp_path):
    report, root, page = synthetic
    synthetic_html = tmp_path / "synthetic.html"
    synthetic_html.write_text(page, encoding="utf-8")
    pages = {name: (r, t) for name, (r, t, _) in sample_reports.items()}
    pages["synthetic"] = (report, synthetic_html)
    for name, (rep, target) in pages.items():
        result = browser.open(target, max_height=1600)
        assert result.clean, (name, result.console_errors, result.requests)
        expected = ["summary", *[anchor for sev, anchor in (("error", "errors"), ("warning", "warnings"),
                                                           ("info", "info")) if rep.summary[sev]], "checks"]
        if not rep.findings:
            expected.insert(1, "findings")
        if rep.columns:
            expected.insert(-1, "columns")
        assert result.section_ids == expected, name
        assert result.finding_codes == [f.code for f in rep.findings], name
        assert result.png.startswith(b"\x89PNG") and len(result.png) > 10_000, name
        (tmp_path / f"{Path(name).stem}.png").write_bytes(result.png)


def test_browser_harness_catches_requests_and_errors(browser, tmp_path):
    """The harness itself: a page that fetches and logs is reported, so a clean result means clean."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>'
                   '<img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>')
    result = browser.open(bad, screenshot=False)
    assert any("127.0.0.1:9" in r for r in result.requests)
    assert any("boom" in e for e in result.console_errors)
    assert not result.clean


@needs_chromium
def test_screenshot_script_cli(synthetic, tmp_path):
    _, _, page = synthetic
    src = tmp_path / "r.html"
    src.write_text(page, encoding="utf-8")
    png = tmp_path / "shot" / "r.png"
    assert screenshot.main([str(src), str(png), "--max-height", "800"]) == 0
    assert Image.open(png).size == (1280, 800)


def test_regression_header_shows_the_task_and_target_per_split():
    target = {"n": 3, "min": 25.0, "max": 346.0, "mean": 150.0, "std": 70.0,
              "quantiles": [[0.25, 90.0], [0.5, 140.0], [0.75, 210.0]]}
    ds = DatasetSummary("tabular", "target", (), {"train": {"n_samples": 3, "target": target}},
                        task="regression", task_reason="inferred: float target with 214 distinct values")
    page = render_html(Report("s", ds, (), ()))
    assert "<dt>Task</dt><dd>regression (inferred: float target with 214 distinct values)</dd>" in page
    assert "<dt>Classes</dt>" not in page and "median 140 (25 to 346)" in page
    classes = render_html(Report("s", DatasetSummary("tabular", "label", ("a",), {"train": {"n_samples": 1, "n_classes": 1}}), (), ()))
    assert "<dt>Classes</dt>" in classes and "<dt>Task</dt><dd>classification</dd>" in classes
