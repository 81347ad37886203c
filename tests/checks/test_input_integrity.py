"""input_integrity: planted NaN/inf, constants, unreadable files; quiet on clean data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import datacheck
from tests.helpers import loud

CHECK = "input_integrity"


def profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def only(report, code):
    found = [f for f in report.findings if f.code == f"{CHECK}.{code}"]
    assert found, f"no {code} finding in {[f.code for f in report.findings]}"
    return found


@pytest.fixture(scope="module")
def nan_report(sample_data):
    return profile(sample_data / "defect_nan.csv")


@pytest.fixture(scope="module")
def corrupt_report(sample_data):
    return profile(sample_data / "defect_corrupt_images")


# -- planted defects ---------------------------------------------------------------------


def test_nan_cells_listed_by_sample(nan_report, sample_data):
    truth = json.loads((sample_data / "defect_nan.truth.json").read_text())
    for split in ("train", "test"):
        cells = [c for c in truth["cells"] if c["split"] == split and c["value"] == "nan"]
        finding = [f for f in only(nan_report, "nan") if f.split == split]
        assert len(finding) == 1
        f = finding[0]
        assert f.severity.value == "error"
        assert set(f.samples) == {f"{split}[{c['split_index']}]" for c in cells}
        assert f.n_samples == len(cells)
        assert f.metrics["n_values"] == len(cells)
        rows = f.evidence[0].data["rows"]
        assert {r[0] for r in rows} == {c["column"] for c in cells}


def test_inf_cells_listed_by_sample(nan_report, sample_data):
    truth = json.loads((sample_data / "defect_nan.truth.json").read_text())
    cells = [c for c in truth["cells"] if c["value"] == "inf"]
    (f,) = only(nan_report, "inf")
    assert f.severity.value == "error" and f.split == "train"
    assert set(f.samples) == {f"train[{c['split_index']}]" for c in cells}
    assert f.metrics["n_values"] == truth["n_inf"]


def test_constant_column_is_info(nan_report):
    found = only(nan_report, "constant_features")
    assert {f.severity.value for f in found} == {"info"}
    for f in found:
        assert f.metrics["n_constant"] == 1
        assert "const_feature" in f.message
        assert f.evidence[0].data["rows"][0][0] == "const_feature"


def test_unreadable_files_listed_with_errors(corrupt_report):
    (f,) = only(corrupt_report, "unreadable_files")
    expected = {"train/Trouser/truncated.png", "train/Bag/notes.png", "train/Bag/empty.png"}
    assert set(f.samples) == expected and f.n_samples == 3
    # A default loader crashes on the first unreadable file: an error by default.
    assert f.severity.value == "error"
    assert f.metrics["n_empty"] == 1
    errors = dict(f.evidence[0].data["rows"])
    assert set(errors) == expected and all(errors.values())
    assert "empty" in errors["train/Bag/empty.png"]


def test_constant_images_listed(corrupt_report):
    (f,) = only(corrupt_report, "constant_images")
    assert f.severity.value == "warning"
    assert set(f.samples) == {"train/Sneaker/black.png", "train/Sneaker/flat.png"}
    assert f.metrics["n_all_zero"] == 1
    assert set(f.evidence[0].data["captions"]) == {"all 0", "all 128"}


def test_corrupt_images_raise_no_other_finding(corrupt_report):
    codes = {f.code for f in corrupt_report.findings}
    assert codes == {f"{CHECK}.unreadable_files", f"{CHECK}.constant_images"}


def test_many_unreadable_files_are_an_error(tmp_path, sample_data):
    src = sorted((sample_data / "clean_images" / "train" / "Bag").glob("*.png"))[:6]
    folder = tmp_path / "train" / "Bag"
    folder.mkdir(parents=True)
    for p in src:
        shutil.copy(p, folder / p.name)
    (folder / "zero.png").write_bytes(b"")
    (folder / "cut.png").write_bytes(src[0].read_bytes()[:40])
    (folder / "readme.txt").write_text("not an image")
    report = profile(tmp_path)
    (f,) = only(report, "unreadable_files")
    assert f.severity.value == "error"
    assert set(f.samples) == {"train/Bag/zero.png", "train/Bag/cut.png"}
    (ignored,) = only(report, "ignored_files")
    assert ignored.severity.value == "info" and ignored.samples == ("train/Bag/readme.txt",)


def test_images_beside_the_class_folders_are_listed_as_left_out(sample_data, tmp_path):
    """ImageFolder reads class folders only: an image at the split's top has no class."""
    for split in ("train", "test"):
        for cls in ("Bag", "Coat"):
            shutil.copytree(sample_data / "clean_images" / split / cls, tmp_path / split / cls)
    stray = sorted((sample_data / "clean_images" / "train" / "Bag").glob("*.png"))[:2]
    for p in stray:
        shutil.copy(p, tmp_path / "train" / f"stray_{p.name}")
    (tmp_path / "train" / "notes.txt").write_text("the dataset's own notes")
    report = profile(tmp_path)
    (f,) = only(report, "loose_images")
    assert f.severity.value == "info" and f.split == "train" and f.metrics["n_loose"] == 2
    assert set(f.samples) == {f"train/stray_{p.name}" for p in stray}
    assert "left out" in f.message and not report.by_check(CHECK)[1:]
    n_train = len(list((tmp_path / "train").glob("*/*.png")))
    assert report.dataset.splits["train"]["n_samples"] == n_train


