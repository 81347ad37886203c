"""``datacheck suite`` and ``datacheck validate`` (Great Expectations), and the suite-file
helpers ``profile --suite`` uses.

great_expectations is imported only inside the two commands; reading a suite's datacheck
thresholds (``thresholds_from_suite``) is plain JSON and works without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from datacheck.cli_output import console_for, emit, output_options
from datacheck.data.task import TASKS
from datacheck.errors import DatacheckError, InputError

GX_MISSING = "great_expectations is not installed; install it with: pip install 'datacheck[gx]'"


def read_suite_json(path: str | Path) -> dict:
    """Read a suite file as a JSON object.

    Raises
    ------
    InputError
        When the file is missing, unreadable, not JSON, or not a JSON object.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such suite file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"the suite file cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"the suite file is not JSON ({exc.msg} at line {exc.lineno}, "
                               f"column {exc.colno})") from None
    if not isinstance(data, dict):
        raise InputError(path, "the suite file must hold a JSON object with 'name' and 'expectations'")
    return data


def thresholds_from_suite(path: str | Path) -> dict[str, dict[str, Any]]:
    """The datacheck check parameters a suite carries, for ``datacheck.profile(params=...)``.

    They live in ``meta["datacheck"]["params"]`` as ``{check_id: {param: value}}`` (suites
    written by ``datacheck suite`` and the shipped ``expectations/*.json`` carry every
    check's defaults; edit them there).

    Parameters
    ----------
    path : str or pathlib.Path
        The suite file.

    Returns
    -------
    dict
        Check id -> parameter overrides; empty when the suite carries none.

    Raises
    ------
    InputError
        When the file is not a suite, or names an unknown check or parameter, or a value
        outside what the parameter allows.
    """
    from datacheck.checks import REGISTRY

    meta = read_suite_json(path).get("meta")
    info = meta.get("datacheck") if isinstance(meta, dict) else None
    params = info.get("params") if isinstance(info, dict) else None
    params = {} if params is None else params
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise InputError(path, "meta.datacheck.params must map check ids to {parameter: value}")
    for cid, values in params.items():
        if cid not in REGISTRY:
            raise InputError(path, f"meta.datacheck.params names unknown check {cid!r}; known checks: "
                                   f"{', '.join(sorted(REGISTRY))}")
        declared = REGISTRY[cid].params
        for name, value in values.items():
            if name not in declared:
                raise InputError(path, f"meta.datacheck.params.{cid} has unknown parameter {name!r}; "
                                       f"its parameters are: {', '.join(sorted(declared)) or 'none'}")
            try:
                declared[name].validate(cid, name, value)
            except DatacheckError as exc:
                raise InputError(path, str(exc)) from None
    return {cid: dict(values) for cid, values in params.items()}


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
