"""``datacheck profile PATH --samples FILE``: the per-sample table as CSV or Parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from datacheck.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("suffix, read", [(".csv", pd.read_csv), (".parquet", pd.read_parquet)])
def test_samples_file_has_a_row_per_sample_and_each_checks_columns(sample_data, tmp_path, suffix, read):
    out = tmp_path / f"samples{suffix}"
    result = invoke("profile", sample_data / "defect_duplicates.csv", "--samples", out, "--json", "-",
                    "--no-html", "--fail-on", "never", "--checks", "input_integrity,duplicates,label_noise")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    df = read(out)
    n = sum(s["n_samples"] for s in report["dataset"]["splits"].values())
    assert len(df) == n == 437
    assert {"id", "split", "row", "label", "input_integrity.flag", "duplicates.group", "duplicates.copy_of",
            "duplicates.flag", "label_noise.quality", "label_noise.suggested"} <= set(df.columns)
    truth = json.loads((sample_data / "defect_duplicates.truth.json").read_text())
    train = df[df["split"] == "train"]
    group = train.set_index("row")["duplicates.group"]
    for kind, flag in (("exact_duplicates", "exact"), ("conflicting_labels", "label_conflicts")):
        for a, b in truth[kind]["pairs_train_index"]:
            assert group[a] == group[b] and not pd.isna(group[a]), (kind, a, b)
        members = [r for pair in truth[kind]["pairs_train_index"] for r in pair]
        assert (train.set_index("row").loc[members, "duplicates.flag"] == flag).all()
    n_pairs = sum(len(truth[k]["pairs_train_index"]) for k in ("exact_duplicates", "conflicting_labels"))
    assert train["duplicates.copy_of"].notna().sum() == n_pairs == train["duplicates.group"].nunique()


def test_unknown_samples_extension_is_one_line_exit_2(sample_data, tmp_path):
    result = invoke("profile", sample_data / "clean_tabular", "--samples", tmp_path / "s.xlsx", "--no-html")
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "s.xlsx" in lines[0] and ".parquet" in lines[0], result.stderr
    assert not (tmp_path / "s.xlsx").exists()
