"""Streamed Parquet: record batches, split columns, part files, row samples for the row checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import datacheck
from datacheck.cli import main
from datacheck.data import load
from datacheck.errors import InputError
from tests.helpers import loud, outcome_key


def _frame(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)


def _write(frame: pd.DataFrame, path, row_group: int = 40):
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group)
    return path


@pytest.fixture
def digits_frames(digits_split):
    xtr, xte, ytr, yte = digits_split
    cols = [f"p{j}" for j in range(xtr.shape[1])]
    return (pd.DataFrame(xtr, columns=cols).assign(label=ytr),
            pd.DataFrame(xte, columns=cols).assign(label=yte))


@pytest.fixture
def small_sample(monkeypatch):
    """Streamed splits keep a sample of ~400 rows (floor 5 a class) instead of 200,000."""
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 400)
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)


def test_streamed_split_column_matches_in_memory_load(tmp_path, wine_frames):
    path = _write(_frame(*wine_frames), tmp_path / "wine.parquet", row_group=25)
    mem, streamed = load(path, stream=False), load(path, stream=True)
    assert list(streamed.splits) == list(mem.splits) == ["train", "test"]
    assert streamed.classes == mem.classes
    for name, split in streamed.splits.items():
        assert split.stream is not None and split.table is None
        assert np.array_equal(split.y, mem.splits[name].y)
        assert split.schema.names == mem.splits[name].table.column_names
        # every row group of the file holds rows of both splits: pieces cover each split once
        pieces = split.stream.pieces(3)
        assert sum(n for _, n, _ in pieces) == len(split) and pieces[0][0] == 0
        assert split.stream.take(np.array([0, 5, len(split) - 1])).to_pandas().equals(
            mem.splits[name].table.take([0, 5, len(split) - 1]).to_pandas())


@pytest.mark.parametrize("partitions", [None, 1, 2, 7])
def test_streamed_profile_equals_in_memory_profile(tmp_path, wine_frames, partitions):
    train, test = wine_frames
    test = test.copy()
    test.iloc[:4, :13] = train.iloc[:4, :13].to_numpy()  # planted leak
    test.iloc[5, 2] = np.nan
    path = _write(_frame(train, test), tmp_path / "wine.parquet", row_group=30)
    mem = datacheck.profile(str(path), stream=False)
    streamed = datacheck.profile(str(path), stream=True, partitions=partitions)
    assert outcome_key(streamed) == outcome_key(mem)
    assert any("streamed from Parquet" in note for note in streamed.dataset.notes)
    assert {f.code for f in loud(streamed)} >= {"split_leakage.exact_duplicate", "input_integrity.nan"}


def test_folder_of_part_files_is_one_table(tmp_path, wine_frames):
    frame = _frame(*wine_frames)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        _write(frame.iloc[part], folder / f"part-{k:03d}.parquet")
    for stream in (False, True):
        ds = load(folder, stream=stream)
        assert {n: len(s) for n, s in ds.splits.items()} == {"train": len(wine_frames[0]), "test": len(wine_frames[1])}
    assert outcome_key(datacheck.profile(str(folder), stream=True)) == outcome_key(datacheck.profile(str(folder)))


def test_large_parquet_is_streamed_automatically(tmp_path, wine_frames, monkeypatch):
    path = _write(_frame(*wine_frames), tmp_path / "wine.parquet")
    assert load(path).splits["train"].stream is None
    monkeypatch.setattr("datacheck.data.layouts.STREAM_BYTES", 0)
    assert load(path).splits["train"].stream is not None


def test_stream_asked_of_an_image_manifest_says_it_was_read_whole(sample_data):
    ds = load(sample_data / "clean_manifest", stream=True)
    assert all(split.stream is None for split in ds.splits.values())
    assert any("not to image manifests" in note for note in ds.notes)


def test_separate_split_files_stream(tmp_path, wine_frames):
    train, test = wine_frames
    _write(train, tmp_path / "train.parquet")
    _write(test, tmp_path / "test.parquet")
    ds = load(tmp_path, stream=True)
    assert {n: len(s) for n, s in ds.splits.items()} == {"train": len(train), "test": len(test)}
    report = datacheck.profile(str(tmp_path), stream=True)
    assert not loud(report), [f.message for f in loud(report)]


def test_sampled_splits_still_see_every_row_for_copies_and_missing_values(tmp_path, digits_frames, small_sample):
    train, test = (f.copy() for f in digits_frames)
    test.iloc[10:30, :64] = train.iloc[100:120, :64].to_numpy()
    test.iloc[200, 7] = np.nan
    path = _write(_frame(train, test), tmp_path / "digits.parquet", row_group=100)
    report = datacheck.profile(str(path), stream=True, partitions=3)
    assert all(c.status.value != "errored" for c in report.checks), [c for c in report.checks if c.reason]
    leak = next(f for f in report.findings if f.code == "split_leakage.exact_duplicate")
    assert leak.metrics["n_leaked"] == 20 and leak.severity.value == "error"
    assert {f"test[{i}]" for i in range(10, 30)} <= set(leak.samples)
    nan = next(f for f in report.findings if f.code == "input_integrity.nan")
    assert list(nan.samples) == ["test[200]"]
    noise = next(o for o in report.checks if o.id == "label_noise")
    assert noise.status.value == "passed"


def test_sampled_clean_dataset_stays_quiet(tmp_path, digits_frames, small_sample):
    path = _write(_frame(*digits_frames), tmp_path / "digits.parquet", row_group=100)
    dataset = load(path, stream=True)
    from datacheck.scan import scan

    result = scan(dataset, partitions=2)
    assert result["train"].sampled and 350 <= result["train"].n_column_rows <= 450
    assert result["train"].feature_stats.n == len(dataset.splits["train"])  # statistics see every row
    report = datacheck.profile(str(path), stream=True)
    assert not loud(report), [f.message for f in loud(report)]
    assert any(note.startswith("train: the checks that compare rows see a stratified sample of")
               for note in report.dataset.notes)
    score = next(f for f in report.findings if f.code == "learnability.score")
    n = len(dataset.splits["train"]) + len(dataset.splits["test"])
    assert f"of the {n:,} labelled samples was modelled (drawn from the stratified row sample of " \
           "streamed train, test)" in score.message


def test_group_column_of_a_streamed_split(tmp_path, wine_frames):
    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)) // 2)
    test = test.assign(patient=10_000 + np.arange(len(test)))
    test.loc[test.index[:3], "patient"] = [0, 1, 2]
    path = _write(_frame(train, test), tmp_path / "wine.parquet")
    report = datacheck.profile(str(path), stream=True, group_col="patient")
    shared = next(f for f in report.findings if f.code == "split_leakage.shared_group")
    assert shared.metrics["n_groups"] == 3
    with pytest.raises(InputError, match="no column 'visit'"):
        datacheck.profile(str(path), stream=True, group_col="visit")


def test_damaged_parquet_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 this is not a parquet file")
    result = CliRunner().invoke(main, ["profile", str(bad), "--stream", "--no-html"])
    assert result.exit_code == 2
    assert "broken.parquet" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_smoke_run_reads_only_its_rows_of_a_streamed_split(tmp_path, wine_frames):
    pytest.importorskip("torch")
    from datacheck.smoke import smoke_dataset

    path = _write(_frame(*wine_frames), tmp_path / "wine.parquet")
    outcomes, _ = smoke_dataset(load(path, stream=True), steps=10, device="cpu", max_samples=64)
    assert outcomes and all(o.status.value != "errored" for o in outcomes), outcomes


def test_streamed_splits_keep_their_own_columns(tmp_path, wine_frames):
    train, test = wine_frames
    _write(train, tmp_path / "train.parquet")
    _write(test.drop(columns=["proline"]), tmp_path / "test.parquet")
    report = datacheck.profile(str(tmp_path), stream=True)
    columns = next(f for f in report.findings if f.code == "split_consistency.columns")
    assert columns.severity.value == "error" and columns.metrics["missing"] == ["proline"]


def test_part_files_with_different_columns_are_bad_input(tmp_path, wine_frames):
    frame = _frame(*wine_frames)
    _write(frame.iloc[:100], tmp_path / "part-0.parquet")
    _write(frame.iloc[100:].drop(columns=["ash"]), tmp_path / "part-1.parquet")
    with pytest.raises(InputError, match="part-1.parquet: its columns differ"):
        load(tmp_path, stream=True)


@pytest.mark.parametrize("sampled", [False, True])
def test_streamed_categorical_columns(tmp_path, wine_frames, sampled, monkeypatch):
    if sampled:
        monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 60)
        monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)
    train, test = wine_frames
    colour = lambda f: np.where(np.arange(len(f)) % 3 == 0, "red", "white")  # noqa: E731
    train, test = train.assign(colour=colour(train)), test.assign(colour=colour(test))
    test.iloc[:3] = train.iloc[:3].to_numpy()  # planted copies, colour included
    path = _write(_frame(train, test), tmp_path / "wine.parquet", row_group=30)
    streamed = datacheck.profile(str(path), stream=True, partitions=3)
    assert all(c.status.value != "errored" for c in streamed.checks), [c.reason for c in streamed.checks]
    leak = next(f for f in streamed.findings if f.code == "split_leakage.exact_duplicate")
    assert leak.metrics["n_leaked"] == 3
    if not sampled:
        assert outcome_key(streamed) == outcome_key(datacheck.profile(str(path)))


def test_near_copies_of_a_streamed_train_split_are_searched_among_all_its_rows(tmp_path, digits_frames,
                                                                             monkeypatch):
    rng = np.random.default_rng(3)
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 500)  # train (1,347) is sampled, test not
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)
    train, test = (f.copy() for f in digits_frames)
    src = rng.choice(len(train), 20, replace=False)
    test.iloc[:20, :64] = train.iloc[src, :64].to_numpy() + rng.normal(0, 1e-3, (20, 64))
    path = _write(_frame(train, test), tmp_path / "digits.parquet", row_group=200)
    report = datacheck.profile(str(path), stream=True)
    near = next(f for f in report.findings if f.code == "split_leakage.near_duplicate")
    assert near.metrics["n_leaked"] == 20 and near.severity.value == "error"
    pairs = dict(near.evidence[0].data["pairs"])
    assert all(pairs[f"test[{i}]"] == f"train[{j}]" for i, j in enumerate(src) if f"test[{i}]" in pairs)


def test_near_copies_in_a_sampled_evaluation_split_are_all_found(tmp_path, digits_frames, monkeypatch):
    rng = np.random.default_rng(5)
    # Both splits are sampled (train 1,347 rows, test 450); test is searched in chunks of 100.
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 200)
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)
    monkeypatch.setattr("datacheck.checks._leakage.columns._CHUNK_ROWS_MIN", 100)
    monkeypatch.setattr("datacheck.checks._leakage.columns._CHUNK_BYTES", 0)
    train, test = (f.copy() for f in digits_frames)
    dst = np.sort(rng.choice(len(test), 30, replace=False))
    src = rng.choice(len(train), 30, replace=False)
    test.iloc[dst, :64] = train.iloc[src, :64].to_numpy() + rng.normal(0, 1e-3, (30, 64))
    path = _write(_frame(train, test), tmp_path / "digits.parquet", row_group=100)
    report = datacheck.profile(str(path), stream=True)
    near = next(f for f in report.findings if f.code == "split_leakage.near_duplicate")
    assert near.metrics["n_leaked"] == 30 and near.severity.value == "error"
    assert "30 test rows (6.7%)" in near.message  # every row of both splits was searched
    pairs = dict(near.evidence[0].data["pairs"])
    assert all(pairs[f"test[{i}]"] == f"train[{j}]" for i, j in zip(dst, src) if f"test[{i}]" in pairs)


def test_a_file_changed_under_the_scan_is_bad_input(tmp_path, wine_frames):
    path = _write(_frame(*wine_frames), tmp_path / "wine.parquet")
    dataset = load(path, stream=True)
    _write(_frame(*wine_frames).iloc[:50], path)  # rewritten between loading and scanning
    from datacheck.scan import scan

    with pytest.raises(InputError, match="changed or removed during the scan"):
        scan(dataset)


def test_streamed_regression_target_keeps_a_bounded_sample_over_its_whole_range(tmp_path, small_sample):
    from datacheck.scan import scan

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 4))
    frame = pd.DataFrame(x, columns=list("abcd")).assign(target=x[:, 0] * 10 + rng.normal(size=3000))
    streamed = load(_write(frame, tmp_path / "reg.parquet", row_group=500), stream=True)
    assert streamed.task == "regression"
    kept = scan(streamed, workers=1)["train"].column_rows
    # stratified by target quantiles: ~400 rows (not one floor per distinct value, i.e. all 3,000)
    assert kept is not None and 300 <= len(kept) <= 500
    target = streamed.target("train")[kept]
    assert np.quantile(target, 0.02) < np.quantile(frame.target, 0.05)
    assert np.quantile(target, 0.98) > np.quantile(frame.target, 0.95)


def test_nested_columns_are_hashed_and_overviewed(tmp_path, rng):
    """List and struct columns have no vectorized hash or value counts: their values' text
    stands in, so the profile runs every check and the overview lists them."""
    n = 300
    x = rng.normal(size=(n, 2))
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1],
                             "tags": pa.array([[i % 3] * (i % 4) for i in range(n)]),
                             "meta": pa.array([{"k": i % 5} for i in range(n)]),
                             "label": (x[:, 0] > 0).astype(int)}), tmp_path / "nested.parquet")
    report = datacheck.profile(tmp_path / "nested.parquet")
    assert not [o for o in report.checks if o.status.value == "errored"]
    columns = {c["name"]: c for c in report.columns}
    assert {"tags", "meta"} <= set(columns)
    assert columns["tags"]["splits"]["train"]["distinct"] == 10  # [] and 3 values x 3 lengths
    assert any("types the models cannot read (lists, structs) left out: tags, meta" in f.message
               for f in report.findings)
