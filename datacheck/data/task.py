"""Which learning task a label implies: classification or regression, and why.

A numeric label whose values are not all whole numbers, or whole numbers too many and too
spread to be class indices or codes, or whose frequency changes smoothly with the value (a
count), is a regression target; booleans, text and other whole numbers are classes. The user
can always override the guess (``--task``, ``task=``).
Multi-label targets are refused with what is supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from datacheck.errors import InputError
from datacheck.spec.tasks import TASKS

SUPPORTED = ("datacheck supports single-label classification (one class per sample) and "
             "single-output regression (one number per sample)")
# A label of whole numbers (integers, or floats with whole values) is read as classes when it
# has at most this many distinct values, or when its values are class indices (0..k-1 or 1..k;
# integers from 0 or 1 with gaps too), or class codes: spread over more than twice as wide a
# range as their count, each held by CODE_SAMPLES samples or more on average. Else it is a
# quantity (a price in whole dollars, an age in years), a regression target: read as classes, a
# price of 3,000 rows made 2,983 classes of one sample each, and an age 69 imbalanced classes
# that no model could tell apart, all of them warnings on clean data.
MAX_WHOLE_CLASSES = 20
CODE_SAMPLES = 5
# Fewer distinct whole numbers can be a quantity too when each is held about once and they
# spread over a range far wider than their count: the weights in pounds of linnerud's 20
# athletes are 16 values from 138 to 247, read as 16 classes of one or two samples before
# (a class_balance warning on clean data). From SPARSE_VALUES values, fewer than two samples
# a value on average, and a range over twice their count.
SPARSE_VALUES = 8
# Before those two rules: whole numbers whose frequency changes smoothly from one value to the
# next are counts or amounts (rentals per hour, items bought), even from 0 or 1. Over the
# range's values (absent ones count 0), the mean change to the next value is at most SMOOTH
# times the mean deviation from the mean frequency, which varies by at least VARIED times it
# (coefficient of variation), both with the top 5% of the frequencies clipped (5,000 classes of
# 3 samples and one of 2,003 made a smooth-looking curve). Measured: negative-binomial counts of
# 200-17,000 samples 0.53 at most; class labels whose frequencies are unrelated to their ids 1.07
# and more (300 random sets of 21-300 classes with uniform or Pareto sizes; CIFAR-100 with a
# class missing, 1,000 classes of 700-1,300 samples). Ranges wider than SMOOTH_RANGE are not
# profiled.
SMOOTH = 0.75
VARIED = 0.5
SMOOTH_RANGE = 10_000_000
# Classes numbered by frequency (200 long-tailed classes measure 0.03), or in blocks of equal
# sizes, are smooth too, but their frequencies never rise again: with at least SORTED_FROM
# values, every value of the range present and the frequencies monotone, the numbers are class
# ids. A sampled count's tail is never so tidy: 0 of 6,464 negative-binomial and geometric
# samples (300-1,000,000 draws) with 25 or more values were, 5 of 683 with 21-24.
SORTED_FROM = 25
# Object labels inspected for lists (a list-valued column holds lists throughout), and text
# labels for numbers (class names are turned away by their first values).
PROBE_ROWS = 1000
_LIST_TEXT = re.compile(r"^\s*[\[\(].*,.*[\]\)]\s*$")


@dataclass(frozen=True)
class TaskChoice:
    """The task a run uses and why.

    Parameters
    ----------
    task : str
        ``classification`` or ``regression``.
    reason : str
        Why, for the report header: ``inferred: ...`` or ``--task``.
    """

    task: str
    reason: str

    def describe(self) -> str:
        """``regression (inferred: float target with 214 distinct values)``."""
        return f"{self.task} ({self.reason})" if self.reason else self.task


def label_task(label_arrays: dict[str, np.ndarray], source: str) -> tuple[dict[str, np.ndarray], TaskChoice]:
    """The labels to encode and the inferred task (``infer_task``).

    Text labels that are numbers but for a missing-value marker (``12.5``, ``?``, ``13.1``) or
    their formatting (``$1,250``: ``text_numbers``) become floats, the markers missing; the
    reason says so. Read as text, each number would be a class of its own.

    Parameters
    ----------
    label_arrays : dict of str to numpy.ndarray
        Raw labels per split (any dtype; None/NaN means missing).
    source : str
        The dataset's source, for error messages.

    Returns
    -------
    labels : dict of str to numpy.ndarray
        ``label_arrays``, or the same as float64 with NaN for the markers.
    choice : TaskChoice
    """
    import pandas as pd
    import pyarrow as pa

    from datacheck.data.text_numbers import FORMATTED, NUMBER, numbers_of, text_numbers

    parts = [np.asarray(v).reshape(-1) for v in label_arrays.values()]
    values = np.concatenate(parts) if parts else np.zeros(0)
    marked = None
    if values.dtype.kind in "OUS" and pd.api.types.infer_dtype(values, skipna=True) == "string":
        # class names (cat, dog) are turned away by their first values, before the whole column
        # is matched
        probe = [v.strip() for v in values[:PROBE_ROWS] if isinstance(v, str) and v.strip()]
        if probe and sum(bool(re.match(NUMBER, v) or re.match(FORMATTED, v)) for v in probe) * 2 >= len(probe):
            marked = text_numbers(pa.array(values, type=pa.string(), from_pandas=True))
    if marked is None:
        return label_arrays, infer_task(label_arrays, source)
    labels = {name: numbers_of(pa.array(np.asarray(v).reshape(-1), type=pa.string(), from_pandas=True))
              for name, v in label_arrays.items()}
    choice = infer_task(labels, source)
    read = (["currency or percent signs and thousands separators stripped"] if marked.formatted else []) + (
        [f"labels {', '.join(repr(m) for m in marked.markers)} read as missing"] if marked.markers else [])
    return labels, TaskChoice(choice.task, f"{choice.reason}; {'; '.join(read)}")


def infer_task(label_arrays: dict[str, np.ndarray], source: str) -> TaskChoice:
    """Guess the task from the raw labels of every split; refuse multi-label targets.

    Parameters
    ----------
    label_arrays : dict of str to numpy.ndarray
        Raw labels per split (any dtype; None/NaN means missing).
    source : str
        The dataset's source, for the error message.

    Returns
    -------
    TaskChoice

    Raises
    ------
    InputError
        When the labels are multi-label: 2-D (multi-hot) or lists per sample.
    """
    import pandas as pd

    for name, values in label_arrays.items():
        _refuse_multi_label(np.asarray(values), source, name)
    parts = [np.asarray(v).reshape(-1) for v in label_arrays.values()]
    values = np.concatenate(parts) if parts else np.zeros(0)
    if not pd.notna(values).any():
        return TaskChoice("classification", "no label values to infer it from")
    kind = pd.api.types.infer_dtype(values, skipna=True) if values.dtype.kind == "O" else values.dtype.kind
    integer = kind in ("i", "u", "integer")
    if not integer and kind not in ("f", "floating", "mixed-integer-float"):
        what = {"b": "boolean", "boolean": "boolean"}.get(kind, "text")
        return TaskChoice("classification", f"inferred: {what} target")
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    numbers = numbers[np.isfinite(numbers)]
    distinct = np.unique(numbers)
    k = len(distinct)
    if k and not np.all(distinct == np.round(distinct)):
        return TaskChoice("regression", f"inferred: float target with {k:,} distinct values")
    if k > MAX_WHOLE_CLASSES and _counts_like(*_on_grid(numbers, distinct)):
        return TaskChoice("regression", f"inferred: {'integer' if integer else 'whole-number'} target with "
                                        f"{k:,} distinct values whose frequency changes smoothly with the "
                                        "value (a count or an amount); pass --task classification if they "
                                        "are classes")
    # integers from 0 or 1 are read as class indices even with gaps (a subset of a dataset's
    # classes: CIFAR-100 with a class missing); whole floats only when contiguous
    indices = k > 0 and distinct[0] in (0, 1) and (integer or distinct[-1] - distinct[0] == k - 1)
    # codes: few values spread thinly over their range, each held by many samples (1001, 2300, ...)
    spread = k > 0 and distinct[-1] - distinct[0] + 1 > 2 * k
    codes = spread and len(numbers) >= CODE_SAMPLES * k
    if spread and not indices and k >= SPARSE_VALUES and len(numbers) < 2 * k:
        return TaskChoice("regression", f"inferred: {'integer' if integer else 'whole-number'} target with "
                                        f"{k:,} distinct values held about once each over a range of "
                                        f"{distinct[-1] - distinct[0]:,.0f} (measurements); pass --task "
                                        "classification if they are classes")
    if k <= MAX_WHOLE_CLASSES or indices or codes:
        what = (f"integer target with {k:,} distinct values" if integer
                else f"float target of {k} distinct whole numbers")
        # a few values from 0 whose frequency changes smoothly may be a count (children,
        # goals) as well as ordered classes: read as classes, but the override is named
        count = (k > MAX_WHOLE_CLASSES or (k >= 8 and distinct[0] == 0
                                           and _counts_like(numbers, distinct)))
        return TaskChoice("classification", f"inferred: {what}"
                                            + (", read as class indices" if indices else "")
                                            + ("; pass --task regression if it is a quantity"
                                               if count else ""))
    if integer:
        return TaskChoice("regression", f"inferred: integer target with {k:,} distinct values, too many "
                                        "and too spread for classes; pass --task classification if "
                                        "they are class codes")
    return TaskChoice("regression", f"inferred: float target with {k:,} distinct values")


def _counts_like(numbers: np.ndarray, distinct: np.ndarray) -> bool:
    """Whether whole numbers look like counts: a frequency that changes smoothly with the value
    and varies (``SMOOTH``, ``VARIED``)."""
    lo, hi = distinct[0], distinct[-1]
    if hi - lo + 1 > SMOOTH_RANGE:
        return False
    counts = np.bincount((numbers - lo).astype(np.int64))
    # the top 5% of the frequencies clipped: one big class among equal ones is no curve
    freq = np.minimum(counts.astype(np.float64), np.quantile(counts, 0.95))
    deviation = np.abs(freq - freq.mean()).mean()
    varied = freq.std() >= VARIED * freq.mean()
    return bool(varied and deviation > 0 and np.abs(np.diff(freq)).mean() <= SMOOTH * deviation
                and not _sorted_ids(counts))


def _on_grid(numbers: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers in units of their greatest common divisor: prices rounded to hundreds
    (6300, 7000, ...) step by 1 as counts do, and their frequency is judged value by value,
    not over the 99 empty values between two of them."""
    whole = np.abs(distinct) < 2.0 ** 62
    if not whole.all():
        return numbers, distinct
    unit = int(np.gcd.reduce(distinct.astype(np.int64)))
    return (numbers / unit, distinct / unit) if unit > 1 else (numbers, distinct)


