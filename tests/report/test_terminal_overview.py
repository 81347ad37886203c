"""The terminal's line on the column overview: columns per kind and the drifted ones, most drifted
first; no line when the report has no columns."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
from rich.console import Console

import datacheck
from datacheck.report.terminal import columns_line, render_terminal


def _terminal(report) -> str:
    out = io.StringIO()
    render_terminal(report, Console(file=out, width=300, color_system=None))
    return out.getvalue()


def _profile(train, test):
    return datacheck.profile(train=train, test=test, checks=["class_balance"], workers=1)


def test_drifted_columns_are_named_most_drifted_first(wine_frames):
    train, test = wine_frames
    shifted = test.assign(hue=test["hue"] + 1.5, alcohol=test["alcohol"] + 3.0)
    report = _profile(train, shifted)
    line = columns_line(report)
    assert line == ("Columns: 13 numeric, 2 drifted (alcohol, hue) — see the HTML report or the "
                    "JSON `columns`")
    text = _terminal(report)
    assert line in text
    # after the findings (or "No findings."), before the totals
    assert text.index("No findings." if not report.findings else "severity") < text.index("Columns:") \
        < text.index("error(s)")


def test_a_clean_split_says_none_drifted(wine_frames):
    train, test = wine_frames
    line = columns_line(_profile(train, test))
    assert line.startswith("Columns: 13 numeric, none drifted — ")


def test_kinds_are_counted_and_many_drifted_are_cut_short(wine_frames):
    train, test = wine_frames
    rng = np.random.default_rng(0)
    train = train.assign(colour=rng.choice(["red", "white"], len(train)))
    test = test.assign(colour=rng.choice(["red", "white"], len(test)))
    feats = [c for c in test.columns if c not in ("label", "colour")]
    shifted = test.copy()
    shifted[feats] = shifted[feats] + 2.0 + np.arange(len(feats)) * 0.1
    report = _profile(train, shifted)
    line = columns_line(report)
    assert line.startswith("Columns: 13 numeric, 1 categorical, 13 drifted (")
    named = line.split("drifted (")[1].split(" +")[0].split(", ")
    assert len(named) == 5 and "+8 more)" in line
    drift = {c["name"]: c["drift"]["test"]["ks"] for c in report.columns if c.get("drift")}
    assert [drift[n] for n in named] == sorted(drift.values(), reverse=True)[:5]


def test_images_count_their_properties(sample_data):
    report = datacheck.profile(sample_data / "clean_images", checks=["class_balance"], workers=1)
    n = len(report.columns)
    assert n >= 5 and columns_line(report).startswith(f"Columns: {n} image, none drifted")


def test_no_columns_no_line(wine_frames):
    train, test = wine_frames
    report = dataclasses.replace(_profile(train, test), columns=())
    assert columns_line(report) is None
    assert "Columns:" not in _terminal(report)
