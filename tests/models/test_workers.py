"""Boosting fits in a worker process: the same predictions as here, whoever fits what."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.models import workers


def _boosting():
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=30, random_state=0)


def _ridge():
    from sklearn.linear_model import Ridge

    return Ridge(alpha=1.0)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 5)).astype(np.float32)
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + rng.normal(size=3000) * 0.1
    folds = [(np.arange(1500, 3000), np.arange(0, 1500)), (np.arange(0, 1500), np.arange(1500, 3000))]
    return x, y, folds


def _jobs(folds, boosting=_boosting):
    return [(name, make, train, test) for train, test in folds
            for name, make in (("ridge regression", _ridge), ("gradient boosting", boosting))]


def _here(jobs, x, y):
    return [make().fit(x[train], y[train]).predict(x[test]) for _, make, train, test in jobs]


def test_fits_here_without_the_worker(data, monkeypatch):
    x, y, folds = data
    monkeypatch.setattr(workers, "start", lambda: pytest.fail("no worker where fits may not run beside"))
    done = []
    out = workers.fit_all(_jobs(folds), x, y, "predict", beside=False, advance=done.append)
    assert [classes for classes, _ in out] == [None] * 4 and len(done) == 4
    for (_, got), want in zip(out, _here(_jobs(folds), x, y)):
        np.testing.assert_array_equal(got, want)


def test_the_worker_fits_the_last_boosting_job_with_the_same_predictions(data, monkeypatch):
    x, y, folds = data
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    ready = workers.start()
    assert ready is not None and ready.result(timeout=120) is None
    # the first job waits until the feeder has taken the last one: the order is certain
    claimed = threading.Event()

    def first():
        assert claimed.wait(60), "the feeder never took the last boosting job"
        return _ridge()

    def last():
        claimed.set()
        return _boosting()

    jobs = _jobs(folds)
    jobs[0] = (jobs[0][0], first) + jobs[0][2:]
    jobs[3] = (jobs[3][0], last) + jobs[3][2:]
    here = []
    fit_here = workers._fit_apply_here
    monkeypatch.setattr(workers, "_fit_apply_here", lambda model, *a: here.append(type(model).__name__) or
                        fit_here(model, *a))
    out = workers.fit_all(jobs, x, y, "predict", beside=True)
    assert here == ["Ridge", "HistGradientBoostingRegressor", "Ridge"]  # the fourth was the worker's
    for (_, got), want in zip(out, _here(_jobs(folds), x, y)):
        np.testing.assert_array_equal(got, want)


def test_a_fit_the_worker_cannot_take_is_fitted_here(data, monkeypatch):
    x, y, folds = data
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    workers.start().result(timeout=120)
    lock = threading.Lock()

    def unpicklable():
        model = _boosting()
        model.lock = lock  # a lock cannot be sent to another process
        return model

    out = workers.fit_all(_jobs(folds, unpicklable), x, y, "predict", beside=True)
    for (_, got), want in zip(out, _here(_jobs(folds), x, y)):
        np.testing.assert_array_equal(got, want)


def test_classifier_outputs_come_with_their_classes(data, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y, folds = data
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    workers.start().result(timeout=120)
    jobs = [("gradient boosting", lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), train, test)
            for train, test in folds]
    out = workers.fit_all(jobs, x, labels, "predict_proba", beside=True)
    for (classes, got), (_, make, train, test) in zip(out, jobs):
        model = make().fit(x[train], labels[train])
        np.testing.assert_array_equal(classes, model.classes_)
        np.testing.assert_array_equal(got, model.predict_proba(x[test]))


def test_fitted_models_come_back_from_here_and_from_the_worker(data, monkeypatch):
    """``models=`` keeps every job's fitted model, the worker's included: each applied to its
    own test rows gives the output ``fit_all`` returned."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    x, y, folds = data
    labels = (y > np.median(y)).astype(int)
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    workers.start().result(timeout=120)
    jobs = [job for train, test in folds for job in (
        ("logistic regression", LogisticRegression, train, test),
        ("gradient boosting", lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), train, test))]
    models: list = []
    out = workers.fit_all(jobs, x, labels, "predict_proba", beside=True, models=models)
    assert len(models) == len(jobs)
    for (_, got), model, (_, _, _, test) in zip(out, models, jobs):
        np.testing.assert_array_equal(model.predict_proba(x[test]), got)


