"""The Dask engine: the scan runs as partition tasks on a cluster, the findings do not change."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

import datacheck
from datacheck.cli import main
from datacheck.engines import open_engine
from datacheck.errors import ConfigError
from tests.conftest import SAMPLE
from tests.helpers import outcome_key, sample_sets

SETS = sample_sets(SAMPLE)


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of 2 worker processes, shared by this module's tests."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as running:
        yield running.scheduler_address


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_dask_engine_gives_the_local_findings(cluster, path):
    local = datacheck.profile(str(path), workers=1)
    on_dask = datacheck.profile(str(path), engine="dask", scheduler=cluster)
    assert outcome_key(on_dask) == outcome_key(local)


def test_dask_engine_streams_parquet_pieces_on_the_workers(cluster, tmp_path, wine_frames):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    train, test = wine_frames
    frame = pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)
    path = tmp_path / "wine.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=20)
    local = datacheck.profile(str(path))
    on_dask = datacheck.profile(str(path), engine="dask", scheduler=cluster, stream=True, partitions=5)
    assert outcome_key(on_dask) == outcome_key(local)


def test_dask_engine_streams_csv_on_the_workers(cluster):
    path = SAMPLE / "defect_nan.csv"
    on_dask = datacheck.profile(str(path), engine="dask", scheduler=cluster, stream=True)
    assert any("streamed from CSV" in note for note in on_dask.dataset.notes)
    assert outcome_key(on_dask) == outcome_key(datacheck.profile(str(path)))


def test_cli_engine_dask(cluster, tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["profile", str(SAMPLE / "defect_duplicates.csv"), "--engine", "dask",
                                       "--scheduler", cluster, "--no-html", "--json", str(out)])
    assert result.exit_code == 1, result.output  # the planted duplicates are errors
    assert '"duplicates"' in out.read_text()


def test_engine_options_are_validated():
    with pytest.raises(ConfigError, match="engine"):
        with open_engine("spark"):
            pass
    with pytest.raises(ConfigError, match="--engine dask"):
        with open_engine("local", scheduler="tcp://127.0.0.1:1"):
            pass


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    monkeypatch.setattr("datacheck.engines.dask.CONNECT_TIMEOUT", 1)
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler"):
        datacheck.profile(str(SAMPLE / "defect_nan.csv"), engine="dask", scheduler="tcp://127.0.0.1:9")


def test_missing_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"datacheck\[dask\]"):
        datacheck.profile(str(SAMPLE / "defect_nan.csv"), engine="dask")


def test_dask_engine_without_address_starts_its_own_cluster():
    path = str(SAMPLE / "defect_nan.csv")
    assert outcome_key(datacheck.profile(path, engine="dask", workers=2)) == outcome_key(datacheck.profile(path))