def test_identical_samples_make_a_constant_split(rng):
    x = np.tile(rng.normal(size=(1, 6)), (40, 1))
    report = profile(train=(x, np.arange(40) % 2))
    (f,) = report.findings
    assert f.code == f"{CHECK}.constant_split" and f.severity.value == "error"
    assert f.n_samples == 40


def test_nan_and_inf_in_arrays(rng):
    x = rng.normal(size=(50, 8, 8, 1)).astype(np.float32)
    x[7, 1, 2, 0] = x[7, 3, 3, 0] = np.nan
    x[30, 0, 0, 0] = np.nan
    x[12, 4, 4, 0] = np.inf
    report = profile(train=(x, np.arange(50) % 3))
    (nan,) = only(report, "nan")
    assert nan.samples == ("train[7]", "train[30]")  # most NaN values first
    assert nan.metrics["n_values"] == 3 and nan.severity.value == "error"
    (inf,) = only(report, "inf")
    assert inf.samples == ("train[12]",)


def test_inf_in_feature_rows(rng):
    x = rng.normal(size=(60, 4))
    x[[9, 41], 2] = -np.inf
    (f,) = profile(train=(x, np.arange(60) % 2)).findings
    assert f.code == f"{CHECK}.inf" and f.samples == ("train[9]", "train[41]")
    assert f.evidence[0].data["rows"] == [["x2", 2]]


def test_missing_category_counts_as_missing(rng):
    df = pd.DataFrame({"a": rng.normal(size=30), "colour": ["red", "blue", "green"] * 10,
                       "label": np.arange(30) % 2})
    df.loc[4, "colour"] = None
    (f,) = profile(df).findings
    assert f.code == f"{CHECK}.nan" and f.samples == ("train[4]",)


@pytest.mark.parametrize("stream", [False, True])
def test_a_text_columns_empty_or_na_field_in_a_csv_is_missing(rng, tmp_path, stream):
    # as pandas.read_csv reads them; R writes NA there, a spreadsheet leaves the field empty
    lines = ["a,colour,label"] + [f"{v:.3f},{c},{i % 2}" for i, (v, c) in
                                  enumerate(zip(rng.normal(size=30), ["red", "blue", "green"] * 10))]
    lines[5] = lines[5].replace(",red,", ",NA,").replace(",blue,", ",NA,").replace(",green,", ",NA,")
    lines[9] = lines[9].replace(",red,", ",,").replace(",blue,", ",,").replace(",green,", ",,")
    (tmp_path / "survey.csv").write_text("\n".join(lines) + "\n")
    (f,) = profile(tmp_path / "survey.csv", stream=stream).findings
    assert f.code == f"{CHECK}.nan" and f.samples == ("train[4]", "train[8]")


def test_constant_images_share_sets_severity(rng):
    x = rng.integers(1, 255, size=(40, 8, 8, 3), dtype=np.uint8)
    x[5] = 0
    (few,) = profile(train=(x, np.arange(40) % 2)).findings
    assert few.code == f"{CHECK}.constant_images" and few.severity.value == "warning"
    assert few.samples == ("train[5]",) and few.evidence[0].data["captions"] == ["all (0, 0, 0)"]
    x[10:30] = 7
    (many,) = profile(train=(x, np.arange(40) % 2)).findings
    assert many.severity.value == "error" and many.n_samples == 21


def test_every_feature_constant_is_an_error():
    # Rows differ only by where a value is missing, so the split is not one repeated row.
    x = np.ones((20, 3))
    x[3, 0] = np.nan
    report = profile(train=(x, np.arange(20) % 2))
    (const,) = only(report, "constant_features")
    assert const.severity.value == "error" and const.metrics["n_constant"] == 3


# -- clean controls ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    assert not loud(profile(sample_data / name))


