"""Whether a table split's rows are stored in time order: the column they follow, if any.

Rows kept in the order of a date (daily weather, sales, sensor logs) hold labels that drift
and cluster with time, as the data does: that is how such data is stored, not a loader bug,
and ``label_order`` says so at ``info`` rather than warning of a clustered order. A column
counts as the time the rows follow when it is

- the ``time_col`` option, or a date or timestamp column, or text in ISO format
  (``2015-01-31``, ``2015-01-31T08:00``: its text order is its time order), or a numeric
  column named for time (``year``, ``timestamp``, ``epoch``, ``day``, ...), and
- never decreasing from one row to the next, with no missing value and at least
  ``MIN_DISTINCT`` distinct values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datacheck.checks.context import CheckContext

# Distinct values a time column needs (a year column of a few years orders little).
MIN_DISTINCT = 10
_TIME_NAME = re.compile(r"(^|[_\W])(time|timestamp|date|datetime|day|year|epoch|ts)($|[_\W])", re.I)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def time_order(ctx: "CheckContext", split: str) -> str | None:
    """The time column whose order the rows of ``split`` follow, or None.

    Parameters
    ----------
    ctx : CheckContext
        The run; ``ctx.options["time_col"]`` is tried first.
    split : str
        A split name.

    Returns
    -------
    str or None
        The column's name.
    """
    schema = ctx.source(split).schema
    if schema is None:
        return None
    given = ctx.options.get("time_col")
    names = [given] if given in schema.names else []
    names += [f.name for f in schema if f.name != given and _may_be_time(f)]
    for name in names:
        if _follows(ctx.rows(split, [name]).column(0), iso=_is_text(schema.field(name).type)):
            return name
    return None


def _may_be_time(field) -> bool:
    import pyarrow as pa

    t = field.type
    return (pa.types.is_temporal(t) or _is_text(t)
            or ((pa.types.is_integer(t) or pa.types.is_floating(t)) and bool(_TIME_NAME.search(field.name))))


def _is_text(t) -> bool:
    import pyarrow as pa

    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _follows(column, iso: bool) -> bool:
    """Whether the rows follow ``column``: non-decreasing, complete, varied enough (ISO
    text compared as text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(column) < 2 or column.null_count:
        return False
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if iso and not all(_ISO.match(v) for v in column.slice(0, 20).to_pylist()):
        return False
    if pc.any(pc.less(column.slice(1), column.slice(0, len(column) - 1))).as_py():
        return False
    return pc.count_distinct(column).as_py() >= MIN_DISTINCT


def time_order_text(time: str, subject: str) -> tuple[str, str]:
    """The sentence a finding adds where its rows follow ``time``, and its hint.

    Parameters
    ----------
    time : str
        The column (``time_order``).
    subject : str
        What forms the blocks, with its verb: ``labels that follow time form``.
    """
    return (f" The rows are in the order of `{time}`, and {subject} such blocks in that order: how "
            "such data is stored, not a mistake in the file.",
            "Shuffle the training samples every epoch (DataLoader(shuffle=True)), and split by time "
            f"for evaluation (--time-col {time}).")
