"""CheckContext reads the data through the scan side alike for every layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datacheck.checks import CheckContext
from datacheck.data import from_objects, load
from datacheck.scan import scan


def _context(dataset) -> CheckContext:
    return CheckContext(dataset, scan(dataset, workers=1), {"seed": 0})


@pytest.fixture
def grouped_csv(tmp_path, monkeypatch):
    """A CSV of two splits with a group column, read in batches of 4 KiB when streamed."""
    monkeypatch.setattr("datacheck.data.csv_stream.BLOCK_BYTES", 1 << 12)
    rng = np.random.default_rng(0)
    n = 1500
    x = rng.normal(size=n)
    x[::97] = np.nan
    frame = pd.DataFrame({"x": x, "word": rng.choice(["red", "green", "blue"], n),
                          "patient": rng.integers(0, 40, n), "label": rng.integers(0, 3, n),
                          "split": np.where(np.arange(n) % 4 == 0, "test", "train")})
    path = tmp_path / "grouped.csv"
    frame.to_csv(path, index=False)
    return path


def test_rows_and_batches_are_the_same_in_memory_and_streamed(grouped_csv):
    whole, streamed = _context(load(grouped_csv)), _context(load(grouped_csv, stream=True))
    assert not whole.source("train").streamed and streamed.source("train").streamed
    for split in ("train", "test"):
        rows = whole.rows(split, ["x", "word"])
        assert rows.num_rows == whole.scan[split].n
        assert streamed.rows(split, ["x", "word"]).equals(rows)
        for ctx in (whole, streamed):
            batches = list(ctx.batches(split, ["x", "word"]))
            starts = np.cumsum([0] + [t.num_rows for _, t in batches[:-1]])
            assert [s for s, _ in batches] == starts.tolist()
            assert pa.concat_tables([t for _, t in batches]).equals(rows)
    assert len(list(streamed.batches("train", ["x"]))) > 1


def test_key_columns_held_in_memory_read_as_from_the_files(grouped_csv):
    held = load(grouped_csv, stream=True)
    held.set_key_columns({"group_col": "patient"})
    ctx = _context(held)
    for split in ("train", "test"):
        assert ctx.rows(split, ["patient"]).equals(_context(load(grouped_csv)).rows(split, ["patient"]))


def test_facts_and_sample_ids_are_the_dataset_s(sample_data):
    for path in ("clean_images", "clean_regression", "defect_layout.npz"):
        dataset = load(sample_data / path)
        ctx = _context(dataset)
        assert (ctx.modality, ctx.ordered, ctx.train_name, ctx.split_names, ctx.classes, ctx.task,
                ctx.malformed) == (dataset.modality, dataset.ordered, dataset.train.name,
                                   dataset.split_names(), dataset.classes, dataset.task,
                                   dataset.malformed)
        for split in dataset.splits:
            np.testing.assert_array_equal(ctx.target(split), dataset.target(split))
            rows = np.arange(min(5, ctx.scan[split].n))
            assert ctx.sample_ids(split, rows) == dataset.splits[split].sample_ids(rows)
    assert not _context(load(sample_data / "clean_images")).ordered


def test_an_array_split_counts_its_non_finite_values_and_has_no_rows():
    x = np.zeros((6, 2, 3), np.float32)
    x[1, 0, 0] = np.nan
    x[1, 1, 2] = np.nan
    x[4, 0, 1] = np.inf
    ctx = _context(from_objects({"train": (x, np.arange(6) % 2)}))
    nan, inf = ctx.source("train").non_finite_rows()
    assert nan.tolist() == [0, 2, 0, 0, 0, 0] and inf.tolist() == [0, 0, 0, 0, 1, 0]
    assert ctx.source("train").schema is None
    with pytest.raises(ValueError, match="not a table"):
        ctx.rows("train", ["x"])