def test_digits_random_split_is_quiet(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    report = profile(train=(x_train, y_train), test=(x_test, y_test))
    assert not loud(report)
    # digits' always-blank border pixels are context, not a problem.
    assert {f.code for f in report.findings} <= {f"{CHECK}.constant_features"}


def test_digits_as_images_is_quiet(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    report = profile(train=(x_train.reshape(-1, 8, 8), y_train), test=(x_test.reshape(-1, 8, 8), y_test))
    assert not report.findings


def test_wine_is_quiet(wine_frames):
    train, test = wine_frames
    assert not profile(train=train, test=test).findings


@pytest.mark.parametrize("values, markers", [
    (["1.5", "2", "?"] * 10, {"?": 10}),
    (["1", "-2e3", "3", "?", "-"] * 10, {"?": 10, "-": 10}),
    ([" 4.0 ", ".5", "", None, "MISSING"] * 10, {"MISSING": 10}),
    (["01234", "n/a"] * 15, {"n/a": 15}),
])
def test_numbers_with_a_missing_value_marker_are_found(values, markers):
    import pyarrow as pa

    from datacheck.data.text_numbers import text_numbers

    found = text_numbers(pa.chunked_array([pa.array(values)]))
    assert found is not None and found.markers == markers
    assert found.rows.tolist() == [i for i, v in enumerate(values) if v is not None and v.strip() in markers]
    assert text_numbers(pa.array(values).dictionary_encode()).markers == markers


def test_a_value_of_spaces_is_a_marker_as_stored():
    """Telco's churn table: TotalCharges is ' ' for new customers, which makes the column text
    to every reader (an empty field is a missing value to them, a space is not)."""
    import pyarrow as pa

    from datacheck.data.text_numbers import text_numbers

    values = ["29.85", "1889.5", " ", "108.15", "  "] * 6
    found = text_numbers(pa.array(values))
    assert found is not None and found.markers == {" ": 6, "  ": 6} and found.n_numbers == 18
    assert found.rows.tolist() == [i for i, v in enumerate(values) if not v.strip()]
    assert text_numbers(pa.array(["29.85", "", None, "7"] * 8)) is None  # empty is missing already


def test_blank_totals_are_numbers_stored_as_text(tmp_path, rng):
    n = 400
    tenure = rng.integers(0, 60, n)
    monthly = rng.uniform(20, 110, n).round(2)
    total = np.where(tenure == 0, " ", (monthly * tenure).round(2).astype(str))
    frame = pd.DataFrame({"tenure": tenure, "MonthlyCharges": monthly, "TotalCharges": total,
                          "label": (rng.random(n) < 0.3).astype(int)})
    frame.to_csv(tmp_path / "churn.csv", index=False)
    report = datacheck.profile(tmp_path / "churn.csv")
    (found,) = [f for f in report.by_check("input_integrity") if f.code.endswith("numbers_as_text")]
    assert found.severity.value == "warning" and found.metrics["columns"] == ["TotalCharges"]
    assert "x ' '" in found.message and "na_values=[' ']" in found.hint
    assert found.n_samples == int((tenure == 0).sum())


@pytest.mark.parametrize("values", [
    ["1.5", "2", "K"] * 10,            # a level that is a word: grades 1..12 and K
    ["1", "2", "10+"] * 10,            # a code
    ["a", "b", "?"] * 10,              # text with a marker
    [str(i) for i in range(30)],       # numbers only: no marker to point at
    ["1", "2", "?"] * 5,               # too few values
    ["1", "?", "-", "*", "--"] * 10,   # more distinct markers than numbers could explain
    ["1.2.3", "2.0.1", "?"] * 10,      # versions are not numbers
])
def test_text_that_is_not_numbers_with_a_marker_is_left_alone(values):
    import pyarrow as pa

    from datacheck.data.text_numbers import text_numbers

    assert text_numbers(pa.array(values)) is None


@pytest.mark.parametrize("stream", [False, True])
def test_a_question_mark_column_is_a_warning_naming_its_rows(tmp_path, rng, stream):
    """UCI's '?' among the numbers of a column: the reader types it as text."""
    x = rng.normal(size=(300, 3)).round(3)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1].astype(object), "c": x[:, 2],
                          "label": (x[:, 0] > 0).astype(int)})
    frame.loc[[4, 90, 211], "b"] = "?"
    frame.to_csv(tmp_path / "uci.csv", index=False)
    report = datacheck.profile(tmp_path / "uci.csv", stream=stream)
    found = [f for f in report.by_check("input_integrity") if f.code.endswith("numbers_as_text")]
    assert [(f.severity.value, f.split, f.metrics["columns"]) for f in found] == [("warning", "train", ["b"])]
    assert list(found[0].samples) == ["train[4]", "train[90]", "train[211]"]
    assert "`b` (297 numbers and 3 x '?')" in found[0].message
    assert "na_values=['?']" in found[0].hint


