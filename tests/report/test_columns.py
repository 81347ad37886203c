"""The per-column overview: JSON ``columns`` checked against pandas, shared histogram edges,
drift from the scan's histograms (planted shift sorted first in the HTML, random splits of
clean sets quiet), arrays, image folders, streamed splits and wide tables."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.api import summarize
from datacheck.data import from_objects
from datacheck.report.columns import MAX_TABLE_ROWS, TOP_COLUMNS
from datacheck.report.findings import Report
from datacheck.report.html import render_html
from datacheck.report.json_out import from_json, to_json
from datacheck.scan import scan
from datacheck.scan.columns import BINS, QUANTILES, column_overview

FAST = ["class_balance"]  # the overview does not depend on the checks run


def _split(frame: pd.DataFrame, seed: int, test_size: float = 0.3):
    idx = np.random.default_rng(seed).permutation(len(frame))
    cut = int(len(frame) * (1 - test_size))
    return frame.iloc[idx[:cut]].reset_index(drop=True), frame.iloc[idx[cut:]].reset_index(drop=True)


def _by_name(columns) -> dict:
    return {c["name"]: c for c in columns}


def _drifted(columns) -> list[str]:
    return [c["name"] for c in columns if any(d["drifted"] for d in c["drift"].values())]


def _overview(train, test, label: str | None = "target") -> list[dict]:
    dataset = from_objects({"train": train, "val": None, "test": test}, label=label, seed=0)
    return column_overview(scan(dataset, workers=1))


@pytest.fixture(scope="module")
def cancer_report():
    """breast_cancer with missing values planted in one column and a text column, split 70/30."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(1)
    frame.loc[rng.choice(len(frame), 40, replace=False), "mean radius"] = np.nan
    frame["site"] = rng.choice(["north", "south", "east"], len(frame))
    frame.loc[rng.choice(len(frame), 7, replace=False), "site"] = None
    train, test = _split(frame, 0)
    report = datacheck.profile(train=train, test=test, label="target", checks=FAST)
    return report, {"train": train, "test": test}


def test_table_columns_match_pandas(cancer_report):
    report, frames = cancer_report
    doc = json.loads(to_json(report))
    cols = _by_name(doc["columns"])
    features = [c for c in frames["train"].columns if c != "target"]
    assert list(cols) == features  # numeric in table order, then the text column (last here)
    for name in features[:-1]:
        col = cols[name]
        assert col["kind"] == "numeric" and col["dtype"] == "double"
        for split, frame in frames.items():
            v, st = frame[name], col["splits"][split]
            finite = v.dropna().to_numpy()
            assert st["n"] == len(v) and st["count"] == len(finite)
            assert st["missing"] == int(v.isna().sum()) and st["infinite"] == 0
            assert st["distinct"] == v.nunique() and st["distinct_kind"] == "exact"
            assert st["zeros"] == int((v == 0).sum())
            assert st["min"] == pytest.approx(finite.min(), rel=1e-5)
            assert st["max"] == pytest.approx(finite.max(), rel=1e-5)
            assert st["mean"] == pytest.approx(finite.mean(), rel=1e-5)
            assert st["std"] == pytest.approx(finite.std(), rel=1e-5, abs=1e-12)  # population std
            assert [q for q, _ in st["quantiles"]] == list(QUANTILES)
            assert [x for _, x in st["quantiles"]] == pytest.approx(np.quantile(finite, QUANTILES), rel=1e-5)
            assert st["sample_rows"] is None
    assert cols["mean radius"]["splits"]["train"]["missing"] > 0  # the planted NaNs are counted
    assert cols["worst area"]["splits"]["train"]["zeros"] == 0
    assert cols["mean concavity"]["splits"]["train"]["zeros"] > 0  # real zeros in breast_cancer
    site = cols["site"]
    assert site["kind"] == "categorical" and site["drift"] == {} and site["edges"] is None
    for split, frame in frames.items():
        st = site["splits"][split]
        counts = frame["site"].value_counts()
        assert st["missing"] == int(frame["site"].isna().sum()) and st["distinct"] == 3
        assert st["top"][0] == [counts.index[0], int(counts.iloc[0])]
    assert from_json(to_json(report)).columns == report.columns