@pytest.mark.parametrize("classes, sent", [(10, True), (2, False)])
def test_a_fit_counts_its_trees_per_round(data, monkeypatch, classes, sent):
    """1,500 training samples of 5 columns and ten classes grow ten trees a round: 75,000
    cells, worth the worker at 50,000; of two classes, one tree a round: 7,500, fitted here."""
    x, y, folds = data
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 50_000)
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, classes + 1)[1:-1]))
    asked = []
    monkeypatch.setattr(workers, "start", lambda: asked.append(1))
    from sklearn.linear_model import LogisticRegression

    jobs = [("gradient boosting", LogisticRegression, train, test) for train, test in folds]
    assert workers.trees_per_round(labels, "predict_proba") == (classes if classes > 2 else 1)
    assert workers.trees_per_round(y, "predict") == 1
    workers.fit_all(jobs, x, labels, "predict_proba", beside=True)
    assert bool(asked) == sent


def test_a_regression_profile_finds_the_same_with_the_worker(sample_data, monkeypatch):
    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: 2)
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 500)
    path = sample_data / "clean_regression"
    sent = []
    start = workers.start
    monkeypatch.setattr(workers, "start", lambda: sent.append(1) or start())
    alone = datacheck.profile(path, workers=1)  # one CPU: no worker
    assert not sent
    beside = datacheck.profile(path, workers=2)
    assert sent, "the regression models asked for the worker"
    assert [f.to_dict() for f in beside.findings] == [f.to_dict() for f in alone.findings]
    assert beside.samples.equals(alone.samples)
    assert isinstance(beside.samples, pd.DataFrame)


def test_a_fit_here_that_raises_stops_the_worker_taking_more(data, monkeypatch):
    x, y, folds = data
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    workers.start().result(timeout=120)

    def broken():
        raise ValueError("a model that cannot be made")

    folds = folds * 2  # four folds: boosting jobs 1, 3, 5 and 7
    jobs = _jobs(folds)
    jobs[0] = (jobs[0][0], broken) + jobs[0][2:]
    sent = []
    submit = workers._executor.submit
    monkeypatch.setattr(workers._executor, "submit", lambda fn, *a: sent.append(fn) or submit(fn, *a))
    with pytest.raises(ValueError, match="cannot be made"):
        workers.fit_all(jobs, x, y, "predict", beside=True)
    time.sleep(1.0)  # a feeder left running would go on sending the other three
    assert len(sent) <= 1


def test_what_breaks_the_early_start_is_left_to_the_checks(sample_data, monkeypatch):
    def broken(options):
        raise RuntimeError("options that cannot be read")

    monkeypatch.setattr("datacheck.models.regression.model_threads", broken)
    report = datacheck.profile(sample_data / "clean_regression")  # no crash before the checks
    assert report.checks


@pytest.mark.parametrize("rows, columns, task, cpus, started", [
    (20_000, 20, "regression", 2, True),
    (20_000, 20, "regression", 1, False),  # no CPU to spare
    (20_000, 20, "classification", 2, False),  # boosting only where the probe says it pays
    (20_000, 200, "regression", 2, True),  # a wide table's fits run in one thread too
    (5_000, 200, "regression", 2, True),  # few rows, but wide: 4,000 x 200 cells a fold
    (20_000, 10, "regression", 2, False),  # folds below OFFLOAD_CELLS (16,000 x 10)
])
def test_the_early_start_guesses_from_the_loaded_table(monkeypatch, rows, columns, task, cpus, started):
    from datacheck.data import from_objects
    from datacheck.models.regression import start_worker_early

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, columns)), columns=[f"f{i}" for i in range(columns)])
    frame["target"] = rng.normal(size=rows) if task == "regression" else rng.integers(0, 3, rows)
    dataset = from_objects({"train": frame})
    assert dataset.task == task
    asked = []
    monkeypatch.setattr(workers, "start", lambda: asked.append(1))
    monkeypatch.setattr("datacheck.models.oof.available_cpus", lambda: cpus)
    start_worker_early(dataset, {})
    assert bool(asked) == started


