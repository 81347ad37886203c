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


class _Advance:
    """An ``advance(n)`` that can be renamed, as the CLI's bars are."""

    def __init__(self, bars, description):
        self.bars, self.description = bars, description
        self.names: list[str] = []

    def __call__(self, n: int) -> None:
        self.bars[self.description][1] += n

    def describe(self, text: str) -> None:
        self.names.append(text)


def test_checks_bar_names_the_check_running_and_model_fits_advance(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    bars: dict[str, list] = {}
    advances: dict[str, _Advance] = {}

    def progress(description, total):
        bars[description] = [total, 0]
        advances[description] = _Advance(bars, description)
        return advances[description]

    checks = ["learnability", "label_noise", "class_balance"]
    report = datacheck.profile(train=(x_train, y_train), test=(x_test, y_test), checks=checks, progress=progress,
                               workers=1)
    title = f"running {len(report.checks)} checks"
    assert advances[title].names == [f"{title}: {c.id}" for c in report.checks]  # one at a time
    assert bars[title] == [len(report.checks), len(report.checks)]
    fits = [d for d in bars if d.startswith(("cross-validated models (", "model inputs of "))]
    perms = [d for d in bars if d.startswith("permutation test (")]
    assert len(fits) == 2 and len(perms) == 1  # computed once, shared by the two checks
    for d in fits + perms:
        total, done = bars[d]
        assert total > 1 and done == total, (d, bars[d])
    # the model checks beside class_balance: the bar names every check running
    advances.clear()
    bars.clear()
    datacheck.profile(train=(x_train, y_train), test=(x_test, y_test), checks=checks, progress=progress, workers=2)
    names = advances[title].names
    assert bars[title] == [3, 3] and {n for name in names for n in name[len(title) + 2:].split(", ")} == set(checks)


def test_cli_bar_renames_and_leaves_the_screen_when_done():
    from io import StringIO

    from rich.console import Console

    from datacheck.cli_output import progress_bars

    console = Console(file=StringIO(), force_terminal=True)
    with progress_bars(console, True) as progress:
        advance = progress("running 3 checks", 3)
        advance.describe("running 3 checks: learnability")
        bar = advance.progress
        assert bar.tasks[0].description == "running 3 checks: learnability"
        sub = progress("cross-validated models (5 folds)", 5)
        for _ in range(5):
            sub(1)
        assert [t.description for t in bar.tasks] == ["running 3 checks: learnability"]


def test_cli_bar_shows_it_is_alive_while_a_step_holds_the_count_still():
    from io import StringIO

    from rich.console import Console
    from rich.progress import SpinnerColumn, TimeElapsedColumn

    from datacheck.cli_output import progress_bars

    console = Console(file=StringIO(), force_terminal=True)
    with progress_bars(console, True) as progress:
        bar = progress("cross-validated models (2 folds)", 2).progress
        kinds = {type(c) for c in bar.columns}
        assert SpinnerColumn in kinds and TimeElapsedColumn in kinds
        task = bar.tasks[0]
        spinner = next(c for c in bar.columns if isinstance(c, SpinnerColumn))
        # the frame drawn depends on the clock, not on the count: it turns between advances
        frames = {spinner.spinner.render(t).plain for t in (0.0, 0.25, 0.5)}
        assert task.completed == 0 and len(frames) > 1


def test_regression_model_fits_advance_their_bars():
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(400, noise=0.5, random_state=0)
    y[:12] *= 30  # contradicted targets: the models are refit without them
    progress, bars = _recorder()
    datacheck.profile(train=(x, y), checks=["learnability", "label_noise"], task="regression", progress=progress)
    fits = [d for d in bars if d.startswith("cross-validated regression models (")]
    refits = [d for d in bars if d.startswith("regression models refit without ")]
    assert len(fits) == 1 and len(refits) == 1, sorted(bars)
    for d in fits + refits:
        total, done = bars[d]
        assert total > 1 and done == total, (d, bars[d])


def test_a_large_boosting_fit_shows_its_rounds(monkeypatch):
    from datacheck.models import estimators, oof, workers

    # boosting joins on a small table that needs it (XOR), and counts as large
    monkeypatch.setattr(oof, "HGB_FROM", 1000)
    monkeypatch.setattr(estimators, "HGB_FROM", 1000)
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 6000)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 6))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
    assert estimators.boosting_pays(x, y, np.arange(1500), np.arange(1500, 3000), 0)
    progress, bars = _recorder()
    datacheck.profile(train=(x, y), checks=["learnability"], progress=progress, workers=1)
    rounds = {d: bars[d] for d in bars if d.startswith("gradient boosting on ") and d.endswith(": rounds")}
    assert rounds and all(total == 100 and done == total for total, done in rounds.values()), bars


def test_a_large_boosting_fit_shows_its_predictions(monkeypatch):
    """A large model predicts slowly too: its held-out predictions have a bar over their blocks
    once its rounds are done, filled as each block is predicted."""
    from datacheck.models import estimators, oof, workers

    monkeypatch.setattr(oof, "HGB_FROM", 1000)
    monkeypatch.setattr(estimators, "HGB_FROM", 1000)
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 6000)
    monkeypatch.setattr(workers, "APPLY_MIN_ROWS", 100)
    monkeypatch.setattr(workers, "APPLY_BLOCK_BYTES", 8 * 6 * 100)  # blocks of 100 rows of 6 inputs
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 6))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
    order: list[str] = []
    progress, bars = _recorder()

    def watching(description: str, total: int):
        order.append(description)
        return progress(description, total)
    datacheck.profile(train=(x, y), checks=["learnability"], progress=watching, workers=1)
    predicting = [d for d in order if d.startswith("gradient boosting on ") and ": predictions of " in d]
    assert predicting, sorted(bars)
    for d in predicting:
        n_test = int(d.split("predictions of ")[1].split()[0].replace(",", ""))
        assert bars[d] == [-(-n_test // 100)] * 2, (d, bars[d])  # every block counted once
        # opened after the rounds of the same fit
        assert order.index(d) > order.index(d.split(": predictions of ")[0] + ": rounds")