def test_histograms_share_edges_and_count_every_value(cancer_report):
    report, frames = cancer_report
    for col in report.columns:
        if col["kind"] != "numeric":
            continue
        edges = np.array(col["edges"])
        assert (np.diff(edges) > 0).all(), col["name"]
        for split, frame in frames.items():
            st = col["splits"][split]
            counts = st["histogram"]["counts"]
            assert len(counts) == len(edges) - 1 and sum(counts) == st["count"]
            # the same bins as numpy's on the same edges (half-open, the last one closed)
            expected, _ = np.histogram(frame[col["name"]].dropna(), bins=edges)
            assert counts == expected.tolist(), (col["name"], split)
        assert BINS <= len(edges) - 1 <= BINS + 2  # equal bins, and an end bin where values lie beyond


def test_planted_shift_is_drifted_and_drawn_first(wine_frames):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    train, test = _split(frame, 3)
    test["hue"] = test["hue"] + 2 * train["hue"].std()  # a column in the middle of the table
    report = datacheck.profile(train=train, test=test, label="target",
                               checks=["split_consistency"])
    cols = _by_name(report.columns)
    assert _drifted(report.columns) == ["hue"]
    assert cols["hue"]["drift"]["test"]["ks"] >= 0.3
    # the same statistic as split_consistency: its drift finding names the same column
    drift = [f for f in report.by_check("split_consistency") if f.code.endswith("drift")]
    assert drift and "hue" in drift[0].message
    page = render_html(report)
    section = page[page.index('<section id="columns"'):page.index('<section id="checks"')]
    shown = re.findall(r'data-column="([^"]+)"', section)
    assert shown[0] == "hue" and len(shown) == TOP_COLUMNS
    assert '<figure class="col drifted" data-column="hue">' in section
    assert section.count("col drifted") == 1 and "1 drifted" in section
    assert section.count("<svg") == TOP_COLUMNS  # train and test on the same axes, one chart each
    # the rest of the 13 columns go to the compact table
    assert section.count("<tr") - TOP_COLUMNS * 3 == 1 + (13 - TOP_COLUMNS)


@pytest.mark.parametrize("name", ["wine", "breast_cancer", "digits", "diabetes", "iris"])
def test_random_splits_of_clean_sets_flag_no_drift(name):
    import sklearn.datasets as sets

    frame = getattr(sets, f"load_{name}")(as_frame=True).frame
    compared = 0
    for seed in range(5):
        train, test = _split(frame, seed, test_size=0.25)
        cols = _overview(train, test)
        assert _drifted(cols) == [], (name, seed)
        compared += sum(bool(c["drift"]) for c in cols)
    assert compared == 5 * (frame.shape[1] - 1)  # every feature was compared


