"""Fixtures of the GX tests: small tables written to disk, and the CLI with the GX commands.

great_expectations is imported only by the test modules (each skips without it), so this
file works without the extra.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner


@pytest.fixture(scope="session")
def wine_table(wine_frames) -> pd.DataFrame:
    """Wine (shuffled, stratified 75/25, standardized on train) as one table with a ``split``
    column: train rows, then test rows."""
    train, test = wine_frames
    return pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)


@pytest.fixture(scope="session")
def wine_csv(tmp_path_factory, wine_table):
    """``wine_table`` as a CSV file."""
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    wine_table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def manifest_dir(tmp_path_factory, sample_data):
    """A copy of ``sample_data/clean_manifest`` that tests may edit."""
    target = tmp_path_factory.mktemp("manifest") / "clean_manifest"
    shutil.copytree(sample_data / "clean_manifest", target)
    return target


@pytest.fixture(scope="session")
def cli():
    """Run ``datacheck`` in-process with the GX commands registered; stdout and stderr apart."""
    from datacheck.cli import main
    from datacheck.cli_gx import suite, validate

    for command in (suite, validate):
        main.commands.setdefault(command.name, command)

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
