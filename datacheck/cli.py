"""The ``datacheck`` command line (DESIGN.md section 3).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 bad usage or
unreadable input (one line naming the path and the problem, never a traceback); 3 an internal
error (one line; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from datacheck.errors import DatacheckError

EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3
DEFAULT_HTML = "datacheck-report.html"
FAIL_ON = ("error", "warning", "never")


NORMS = ("imagenet", "clip", "inception", "caffe", "none")
NOISE_MODELS = ("auto", "linear", "cnn")


def _floats(value: str | None) -> tuple[float, ...] | None:
    if value is None or isinstance(value, tuple):
        return value
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None


def _split_ids(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _console(stderr: bool, quiet: bool):
    from rich.console import Console

    return Console(stderr=stderr, quiet=quiet, highlight=False, soft_wrap=False)


@contextmanager
def _progress(console, enabled: bool) -> Iterator:
    """A ``progress(description, total) -> advance(n)`` factory drawing rich progress bars."""
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        def factory(description: str, total: int):
            task = bar.add_task(description, total=total)
            return lambda n: bar.advance(task, n)

        yield factory


def _exit_code(report, fail_on: str) -> int:
    from datacheck.report.findings import Severity

    if fail_on == "never":
        return 0
    worst = report.worst()
    return EXIT_FINDINGS if worst is not None and worst >= Severity(fail_on) else 0


class _Group(click.Group):
    """Turns datacheck's errors into one line and exit code 2, anything else into exit 3."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DatacheckError as exc:
            click.echo(f"datacheck: error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("datacheck: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the CLI must never show a traceback by default
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"datacheck: internal error: {type(exc).__name__}: {exc} "
                       "(rerun with --debug for the traceback)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datacheck", prog_name="datacheck")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Find the dataset bugs that make a neural network train without learning."""
    ctx.obj = {"debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--label", help="Label column (default: the first of label, target, class, y).")
@click.option("--split-col", help="Split column of a single table (default: split).")
@click.option("--model", help="Pretrained model the data will feed (torchvision name), for pretrained_norm.")
@click.option("--norm", type=click.Choice(NORMS), default=None, help="Normalization the model expects.")
@click.option("--mean", type=_floats, default=None, help="Per-channel mean the model expects, e.g. 0.485,0.456,0.406.")
@click.option("--std", type=_floats, default=None, help="Per-channel std the model expects.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Training batch size [default: 32].")
@click.option("--group-col", help="Column naming a group (patient, user) that must not span splits.")
@click.option("--time-col", help="Timestamp column; test should not be earlier than train.")
@click.option("--noise-model", type=click.Choice(NOISE_MODELS), default=None,
              help="Model for out-of-fold label-noise probabilities [default: auto].")
@click.option("--noise-max-samples", type=click.IntRange(min=100), default=None,
              help="Stratified sample size for label noise [default: 200000].")
@click.option("--checks", "only", help="Run only these checks (comma-separated ids).")
@click.option("--skip", help="Leave out these checks (comma-separated ids).")
@click.option("--suite", "suite_file", type=click.Path(path_type=Path), default=None,
              help="Use the check thresholds in this expectation suite (meta.datacheck.params).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Image decoding processes [default: all CPUs].")
@click.option("--html", "html_path", type=click.Path(path_type=Path), default=None,
              help=f"Write the HTML report here [default: {DEFAULT_HTML}].")
@click.option("--no-html", is_flag=True, help="Do not write the HTML report.")
@click.option("--json", "json_path", default=None, help="Write the JSON report to FILE, or '-' for stdout.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Show every check's status and info hints.")
def profile(path: Path, label, split_col, model, norm, mean, std, batch_size, group_col, time_col,
            noise_model, noise_max_samples, only, skip, suite_file, seed, workers, html_path, no_html,
            json_path, fail_on, quiet, verbose) -> None:
    """Profile the dataset at PATH and report what will stop a network from learning."""
    if model and norm:
        raise click.UsageError("--model and --norm are exclusive: give one.")
    options = {k: v for k, v in dict(model=model, norm=norm, mean=mean, std=std, group_col=group_col,
                                     time_col=time_col, noise_model=noise_model,
                                     noise_max_samples=noise_max_samples).items() if v is not None}
    from datacheck.api import profile as run_profile
    from datacheck.report.json_out import to_json
    from datacheck.report.terminal import render_terminal

    params = None
    if suite_file is not None:
        from datacheck.cli_gx import thresholds_from_suite

        params = thresholds_from_suite(suite_file)
    to_stdout = json_path == "-"
    console = _console(stderr=to_stdout, quiet=quiet)
    with _progress(console, not quiet) as progress:
        report = run_profile(str(path), label=label, split_col=split_col, checks=_split_ids(only),
                             skip=_split_ids(skip), params=params, batch_size=batch_size, seed=seed, workers=workers,
                             progress=progress, **options)
    render_terminal(report, console, verbose=verbose)
    if json_path and not to_stdout:
        Path(json_path).write_text(to_json(report), encoding="utf-8")
        console.print(f"JSON report: {json_path}")
    if not no_html:
        from datacheck.report.html import write_html

        target = html_path or Path(DEFAULT_HTML)
        source_root = path if path.is_dir() else path.parent
        size = write_html(report, target, source_root=source_root)
        console.print(f"HTML report: {target} ({size / 1024:,.0f} KiB)")
    if to_stdout:
        sys.stdout.write(to_json(report) + "\n")
        sys.stdout.flush()
    sys.exit(_exit_code(report, fail_on))


@main.command("checks")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_checks(as_json: bool) -> None:
    """List every check with its checklist items, parameters and defaults."""
    import json

    from datacheck.checks import REGISTRY

    described = [cls.describe() for cls in REGISTRY.values()]
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    from rich.table import Table

    console = _console(stderr=False, quiet=False)
    table = Table(show_header=True, header_style="bold")
    table.add_column("check", no_wrap=True)
    table.add_column("items", no_wrap=True)
    table.add_column("what it detects", overflow="fold")
    table.add_column("parameters (default)", overflow="fold")
    for d in described:
        first = d["doc"].split("\n\n")[0].replace("\n", " ")
        params = "\n".join(f"{n}={p['default']!r}: {p['doc']}" for n, p in d["params"].items()) or "-"
        table.add_row(d["id"], ", ".join(map(str, d["checklist"])), first, params)
    console.print(table)


# GX commands: great_expectations is imported only when they run.
from datacheck.cli_gx import suite, validate  # noqa: E402

main.add_command(suite)
main.add_command(validate)