def test_npz_feature_and_image_arrays(tmp_path):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=x[:1200], y_train=y[:1200], x_test=x[1200:], y_test=y[1200:])
    cols = _by_name(datacheck.profile(path, checks=FAST).columns)
    assert list(cols) == [f"x{j}" for j in range(64)]
    for j in (0, 20, 43):
        st = cols[f"x{j}"]["splits"]["test"]
        v = x[1200:, j]
        assert cols[f"x{j}"]["dtype"] == "float64"
        assert (st["min"], st["max"], st["distinct"], st["zeros"]) == (v.min(), v.max(), len(np.unique(v)),
                                                                       int((v == 0).sum()))
        assert st["mean"] == pytest.approx(v.mean(), rel=1e-5)
    assert _drifted(cols.values()) == []

    images = (x.reshape(-1, 8, 8) * 16).clip(0, 255).astype(np.uint8)
    path = tmp_path / "digit_images.npz"
    images_test = images[1200:].copy()
    images_test[:] = np.clip(images_test.astype(int) + 90, 0, 255)  # brighter evaluation images
    np.savez(path, x_train=images[:1200], y_train=y[:1200], x_test=images_test, y_test=y[1200:])
    cols = _by_name(datacheck.profile(path, checks=FAST).columns)
    assert {"image.height", "image.width", "image.channels", "image.brightness", "image.contrast"} <= set(cols)
    assert all(c["kind"] == "image" for c in cols.values())
    h = cols["image.height"]["splits"]["train"]
    assert (h["min"], h["max"], h["distinct"], h["count"]) == (8, 8, 1, 1200)
    assert cols["image.channels"]["splits"]["test"]["mean"] == 1
    bright = cols["image.brightness"]
    assert bright["splits"]["train"]["mean"] == pytest.approx(images[:1200].mean(), rel=1e-5)
    assert bright["splits"]["test"]["mean"] == pytest.approx(images_test.mean(), rel=1e-5)
    assert "image.brightness" in _drifted(cols.values()) and "image.height" not in _drifted(cols.values())


