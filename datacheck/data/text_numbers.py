"""Numbers stored as text: ``3.2, 1.7, ?, 4.0`` (a missing-value marker) or ``$1,234.50``.

A CSV reader types a column as numbers only when every value parses: one ``?`` (the UCI
repositories' marker), ``-`` or ``missing`` among thousands of numbers makes the whole column
text; so do numbers written for people, with a currency sign, thousands separators or a
percent sign (``$1,234.50``, ``45%``). A pure function over one text column, used by
``input_integrity`` on feature columns and by ``task.label_task`` on labels. A column is
marked when

- at least ``MIN_VALUES`` values are present and at least half of them are numbers (an
  optional sign, digits with an optional decimal point, an optional exponent; or formatted:
  ``FORMATTED``), and
- the others take at most ``MAX_MARKERS`` distinct values, each of them *marker-like*: only
  punctuation (``?``, ``-``, ``.``, ``*``, ``--``), a word for missing (``missing``, ``unknown``,
  ``none``, ``n/a`` ...), whatever the case, or only spaces (``" "``: an empty field to a
  person, a string to a reader, as the blank TotalCharges of the Telco churn table); and there
  is at least one marker or one formatted number (plain numbers alone are no problem of the
  reader's).

A level that is a word or a code (``K`` beside grades ``1``..``12``, ``A1``, ``10+``) is
never a marker: such a column is a category whose levels happen to be mostly numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Present values a column needs before it is judged.
MIN_VALUES = 20
# Distinct marker values at most.
MAX_MARKERS = 3
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# A number written for people: a currency sign, thousands separators or a percent sign
# (``$1,234.50``, ``-€12``, ``45%``); the signs and separators are what ``numbers_of`` strips.
FORMATTED = r"^[+-]?[$€£¥]?\s?[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?$"
FORMAT_SIGNS = r"[$€£¥,%\s]"
PUNCTUATION_ONLY = r"^[^\w\s]+$"
MISSING_WORDS = frozenset({"missing", "unknown", "none", "null", "na", "n/a", "n.a.", "nan", "nil",
                           "undefined", "not available", "not known", "tbd", "empty", "blank", "#n/a",
                           "#value!", "#div/0!", "#ref!", "#num!", "inf", "-inf", "infinity"})


@dataclass(frozen=True)
class TextNumbers:
    """A text column of numbers and missing-value markers.

    Parameters
    ----------
    n_numbers : int
        Values that are numbers.
    markers : dict of str to int
        Each marker value (as stored) and how often it appears, most frequent first.
    rows : numpy.ndarray
        Positions in the column of the values that are markers.
    formatted : int
        Numbers written with a currency sign, thousands separators or a percent sign.
    """

    n_numbers: int
    markers: dict[str, int]
    rows: np.ndarray
    formatted: int = 0


def text_numbers(column) -> TextNumbers | None:
    """The numbers and markers of a text column, or None when it is not such a column.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray
        A column of any type; only text (string, or a dictionary of strings) is judged.

    Returns
    -------
    TextNumbers or None
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    raw = pc.cast(column, pa.string()) if kind != column.type else column
    values = pc.utf8_trim_whitespace(raw)
    # a value of spaces only is present: a reader keeps it as text, and the column with it
    present = pc.fill_null(pc.greater(pc.utf8_length(raw), 0), False)
    n_present = pc.sum(present).as_py() or 0
    if n_present < MIN_VALUES:
        return None
    plain = pc.fill_null(pc.match_substring_regex(values, NUMBER), False)
    number = pc.or_(plain, pc.fill_null(pc.match_substring_regex(values, FORMATTED), False))
    n_numbers = pc.sum(number).as_py() or 0
    formatted = n_numbers - (pc.sum(plain).as_py() or 0)
    if 2 * n_numbers < n_present or (n_numbers == n_present and not formatted):
        return None
    other = pc.and_(present, pc.invert(number))
    blank = pc.equal(pc.utf8_length(values), 0)
    # markers as stored: spaces kept, anything else trimmed
    counts = pc.value_counts(pc.filter(pc.if_else(blank, raw, values), other))
    if len(counts) > MAX_MARKERS:
        return None
    found = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))
    if not all(_marker_like(v) for v in found):
        return None
    rows = np.flatnonzero(np.asarray(other.to_numpy(zero_copy_only=False), bool))
    return TextNumbers(int(n_numbers), dict(sorted(found.items(), key=lambda kv: -kv[1])), rows, int(formatted))


def numbers_of(column) -> np.ndarray:
    """The numbers of a text column as float64: signs and separators of a formatted number
    stripped (``$1,234.50`` is 1234.5, ``45%`` is 45), NaN for anything else.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray
        Text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    number = pc.or_(pc.match_substring_regex(values, NUMBER), pc.match_substring_regex(values, FORMATTED))
    bare = pc.replace_substring_regex(values, FORMAT_SIGNS, "")
    kept = pc.if_else(pc.fill_null(number, False), bare, None)
    return np.asarray(kept.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _marker_like(value: str) -> bool:
    """Punctuation only, a word for missing, or spaces only."""
    import re

    return bool(re.match(PUNCTUATION_ONLY, value)) or value.lower() in MISSING_WORDS or not value.strip()
