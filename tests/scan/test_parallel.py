"""Background imports: finished before forking and before the checks, failures left to the real import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.models import LIBRARIES
from datacheck.scan import parallel


@pytest.fixture
def slow_modules(tmp_path, monkeypatch):
    """Two importable modules on a temporary path: one that takes 0.3 s, one that raises."""
    (tmp_path / "dc_slow_module.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n")
    (tmp_path / "dc_broken_module.py").write_text("raise RuntimeError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("dc_slow_module", "dc_broken_module"):
        sys.modules.pop(name, None)
    parallel.finish_imports()


def test_background_import_is_finished_by_finish_imports(slow_modules):
    parallel.import_in_background(["dc_slow_module"])
    assert parallel._importing  # still importing: the module sleeps
    parallel.finish_imports()
    assert not parallel._importing
    assert sys.modules["dc_slow_module"].VALUE == 42


def test_a_failing_background_import_is_left_to_the_real_import(slow_modules):
    parallel.import_in_background(["dc_broken_module", "dc_slow_module"])
    parallel.finish_imports()  # no exception here
    assert "dc_broken_module" not in sys.modules
    assert "dc_slow_module" in sys.modules  # the failure did not stop the rest
    with pytest.raises(RuntimeError, match="broken on purpose"):
        import dc_broken_module  # noqa: F401


def test_imported_modules_start_no_thread():
    parallel.import_in_background(["numpy", "json"])
    assert not parallel._importing


def test_worker_processes_wait_for_background_imports(slow_modules):
    # a forked child would inherit the import lock the importing thread holds
    parallel.import_in_background(["dc_slow_module"])
    with parallel.worker_processes(1) as pool:
        assert "dc_slow_module" in sys.modules and not parallel._importing
        assert pool.submit(sum, [1, 2]).result() == 3


def _imported_from(package: str) -> set[str]:
    """Modules of ``package`` that datacheck's source imports, anywhere in a file."""
    found = set()
    for path in Path(datacheck.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.split(".")[0] == package)
    return found


def test_the_background_imports_cover_what_the_models_import():
    imported = _imported_from("sklearn") | _imported_from("cleanlab")
    assert imported  # the scan of the source found them
    assert imported <= set(LIBRARIES)


def test_profile_of_a_path_imports_the_model_libraries_before_the_checks(sample_data, monkeypatch):
    import datacheck.checks.runner as runner

    events = []
    monkeypatch.setattr(parallel, "import_in_background", lambda modules: events.append(("import", tuple(modules))))
    monkeypatch.setattr(parallel, "finish_imports", lambda: events.append(("finish",)))
    run_checks = runner.run_checks
    monkeypatch.setattr(runner, "run_checks", lambda *a, **k: (events.append(("checks",)), run_checks(*a, **k))[1])
    datacheck.profile(sample_data / "clean_tabular")
    assert events == [("import", LIBRARIES), ("finish",), ("checks",)]

    events.clear()  # objects may be DataLoaders that fork: nothing imported in the background
    datacheck.profile(pd.read_csv(sample_data / "clean_tabular" / "train.csv"), label="label")
    assert events == [("finish",), ("checks",)]

    events.clear()  # no model check selected: nothing to import
    datacheck.profile(sample_data / "clean_tabular", checks=["class_balance"])
    assert events == [("finish",), ("checks",)]


def test_a_narrow_table_profiled_without_the_model_checks_imports_no_sklearn(tmp_path):
    # the outliers check reads the models' inputs, whose PCA (and its scikit-learn import,
    # about a second in a fresh process) only wide tables and pixels need
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(3_000, 6)), columns=[f"f{j}" for j in range(6)])
    frame["label"] = rng.integers(0, 3, len(frame))
    frame.to_parquet(tmp_path / "train.parquet")
    code = ("import sys, datacheck\n"
            f"report = datacheck.profile({str(tmp_path / 'train.parquet')!r}, skip=['learnability', 'label_noise'])\n"
            "assert any(c.id == 'outliers' and c.status.value == 'passed' for c in report.checks)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
