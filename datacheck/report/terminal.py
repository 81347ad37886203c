"""Render a ``Report`` in the terminal with rich: one table of findings, a line per skip/error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datacheck.report.findings import Report, Severity, Status

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_MAX_SAMPLES_SHOWN = 3


def render_terminal(report: Report, console: "Console", *, verbose: bool = False) -> None:
    """Print the report: dataset line, findings table, skipped/errored checks, totals.

    Parameters
    ----------
    report : Report
        What to show.
    console : rich.console.Console
        Where to print (colours follow the console: off when it is not a terminal).
    verbose : bool, default=False
        Also show info findings' hints and every check's status.
    """
    from rich.table import Table
    from rich.text import Text

    ds = report.dataset
    sizes = ", ".join(f"{name} {s.get('n_samples', 0):,}" for name, s in ds.splits.items())
    target = ("regression target" if ds.task == "regression"
              else f"{len(ds.classes)} classes")
    console.print(Text.assemble(("datacheck ", "bold"), f"{report.source}: {ds.modality}, "
                                f"{target}, {sizes}"))
    console.print(Text(f"  task: {ds.task_text}", style="dim"))
    for note in ds.notes:
        console.print(Text(f"  note: {note}", style="dim"))
    if report.findings:
        table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("split", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for f in report.findings:
            body = Text(f.message)
            if f.samples:
                shown = ", ".join(f.samples[:_MAX_SAMPLES_SHOWN])
                more = f" (+{f.n_samples - _MAX_SAMPLES_SHOWN:,} more)" if f.n_samples > _MAX_SAMPLES_SHOWN else ""
                body.append(f"\n{shown}{more}", style="dim")
            if f.hint and (f.severity >= Severity.WARNING or verbose):
                body.append(f"\n→ {f.hint}", style="green")
            table.add_row(Text(f.severity.value, style=_STYLE[f.severity]), f.code, f.split or "-", body)
        console.print(table)
    else:
        console.print(Text("No findings.", style="green"))
    for outcome in report.checks:
        if outcome.status is Status.SKIPPED:
            console.print(Text(f"  skipped {outcome.id}: {outcome.reason}", style="dim"))
        elif outcome.status is Status.ERRORED:
            console.print(Text(f"  errored {outcome.id}: {outcome.reason}", style="bold magenta"))
        elif verbose:
            console.print(Text(f"  {outcome.status.value} {outcome.id} ({outcome.duration_s:.2f} s)", style="dim"))
    counts = report.summary
    ran = sum(o.status in (Status.PASSED, Status.FAILED) for o in report.checks)
    console.print(Text.assemble(
        (f"{counts['error']} error(s)", _STYLE[Severity.ERROR] if counts["error"] else "green"), ", ",
        (f"{counts['warning']} warning(s)", _STYLE[Severity.WARNING] if counts["warning"] else "green"),
        f", {counts['info']} info; {ran} of {len(report.checks)} checks ran"))
