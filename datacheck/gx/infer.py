"""Infer a GX expectation suite from a dataset (``datacheck suite PATH -o FILE``).

The suite describes the table of ``suite_frame``: for tables their columns, types, value
ranges, null rates and the label's value set; for images the same over the per-sample
summary (size, channels, mode, pixel range, label set). It adds datacheck's own
expectations (label order, class balance, split leakage; for a regression target its order,
its shift between splits and split leakage) with bounds from the data and
from datacheck's check defaults, and carries those defaults in
``meta["datacheck"]["params"]`` for ``datacheck profile --suite``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datacheck.gx import builders as b
from datacheck.gx import metrics as m
from datacheck.gx.frames import SuiteFrame, suite_frame

NUMERIC_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                 "float16", "float32", "float64", "Float32", "Float64"]
BOOL_TYPES = ["bool", "boolean"]
MAX_SET_SIZE = 50      # a non-numeric column with at most this many values gets a value set
MAX_SIZE_SET = 10      # image heights/widths with at most this many values get a value set
# A regression target's range is widened by this share of its width on each side: new data
# may reach a little past the values seen (the extreme-target check judges far ones).
TARGET_MARGIN = 0.1
TARGET_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# Each quantile may move to the quantile this much below or above it (more for few rows).
QUANTILE_SLACK = 0.05


def _plain(value: Any) -> Any:
    """A numpy scalar as a JSON number or string."""
    return value.item() if isinstance(value, np.generic) else value


def _sorted(values) -> list:
    """Distinct values as JSON scalars, sorted (by text when their types do not compare)."""
    plain = [_plain(v) for v in values]
    try:
        return sorted(plain)
    except TypeError:
        return sorted(plain, key=str)


def column_expectations(frame: pd.DataFrame, column: str, margin: float = 0.0) -> list[dict]:
    """Existence, type, null rate and range (or value set) of one column, from its values.

    Pandas 3 string columns get no type expectation: GX 1.24's type list cannot name
    pandas' ``str`` dtype; their value set (up to 50 values) stands in for it. A numeric
    range is widened by ``margin`` times its width on each side.
    """
    values = frame[column]
    out = [b.expectation("expect_column_to_exist", "critical", f"The table has a column {column!r}.",
                         column=column)]
    n_null = int(values.isna().sum())
    if n_null == 0:
        out.append(b.expectation("expect_column_values_to_not_be_null", "critical",
                                 f"Column {column!r} has no missing values.", column=column))
    else:
        share = math.floor((1 - n_null / len(values)) * 1000) / 1000
        out.append(b.expectation("expect_column_proportion_of_non_null_values_to_be_between", "warning",
                                 f"At least {share:.1%} of column {column!r} is filled in.",
                                 column=column, min_value=share))
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        out.append(b.expectation("expect_column_values_to_be_in_type_list", "critical",
                                 f"Column {column!r} holds booleans.", column=column, type_list=BOOL_TYPES))
    elif pd.api.types.is_numeric_dtype(values):
        out.append(b.expectation("expect_column_values_to_be_in_type_list", "critical",
                                 f"Column {column!r} holds numbers.", column=column, type_list=NUMERIC_TYPES))
        finite = present[np.isfinite(present.to_numpy(dtype=np.float64))]
        if len(finite):
            lo, hi = _plain(finite.min()), _plain(finite.max())
            if margin:
                width = float(hi - lo)
                # A column never negative (a count, a price) stays so.
                floor = 0.0 if lo >= 0 else -math.inf
                lo, hi = max(floor, float(lo) - margin * width), float(hi) + margin * width
            out.append(b.expectation("expect_column_values_to_be_between", "warning",
                                     f"Column {column!r} stays within [{lo:g}, {hi:g}].",
                                     column=column, min_value=lo, max_value=hi))
    elif 0 < present.nunique() <= MAX_SET_SIZE:
        seen = _sorted(present.unique())
        out.append(b.expectation("expect_column_values_to_be_in_set", "warning",
                                 f"Column {column!r} takes one of {len(seen)} known values.",
                                 column=column, value_set=seen))
    return out


def summary_expectations(frame: pd.DataFrame) -> list[dict]:
    """Readability, size, channels, mode and pixel range of the image summary table."""
    ok = frame["ok"].astype(bool)
    readable = b.where_equal("ok", True)
    out = [b.readable_expectation()]
    for column in ("height", "width", "channels", "mode"):
        values = frame.loc[ok, column]
        if column == "mode" or values.nunique() <= MAX_SIZE_SET:
            seen = _sorted(values.unique())
            out.append(b.expectation("expect_column_values_to_be_in_set", "warning",
                                     f"Image {column} is one of {seen}.", check="input_shape",
                                     column=column, value_set=seen, **readable))
        elif len(values):
            lo, hi = _plain(values.min()), _plain(values.max())
            out.append(b.expectation("expect_column_values_to_be_between", "warning",
                                     f"Image {column} stays within [{lo}, {hi}].", check="input_shape",
                                     column=column, min_value=lo, max_value=hi, **readable))
    for c in range(3):
        lows, highs = frame.get(f"min_{c}"), frame.get(f"max_{c}")
        if lows is None or highs is None or not lows.notna().any():
            continue
        lo, hi = float(np.nanmin(lows)), float(np.nanmax(highs))
        out.append(b.expectation("expect_column_values_to_be_between", "warning",
                                 f"No pixel of channel {c} is below {lo:g}.", column=f"min_{c}",
                                 min_value=lo, **readable))
        out.append(b.expectation("expect_column_values_to_be_between", "warning",
                                 f"No pixel of channel {c} is above {hi:g}.", column=f"max_{c}",
                                 max_value=hi, **readable))
    return out


def quantile_expectation(values: pd.Series, label: str) -> dict | None:
    """The target's 5, 25, 50, 75 and 95% quantiles each between the quantiles
    ``QUANTILE_SLACK`` (or four standard errors of the rank, if more) below and above it."""
    finite = values[np.isfinite(values.to_numpy(dtype=np.float64))].to_numpy(dtype=np.float64)
    if len(finite) < 2:
        return None
    q = np.asarray(TARGET_QUANTILES)
    slack = np.maximum(QUANTILE_SLACK, 4 * np.sqrt(q * (1 - q) / len(finite)))
    lows = np.quantile(finite, np.clip(q - slack, 0, 1))
    highs = np.quantile(finite, np.clip(q + slack, 0, 1))
    ranges = [[float(lo), float(hi)] for lo, hi in zip(lows, highs)]
    return b.expectation(
        "expect_column_quantile_values_to_be_between", "warning",
        f"The quantiles of {label!r} ({', '.join(f'{p:.0%}' for p in q)}) stay near their inferred values.",
        check="class_balance", hint="Check how the target was computed and collected; retrain if its "
                                    "distribution changed on purpose.",
        column=label, quantile_ranges={"quantiles": q.tolist(), "value_ranges": ranges})


def target_order_expectations(sf: SuiteFrame, params: dict[str, dict[str, Any]]) -> list[dict]:
    """Per split, a regression target's rank correlation with row position and share of
    narrow batches within what ``label_order`` allows."""
    from datacheck.checks._target.order import MIN_RANK_CORRELATION, MIN_SAMPLES, SORTED_RANK_CORRELATION

    frame, label, split_col = sf.frame, sf.label, sf.split_col
    names, train = list(sf.dataset.splits), sf.dataset.train.name
    batch = int(b.threshold(params, "label_order", "batch_size"))
    excess = float(b.threshold(params, "label_order", "single_label_excess"))
    z = float(b.threshold(params, "label_order", "z_threshold"))
    out = []
    for name in names:
        where = b.where_equal(split_col, name) if len(names) > 1 else {}
        stats = m.target_order(frame.loc[frame[split_col] == name, label], batch)
        if stats is None or stats.n < MIN_SAMPLES:
            continue
        # Beyond this bound a random order is ruled out (z deviations) and the trend is
        # material (train) or the target sorted (evaluation splits), as label_order judges.
        floor = MIN_RANK_CORRELATION if name == train else SORTED_RANK_CORRELATION
        bound = math.ceil(max(floor, z / math.sqrt(stats.n - 1)) * 1000) / 1000
        if bound < 1:
            out.append(b.order_correlation_expectation(label, name, bound, where))
        if stats.n >= 2 * batch:
            limit = round(min(1.0, stats.expected_narrow_batch_ratio + excess), 6)
            out.append(b.narrow_batch_expectation(label, name, name == train, batch, limit, where))
    return out


def target_expectations(sf: SuiteFrame, params: dict[str, dict[str, Any]]) -> list[dict]:
    """A regression target: numeric, complete, within its range (with a margin) and near its
    quantiles; in no order along the file (per split); not shifted between splits; and no
    sample in two splits."""
    from datacheck.checks._target.distribution import SHIFT_P

    frame, label, split_col = sf.frame, sf.label, sf.split_col
    out = column_expectations(frame, label, margin=TARGET_MARGIN)
    quantiles = quantile_expectation(frame[label], label)
    out += [quantiles] if quantiles else []
    if sf.dataset.ordered:
        out += target_order_expectations(sf, params)
    if len(sf.dataset.splits) > 1:
        out.append(b.shift_expectation(label, split_col, sf.dataset.train.name, params, SHIFT_P))
        out.append(b.leakage_expectation(split_col, ignore_columns=[label]))
    return out


def class_expectations(sf: SuiteFrame, params: dict[str, dict[str, Any]]) -> list[dict]:
    """Label value set, classes per split, label order, class balance and split leakage."""
    from datacheck.checks.label_order import order_stats

    if sf.dataset.is_regression:
        return target_expectations(sf, params)
    frame, label, split_col = sf.frame, sf.label, sf.split_col
    values = frame[label]
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 != 0).any():
        # A continuous (regression) target has no classes: describe it as a column.
        return column_expectations(frame, label)
    classes = _sorted(values.dropna().unique())
    out = b.label_expectations(label, complete=bool(values.notna().all()))
    out.append(b.expectation(
        "expect_column_values_to_be_in_set", "critical", f"Every label is one of the {len(classes)} known classes.",
        check="class_balance", hint="A label the model never saw is always wrong: fix the label, or "
                                    "retrain with the new class.", column=label, value_set=classes))
    names = list(sf.dataset.splits)
    several = len(names) > 1
    batch = int(b.threshold(params, "label_order", "batch_size"))
    excess = float(b.threshold(params, "label_order", "single_label_excess"))
    for i, name in enumerate(names):
        where = b.where_equal(split_col, name) if several else {}
        y = frame.loc[frame[split_col] == name, label]
        codes = m.label_codes(y)
        counts = m.class_counts(codes)
        if several and len(counts):
            present = _sorted(y.dropna().unique())
            out.append(b.expectation(
                "expect_column_distinct_values_to_contain_set", "warning",
                f"Split {name} holds each of its {len(present)} classes.", check="class_balance",
                hint="Keep every class in every split (a stratified split does).",
                column=label, value_set=present, **where))
        if len(counts) < 2:
            continue
        if sf.dataset.ordered:
            bound = m.longest_run_bound(counts)
            if bound is not None:
                out.append(b.run_expectation(label, name, i == 0, bound, where))
            if len(codes) >= 2 * batch:
                expected = order_stats(codes, batch).expected_single_label_batch_ratio
                limit = round(min(1.0, expected + excess), 6)
                out.append(b.batch_expectation(label, name, i == 0, batch, limit, where))
        if i == 0:
            out += b.balance_expectations(label, name, params, where)
    if several:
        content = {"columns": ["hash"]} if sf.kind == "summary" else {"ignore_columns": [label]}
        out.append(b.leakage_expectation(split_col, **content))
    return out


def infer_suite(source, *, label: str | None = None, split_col: str | None = None,
                batch_size: int | None = None, name: str | None = None,
                workers: int | None = None, task: str | None = None) -> dict:
    """Infer an expectation suite from a dataset.

    Parameters
    ----------
    source : str, pathlib.Path, Dataset or SuiteFrame
        The data, in any layout ``datacheck profile`` reads.
    label, split_col : str, optional
        Label and split columns (see ``suite_frame``).
    batch_size : int, optional
        Training batch size, for the single-label batch expectation and ``label_order``.
    name : str, optional
        Suite name (default: derived from the source).
    workers : int, optional
        Image decoding processes.
    task : {"classification", "regression"}, optional
        The learning task (default: inferred from the label). A regression suite describes
        the target's range, quantiles, order and shift between splits instead of classes.

    Returns
    -------
    dict
        The suite in GX 1.x JSON form (``name``, ``expectations``, ``meta``), checked by
        building it with GX.
    """
    from datacheck._version import __version__
    from datacheck.gx.run import suite_from_dict

    sf = source if isinstance(source, SuiteFrame) else suite_frame(
        source, label=label, split_col=split_col, workers=workers, task=task)
    params = b.check_defaults(batch_size)
    if sf.kind == "summary":
        expectations = summary_expectations(sf.frame)
    else:
        expectations = [e for column in sf.frame.columns if column not in (sf.label, sf.split_col)
                        for e in column_expectations(sf.frame, column)]
    expectations += class_expectations(sf, params)
    meta = {"datacheck": {
        "version": __version__, "source": str(sf.dataset.source), "modality": sf.dataset.modality,
        "task": sf.dataset.task, "table": sf.kind, "label": sf.label, "split_column": sf.split_col,
        "splits": list(sf.dataset.splits), "params": params,
    }}
    stem = Path(str(sf.dataset.source)).stem or "dataset"
    suite = {"name": name or f"{stem}.datacheck", "expectations": expectations, "meta": meta,
             "notes": "Inferred by `datacheck suite`; run it with `datacheck validate`, or with plain GX "
                      "after `import datacheck.gx`."}
    return suite_from_dict(suite, source="inferred suite").to_json_dict()


def write_suite(suite: dict, path: str | Path) -> Path:
    """Write a suite dict as indented JSON; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(suite, indent=2) + "\n", encoding="utf-8")
    return path
