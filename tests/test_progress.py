"""Long steps report their progress: a streamed load's pass, the checks, a streamed split read again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import datacheck


def _recorder():
    bars: dict[str, list] = {}

    def progress(description: str, total: int):
        bars[description] = [total, 0]

        def advance(n: int) -> None:
            bars[description][1] += n
        return advance
    return progress, bars


def test_every_check_advances_the_checks_bar(sample_data):
    progress, bars = _recorder()
    report = datacheck.profile(str(sample_data / "defect_nan.csv"), progress=progress)
    total, done = bars[f"running {len(report.checks)} checks"]
    assert total == done == len(report.checks)


def test_reading_a_streamed_train_split_again_has_a_bar(tmp_path, wine_frames, monkeypatch):
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", 60)  # train (133 rows) is sampled
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)
    train, test = wine_frames
    frame = pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)
    path = tmp_path / "wine.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=40)
    progress, bars = _recorder()
    datacheck.profile(str(path), stream=True, progress=progress)
    total, done = bars["searching train rows for near copies of test rows"]
    assert total == done == len(train)
    assert np.all([d <= t for t, d in bars.values()])


def test_a_streamed_load_has_a_bar_over_its_pass(tmp_path, wine_frames, monkeypatch):
    monkeypatch.setattr("datacheck.data.csv_stream.BLOCK_BYTES", 1 << 12)
    path = tmp_path / "wine.csv"
    wine_frames[0].to_csv(path, index=False)
    progress, bars = _recorder()
    datacheck.profile(str(path), stream=True, progress=progress)
    total, done = bars["reading wine.csv"]
    assert total == done == path.stat().st_size
    pq.write_table(pa.Table.from_pandas(wine_frames[0], preserve_index=False), tmp_path / "wine.parquet",
                   row_group_size=30)
    progress, bars = _recorder()
    datacheck.profile(str(tmp_path / "wine.parquet"), stream=True, progress=progress)
    assert bars["reading labels"] == [5, 5]  # 133 rows in row groups of 30