def test_without_a_worker_process_every_fit_runs_here(data, monkeypatch):
    import joblib.externals.loky

    x, y, folds = data

    def no_processes(*args, **kwargs):
        raise OSError("no /dev/shm here")

    monkeypatch.setattr(workers, "_executor", None)  # a process that has not started one yet
    monkeypatch.setattr(workers, "_ready", None)
    monkeypatch.setattr(joblib.externals.loky, "ProcessPoolExecutor", no_processes)
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    assert workers.start() is None and workers._executor is False
    out = workers.fit_all(_jobs(folds), x, y, "predict", beside=True)
    for (_, got), want in zip(out, _here(_jobs(folds), x, y)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("output", ["predict", "predict_proba"])
def test_a_model_applied_in_blocks_gives_its_output_on_all_rows(output, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2500, 4))
    y = (x[:, 0] + x[:, 1] ** 2 > 1).astype(int) + (x[:, 2] > 1)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(x, y)
    # 4 columns of float64: blocks of 1,000 rows, the last one short
    monkeypatch.setattr(workers, "APPLY_BLOCK_BYTES", 32_000)
    monkeypatch.setattr(workers, "APPLY_MIN_ROWS", 10)
    calls = []

    def method(rows):
        calls.append(len(rows))
        return getattr(model, output)(rows)

    got = workers.apply_in_blocks(method, x)
    assert calls == [1000, 1000, 500]
    np.testing.assert_array_equal(got, getattr(model, output)(x))


def _early_stopping(max_iter=40):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=max_iter, early_stopping=True, n_iter_no_change=3,
                                         random_state=0)


def test_a_watched_fit_advances_once_a_round_and_fits_as_ever(data):
    import pickle

    x, y, _ = data
    steps = []
    watched = _early_stopping()
    with workers.watched_rounds(watched, steps.append):
        watched.fit(x, y)
    plain = _early_stopping().fit(x, y)
    assert np.array_equal(watched.predict(x), plain.predict(x))
    assert sum(steps) == 40 and steps.count(1) >= watched.n_iter_  # a round a step, the rest at the end
    assert "_check_early_stopping_loss" not in vars(watched)
    pickle.dumps(watched)
    # noisy targets stop early: the bar is still filled
    stopped, steps = _early_stopping(500), []
    with workers.watched_rounds(stopped, steps.append):
        stopped.fit(x, np.random.default_rng(1).normal(size=len(y)))
    assert stopped.n_iter_ < 500 and sum(steps) == 500 and steps[-1] > 1


def test_a_fit_with_no_rounds_to_watch_fills_its_bar_when_done(data):
    x, y, _ = data
    steps = []
    with workers.watched_rounds(_boosting(), steps.append):  # no early stopping
        pass
    assert steps == [30]
    with pytest.raises(ValueError), workers.watched_rounds(_early_stopping(), steps.append):
        raise ValueError("a fit that raised")
    assert steps == [30, 40]


def test_fit_all_opens_a_bar_over_the_rounds_of_a_large_boosting_fit_here(data, monkeypatch):
    x, y, folds = data
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 5000)
    bars = []

    def rounds(description, total):
        bars.append([description, total, 0])
        return lambda n: bars[-1].__setitem__(2, bars[-1][2] + n)

    jobs = _jobs(folds, _early_stopping)
    out = workers.fit_all(jobs, x, y, "predict", beside=False, rounds=rounds)
    assert bars[0::2] == [["gradient boosting on 1,500 samples: rounds", 40, 40]] * 2
    # then its held-out predictions, each block counted (one block here)
    assert bars[1::2] == [[f"gradient boosting on 1,500 samples: predictions of {len(folds[i][1]):,} held-out samples",
                           1, 1] for i in (0, 1)]
    plain = workers.fit_all(jobs, x, y, "predict", beside=False)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(out, plain))
    monkeypatch.setattr(workers, "OFFLOAD_CELLS", 10**9)
    bars.clear()
    workers.fit_all(jobs, x, y, "predict", beside=False, rounds=rounds)
    assert bars == []  # small fits: no bar of their own
