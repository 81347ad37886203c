"""``datacheck suite`` and ``datacheck validate`` (Great Expectations).

great_expectations is imported only inside the two commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from datacheck.cli_output import console_for, emit, output_options
from datacheck.spec.tasks import TASKS
from datacheck.errors import DatacheckError

GX_MISSING = "great_expectations is not installed; install it with: pip install 'datacheck[gx]'"


def _require_gx():
    try:
        import datacheck.gx as dgx
    except ImportError:
        raise DatacheckError(GX_MISSING) from None
    return dgx


@click.command("suite")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Write the suite (GX 1.x JSON) here.")
@click.option("--label", help="Label column (default: the first of label, target, class, y).")
@click.option("--split-col", help="Split column of a single table (default: split).")
@click.option("--batch-size", type=click.IntRange(min=2), default=None,
              help="Training batch size, for the single-label batch expectation [default: 32].")
@click.option("--name", help="Suite name [default: from PATH].")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Image decoding processes.")
@click.option("--task", type=click.Choice(TASKS), default=None,
              help="Learning task [default: inferred from the label].")
def suite(path: Path, output: Path, label, split_col, batch_size, name, workers, task) -> None:
    """Write a Great Expectations suite inferred from the dataset at PATH."""
    dgx = _require_gx()
    inferred = dgx.infer_suite(path, label=label, split_col=split_col, batch_size=batch_size,
                               name=name, workers=workers, task=task)
    dgx.write_suite(inferred, output)
    click.echo(f"Suite {inferred['name']!r}: {len(inferred['expectations'])} expectations written to {output}",
               err=True)


@click.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--suite", "suite_file", type=click.Path(path_type=Path), required=True,
              help="Expectation suite (GX 1.x JSON) to run.")
@click.option("--label", help="Label column (default: the suite's, else the loader's choice).")
@click.option("--split-col", help="Split column of a single table (default: split).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Image decoding processes.")
@click.option("--task", type=click.Choice(TASKS), default=None,
              help="Learning task [default: the suite's, else inferred from the label].")
@output_options
def validate(path: Path, suite_file: Path, label, split_col, workers, task, html_path, no_html, json_path,
             fail_on, quiet, verbose) -> None:
    """Run the expectation suite FILE on the dataset at PATH and report what fails."""
    dgx = _require_gx()
    report = dgx.validate_suite(path, suite_file, label=label, split_col=split_col, workers=workers,
                                task=task)
    emit(report, console_for(json_path, quiet), source=path, html_path=html_path, no_html=no_html,
         json_path=json_path, fail_on=fail_on, verbose=verbose)
