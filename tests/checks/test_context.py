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


@pytest.fixture
def small_context(sample_data):
    return _context(load(sample_data / "defect_nan.csv"))


def test_a_cached_value_is_computed_once_when_two_threads_ask_at_once(small_context):
    import threading
    import time

    calls, values = [], []

    def compute():
        calls.append(threading.current_thread().name)
        time.sleep(0.2)  # the second thread asks while the first computes
        return object()

    threads = [threading.Thread(target=lambda: values.append(small_context.cached("slow", compute)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(values) == 2 and values[0] is values[1]


def test_a_computation_that_raised_is_tried_again_by_the_next_caller(small_context):
    def fail():
        raise ValueError("first try")

    with pytest.raises(ValueError, match="first try"):
        small_context.cached("flaky", fail)
    assert small_context.cached("flaky", lambda: 7) == 7


def test_peek_waits_for_the_earlier_checks_and_refuses_inside_a_computation(small_context):
    import threading

    earlier_done = threading.Event()

    def earlier_check():
        small_context.cached("model", lambda: earlier_done.wait(5) and "fitted")

    def wait_earlier():
        worker.join()

    worker = threading.Thread(target=earlier_check)
    worker.start()
    with small_context.checking(wait_earlier):
        threading.Timer(0.1, earlier_done.set).start()
        assert small_context.peek("model") == "fitted"  # not None: the earlier check finished first
    assert small_context.peek("never computed") is None
    with pytest.raises(RuntimeError, match="inside a cached computation"):
        small_context.cached("outer", lambda: small_context.peek("model"))


def test_each_thread_collects_the_sample_columns_of_its_own_check(small_context):
    import threading

    split = small_context.train_name
    n = small_context.scan.splits[split].n
    small_context.sample_column(split, "mine", np.zeros(n))
    other = threading.Thread(target=lambda: small_context.sample_column(split, "theirs", np.ones(n)))
    other.start()
    other.join()
    taken = small_context.take_sample_columns()
    assert taken.names == ["mine"]
    assert small_context.take_sample_columns() is None
