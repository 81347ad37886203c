"""Read a ``--time-col`` column as comparable numbers, whatever its type."""

from __future__ import annotations

from typing import Callable

import numpy as np


def time_values(column) -> tuple[np.ndarray, Callable[[float], str]]:
    """A time column as float64 (NaN where missing or unparseable) and a formatter.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        Timestamps, dates, numbers, or strings in a format pandas parses.

    Returns
    -------
    values : numpy.ndarray
        Nanoseconds since the epoch for dates and times, the number itself otherwise.
    fmt : callable
        Renders one value for a message (ISO date-time, or the number).
    """
    import pandas as pd
    import pyarrow as pa

    t = column.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=np.float64), lambda v: f"{v:g}"
    series = column.to_pandas()
    if not (pa.types.is_timestamp(t) or pa.types.is_date(t)):
        series = pd.to_datetime(series.astype("string"), errors="coerce", format="mixed")
    stamps = pd.to_datetime(series, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = stamps.astype("datetime64[ns]").to_numpy().astype(np.int64).astype(np.float64)
    ns[stamps.isna().to_numpy()] = np.nan
    return ns, _iso


def _iso(value: float) -> str:
    import pandas as pd

    stamp = pd.Timestamp(int(value))
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
