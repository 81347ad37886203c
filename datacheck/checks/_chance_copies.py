"""Identical table rows that chance explains: features with few distinct values repeat.

A table whose columns take few values (answers on a 1-5 scale, categories such as
``low/med/high``) has few distinct rows, and a sample of it repeats them: 3,000 rows over four
categorical columns of 3-4 levels (144 combinations) hold about 2,850 repeats with nothing
copied. Such repeats, and the different labels they carry where the label is uncertain, are
the data, not a defect. A pure function used by ``duplicates``.

For a group of ``s`` identical rows, the chance rate of its row among the ``n - s`` other rows
is the product of each column's frequency of the row's value outside the group, the
columns after the first conditioned on the previous one's value (answers that move together
are not multiplied as independent ones)::

    lambda = (n - s) * f_1(v_1) * prod_j>1 f_j(v_j | v_j-1)

and the group is explained by chance when its row is common enough to expect company
(``lambda >= MIN_RATE``) and ``s - 1`` or more such rows are not unlikely under a Poisson
count of mean ``lambda`` (``P(X >= s - 1) >= ALPHA / groups``: a row repeated far more often
than its values' frequencies allow stays a copy, deliberate oversampling say). A value found nowhere
else (a measurement, an id) gives a rate of 0, so any copy of its row stays a copy; so does
a row whose combination chance gives less than once in ten (a copy among measurements
rounded coarsely, or a rare combination of categories). Dependence beyond neighbouring
columns makes combinations more frequent than the product says, which errs towards calling
repeats copies, never the reverse.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

# Below this chance of a group at least as large, the group is a copy rather than chance.
ALPHA = 1e-3
# Below this expected number of other rows equal to a group's, its repeats are copies.
MIN_RATE = 0.1


def chance_groups(columns: Iterable[np.ndarray], n: int, members: np.ndarray, starts: np.ndarray,
                  sizes: np.ndarray, min_rate: float = MIN_RATE, alpha: float = ALPHA) -> np.ndarray:
    """Whether each group of identical rows is explained by chance.

    Parameters
    ----------
    columns : iterable of numpy.ndarray
        The split's feature columns, each as non-negative int codes of its values (one code
        per distinct value, missing included), one per row; read lazily, and no further once
        every group has a rate of 0 (a column of measurements settles them all).
    n : int
        Rows of the split.
    members, starts, sizes : numpy.ndarray
        The groups (``duplicates.HashGroups``): row indices grouped, each group's offset in
        ``members`` and its size.
    min_rate, alpha : float
        The rate a group's row needs, and the least chance of a group as large, shared by all
        the groups (``MIN_RATE``, ``ALPHA``). Groups whose labels differ are judged with no
        size test: a common combination with an uncertain label carries different labels
        without anyone's mistake, however often it recurs.

    Returns
    -------
    numpy.ndarray
        bool per group.
    """
    from scipy.special import gammainc

    if not n or not len(sizes):
        return np.zeros(len(sizes), bool)
    first = members[starts]
    others = np.maximum(n - sizes, 1).astype(np.float64)
    log_rate = np.log(others)
    previous = None
    for codes in columns:
        outside = np.bincount(codes)[codes[first]] - sizes
        if previous is None:
            share = np.maximum(outside, 0) / others
        else:
            # conditioned on the previous column's value: columns that move together (answers
            # driven by one opinion) are not taken for independent ones
            pairs = previous * (int(codes.max()) + 1) + codes
            both = np.bincount(pairs)[pairs[first]] - sizes
            given = np.bincount(previous)[previous[first]] - sizes
            share = np.maximum(both, 0) / np.maximum(given, 1)
        with np.errstate(divide="ignore"):
            log_rate += np.log(share)
        if np.all(np.isneginf(log_rate)):
            break
        previous = codes.astype(np.int64)
    rate = np.exp(log_rate)
    # P(X >= s - 1) for a Poisson X of mean ``rate``: the regularized lower gamma function
    tail = np.where(rate > 0, gammainc(np.maximum(sizes - 1, 1).astype(np.float64), rate), 0.0)
    # the largest of many groups is always somewhat large: the size test is Bonferroni's
    return (rate > 0) & (rate >= min_rate) & (tail >= alpha / len(sizes))