def _write_images(root, x, y, sizes, shift: int = 0) -> None:
    from PIL import Image

    for i, (img, label) in enumerate(zip(x, y)):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.clip(img.reshape(8, 8) * 16 + shift, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").resize((sizes[i], sizes[i])).save(folder / f"{i:04d}.png")


@pytest.mark.parametrize("shift", [0, 100])
def test_image_folder_overview(tmp_path, shift):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    keep = y < 3
    x, y = x[keep][:240], y[keep][:240]
    sizes = np.where(np.arange(240) % 3 == 0, 20, 16)
    _write_images(tmp_path / "train", x[:180], y[:180], sizes[:180])
    _write_images(tmp_path / "test", x[180:], y[180:], sizes[180:], shift=shift)
    report = datacheck.profile(tmp_path, checks=FAST, workers=1)
    cols = _by_name(report.columns)
    for split, part in (("train", slice(0, 180)), ("test", slice(180, 240))):
        h = cols["image.height"]["splits"][split]
        assert (h["min"], h["max"], h["distinct"]) == (16, 20, 2)
        assert h["mean"] == pytest.approx(sizes[part].mean(), rel=1e-5)
    drifted = _drifted(report.columns)
    if shift:  # brighter test images (and, saturated at 255, of lower contrast); same sizes
        assert "image.brightness" in drifted and "image.height" not in drifted
    else:
        assert drifted == []
    page = render_html(report)
    assert 'data-column="image.brightness"' in page


def test_streamed_split_counts_every_row_and_samples_the_rest(tmp_path, monkeypatch):
    from sklearn.datasets import load_wine

    import datacheck.scan.sample as sample

    frame = load_wine(as_frame=True).frame
    big = pd.concat([frame] * 12, ignore_index=True)  # 2,136 rows
    big.to_parquet(tmp_path / "train.parquet")
    frame.to_parquet(tmp_path / "test.parquet")
    whole = _by_name(datacheck.profile(tmp_path, checks=FAST).columns)
    monkeypatch.setattr(sample, "SAMPLE_ROWS", 500)
    streamed = _by_name(datacheck.profile(tmp_path, checks=FAST, stream=True, partitions=3).columns)
    for name in ("alcohol", "proline", "hue"):
        a, b = whole[name]["splits"]["train"], streamed[name]["splits"]["train"]
        # over every row, merged across batches: the same counts, range and moments
        assert (b["n"], b["count"], b["missing"], b["min"], b["max"]) == (a["n"], a["count"], a["missing"],
                                                                          a["min"], a["max"])
        assert b["mean"] == pytest.approx(a["mean"], rel=1e-5) and b["std"] == pytest.approx(a["std"], rel=1e-5)
        # the order statistics come from the row sample, and say so
        assert a["distinct_kind"] == "exact" and a["sample_rows"] is None
        assert b["distinct_kind"] == "at_least" and 450 <= b["sample_rows"] < 700
        assert b["distinct"] <= a["distinct"] and sum(b["histogram"]["counts"]) == b["sample_rows"]
        assert whole[name]["edges"][0] == streamed[name]["edges"][0] == a["min"]
    assert _drifted(streamed.values()) == []


def test_a_split_held_whole_beyond_the_sample_size_summarizes_evenly_spaced_rows(monkeypatch):
    """Sorting every column of 1M held rows cost 1.6 s: order statistics come from evenly
    spaced rows there too (``OVERVIEW_ROWS``), and say so; counts, range and moments stay over
    every row."""
    import datacheck.scan.columns as columns
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    big = pd.concat([frame] * 12, ignore_index=True)  # 2,136 rows
    whole = _by_name(datacheck.profile(train=big, checks=FAST).columns)
    monkeypatch.setattr(columns, "OVERVIEW_ROWS", 500)
    spaced = _by_name(datacheck.profile(train=big, checks=FAST).columns)
    for name in ("alcohol", "proline", "hue"):
        a, b = whole[name]["splits"]["train"], spaced[name]["splits"]["train"]
        assert (b["n"], b["count"], b["min"], b["max"], b["mean"]) == (a["n"], a["count"], a["min"], a["max"],
                                                                       a["mean"])
        assert a["sample_rows"] is None and b["sample_rows"] == len(big[::5]) == 428
        assert b["distinct_kind"] == "at_least" and b["distinct"] <= a["distinct"]
        assert sum(b["histogram"]["counts"]) == 428
        assert [x for _, x in b["quantiles"]] == pytest.approx(np.quantile(big[name][::5], QUANTILES), rel=1e-5)


def test_wide_table_html_stays_small(rng):
    n, d = 200, 5000
    train = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"f{j}" for j in range(d)])
    test = pd.DataFrame(rng.normal(size=(n // 2, d)), columns=train.columns)
    test["f4321"] += 3.0
    train["target"], test["target"] = rng.integers(0, 2, n), rng.integers(0, 2, n // 2)
    dataset = from_objects({"train": train, "val": None, "test": test}, label="target", seed=0)
    result = scan(dataset, workers=1)
    report = Report("wide", summarize(dataset, result), (), (), columns=tuple(column_overview(result)))
    assert len(report.columns) == d and _drifted(report.columns) == ["f4321"]
    text = to_json(report)
    assert len(text) < 8_000_000  # about 1 KB a column with two splits
    assert text.count("\n") < 100 + d  # one line per column
    page = render_html(report)
    assert len(page) < 400_000
    section = page[page.index('<section id="columns"'):page.index('<section id="checks"')]
    assert re.findall(r'data-column="([^"]+)"', section)[0] == "f4321"
    assert section.count("<tbody>") == TOP_COLUMNS + 1
    assert f"+ {d - TOP_COLUMNS - MAX_TABLE_ROWS:,} more columns" in section


def test_large_offset_columns_keep_distinct_edges_and_quantiles(rng):
    # unix timestamps within one hour: 6 significant digits would merge every edge into one
    frame = pd.DataFrame({"ts": 1.7e9 + rng.integers(0, 3600, 400), "target": rng.integers(0, 2, 400)})
    train, test = _split(frame, 0)
    col = _by_name(_overview(train, test))["ts"]
    assert (np.diff(col["edges"]) > 0).all() and len(col["edges"]) >= BINS + 1
    st = col["splits"]["train"]
    assert st["mean"] == pytest.approx(train["ts"].mean(), abs=0.01)
    assert [x for _, x in st["quantiles"]] == pytest.approx(np.quantile(train["ts"], QUANTILES), abs=0.01)
    assert _drifted([col]) == []
