"""Streamed CSV/TSV: one pass settles the types, the scan reads record batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

import datacheck
from datacheck.cli import main
from datacheck.data import load
from datacheck.data.tables import csv_convert
from datacheck.errors import InputError
from tests.helpers import loud, outcome_key


@pytest.fixture
def small_blocks(monkeypatch):
    """Record batches of 4 KiB of text, so that small files span many of them."""
    monkeypatch.setattr("datacheck.data.csv_stream.BLOCK_BYTES", 1 << 12)


@pytest.mark.parametrize("name", ["defect_nan.csv", "defect_duplicates.csv", "defect_sorted_labels.csv",
                                  "clean_tabular"])
def test_streamed_csv_profile_equals_in_memory_profile(sample_data, small_blocks, name):
    path = sample_data / name
    streamed = datacheck.profile(str(path), stream=True)
    assert outcome_key(streamed) == outcome_key(datacheck.profile(str(path), stream=False))
    assert any("streamed from CSV" in note for note in streamed.dataset.notes)
    assert all(split.stream is not None for split in load(path, stream=True).splits.values())


def test_column_types_settle_as_a_whole_file_read_would(tmp_path, small_blocks):
    n = 3000
    frame = pd.DataFrame({
        "count": np.arange(n).astype(str),             # integers, then one 1.5 near the end
        "note": [""] * n,                              # empty, then text
        "late": [""] * n,                              # empty, then integers
        "flag": np.where(np.arange(n) % 2, "true", "false").astype(object),  # booleans, then text
        "x": np.random.default_rng(0).normal(size=n),
        "label": np.arange(n) % 3,
    })
    frame.loc[n - 5, "count"] = "1.5"
    frame.loc[n - 4, "note"] = "checked"
    frame.loc[n - 300:, "late"] = "7"
    frame.loc[n - 2, "flag"] = "maybe"
    path = tmp_path / "typed.csv"
    frame.to_csv(path, index=False)
    whole = pacsv.read_csv(path, convert_options=csv_convert())  # as a whole-file read here makes them
    first_block = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 12)).schema
    assert [str(first_block.field(c).type) for c in ("count", "note", "late", "flag")] == \
        ["int64", "null", "null", "bool"]  # what the first batch alone would make of them
    split = load(path, stream=True).splits["train"]
    assert split.schema == whole.drop_columns(["label"]).schema
    assert split.stream.read_columns(list(split.schema.names)).equals(whole.drop_columns(["label"]))
    assert outcome_key(datacheck.profile(str(path), stream=True)) == outcome_key(datacheck.profile(str(path)))


def test_tsv_with_a_split_column_streams(tmp_path, wine_frames, small_blocks):
    train, test = wine_frames
    frame = pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=0)  # the splits interleave in every batch
    path = tmp_path / "wine.tsv"
    frame.to_csv(path, sep="\t", index=False)
    ds = load(path, stream=True)
    assert {n: len(s) for n, s in ds.splits.items()} == {"train": len(train), "test": len(test)}
    report = datacheck.profile(str(path), stream=True, partitions=3)
    assert outcome_key(report) == outcome_key(datacheck.profile(str(path)))


def test_leak_and_missing_value_in_a_streamed_csv_are_found(tmp_path, wine_frames, small_blocks):
    train, test = (f.copy() for f in wine_frames)
    test.iloc[:4, :13] = train.iloc[:4, :13].to_numpy()
    test.iloc[5, 2] = np.nan
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    report = datacheck.profile(str(tmp_path), stream=True)
    assert {f.code for f in loud(report)} >= {"split_leakage.exact_duplicate", "input_integrity.nan"}
    assert outcome_key(report) == outcome_key(datacheck.profile(str(tmp_path)))


def test_large_or_memory_heavy_csv_streams_automatically(sample_data, monkeypatch):
    path = sample_data / "defect_nan.csv"
    assert load(path).splits["train"].stream is None
    monkeypatch.setattr("datacheck.data.tables.available_memory", lambda: 1000)
    assert load(path).splits["train"].stream is not None
    with pytest.raises(InputError, match="more than fits in the .* streams such a table unless --no-stream"):
        load(path, stream=False)
    monkeypatch.undo()
    monkeypatch.setattr("datacheck.data.layouts.STREAM_BYTES", 0)
    assert load(path).splits["train"].stream is not None


@pytest.mark.parametrize("text", ["", "a,b,label\n"], ids=["empty", "header only"])
def test_a_streamed_csv_without_rows_is_one_line_exit_2(tmp_path, text):
    (tmp_path / "bare.csv").write_text(text)
    result = CliRunner().invoke(main, ["profile", str(tmp_path / "bare.csv"), "--stream", "--no-html"])
    assert result.exit_code == 2
    assert "bare.csv" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_csv_changed_under_the_scan_is_bad_input(tmp_path, wine_frames):
    path = tmp_path / "wine.csv"
    wine_frames[0].to_csv(path, index=False)
    dataset = load(path, stream=True)
    wine_frames[0].iloc[:50].to_csv(path, index=False)  # rewritten between loading and scanning
    from datacheck.scan import scan

    with pytest.raises(InputError, match="changed during the scan"):
        scan(dataset)


def test_split_names_of_single_split_files_are_kept(tmp_path, wine_frames):
    wine_frames[1].to_csv(tmp_path / "test.csv", index=False)
    assert list(load(tmp_path, stream=True).splits) == list(load(tmp_path, stream=False).splits) == ["test"]


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_rows_are_left_out_and_reported(tmp_path, wine_frames, small_blocks, stream):
    path = tmp_path / "wine.csv"
    wine_frames[0].to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[40] += ",1.5"  # one field too many
    lines[90] = lines[90].split(",", 1)[1]  # one too few
    path.write_text("\n".join(lines) + "\n")
    report = datacheck.profile(str(path), stream=stream)
    bad = next(f for f in report.findings if f.code == "input_integrity.malformed_rows")
    assert bad.severity.value == "error" and bad.metrics["n_malformed"] == 2
    assert "2 rows of wine.csv have the wrong number of fields" in bad.message
    assert report.dataset.splits["train"]["n_samples"] == len(wine_frames[0]) - 2  # the rest is checked
    assert all(c.status.value != "errored" for c in report.checks)
    result = CliRunner().invoke(main, ["profile", str(path), "--no-html"] + (["--stream"] if stream else []))
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_group_column_of_a_streamed_csv(tmp_path, wine_frames):
    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)) // 2)
    test = test.assign(patient=10_000 + np.arange(len(test)))
    test.loc[test.index[:3], "patient"] = [0, 1, 2]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    report = datacheck.profile(str(tmp_path), stream=True, group_col="patient")
    shared = next(f for f in report.findings if f.code == "split_leakage.shared_group")
    assert shared.metrics["n_groups"] == 3
    assert outcome_key(report) == outcome_key(datacheck.profile(str(tmp_path), group_col="patient"))


def test_smoke_run_on_a_streamed_csv(tmp_path, wine_frames):
    pytest.importorskip("torch")
    from datacheck.smoke import smoke_dataset

    wine_frames[0].to_csv(tmp_path / "wine.csv", index=False)
    outcomes, _ = smoke_dataset(load(tmp_path / "wine.csv", stream=True), steps=10, device="cpu", max_samples=64)
    assert outcomes and all(o.status.value != "errored" for o in outcomes), outcomes


@pytest.mark.parametrize("stream", [False, True], ids=["read whole", "streamed"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_column_named_twice_is_one_line_exit_2(tmp_path, stream, suffix):
    """Which of two same-named columns a pipeline reads depends on its reader: refused, not
    guessed (reading one of them used to call the labels unrelated to the inputs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"twice{suffix}"
    x = np.arange(60.0)
    if suffix == ".csv":
        path.write_text("a,a,label\n" + "".join(f"{v},{-v},{int(v) % 2}\n" for v in x))
    else:
        pq.write_table(pa.Table.from_arrays([pa.array(x), pa.array(-x), pa.array(np.arange(60) % 2)],
                                            names=["a", "a", "label"]), path)
    args = ["profile", str(path), "--no-html"] + (["--stream"] if stream else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"datacheck: error: {path}: the table names the column 'a' 2 times; give every column its own name"]


@pytest.mark.parametrize("stream", [False, True], ids=["read whole", "streamed"])
@pytest.mark.parametrize("separator", [";", "|", "\t"])
def test_a_csv_separated_otherwise_is_read_by_its_header(tmp_path, wine_frames, stream, separator):
    """A .csv whose header holds no comma but semicolons (where the comma is the decimal mark),
    bars or tabs is split on those: the same profile as the comma-separated file."""
    train, _ = wine_frames
    train.to_csv(tmp_path / "comma.csv", index=False)
    train.to_csv(tmp_path / "other.csv", index=False, sep=separator)
    comma = datacheck.profile(tmp_path / "comma.csv", stream=stream)
    other = datacheck.profile(tmp_path / "other.csv", stream=stream)
    assert [c["name"] for c in other.columns] == [c["name"] for c in comma.columns] == list(train.columns[:-1])
    assert outcome_key(other) == outcome_key(comma)
