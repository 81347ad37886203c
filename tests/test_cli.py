"""The command line: every layout, the JSON contract on stdout, exit codes and clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from datacheck.checks import REGISTRY
from datacheck.cli import main


def invoke(*args):
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def profile_json(path, *extra):
    result = invoke("profile", path, "--json", "-", "--no-html", "--fail-on", "never", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name, modality", [
    ("clean_images", "image"), ("clean_tabular", "tabular"), ("clean_digits.npz", "array"),
    ("clean_manifest", "image"), ("defect_sorted_labels.csv", "tabular"),
    ("clean_regression", "tabular"), ("defect_sorted_target.csv", "tabular"),
])
def test_each_layout_profiles_to_the_json_contract(sample_data, name, modality):
    report = profile_json(sample_data / name)
    assert report["schema_version"] == 1
    assert report["dataset"]["modality"] == modality
    assert set(report["dataset"]["splits"]) >= {"train", "test"}
    assert report["summary"] == {s: sum(f["severity"] == s for f in report["findings"])
                                 for s in ("error", "warning", "info")}
    ids = {c["id"] for c in report["checks"]}
    assert {"class_balance", "label_order", "input_integrity", "input_shape", "duplicates",
            "feature_scaling"} <= ids
    for check in report["checks"]:
        assert check["status"] in ("passed", "failed", "skipped", "errored")
        assert check["status"] != "errored", check


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_samples_exit_0_even_on_warnings(sample_data, name):
    result = invoke("profile", sample_data / name, "--no-html", "--fail-on", "warning")
    assert result.exit_code == 0, result.output


def test_exit_code_1_on_errors_and_fail_on_levels(sample_data):
    path = sample_data / "defect_sorted_labels.csv"
    assert invoke("profile", path, "--no-html").exit_code == 1
    assert invoke("profile", path, "--no-html", "--fail-on", "never").exit_code == 0


def test_json_to_file_and_terminal_summary(sample_data, tmp_path):
    out = tmp_path / "r.json"
    result = invoke("profile", sample_data / "defect_imbalance", "--json", out, "--no-html")
    report = json.loads(out.read_text())
    assert any(f["code"].startswith("class_balance.") for f in report["findings"])
    assert "error(s)" in result.stdout and "class_balance" in result.stdout


def test_checks_and_skip_select(sample_data):
    report = profile_json(sample_data / "clean_tabular", "--checks", "class_balance,label_order", "--skip", "label_order")
    assert [c["id"] for c in report["checks"]] == ["class_balance"]


def _one_line_error(result, *needles):
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_path(tmp_path):
    _one_line_error(invoke("profile", tmp_path / "nope"), "nope", "no such file")


def test_empty_folder(tmp_path):
    _one_line_error(invoke("profile", tmp_path), str(tmp_path), "empty")


def test_csv_without_label_column(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv(tmp_path / "t.csv", index=False)
    _one_line_error(invoke("profile", tmp_path / "t.csv"), "t.csv", "label")


def test_unknown_check_id(sample_data):
    _one_line_error(invoke("profile", sample_data / "clean_tabular", "--checks", "nosuch"), "nosuch")


def test_bad_option_value(sample_data):
    result = invoke("profile", sample_data / "clean_tabular", "--fail-on", "sometimes")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_non_image_file_and_truncated_png_are_findings(tmp_path):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cls in ("a", "b"):
            d = tmp_path / split / cls
            d.mkdir(parents=True)
            for i in range(8):
                Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(d / f"{i}.png")
    good = (tmp_path / "train" / "a" / "0.png").read_bytes()
    (tmp_path / "train" / "a" / "cut.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "train" / "b" / "readme.png").write_text("not an image")
    report = profile_json(tmp_path)
    bad = {s for f in report["findings"] if f["check"] == "input_integrity" for s in f["samples"]}
    assert {"train/a/cut.png", "train/b/readme.png"} <= bad
    assert report["dataset"]["splits"]["train"]["n_samples"] == 18


def test_checks_command_lists_every_check():
    from datacheck.checks import REGISTRY

    result = invoke("checks", "--json")
    listed = json.loads(result.stdout)
    assert [c["id"] for c in listed][: len(REGISTRY)] == list(REGISTRY)
    assert all(c["checklist"] for c in listed)
    table = invoke("checks").stdout
    for cid in REGISTRY:
        assert cid in table


def test_installed_entry_point_runs(sample_data):
    exe = shutil.which("datacheck") or str(__import__("pathlib").Path(sys.executable).with_name("datacheck"))
    proc = subprocess.run([exe, "profile", str(sample_data / "nope")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_smoke_command_and_profile_smoke_merge(sample_data):
    pytest.importorskip("torch")
    smoke = invoke("smoke", sample_data / "clean_tabular", "--json", "-", "--no-html", "--steps", "30")
    assert smoke.exit_code == 0, smoke.stderr
    ids = {c["id"] for c in json.loads(smoke.stdout)["checks"]}
    assert {"smoke.init_loss", "smoke.overfit_batch", "smoke.gradients"} <= ids
    both = profile_json(sample_data / "clean_tabular", "--smoke", "--checks", "class_balance")
    assert {"class_balance", "smoke.init_loss"} <= {c["id"] for c in both["checks"]}
    assert not [f for f in both["findings"] if f["severity"] in ("error", "warning")]


def test_checks_lists_smoke_probes():
    listed = json.loads(invoke("checks", "--json").stdout)
    assert "smoke.overfit_batch" in {c["id"] for c in listed}


def test_option_choices_are_the_ones_the_library_accepts():
    from datacheck import cli
    from datacheck.models import NOISE_MODELS
    from datacheck.norms import PRESETS
    from datacheck.smoke._context import DEVICES

    from datacheck.data.task import TASKS

    assert cli.NOISE_MODELS == NOISE_MODELS and cli.NORMS == tuple(PRESETS) and cli.DEVICES == DEVICES
    assert cli.TASKS == TASKS
    result = CliRunner().invoke(cli.main, ["profile", "x.csv", "--noise-model", "linear"])
    assert result.exit_code == 2 and "'linear' is not one of 'auto', 'cnn'" in result.output


# ---------------------------------------------------------------- regression targets

REGRESSION_CHECKS = "class_balance,label_order,feature_scaling,duplicates,split_leakage"


def test_regression_table_says_its_task_in_json_and_terminal(sample_data):
    report = profile_json(sample_data / "clean_regression", "--checks", REGRESSION_CHECKS)
    ds = report["dataset"]
    assert ds["task"] == "regression" and ds["classes"] == []
    assert ds["task_reason"] == "inferred: float target with 214 distinct values"
    train = ds["splits"]["train"]
    assert "n_classes" not in train and train["target"]["min"] == 25.0 and len(train["target"]["quantiles"]) == 5
    result = invoke("profile", sample_data / "clean_regression", "--no-html", "--checks", REGRESSION_CHECKS)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # the header wraps where the checkout's path is long
    assert "tabular, regression target, train 353, test 89" in text
    assert "task: regression (inferred: float target with 214 distinct values)" in text


def test_task_option_overrides_the_inferred_task(sample_data):
    path = sample_data / "defect_sorted_target.csv"
    forced = profile_json(path, "--task", "classification", "--checks", "class_balance")
    assert forced["dataset"]["task"] == "classification" and forced["dataset"]["task_reason"] == "set by --task"
    assert len(forced["dataset"]["classes"]) == 214
    inferred = profile_json(path, "--checks", "label_order")
    assert {f["code"] for f in inferred["findings"]} == {"label_order.sorted_target"}


def test_task_regression_on_text_labels_is_a_usage_error(sample_data):
    result = invoke("profile", sample_data / "clean_tabular", "--task", "regression", "--no-html")
    assert result.exit_code == 2 and "needs a numeric target" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_multi_label_target_is_one_line_exit_2(tmp_path):
    path = tmp_path / "multi.npz"
    np.savez(path, X=np.zeros((4, 3)), y=np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]]))
    result = invoke("profile", path, "--no-html")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "multi-hot" in line and "single-label classification" in line


def test_clean_regression_table_gives_no_warning_from_any_check(sample_data):
    report = profile_json(sample_data / "clean_regression")
    assert report["summary"]["error"] == report["summary"]["warning"] == 0, report["findings"]
    assert {c["status"] for c in report["checks"]} <= {"passed", "skipped"}
    skipped = {c["id"] for c in report["checks"] if c["status"] == "skipped"}
    image_checks = {c for c, cls in REGISTRY.items() if "images" in cls.needs}
    assert image_checks >= {"pretrained_norm", "image_quality", "shortcuts"}
    assert skipped == image_checks  # every check but the image ones runs on a regression table
    codes = {f["code"] for f in report["findings"]}
    assert codes == {"class_balance.target_summary", "feature_scaling.target_scale", "learnability.score"}


def run_console_script(monkeypatch, *args):
    """Run ``cli.run`` (the console script) in this process, ``gc.freeze`` recorded rather
    than done; returns its exit code and the freezes."""
    import gc

    from datacheck import cli

    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(sys, "argv", ["datacheck", *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        cli.run()
    return exited.value.code, frozen


@pytest.mark.parametrize("env, asked", [(None, [False]), ("1", [])])
def test_the_console_script_turns_numpy_huge_pages_off_unless_told(monkeypatch, capsys, env, asked):
    multiarray = pytest.importorskip("numpy._core.multiarray")
    calls = []
    monkeypatch.setattr(multiarray, "_set_madvise_hugepage", lambda enabled: calls.append(enabled) or True)
    if env is None:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    else:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", env)
    assert run_console_script(monkeypatch, "checks")[0] == 0
    assert calls == asked
    # main, as tests and embedding programs call it, leaves their process alone
    calls.clear()
    assert invoke("checks").exit_code == 0
    assert calls == []


def test_the_console_script_freezes_what_is_left_on_every_way_out(monkeypatch, capsys, tmp_path):
    import gc

    assert run_console_script(monkeypatch, "checks") == (0, [True])
    assert run_console_script(monkeypatch, "profile", tmp_path / "missing.csv") == (2, [True])
    assert "missing.csv" in capsys.readouterr().err
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    assert invoke("checks").exit_code == 0
    assert frozen == []
