"""Zeros that stand for a missing value: a measurement's 0 far below every other value.

Some tables record a value not measured as 0: Pima diabetes has a glucose of 0 in 5 rows and
a BMI of 0 in 11, where every other glucose is 44 or more and every other BMI 18.2 or more;
diamonds measure 0 mm across in 20 rows; Ames' modeldata sets a missing lot frontage to 0. The
zero is not extreme (it sits a few spreads below the median, where the outliers check does not
look), yet it is not a value of the quantity either: nothing lies between it and the lowest
other value, a gap of many steps of the column's own resolution.

Quantities whose zero is real are left alone: counts (the next value, 1, is one step away),
and zero-inflated amounts whose positives start far up but spread over orders of magnitude
(capital gains: the lowest, 114, is a fraction of their spread and of their steps). A pure
function of one column's values, used by ``input_integrity``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The lowest other value lies at least this many of the column's typical steps (the median
# gap between its consecutive distinct values) above 0 ...
GAP_STEPS = 10
# ... and at least this share of the interquartile range of the other values. Measured on 59
# real tables (``benchmarks/real_tables.py``): Pima's glucose 44 above 0 (steps of 1, IQR 42),
# pressure 24 (steps of 2, IQR 16), BMI 18.2 (0.1, 9.1); diamonds' sizes 1.1-3.7 mm (0.01,
# 1.1-1.8); Ames' lot frontage 21 feet (1, 22); glass' magnesium 0.33 (0.01, 0.25), a glass
# type without it. Pima's skin thickness (7: steps of 1) and insulin stay quiet.
GAP_IQR = 0.5
# ... and the bulk lies far from 0: the other values' first quartile at least this many of
# their interquartile ranges above it (Pima 2.4-4, diamonds 2.6, Ames 2.6, glass 13.7). A
# quantity that reaches down towards 0 has real zeros, however sparse its low tail in a small
# sample: breast cancer's concave points error, 0 in 4 of 114 test rows and next 0.0036, has
# its first quartile 1.3 interquartile ranges up.
BULK_IQR = 2.0
# Zeros at least this many, and at most this share of the values (more: a zero-inflated
# quantity, zero its usual value).
MIN_ZEROS = 3
MAX_SHARE = 0.5
# The steps and quartiles of a longer column come from this many of its values, evenly spaced.
SAMPLE = 100_000
# Below this share the zeros are a warning (a few entries that cannot be); from it a block of
# rows that may be a real absence (glass without magnesium, a fifth of the samples): info.
WARN_SHARE = 0.1


@dataclass(frozen=True)
class ZeroMarker:
    """A column's zeros that look like a missing-value marker.

    Parameters
    ----------
    n_zeros : int
        Zeros among the column's values.
    share : float
        Their share of its finite values.
    lowest : float
        The lowest value other than 0.
    q1, q3 : float
        Quartiles of the positive values.
    """

    n_zeros: int
    share: float
    lowest: float
    q1: float
    q3: float


def zero_marker(values: np.ndarray, counts: tuple[int, int, float] | None = None) -> ZeroMarker | None:
    """The zeros of a column of non-negative numbers, where they look like a missing-value
    marker (``GAP_STEPS``, ``GAP_IQR``, ``BULK_IQR``, ``MIN_ZEROS``, ``MAX_SHARE``); else None.

    Parameters
    ----------
    values : numpy.ndarray
        The column's values (non-finite ones are ignored), or a sample of them.
    counts : (int, int, float), optional
        Where ``values`` are a sample (a streamed split's rows): the whole column's zeros,
        finite values and lowest positive value (``FeatureStats.n_zero``, ``n_finite``,
        ``min_positive``), which decide the count, the share and the gap; the sample gives
        the steps and quartiles. Its minimum must be 0 (no negative value).
    """
    values = values[np.isfinite(values)]
    if counts is None:
        zeros, n = int(np.count_nonzero(values == 0)), len(values)
        if (values < 0).any():
            return None
    else:
        zeros, n = int(counts[0]), int(counts[1])
    if zeros < MIN_ZEROS or zeros > MAX_SHARE * n:
        return None
    positive = values[values > 0]
    lowest = (float(positive.min()) if len(positive) else 0.0) if counts is None else float(counts[2])
    # the steps and quartiles from evenly spaced values of a long column (a sort of each)
    positive = positive[::-(-len(positive) // SAMPLE)]
    distinct = np.unique(positive)
    if len(distinct) < 3:
        return None
    step = float(np.median(np.diff(distinct)))
    q1, q3 = (float(q) for q in np.percentile(positive, [25, 75]))
    if not lowest >= max(GAP_STEPS * step, GAP_IQR * (q3 - q1)) or q1 < BULK_IQR * (q3 - q1):
        return None
    return ZeroMarker(zeros, zeros / n, lowest, q1, q3)
