"""The math behind datacheck's GX expectations, on plain numpy/pandas (no GX here).

The same numbers datacheck's checks compute (``label_order``: longest run and share of
single-label batches, or a regression target's rank correlation with position and share of
narrow batches; ``class_balance``: imbalance ratio and smallest class against a fair share, or
a regression target's KS shift between splits; ``split_leakage``: rows shared between splits;
``label_variants``: class names spelled more than one way),
so that a suite and a profile agree. The regression numbers come from the checks' own
functions (``datacheck.checks._target``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from datacheck.checks._target.distribution import ks_shift
from datacheck.checks._variants import find_variants
from datacheck.checks._target.order import TargetOrderStats, target_order_stats

# A run this unlikely anywhere in a random order of the labels is not chance.
RUN_CHANCE = 1e-6


def label_codes(values) -> np.ndarray:
    """Integer codes of label values (nulls removed first), in order of appearance."""
    series = pd.Series(values)
    codes, _ = pd.factorize(series[series.notna()], use_na_sentinel=True)
    return codes.astype(np.int64, copy=False)


def longest_run(codes: np.ndarray) -> int:
    """Length of the longest block of consecutive equal codes (0 for no codes)."""
    if len(codes) == 0:
        return 0
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return int(np.diff(np.append(starts, len(codes))).max())


def single_label_batch_ratio(codes: np.ndarray, batch_size: int) -> float:
    """Share of the full batches of ``batch_size`` consecutive samples holding one label.

    The last partial batch is dropped, as ``DataLoader(drop_last=True)`` would; 0.0 when
    there is no full batch.
    """
    n_batches = len(codes) // batch_size
    if n_batches == 0:
        return 0.0
    rows = np.sort(codes[:n_batches * batch_size].reshape(n_batches, batch_size), axis=1)
    return float(np.count_nonzero(rows[:, 0] == rows[:, -1]) / n_batches)


def class_counts(codes: np.ndarray) -> np.ndarray:
    """Samples per class present (every count > 0)."""
    counts = np.bincount(codes) if len(codes) else np.zeros(0, np.int64)
    return counts[counts > 0]


def imbalance_ratio(counts: np.ndarray) -> float:
    """Largest class count over smallest (1.0 when balanced; NaN without classes)."""
    return float(counts.max() / counts.min()) if len(counts) else math.nan


def min_class_share(counts: np.ndarray) -> float:
    """The smallest class count over a fair share (samples over classes): 1.0 when
    balanced, as datacheck's ``class_balance`` measures rare classes (NaN without classes)."""
    return float(counts.min() * len(counts) / counts.sum()) if len(counts) else math.nan


def longest_run_bound(counts: np.ndarray, chance: float = RUN_CHANCE) -> int | None:
    """Longest run a random order of these labels exceeds with probability below ``chance``.

    A run of length ``L`` of class ``c`` starting at a given position has probability at
    most ``p_c ** L`` (drawing without replacement), so by the union bound over ``n``
    positions and ``k`` classes ``P(longest >= L) <= n * k * p_max ** L``.

    Returns
    -------
    int or None
        The bound, or None when one class holds every sample (any run is possible).
    """
    n, k = int(counts.sum()), len(counts)
    p_max = counts.max() / n if n else 1.0
    if k < 2 or p_max >= 1.0:
        return None
    length = math.ceil((math.log(n) + math.log(k) - math.log(chance)) / -math.log(p_max))
    return int(min(max(length, 1), n))


def leaked_rows(frame: pd.DataFrame, split: pd.Series) -> np.ndarray:
    """Which rows have content (all of ``frame``'s columns) that also occurs in another split.

    Parameters
    ----------
    frame : pandas.DataFrame
        The columns that define a row's content (features, or an image's content hash).
    split : pandas.Series
        Split of each row, aligned with ``frame``; rows with a null split are never leaked.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the rows. Rows whose compared columns are all null (an unreadable
        image's hash) do not count as equal to each other.
    """
    keep = split.notna().to_numpy() & frame.notna().any(axis=1).to_numpy()
    mask = np.zeros(len(frame), bool)
    if not keep.any():
        return mask
    hashes = pd.util.hash_pandas_object(frame[keep], index=False).to_numpy()
    codes, _ = pd.factorize(split[keep])
    pairs = pd.DataFrame({"h": hashes, "s": codes})
    mask[keep] = (pairs.groupby("h")["s"].transform("nunique") > 1).to_numpy()
    return mask


def target_numbers(values) -> np.ndarray:
    """A target column's finite values as float64, in stored order (nulls and infinities
    removed; text that is not a number counts as missing)."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
    return numbers[np.isfinite(numbers)]


def target_order(values, batch_size: int = 32, seed: int = 0) -> TargetOrderStats | None:
    """``label_order``'s statistics of a regression target in stored order.

    Parameters
    ----------
    values : array-like
        The target column (nulls ignored).
    batch_size : int, default=32
        Batch size of a loader that reads in stored order (at most the number of values).
    seed : int, default=0
        Seeds the random orders behind ``expected_narrow_batch_ratio`` (the other fields
        do not depend on it).

    Returns
    -------
    TargetOrderStats or None
        None for fewer than three values or a constant target (no order to speak of).
    """
    t = target_numbers(values)
    if len(t) < 3 or t.min() == t.max():
        return None
    # Under one full batch there is no batch to judge; one batch of every value keeps the
    # batch statistics defined (0.0) without changing the others.
    return target_order_stats(t, min(int(batch_size), len(t)), np.random.default_rng(seed))


def target_shifts(values, splits, reference: str) -> dict[str, dict[str, float]]:
    """KS statistic and p-value between the reference split's target and each other split's.

    Parameters
    ----------
    values : array-like
        The target column.
    splits : array-like
        Split of each row, aligned with ``values``.
    reference : str
        The split compared with the others (usually ``train``).

    Returns
    -------
    dict
        Split name -> ``{"ks_statistic", "p_value", "n"}``, for each other split with at least
        two finite targets; empty when the reference split has fewer than two.
    """
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)
    names = pd.Series(splits).astype(object).to_numpy()
    finite = np.isfinite(numbers)
    ref = numbers[finite & (names == reference)]
    if len(ref) < 2:
        return {}
    out = {}
    for name in pd.unique(names[finite & pd.notna(names)]):
        other = numbers[finite & (names == name)]
        if name == reference or len(other) < 2:
            continue
        stat, p = ks_shift(ref, other)
        out[str(name)] = {"ks_statistic": stat, "p_value": p, "n": len(other)}
    return out


def label_variant_spellings(values, max_share: float = 0.1, max_names: int = 100) -> list[str]:
    """Labels that ``label_variants`` warns about: the rarer spellings of one class name (case,
    spacing, punctuation, a rare one-slip typo), most common group first.

    Parameters
    ----------
    values : array-like
        The label column (missing values ignored); labels are compared as text.
    max_share, max_names : float, int
        ``label_variants``' parameters of the same names.

    Returns
    -------
    list of str
        The spellings that are not their group's main one, in strong groups only.
    """
    counts = pd.Series(values).dropna().astype(str).value_counts()
    groups = find_variants({name: (int(n),) for name, n in counts.items()}, max_share=max_share,
                           max_names=max_names)
    return [v.name for g in groups for v in g.others if v.strong]
