"""One contract test suite run over every registered check (DESIGN.md section 6).

A new check is tested for the contract for free: its parameters are validated, it describes
itself, degenerate data (empty, single-class, single-split, images) gives an outcome and never
an ``errored`` status, it does not mutate its inputs, the same seed gives the same findings,
and its findings survive the JSON round trip.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from datacheck.checks import REGISTRY, CheckContext
from datacheck.checks.runner import run_checks
from datacheck.data import from_objects, load
from datacheck.errors import ConfigError
from datacheck.report.findings import Finding, Status
from datacheck.scan import scan

CHECK_IDS = sorted(REGISTRY)


def _tables(n_train=60, n_test=20, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    def frame(n):
        df = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
        return df.assign(label=rng.integers(0, classes, n))
    return {"train": frame(n_train), "test": frame(n_test)}


def _image_folder(root, rng):
    for split, n in (("train", 12), ("test", 6)):
        for cls in ("a", "b"):
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(n // 2):
                Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(d / f"{i}.png")
    return load(root)


def _datasets(tmp_path):
    rng = np.random.default_rng(1)
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "label": pd.Series([], dtype=int)})
    return {
        "tabular": from_objects(_tables()),
        "single_class": from_objects(_tables(classes=1)),
        "single_split": from_objects({"train": _tables()["train"]}),
        "tiny": from_objects(_tables(n_train=2, n_test=1)),
        "empty_test": from_objects({"train": _tables()["train"][["a", "label"]], "test": empty}),
        "image_arrays": from_objects({"train": (rng.integers(0, 255, (30, 8, 8, 3), dtype=np.uint8), rng.integers(0, 3, 30)),
                                      "test": (rng.integers(0, 255, (10, 8, 8, 3), dtype=np.uint8), rng.integers(0, 3, 10))}),
        "features_array": from_objects({"train": (rng.normal(size=(40, 5)), rng.integers(0, 2, 40))}),
        "image_folder": _image_folder(tmp_path, rng),
    }


def _run(check, dataset, seed=0):
    ctx = CheckContext(dataset, scan(dataset, workers=1), {"seed": seed})
    return run_checks(ctx, [check])


def _snapshot(dataset):
    return {n: (s.y.copy(), None if s.table is None else s.table, None if s.array is None else s.array.copy(),
                copy.copy(s.paths)) for n, s in dataset.splits.items()}


def test_registry_has_checks():
    assert CHECK_IDS, "no check registered"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_describes_itself(check_id):
    cls = REGISTRY[check_id]
    d = cls.describe()
    assert d["id"] == check_id and d["checklist"], "a check names its checklist items"
    assert "What it detects" in d["doc"] and "Why it matters" in d["doc"]
    for name, p in cls.params.items():
        assert p.doc, f"parameter {name} has no doc"
        assert p.validate(check_id, name, p.default) == p.default


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_parameters_are_validated(check_id):
    cls = REGISTRY[check_id]
    with pytest.raises(ConfigError, match="Unknown parameter"):
        cls(not_a_parameter=1)
    for name, p in cls.params.items():
        bad = "nonsense" if p.kind is not str else 12345
        with pytest.raises(ConfigError, match=name):
            cls(**{name: bad})


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_degenerate_data_gives_outcomes_not_crashes(check_id, tmp_path):
    for name, dataset in _datasets(tmp_path).items():
        before = _snapshot(dataset)
        outcomes, findings = _run(REGISTRY[check_id](), dataset)
        assert len(outcomes) == 1, name
        assert outcomes[0].status is not Status.ERRORED, f"{name}: {outcomes[0].reason}"
        if outcomes[0].status is Status.SKIPPED:
            assert outcomes[0].reason, name
        for f in findings:
            assert f.check == check_id and f.message
            assert Finding.from_dict(f.to_dict()) == f, f"{name}: {f.code} does not round-trip"
        after = _snapshot(dataset)
        for split, (y, table, array, paths) in before.items():
            y2, table2, array2, paths2 = after[split]
            assert np.array_equal(y, y2), f"{name}: labels mutated"
            assert table is None or table.equals(table2), f"{name}: table mutated"
            assert array is None or np.array_equal(array, array2, equal_nan=True), f"{name}: array mutated"
            assert paths == paths2


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_same_seed_same_findings(check_id):
    dataset = from_objects(_tables(n_train=120, n_test=40))
    first = [f.to_dict() for f in _run(REGISTRY[check_id](), dataset, seed=3)[1]]
    second = [f.to_dict() for f in _run(REGISTRY[check_id](), dataset, seed=3)[1]]
    assert first == second
