"""The check contract, shipped so that a check written outside datacheck can be tested for it.

``check_conformance(MyCheck)`` runs what DESIGN.md section 6 asks of every check (as
scikit-learn ships ``check_estimator``): it describes itself, its parameters are validated,
degenerate data (empty, single-class, single-split, tiny, images) gives an outcome and never
an ``errored`` status, it does not mutate its inputs, the same seed gives the same findings,
and its findings survive the JSON round trip. datacheck's own tests run it over every
registered check.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from datacheck.checks import Check, CheckContext
from datacheck.checks.runner import run_checks
from datacheck.data import from_objects, load
from datacheck.errors import ConfigError
from datacheck.report.findings import Finding, Status
from datacheck.scan import scan

__all__ = ["check_conformance"]


def check_conformance(check_cls: type[Check]) -> None:
    """Assert that ``check_cls`` keeps the check contract.

    Parameters
    ----------
    check_cls : type
        A ``Check`` subclass (registered or not).

    Raises
    ------
    AssertionError
        Naming the part of the contract that failed and the dataset it failed on.
    """
    check_describes_itself(check_cls)
    check_parameters_are_validated(check_cls)
    with tempfile.TemporaryDirectory(prefix="datacheck-conformance-") as tmp:
        check_degenerate_data(check_cls, Path(tmp))
    check_same_seed_same_findings(check_cls)


def check_describes_itself(check_cls: type[Check]) -> None:
    """Its id, checklist items, "What it detects / Why it matters" and documented parameters."""
    d = check_cls.describe()
    assert d["id"] == check_cls.id and d["checklist"], f"{check_cls.id}: a check names its checklist items"
    assert "What it detects" in d["doc"] and "Why it matters" in d["doc"], (
        f"{check_cls.id}: the docstring needs 'What it detects' and 'Why it matters' sections")
    for name, p in check_cls.params.items():
        assert p.doc, f"{check_cls.id}: parameter {name} has no doc"
        assert p.validate(check_cls.id, name, p.default) == p.default, (
            f"{check_cls.id}: the default of {name} does not pass its own validation")


def check_parameters_are_validated(check_cls: type[Check]) -> None:
    """An unknown parameter, or a value of the wrong type, raises ``ConfigError`` naming it."""
    _raises_config_error(lambda: check_cls(not_a_parameter=1), "Unknown parameter",
                         f"{check_cls.id}: an unknown parameter is accepted")
    for name, p in check_cls.params.items():
        bad = "nonsense" if p.kind is not str else 12345
        _raises_config_error(lambda: check_cls(**{name: bad}), name,
                             f"{check_cls.id}: parameter {name} accepts {bad!r}")


def check_degenerate_data(check_cls: type[Check], tmp: Path) -> None:
    """Every degenerate dataset gives one outcome, never errored, and is left as it was."""
    for name, dataset in degenerate_datasets(tmp).items():
        before = _snapshot(dataset)
        outcomes, findings = _run(check_cls(), dataset)
        assert len(outcomes) == 1, f"{check_cls.id} on {name}: {len(outcomes)} outcomes"
        assert outcomes[0].status is not Status.ERRORED, f"{check_cls.id} on {name}: {outcomes[0].reason}"
        if outcomes[0].status is Status.SKIPPED:
            assert outcomes[0].reason, f"{check_cls.id} on {name}: skipped without a reason"
        for f in findings:
            assert f.check == check_cls.id and f.message, f"{check_cls.id} on {name}: {f.code} unnamed or empty"
            assert Finding.from_dict(f.to_dict()) == f, f"{check_cls.id} on {name}: {f.code} does not round-trip"
        _assert_unchanged(before, _snapshot(dataset), f"{check_cls.id} on {name}")


def check_same_seed_same_findings(check_cls: type[Check]) -> None:
    """Two runs with the same seed give the same findings."""
    dataset = from_objects(_tables(n_train=120, n_test=40))
    first = [f.to_dict() for f in _run(check_cls(), dataset, seed=3)[1]]
    second = [f.to_dict() for f in _run(check_cls(), dataset, seed=3)[1]]
    assert first == second, f"{check_cls.id}: the same seed gave different findings"


def degenerate_datasets(tmp: Path) -> dict[str, object]:
    """The datasets every check must survive, by name (an image folder is written under ``tmp``)."""
    rng = np.random.default_rng(1)
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "label": pd.Series([], dtype=int)})

    def images(n):
        return rng.integers(0, 255, (n, 8, 8, 3), dtype=np.uint8), rng.integers(0, 3, n)

    return {
        "tabular": from_objects(_tables()),
        "single_class": from_objects(_tables(classes=1)),
        "single_split": from_objects({"train": _tables()["train"]}),
        "tiny": from_objects(_tables(n_train=2, n_test=1)),
        "empty_test": from_objects({"train": _tables()["train"][["a", "label"]], "test": empty}),
        "image_arrays": from_objects({"train": images(30), "test": images(10)}),
        "features_array": from_objects({"train": (rng.normal(size=(40, 5)), rng.integers(0, 2, 40))}),
        "image_folder": _image_folder(tmp / "image_folder", rng),
    }


def _tables(n_train=60, n_test=20, classes=3, seed=0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n):
        df = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
        return df.assign(label=rng.integers(0, classes, n))
    return {"train": frame(n_train), "test": frame(n_test)}


def _image_folder(root: Path, rng: np.random.Generator):
    from PIL import Image

    for split, n in (("train", 12), ("test", 6)):
        for cls in ("a", "b"):
            d = root / split / cls
            d.mkdir(parents=True)
            for i in range(n // 2):
                Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(d / f"{i}.png")
    return load(root)


def _run(check: Check, dataset, seed: int = 0):
    ctx = CheckContext(dataset, scan(dataset, workers=1), {"seed": seed})
    return run_checks(ctx, [check])


def _snapshot(dataset) -> dict:
    return {n: (s.y.copy(), s.table, None if s.array is None else s.array.copy(), copy.copy(s.paths))
            for n, s in dataset.splits.items()}


def _assert_unchanged(before: dict, after: dict, where: str) -> None:
    for split, (y, table, array, paths) in before.items():
        y2, table2, array2, paths2 = after[split]
        assert np.array_equal(y, y2), f"{where}: labels of {split} mutated"
        assert table is None or table.equals(table2), f"{where}: table of {split} mutated"
        assert array is None or np.array_equal(array, array2, equal_nan=True), f"{where}: array of {split} mutated"
        assert paths == paths2, f"{where}: paths of {split} mutated"


def _raises_config_error(call, match: str, failure: str) -> None:
    try:
        call()
    except ConfigError as exc:
        assert match in str(exc), f"{failure} (ConfigError without {match!r}: {exc})"
    else:
        raise AssertionError(failure)
