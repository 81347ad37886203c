"""Render a ``Report`` in the terminal with rich: one table of findings, a line on the column
overview, a line per skip/error.

With ``verbose``, each finding also shows its evidence, summed up in a few lines by its kind's
terminal renderer (``datacheck.report.evidence``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from datacheck.report import evidence
from datacheck.report.findings import Evidence, Report, Severity, Status
from datacheck.report.plots import plain

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_MAX_SAMPLES_SHOWN = 3
_MAX_RAW_CHARS = 200
_MAX_DRIFTED_SHOWN = 5

log = logging.getLogger(__name__)


def evidence_text(ev: Evidence) -> str:
    """A few plain lines for one piece of evidence: its title, then its kind's summary.

    Parameters
    ----------
    ev : Evidence
        What to sum up.

    Returns
    -------
    str
        The title line and the summary indented under it; for a kind that is not registered, or
        data its renderer cannot read, the raw JSON (cut short) with the reason.
    """
    try:
        if not isinstance(ev.data, Mapping):
            raise ValueError("evidence data must be a mapping")
        body = evidence.get_kind(ev.kind).terminal(ev.data)
    except Exception as exc:  # noqa: BLE001 - odd evidence must not stop the report
        log.debug("could not show %s evidence %r: %s", ev.kind, ev.title, exc)
        raw = json.dumps(plain(ev.data), default=str)
        if len(raw) > _MAX_RAW_CHARS:
            raw = raw[:_MAX_RAW_CHARS] + "…"
        body = f"{raw}\n(this {ev.kind} evidence could not be shown: {type(exc).__name__}: {exc})"
    return "\n".join([f"{ev.title}:"] + [f"  {line}" for line in body.splitlines()])


def columns_line(report: Report) -> str | None:
    """One line saying what the per-column overview holds: columns per kind, the drifted ones.

    Parameters
    ----------
    report : Report
        Its ``columns`` (``datacheck.scan.columns``).

    Returns
    -------
    str or None
        E.g. ``Columns: 13 numeric, 2 drifted (hue, alcohol) — see the HTML report or the
        JSON `columns```; the drifted columns by their largest Kolmogorov-Smirnov distance,
        at most ``_MAX_DRIFTED_SHOWN`` named. None when the report has no columns.
    """
    cols = [c for c in report.columns if isinstance(c, Mapping) and c.get("name") is not None]
    if not cols:
        return None
    kinds: dict[str, int] = {}
    for c in cols:
        kind = str(c.get("kind") or "other")
        kinds[kind] = kinds.get(kind, 0) + 1
    parts = [f"{n:,} {kind}" for kind, n in kinds.items()]
    compared = [_drift_of(c) for c in cols]
    if any(d is not None for d in compared):
        drifted = sorted(((d, i) for i, d in enumerate(compared) if d is not None and d[0]),
                         key=lambda t: (-t[0][1], t[1]))
        if drifted:
            names = [str(cols[i]["name"]) for _, i in drifted[:_MAX_DRIFTED_SHOWN]]
            more = f" +{len(drifted) - len(names):,} more" if len(drifted) > len(names) else ""
            parts.append(f"{len(drifted):,} drifted ({', '.join(names)}{more})")
        else:
            parts.append("none drifted")
    return f"Columns: {', '.join(parts)} — see the HTML report or the JSON `columns`"


def _drift_of(col: Mapping) -> tuple[bool, float] | None:
    """Whether a column drifted in any split and its largest distance; None if never compared."""
    drift = [d for d in (col.get("drift") or {}).values() if isinstance(d, Mapping)]
    if not drift:
        return None
    ks = [float(d["ks"]) for d in drift if isinstance(d.get("ks"), (int, float))]
    return any(bool(d.get("drifted")) for d in drift), max(ks, default=0.0)


def render_terminal(report: Report, console: "Console", *, verbose: bool = False) -> None:
    """Print the report: dataset line, findings table, column overview, skipped/errored checks,
    totals.

    Parameters
    ----------
    report : Report
        What to show.
    console : rich.console.Console
        Where to print (colours follow the console: off when it is not a terminal).
    verbose : bool, default=False
        Also show info findings' hints, each finding's evidence and every check's status.
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
        table.add_column("check", overflow="fold", max_width=34)
        table.add_column("split", no_wrap=True)
        table.add_column("finding", overflow="fold", min_width=24)
        for f in report.findings:
            body = Text(f.message)
            if f.samples:
                shown = ", ".join(f.samples[:_MAX_SAMPLES_SHOWN])
                more = f" (+{f.n_samples - _MAX_SAMPLES_SHOWN:,} more)" if f.n_samples > _MAX_SAMPLES_SHOWN else ""
                body.append(f"\n{shown}{more}", style="dim")
            if f.hint and (f.severity >= Severity.WARNING or verbose):
                body.append(f"\n→ {f.hint}", style="green")
            if verbose:
                for ev in f.evidence:
                    body.append(f"\n{evidence_text(ev)}", style="dim")
            table.add_row(Text(f.severity.value, style=_STYLE[f.severity]), f.code, f.split or "-", body)
        console.print(table)
    else:
        console.print(Text("No findings.", style="green"))
    overview = columns_line(report)
    if overview:
        console.print(Text(overview, style="dim"))
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