def test_numbers_written_for_people_are_numbers_stored_as_text(tmp_path, rng):
    """'$1,234.50', '45%': the reader types such a column as text; a warning with the count of
    formatted numbers and a hint to strip the signs; the models read the numbers."""
    import pyarrow as pa

    from datacheck.data.text_numbers import numbers_of, text_numbers

    found = text_numbers(pa.array(["$1,234.50", "-$3", "45%", "12", "€ 7", "?"] * 5))
    assert (found.n_numbers, found.formatted, found.markers) == (25, 20, {"?": 5})
    np.testing.assert_array_equal(numbers_of(pa.array(["$1,234.50", "45%", "A1", "1,2"])), [1234.5, 45, np.nan, np.nan])
    x = rng.normal(size=(300, 2)).round(3)
    price = np.round(np.exp(7 + x[:, 1]), 2)
    frame = pd.DataFrame({"a": x[:, 0], "price": [f"${p:,.2f}" for p in price],
                          "label": (x[:, 0] + x[:, 1] > 0).astype(int)})
    frame.to_csv(tmp_path / "shop.csv", index=False)
    report = datacheck.profile(tmp_path / "shop.csv")
    text = [f for f in report.by_check("input_integrity") if f.code.endswith("numbers_as_text")]
    assert [(f.severity.value, f.metrics["columns"]) for f in text] == [("warning", ["price"])]
    assert "`price` (300 numbers, " in text[0].message and "thousands=','" in text[0].hint
    score = next(f for f in report.findings if f.code == "learnability.score")
    assert score.metrics["balanced_accuracy"] > 0.9  # the price is read as a number


def _measurements(rng, n=600):
    """Pima-like measurements: glucose 60-200 in steps of 1, BMI 18-60 in steps of 0.1, a count
    of pregnancies (0 common, then 1, 2, ...) and a zero-inflated amount (capital gains: 90% 0,
    the rest 114 up to six figures)."""
    return pd.DataFrame({
        "glucose": np.clip(rng.normal(120, 30, n), 60, 200).round(),
        "bmi": np.clip(rng.normal(32, 7, n), 18, 60).round(1),
        "pregnancies": rng.poisson(3, n),
        "gains": np.where(rng.random(n) < 0.9, 0, np.round(114 * np.exp(rng.exponential(2.5, n)))),
        "label": rng.integers(0, 2, n),
    })


def test_zeros_standing_for_values_not_measured_are_found(rng):
    frame = _measurements(rng)
    frame.loc[[3, 40, 77, 150, 301], "glucose"] = 0
    frame.loc[[9, 10, 500], "bmi"] = 0
    (f,) = profile(frame, label="label").findings
    assert f.code == f"{CHECK}.zero_markers" and f.severity.value == "warning"
    assert set(f.metrics["columns"]) == {"glucose", "bmi"}
    assert f.samples == tuple(f"train[{r}]" for r in (3, 9, 10, 40, 77, 150, 301, 500))


def test_real_zeros_are_not_markers(rng):
    # counts and zero-inflated amounts hold real zeros; a fifth of the rows at 0 far below the
    # rest may be a real absence (glass without magnesium): info
    assert not profile(_measurements(rng), label="label").findings
    frame = _measurements(rng)
    frame.loc[frame.index[:120], "bmi"] = 0
    (f,) = profile(frame, label="label").findings
    assert f.code == f"{CHECK}.zero_markers" and f.severity.value == "info"


def test_zero_markers_of_a_streamed_split_are_counted_over_every_row(rng, tmp_path, monkeypatch):
    """A streamed split keeps a row sample: its zeros are counted over every row, the steps
    and quartiles read on the sample, and the sample's zeros flagged; real zeros stay quiet."""
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 400)  # 2,000 rows: sampled
    frame = _measurements(rng, n=2000)
    zeros = [3, 40, 77, 150, 301, 777, 1203, 1999]
    frame.loc[zeros, "glucose"] = 0
    frame.to_csv(tmp_path / "pima.csv", index=False)
    whole = datacheck.profile(tmp_path / "pima.csv", checks=[CHECK]).by_check(CHECK)
    streamed = datacheck.profile(tmp_path / "pima.csv", checks=[CHECK], stream=True).by_check(CHECK)
    assert [f.code for f in whole] == [f.code for f in streamed] == [f"{CHECK}.zero_markers"]
    (a,), (b,) = whole, streamed
    assert a.metrics == b.metrics and b.metrics["columns"]["glucose"]["n_zeros"] == 8
    assert b.severity.value == "warning" and "rows read" in b.message
    assert set(b.samples) <= {f"train[{r}]" for r in zeros} and b.n_samples == len(b.samples)
    frame.loc[zeros, "glucose"] = 100
    frame.to_csv(tmp_path / "pima.csv", index=False)
    assert not datacheck.profile(tmp_path / "pima.csv", checks=[CHECK], stream=True).findings