def _sorted_ids(freq: np.ndarray) -> bool:
    """Whether the frequencies of whole numbers over their range (``freq[i]``: samples of the
    range's i-th value) make them ids in order of frequency (``SORTED_FROM``): every value
    present, frequencies that never rise or never fall."""
    if len(freq) < SORTED_FROM or not np.all(freq > 0):
        return False
    step = np.diff(freq)
    return bool(np.all(step <= 0) or np.all(step >= 0))


def _refuse_multi_label(values: np.ndarray, source: str, split: str) -> None:
    """Raise ``InputError`` for multi-hot rows or list-valued labels."""
    if values.ndim == 2 and values.shape[1] > 1:
        one_hot = (np.isin(values, (0, 1)).all() and (values.sum(axis=1) == 1).all())
        what = ("one-hot rows: pass class indices" if one_hot
                else "several labels per sample (multi-hot), which is not supported")
        raise InputError(source, f"split {split!r}: labels have shape {values.shape}, {what}; {SUPPORTED}")
    if values.dtype.kind != "O" or not len(values):
        return
    probe = [v for v in values[:PROBE_ROWS] if v is not None]
    if any(isinstance(v, (list, tuple, set, np.ndarray)) for v in probe) or (
            probe and all(isinstance(v, str) and _LIST_TEXT.match(v) for v in probe)):
        raise InputError(source, f"split {split!r}: labels are lists (several labels per sample, "
                                 f"e.g. {probe[0]!r}), which is not supported; {SUPPORTED}")


def chosen_task(task: str) -> TaskChoice:
    """The choice the user made with ``--task`` / ``task=``.

    Raises
    ------
    ConfigError
        When ``task`` is not a known task.
    """
    from datacheck.errors import ConfigError

    if task not in TASKS:
        raise ConfigError(f"The 'task' parameter must be one of {', '.join(TASKS)}. Got {task!r} instead.")
    return TaskChoice(task, "set by --task")
