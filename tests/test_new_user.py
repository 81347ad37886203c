"""What a new user hit (issue 18): each fix with its test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from datacheck.cli import main


def invoke(*args):
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _printable_line(text: str) -> bool:
    return all(c.isprintable() or c in "\n\r" for c in text) and "\ufffd" not in text


# 1. A binary file named .csv --------------------------------------------------------------------

def _binary_csv(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    return path


def _binary_rows_csv(path: Path) -> Path:
    """A real table whose text is cut by binary bytes after 20,000 good rows (past the sniffed
    start), so the parser meets them in a malformed row."""
    rows = b"".join(b"%d,%d,%d\n" % (i, 2 * i, i % 2) for i in range(20000))
    junk = np.random.default_rng(1).integers(128, 256, 3000, dtype=np.uint8).tobytes()
    path.write_bytes(b"a,b,label\n" + rows + junk + b"\n1,2,0\n")
    return path


@pytest.mark.parametrize("make", [_binary_csv, _binary_rows_csv])
@pytest.mark.parametrize("stream", ["--no-stream", "--stream"])
def test_binary_csv_is_one_clean_line_in_process(tmp_path, make, stream):
    path = make(tmp_path / "g.csv")
    result = invoke("profile", path, "--no-html", "-q", stream)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and "UTF-8 text" in lines[0]
    assert _printable_line(result.stderr)


@pytest.mark.parametrize("make", [_binary_csv, _binary_rows_csv])
def test_binary_csv_subprocess_stderr_has_no_traceback_nor_raw_bytes(tmp_path, make):
    path = make(tmp_path / "g.csv")
    exe = Path(sys.executable).with_name("datacheck")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "datacheck"]
    done = subprocess.run(cmd + ["profile", str(path), "--no-html"], capture_output=True,
                          timeout=120, cwd=tmp_path)
    err = done.stderr.decode("utf-8")  # raw bytes would not decode, or show up below
    assert done.returncode == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert _printable_line(err)
    assert all(32 <= b < 127 or b in (9, 10, 13) for b in done.stderr), done.stderr
    assert len(err.strip().splitlines()) == 1 and str(path) in err


def test_latin1_table_names_the_file_without_control_bytes(tmp_path):
    """A table that is text but not UTF-8 is refused in words, its bytes escaped."""
    path = tmp_path / "latin.csv"
    path.write_bytes(b"name,label\n" + b"caf\xe9,1\n" * 50)
    result = invoke("profile", path, "--no-html", "-q")
    assert result.exit_code == 2 and str(path) in result.stderr
    assert _printable_line(result.stderr)


def test_utf8_text_cut_at_the_sniff_boundary_is_still_text(tmp_path):
    from datacheck.data.tables import SNIFF_BYTES, check_is_text

    path = tmp_path / "t.csv"
    head = b"name,label\n"
    body = ("é,1\n".encode() * (SNIFF_BYTES // 5 + 10))
    data = head + body
    # Move the sniff boundary into the middle of a two-byte character.
    k = data.index("é".encode(), SNIFF_BYTES - 8)
    data = data[: k] + b"x" * (SNIFF_BYTES - 1 - k) + data[k:]
    assert data[SNIFF_BYTES - 1: SNIFF_BYTES + 1] == "é".encode()
    path.write_bytes(data)
    check_is_text(path)  # no error


# 2. A saved pandas index is not a feature --------------------------------------------------------

def _wine_frame():
    import pandas as pd
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    return pd.DataFrame(X).assign(label=y).sample(frac=1, random_state=0)


def _feature_columns(dataset):
    out = {}
    for name, split in dataset.splits.items():
        out[name] = list(split.table.column_names if split.table is not None else split.stream.columns)
    return out


@pytest.mark.parametrize("stream", [False, True])
def test_parquet_pandas_index_is_left_out_with_a_note(tmp_path, stream):
    from datacheck.data import load

    df = _wine_frame()
    df.to_parquet(tmp_path / "w.parquet")
    dataset = load(tmp_path / "w.parquet", stream=stream)
    cols = _feature_columns(dataset)["train"]
    assert "__index_level_0__" not in cols and len(cols) == 13
    assert any("__index_level_0__" in n and "pandas index" in n for n in dataset.notes)


@pytest.mark.parametrize("stream", [False, True])
def test_csv_saved_index_columns_are_left_out_in_every_split(tmp_path, stream):
    import pandas as pd

    from datacheck.data import load

    df = _wine_frame()
    train, test = df.iloc[:140], df.iloc[140:]  # shuffled, so neither is 0..n-1 in order
    (tmp_path / "d").mkdir()
    train.to_csv(tmp_path / "d" / "train.csv")
    test.to_csv(tmp_path / "d" / "test.csv")
    dataset = load(tmp_path / "d", stream=stream)
    for cols in _feature_columns(dataset).values():
        assert "" not in cols and len(cols) == 13
    assert any("unnamed first column" in n for n in dataset.notes)
    # Read and saved again: the old index becomes "Unnamed: 0" beside a new one.
    pd.read_csv(tmp_path / "d" / "train.csv").to_csv(tmp_path / "t2.csv")
    cols = _feature_columns(load(tmp_path / "t2.csv", stream=stream))["train"]
    assert "Unnamed: 0" not in cols and "" not in cols and len(cols) == 13


@pytest.mark.parametrize("stream", [False, True])
def test_unnamed_column_that_is_not_row_numbers_stays_a_feature(tmp_path, stream):
    from datacheck.data import load

    df = _wine_frame().reset_index(drop=True)
    df.insert(0, "Unnamed: 0", np.arange(len(df)) % 7)  # repeats: data, not an index
    df.to_csv(tmp_path / "u.csv", index=False)
    dataset = load(tmp_path / "u.csv", stream=stream)
    assert "Unnamed: 0" in _feature_columns(dataset)["train"]
    assert not any("Left out" in n for n in dataset.notes)


def test_profile_json_lists_no_index_column(tmp_path):
    import json

    df = _wine_frame()
    df.to_parquet(tmp_path / "w.parquet")
    result = invoke("profile", tmp_path / "w.parquet", "--json", "-", "--no-html", "--fail-on", "never",
                    "--checks", "feature_scaling,input_integrity")
    report = json.loads(result.stdout)
    assert "__index_level_0__" not in {c["name"] for c in report["columns"]}
    assert "__index_level_0__" not in json.dumps(report["findings"])
    assert any("__index_level_0__" in n for n in report["dataset"]["notes"])


# 5. The HTML counts every label ------------------------------------------------------------------

def test_html_bars_note_counts_every_class(tmp_path):
    import pandas as pd

    from datacheck.api import profile
    from datacheck.report.html import render_html

    rng = np.random.default_rng(0)
    n_classes = 5000
    y = np.r_[np.repeat(np.arange(n_classes), 3), np.zeros(2000, dtype=int)]  # 5,000 rare classes
    train = pd.DataFrame({"a": rng.normal(size=y.size), "b": rng.normal(size=y.size), "label": y})
    report = profile(train=train, checks=["class_balance"])
    assert report.to_dict()["dataset"]["splits"]["train"]["n_classes"] == n_classes
    held = [ev for f in report.findings for ev in f.evidence if ev.kind == "bars"]
    assert held and len(held[0].data["labels"]) < n_classes  # the evidence holds only some
    html = render_html(report)
    assert f"of {n_classes:,} labels" in html
    assert "of 200 labels" not in html


def test_bars_note_without_a_total_counts_the_labels_held():
    from datacheck.report.plots import bars_svg

    labels = [f"c{i}" for i in range(100)]
    _, note = bars_svg({"labels": labels, "series": {"train": list(range(100))}})
    assert note.startswith("Showing 40 of 100 labels")
    _, note = bars_svg({"labels": labels, "series": {"train": list(range(100))}, "n_labels": 5000})
    assert note.startswith("Showing 40 of 5,000 labels") and "100 held" in note


# 3. A DataLoader's labels are counted over the whole split -----------------------------------------

def _digits_items(n_items: int = 5000, rare: int = 50):
    """scikit-learn digits as 1x8x8 float tensors: ``n_items`` items (classes 0-8 drawn again
    to reach it) of which class 9 has ``rare``, as in the user's report (50 of 5,000)."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    common = np.resize(np.flatnonzero(y != 9), n_items - rare)
    keep = np.sort(np.r_[common, np.flatnonzero(y == 9)[:rare]])
    x = torch.tensor(X[keep] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    return x, torch.tensor(y[keep])


def _dataset_with_targets():
    torch = pytest.importorskip("torch")
    from torch.utils.data import Dataset

    x, y = _digits_items()

    class Digits(Dataset):
        targets = y.tolist()

        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return x[i], int(y[i])

    return Digits()


def _few(report) -> list:
    return [f for f in report.to_dict()["findings"] if "fewer than" in f["message"]]


def test_loader_class_counts_cover_every_item():
    """A shuffled loader over 5,000 items whose class 9 has 50: the class count is 50, not the
    handful among the first 512 items the loader yields (what was read before)."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    from datacheck.api import profile
    from datacheck.data import torch_input

    ds = _dataset_with_targets()
    calls = []

    def progress(description, total):
        calls.append([description, total, 0])

        def advance(n):
            calls[-1][2] += n
        return advance

    torch.manual_seed(0)
    report = profile(train=DataLoader(ds, batch_size=64, shuffle=True), checks=["class_balance"],
                     progress=progress)
    d = report.to_dict()
    assert d["dataset"]["splits"]["train"]["n_samples"] == len(ds)
    assert not _few(report), _few(report)
    assert any("every one of the" in n for n in d["dataset"]["notes"])
    read = [c for c in calls if c[0].startswith("reading train")]
    assert read and read[0][1] == read[0][2] == len(ds)  # the bar ran to its end
    # The premise: the first 512 items alone hold too few of class 9 and say so of the split.
    torch.manual_seed(0)
    first = torch_input.torch_to_dataset({"train": DataLoader(ds, batch_size=64, shuffle=True)},
                                         n_samples=512)
    assert int(np.sum(np.asarray(first.classes)[first.splits["train"].y] == "9")) < 10


def test_planted_rare_class_is_still_found_when_every_item_is_read():
    """Control: a class that really has 5 items is reported, with its true count."""
    pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    from datacheck.api import profile

    x, y = _digits_items(rare=5)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    few = _few(profile(train=loader, checks=["class_balance"]))
    assert few and "9 (5)" in few[0]["message"]


def test_sample_past_the_memory_budget_says_so_and_keeps_every_class():
    pytest.importorskip("torch")
    from datacheck.data.torch_input import torch_to_dataset

    ds = _dataset_with_targets()
    item = 1 * 8 * 8 * 4
    data = torch_to_dataset({"train": ds}, max_bytes=400 * item)
    split = data.splits["train"]
    assert len(split) == 400
    assert set(np.asarray(data.classes)[split.y]) == {str(c) for c in range(10)}
    note = data.notes[0]
    assert f"400 of {len(ds):,} items" in note and "memory budget" in note
    assert "Every label" in note and "9 (50)" in note  # the rare class's true count


# 4. validate with a suite that does not fit the data --------------------------------------------

def _validate(path, suite, *extra):
    pytest.importorskip("great_expectations")
    return invoke("validate", path, "--suite", suite, "--no-html", "--json", "-", "--fail-on", "error", *extra)


def _shipped(name):
    return Path(__file__).resolve().parent.parent / "datacheck" / "expectations" / name


@pytest.mark.parametrize("data, suite, wanted", [
    ("clean_images", "tabular_classification.json", "is for a table, but"),
    ("clean_tabular", "image_classification.json", "is for image data, but"),
])
def test_suite_of_another_modality_is_one_line_exit_2(sample_data, data, suite, wanted):
    result = _validate(sample_data / data, _shipped(suite))
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and wanted in lines[0]
    assert suite in lines[0] and str(sample_data / data) in lines[0]
    assert "observed" not in result.stderr and not result.stdout


def test_plain_suite_naming_absent_columns_is_exit_2(sample_data, tmp_path):
    import json

    suite = {"name": "plain", "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 0}},
        {"type": "expect_column_to_exist", "kwargs": {"column": "income"}}]}
    (tmp_path / "s.json").write_text(json.dumps(suite))
    result = _validate(sample_data / "clean_tabular", tmp_path / "s.json")
    assert result.exit_code == 2
    assert "'age'" in result.stderr and "'income'" not in result.stderr  # existence reports itself


def test_absent_split_expectations_are_not_applicable(sample_data, tmp_path):
    import json
    import shutil

    pytest.importorskip("great_expectations")
    made = invoke("suite", sample_data / "clean_tabular", "-o", tmp_path / "s.json")
    assert made.exit_code == 0
    (tmp_path / "only").mkdir()
    shutil.copy(sample_data / "clean_tabular" / "train.csv", tmp_path / "only" / "train.csv")
    result = _validate(tmp_path / "only", tmp_path / "s.json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    skipped = [f for f in report["findings"] if f["code"] == "suite.not_applicable"]
    assert skipped and all(f["severity"] == "info" for f in skipped)
    assert any("no split 'test'" in f["message"] for f in skipped)
    assert not any("observed None" in f["message"] for f in report["findings"])
    assert report["summary"]["error"] == 0 and report["summary"]["warning"] == 0
    # Control: on the data it was written for, every expectation applies and is met.
    full = json.loads(_validate(sample_data / "clean_tabular", tmp_path / "s.json").stdout)
    assert not [f for f in full["findings"] if f["code"] == "suite.not_applicable"]


def test_order_expectations_do_not_apply_to_an_image_folder(sample_data, tmp_path):
    import json

    from datacheck.checks import REGISTRY

    pytest.importorskip("great_expectations")
    assert invoke("suite", sample_data / "clean_manifest", "-o", tmp_path / "s.json").exit_code == 0
    suite = json.loads((tmp_path / "s.json").read_text())
    ordered = [e for e in suite["expectations"]
               if "order" in getattr(REGISTRY.get(e["meta"].get("datacheck", {}).get("check")), "needs", ())]
    assert ordered
    on_folder = json.loads(_validate(sample_data / "clean_images", tmp_path / "s.json",
                                     "--fail-on", "never").stdout)
    skipped = [f for f in on_folder["findings"] if f["code"] == "suite.not_applicable"]
    assert len(skipped) == len(ordered) and all("row order" in f["message"] for f in skipped)
    assert not any(f["code"] == "suite.expect_column_single_label_batch_ratio_to_be_between"
                   for f in on_folder["findings"])
    # Control: on the manifest itself, order is real and the expectations run.
    on_manifest = json.loads(_validate(sample_data / "clean_manifest", tmp_path / "s.json").stdout)
    assert not [f for f in on_manifest["findings"] if f["code"] == "suite.not_applicable"]


def test_saved_index_is_left_out_alike_in_memory_streamed_and_on_dask(tmp_path):
    """Every engine reads the same features: the in-memory read, the local stream and Dask."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    import datacheck
    from tests.helpers import outcome_key

    df = _wine_frame()
    df = df.assign(split=np.where(np.arange(len(df)) % 4 == 0, "test", "train"))
    df.to_parquet(tmp_path / "w.parquet", row_group_size=40)
    local = datacheck.profile(str(tmp_path / "w.parquet"), stream=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        on_dask = datacheck.profile(str(tmp_path / "w.parquet"), engine="dask", scheduler=c.scheduler_address,
                                    stream=True, partitions=3)
    for report in (local, on_dask):
        names = {c["name"] for c in report.to_dict()["columns"]}
        assert "__index_level_0__" not in names and len(names) == 13
        assert any("__index_level_0__" in n for n in report.dataset.notes)
    assert outcome_key(on_dask) == outcome_key(local)


def test_terminal_bars_count_every_label():
    from datacheck.report.evidence.bars import terminal

    text = terminal({"labels": [f"c{i}" for i in range(200)], "series": {"train": list(range(200))},
                     "n_labels": 5000})
    assert text.splitlines()[-1] == "+ 4,994 more labels"
