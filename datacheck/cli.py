"""The ``datacheck`` command line (DESIGN.md section 3).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 bad usage or
unreadable input (one line naming the path and the problem, never a traceback); 3 an internal
error (one line; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import gc
import logging
from contextlib import nullcontext
from pathlib import Path

import click

from datacheck.cli_output import console_for, emit, output_options, progress_bars
from datacheck.engines import ENGINES
from datacheck.errors import DatacheckError
from datacheck.spec.tasks import TASKS

EXIT_USAGE, EXIT_INTERNAL = 2, 3
DEFAULT_HTML = Path("datacheck-report.html")


NORMS = ("imagenet", "clip", "inception", "caffe", "none")
NOISE_MODELS = ("auto", "cnn")  # datacheck.models.NOISE_MODELS, without importing it here
DEVICES = ("auto", "cpu", "cuda")
TASK_HELP = ("Learning task [default: inferred from the label: numbers that are not whole, whole "
             "numbers too many and too spread to be classes, and counts are regression; text, class "
             "indices and codes are classes].")


def _floats(value: str | None) -> tuple[float, ...] | None:
    if value is None or isinstance(value, tuple):
        return value
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None


def _split_ids(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _small_pages() -> None:
    """Stop numpy from asking for transparent huge pages, unless ``NUMPY_MADVISE_HUGEPAGE``
    is set.

    numpy marks every array of 4 MiB or more for huge pages (``madvise``). Where the kernel
    then compacts memory to find one at the first touch (its default ``defrag`` setting for
    such memory), a fresh process pays for it in system time. A ``datacheck profile`` of a
    1,000,000 x 50 Parquet table took 1.18x as long with huge pages (median of six paired
    runs on 2 cores; system time 2.9 s against 1.3 s); 100,000 rows took 1.02x. A
    long-lived process reuses its memory and hardly notices, so the library leaves the
    setting alone and only the command line changes it.
    """
    import os

    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # numpy 1.x
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return
    _set_madvise_hugepage(False)


def run() -> None:
    """The ``datacheck`` console script: ``main`` in a process of its own.

    What only a process that is datacheck's alone may change is changed here, not in
    ``main`` (which tests and embedding programs call in their own process):

    - numpy asks for no huge pages (``_small_pages``);
    - on the way out, every object left is frozen (``gc.freeze``), so the interpreter's
      shutdown does not walk them all again in its last garbage collections. With
      scikit-learn, SciPy and pandas imported, that walk took 0.15-0.2 s of every run; the
      reports were written and closed before it, and the exit handlers still run.
    """
    _small_pages()
    try:
        main(prog_name="datacheck")
    finally:
        gc.freeze()


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
@click.option("--task", type=click.Choice(TASKS), default=None, help=TASK_HELP)
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
              help="Samples the label-noise models are cross-fitted on, a stratified sample "
                   "(a table's other labelled rows are judged by the fold models) [default: 200000].")
@click.option("--checks", "only", help="Run only these checks (comma-separated ids).")
@click.option("--skip", help="Leave out these checks (comma-separated ids).")
@click.option("--suite", "suite_file", type=click.Path(path_type=Path), default=None,
              help="Use the check thresholds in this expectation suite (meta.datacheck.params).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Image decoding processes and model-fit threads (from 2, a gradient boosting worker "
                   "process too), or local Dask workers [default: the CPUs available].")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where the scan runs: this process, or a Dask cluster (datacheck[dask]).")
@click.option("--scheduler", default=None,
              help="Dask scheduler address (tcp://host:8786) [default: start a local cluster].")
@click.option("--stream/--no-stream", default=None,
              help="Read Parquet/CSV tables in record batches [default: over 1 GiB, or a CSV "
                   "too big for free memory].")
@click.option("--smoke", "with_smoke", is_flag=True,
              help="Also run the model-side smoke probes (needs datacheck[torch]) with the default model.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
              help="Device of the smoke run.")
@click.option("--samples", "samples_path", type=click.Path(path_type=Path), default=None,
              help="Write the per-sample table (one row per sample: id, split, label, each check's "
                   "flags and scores) to this .csv or .parquet file.")
@output_options
def profile(path: Path, label, split_col, task, model, norm, mean, std, batch_size, group_col, time_col,
            noise_model, noise_max_samples, only, skip, suite_file, seed, workers, engine, scheduler,
            stream, with_smoke, device, samples_path, html_path, no_html, json_path, fail_on, quiet,
            verbose) -> None:
    """Profile the dataset at PATH and report what will stop a network from learning.

    The HTML report goes to datacheck-report.html unless --html or --no-html says otherwise.
    """
    if model and norm:
        raise click.UsageError("--model and --norm are exclusive: give one.")
    options = {k: v for k, v in dict(model=model, norm=norm, mean=mean, std=std, group_col=group_col,
                                     time_col=time_col, noise_model=noise_model,
                                     noise_max_samples=noise_max_samples).items() if v is not None}
    from datacheck.api import profile as run_profile
    from datacheck.report.samples import check_samples_path, write_samples

    if samples_path is not None:
        check_samples_path(samples_path)  # a bad extension fails before the run
    params = None
    if suite_file is not None:
        from datacheck.suite_file import thresholds_from_suite

        params = thresholds_from_suite(suite_file)
    console = console_for(json_path, quiet)
    with progress_bars(console, not quiet) as progress:
        report = run_profile(str(path), label=label, split_col=split_col, task=task, checks=_split_ids(only),
                             skip=_split_ids(skip), params=params, batch_size=batch_size, seed=seed,
                             workers=workers, progress=progress, engine=engine, scheduler=scheduler,
                             stream=stream, smoke={"device": device} if with_smoke else None, **options)
    if samples_path is not None:
        console.print(f"Per-sample table: {samples_path} ({write_samples(report.samples, samples_path):,} rows)")
    emit(report, console, source=path, html_path=html_path, no_html=no_html, json_path=json_path,
         fail_on=fail_on, verbose=verbose, default_html=DEFAULT_HTML)


@main.command("smoke")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--model", help="torchvision architecture name (random init) or module:factory "
                              "[default: a small CNN for images, an MLP for tables].")
@click.option("--steps", type=click.IntRange(min=10), default=None, help="Length of the short training run [default: 100].")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--label", help="Label column (tables and manifests).")
@click.option("--split-col", help="Split column of a single table.")
@click.option("--task", type=click.Choice(TASKS), default=None, help=TASK_HELP)
@click.option("--seed", type=int, default=0, show_default=True)
@output_options
def smoke(path: Path, model, steps, device, batch_size, label, split_col, task, seed, html_path, no_html,
          json_path, fail_on, quiet, verbose) -> None:
    """Train briefly on PATH's training split and check the model side (loss, gradients, NaN...)."""
    from datacheck.api import run_smoke, summarize
    from datacheck.data import load
    from datacheck.report.findings import Report

    dataset = load(path, label=label, split_col=split_col)
    if task is not None:
        dataset.set_task(task)
    console = console_for(json_path, quiet)
    with console.status("smoke training", spinner="dots") if not quiet and console.is_terminal else nullcontext():
        outcomes, findings = run_smoke(dataset, {"model": model, "steps": steps, "device": device,
                                                 "batch_size": batch_size, "seed": seed})
    report = Report(source=dataset.source, dataset=summarize(dataset), checks=tuple(outcomes),
                    findings=tuple(findings))
    emit(report, console, source=path, html_path=html_path, no_html=no_html, json_path=json_path,
         fail_on=fail_on, verbose=verbose)


@main.command("checks")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_checks(as_json: bool) -> None:
    """List every check with its checklist items, parameters and defaults."""
    import json

    from datacheck.checks import REGISTRY
    from datacheck.smoke import describe_probes

    described = [cls.describe() for cls in REGISTRY.values()] + list(describe_probes())
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    from rich.table import Table

    console = console_for(None, quiet=False)
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
