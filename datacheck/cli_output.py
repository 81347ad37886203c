"""Output options shared by the report-producing commands (profile, smoke, validate)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import click

FAIL_ON = ("error", "warning", "never")
EXIT_FINDINGS = 1


def output_options(command: Callable) -> Callable:
    """Add ``--html``, ``--no-html``, ``--json``, ``--fail-on``, ``--quiet`` and ``--verbose``."""
    options = [
        click.option("--html", "html_path", type=click.Path(path_type=Path), default=None,
                     help="Write the HTML report here."),
        click.option("--no-html", is_flag=True, help="Do not write the HTML report."),
        click.option("--json", "json_path", default=None, help="Write the JSON report to FILE, or '-' for stdout."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
                     help="Exit 1 when a finding is at or above this severity."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
        click.option("-v", "--verbose", is_flag=True, help="Show every check's status and info hints."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def console_for(json_path: str | None, quiet: bool):
    """A rich console on stderr when the JSON goes to stdout, else on stdout."""
    from rich.console import Console

    return Console(stderr=json_path == "-", quiet=quiet, highlight=False, soft_wrap=False)


@contextmanager
def progress_bars(console, enabled: bool) -> Iterator:
    """A ``progress(description, total) -> advance(n)`` factory drawing rich progress bars."""
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    # the spinner and the elapsed time move while one long step (a model fit of several
    # seconds) holds the count still
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True) as bar:
        def factory(description: str, total: int):
            return _Bar(bar, bar.add_task(description, total=total))

        yield factory


class _Bar:
    """``advance(n)`` of one rich task, which ``describe(text)`` renames; a finished bar is
    taken off the screen so that the bars of the steps still running stay in view."""

    def __init__(self, progress, task) -> None:
        self.progress, self.task = progress, task

    def __call__(self, n: int) -> None:
        self.progress.advance(self.task, n)
        task = next((t for t in self.progress.tasks if t.id == self.task), None)
        if task is not None and task.finished:
            self.progress.remove_task(self.task)

    def describe(self, text: str) -> None:
        """Rename the bar (the check or step it is at now)."""
        if self.task in self.progress.task_ids:
            self.progress.update(self.task, description=text)


def exit_code(report, fail_on: str) -> int:
    """1 when a finding is at or above ``fail_on``, else 0."""
    from datacheck.report.findings import Severity

    if fail_on == "never":
        return 0
    worst = report.worst()
    return EXIT_FINDINGS if worst is not None and worst >= Severity(fail_on) else 0


def emit(report, console, *, source: Path, html_path: Path | None, no_html: bool, json_path: str | None,
         fail_on: str, verbose: bool, default_html: Path | None = None) -> None:
    """Print the terminal summary, write the JSON and HTML reports, and exit with the code.

    Parameters
    ----------
    report : Report
        What to show.
    console : rich.console.Console
        From ``console_for``.
    source : pathlib.Path
        The dataset path; image thumbnails are read relative to it.
    html_path, no_html, json_path, fail_on, verbose
        The values of ``output_options``.
    default_html : pathlib.Path, optional
        Where the HTML goes when ``--html`` is not given (None: nowhere).
    """
    from datacheck.report.json_out import to_json
    from datacheck.report.terminal import render_terminal

    render_terminal(report, console, verbose=verbose)
    to_stdout = json_path == "-"
    if json_path and not to_stdout:
        Path(json_path).write_text(to_json(report), encoding="utf-8")
        console.print(f"JSON report: {json_path}")
    target = html_path or default_html
    if target is not None and not no_html:
        from datacheck.report.html import write_html

        size = write_html(report, target, source_root=source if source.is_dir() else source.parent)
        console.print(f"HTML report: {target} ({size / 1024:,.0f} KiB)")
    if to_stdout:
        sys.stdout.write(to_json(report) + "\n")
        sys.stdout.flush()
    sys.exit(exit_code(report, fail_on))
