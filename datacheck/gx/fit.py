"""Whether a suite fits the data it is validated on, and which expectations apply to it.

A suite written for another kind of data (the image suite on a table, the tabular suite on an
image folder), or one naming columns the data lacks, is refused before it runs: every result
would be noise ("observed None"). Expectations that ask about something the data does not
have (a split that is absent, a row order an image folder lacks, a comparison of splits in
data with one split) are reported as not applicable instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from datacheck.errors import InputError
from datacheck.gx.frames import SuiteFrame

# The frame a suite describes, by ``meta.datacheck.table`` (and SuiteFrame.kind).
KINDS = {"table": "a table (its own columns)",
         "summary": "image data (datacheck's per-image summary: path, hash, size, channel statistics)"}
# Expectation arguments that name columns the frame must hold.
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list", "columns")
# Expectation types that say themselves whether a column exists.
EXISTENCE_TYPES = ("expect_column_to_exist", "expect_table_columns_to_match_set",
                   "expect_table_columns_to_match_ordered_list", "expect_table_columns_to_contain_set")


def data_kind(sf: SuiteFrame) -> str:
    """What the data at hand is, in words."""
    if sf.kind == "summary":
        return "image data" if sf.dataset.modality == "image" else "an array of images"
    return "a table" if sf.dataset.modality == "tabular" else "an array of features (columns x0, x1, ...)"


def check_fits(suite, info: dict, sf: SuiteFrame, suite_file: str | Path, path: str | Path) -> None:
    """Refuse a suite written for another kind of data, or naming columns the data lacks.

    Parameters
    ----------
    suite : great_expectations.ExpectationSuite
    info : dict
        The suite's ``meta["datacheck"]`` (empty for a plain GX suite).
    sf : SuiteFrame
        The frame it would run on.
    suite_file, path : str or pathlib.Path
        The suite file and the data, for the message.

    Raises
    ------
    InputError
        One line naming the suite, the data and what does not fit.
    """
    name = Path(suite_file).name
    wanted = info.get("table")
    if wanted in KINDS and wanted != sf.kind:
        raise InputError(suite_file, f"suite {suite.name!r} is for {KINDS[wanted].split(' (')[0]}, but "
                                     f"{path} is {data_kind(sf)}; write a suite for it with "
                                     f"'datacheck suite {path} -o FILE' (or use the shipped suite of "
                                     "its kind)")
    columns = set(map(str, sf.frame.columns))
    missing: list[str] = []
    for expectation in suite.expectations:
        config = expectation.configuration
        if config.type in EXISTENCE_TYPES:
            continue
        for column in named_columns(config):
            if column not in columns and column not in missing:
                missing.append(column)
    if missing:
        shown = ", ".join(sorted(columns)[:12]) + (", ..." if len(columns) > 12 else "")
        raise InputError(suite_file, f"suite {name} does not fit {path}: its expectations name "
                                     f"column{'s' if len(missing) > 1 else ''} "
                                     f"{', '.join(map(repr, missing[:8]))} that the data lacks (its "
                                     f"columns: {shown}); pass --label if the label has another "
                                     "name, or write a suite for this data with 'datacheck suite'")


def named_columns(config) -> list[str]:
    """The columns an expectation reads (``column``, ``column_list``...), as text."""
    out = []
    for key in COLUMN_KWARGS:
        value = config.kwargs.get(key)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(str(v) for v in value)
    return out


def not_applicable(config, sf: SuiteFrame, split_of) -> str | None:
    """Why an expectation does not apply to this data, or None when it does.

    Parameters
    ----------
    config : ExpectationConfiguration
    sf : SuiteFrame
    split_of : callable
        ``split_of(config, split_col)``: the split a row condition restricts it to, or None.
    """
    splits = set(map(str, sf.frame[sf.split_col].dropna().unique())) if sf.split_col in sf.frame else set()
    split = split_of(config, sf.split_col)
    if split is not None and str(split) not in splits:
        have = ", ".join(sorted(splits)) or "none"
        return f"the data has no split {split!r} (its splits: {have})"
    compares = config.kwargs.get("column") == sf.split_col or "split_column" in config.kwargs
    if compares and len(splits) < 2:
        return f"it compares splits, and the data has one ({', '.join(sorted(splits))})"
    if needs_order(config) and not sf.dataset.ordered:
        return ("it reads the row order, and this data has none that training would follow "
                "(an image folder is listed, not ordered)")
    return None


def needs_order(config) -> bool:
    """Whether an expectation's result depends on row order: its datacheck check needs order,
    or its class says so (``row_order``)."""
    from datacheck.checks import REGISTRY

    check = ((config.meta or {}).get("datacheck") or {}).get("check")
    if check in REGISTRY and "order" in REGISTRY[check].needs:
        return True
    try:
        expectation = config.to_domain_obj()
    except Exception:  # noqa: BLE001 - an expectation GX cannot build says nothing of order
        return False
    return bool(getattr(type(expectation), "row_order", False))
