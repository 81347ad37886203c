"""Identical table rows that chance explains: features with few distinct values repeat.

A table whose columns take few values (answers on a 1-5 scale, categories such as
``low/med/high``) has few distinct rows, and a sample of it repeats them: 3,000 rows over four
categorical columns of 3-4 levels (144 combinations) hold about 2,850 repeats with nothing
copied. Such repeats, and the different labels they carry where the label is uncertain, are
the data, not a defect. A pure function used by ``duplicates``.

For a group of ``s`` identical rows among ``n``, with every frequency counted outside the
group:

- the *rate* of its row: ``lambda = (n - s) * f_1(v_1) * prod_j>1 f_j(v_j | v_j-1)``, each
  column conditioned on the previous one's value (answers that move together are not
  multiplied as independent ones), or its own frequency where that pair of values occurs in
  the group alone (always, with two columns);
- whether every value of the row *recurs* elsewhere;
- a *size test*: ``s - 1`` or more such rows are not unlikely (``ALPHA`` over the number of
  groups, Bonferroni) under a Poisson count whose mean is the most the combination can recur,
  as often as its rarest value (a row repeated more often than even that stays a copy:
  deliberate oversampling).

Repeats are chance where the row is common (``lambda >= MIN_RATE``) and the size passes; where
chance explains most repeated rows the features are coarse, and any row whose values all
recur qualifies (dependence the product misses makes combinations commoner than it says).
Different labels are judged the same way without the size test. A value found nowhere else
(a measurement, an id) gives a rate of 0 and recurs nowhere, so any copy of its row stays a
copy.

The product misses dependence beyond neighbouring columns, and calls rare the rows of a table
whose columns settle each other (Telco churn: a month's tenure makes the total charge the
monthly one, no internet service fixes six other columns and the price tier). Its different
labels tell what such rows are: where identical rows carry different labels at least half as
often as labels drawn independently of the rows would (``labels_uncertain``), they are distinct
samples whose outcome their features do not settle, not one sample copied (whose label would
agree) or labelled twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

# Below this chance of a group at least as large, the group is a copy rather than chance.
ALPHA = 1e-3
# Below this expected number of other rows equal to a group's, its repeats are copies.
MIN_RATE = 0.1
# Identical rows' labels are an uncertain outcome where they differ at least this share as
# often as labels drawn independently of the rows, the marginal's rate: features that explain
# a binary outcome's variance by a share r lower it to 1 - r (a label the features explain at
# most half of is an outcome); copies of one sample, and labels the features settle, agree.
# Measured on real tables (groups of identical rows that differ / what independent labels
# give): Telco churn 18 / 14.2, a marketing survey's 9 income bands 320 / 438.9, caravan
# insurance among 85 customer categories 119 / 148.3; a soybean disease, which its 35 plant
# attributes settle, 1 / 39.0.
OUTCOME_SHARE = 0.5
# ... unless they differ significantly less often, by this one-sided normal quantile (95%).
OUTCOME_Z = 1.645


@dataclass(frozen=True)
class GroupChance:
    """How chance stands to each group of identical rows.

    Parameters
    ----------
    rate : numpy.ndarray
        ``lambda``: the expected number of other rows equal to the group's.
    recurs : numpy.ndarray
        Whether every value of the row is found outside the group.
    size_ok : numpy.ndarray
        Whether the group's size passes the Poisson test (``ALPHA``, Bonferroni over groups).
    """

    rate: np.ndarray
    recurs: np.ndarray
    size_ok: np.ndarray

    @property
    def repeats(self) -> np.ndarray:
        """Groups whose repeats chance explains: a common row, and a plausible size."""
        return (self.rate >= MIN_RATE) & self.size_ok

    def coarse(self, sizes: np.ndarray) -> bool:
        """Whether chance explains most repeated rows (``repeats``): the features are coarse,
        and even a row the product calls rare is one of many such (dependence the product
        misses makes combinations commoner than it says)."""
        return bool(sizes[self.repeats].sum() >= sizes.sum() / 2)

    def explained(self, sizes: np.ndarray, labels_differ: np.ndarray) -> np.ndarray:
        """Groups that chance explains. On coarse features any row whose every value recurs
        qualifies, else a common one (``rate >= MIN_RATE``); repeats need a plausible size,
        while different labels need none (an uncertain label differs however often its
        inputs recur)."""
        row = self.recurs if self.coarse(sizes) else self.rate >= MIN_RATE
        return row & (self.size_ok | labels_differ)


def chance_groups(columns: Iterable[np.ndarray], n: int, members: np.ndarray, starts: np.ndarray,
                  sizes: np.ndarray) -> GroupChance:
    """How chance stands to each group of identical rows.

    Parameters
    ----------
    columns : iterable of numpy.ndarray
        The split's feature columns, each as non-negative int codes of its values (one code
        per distinct value, missing included), one per row; read lazily, and no further once
        no group's values recur (a column of measurements settles them all).
    n : int
        Rows of the split.
    members, starts, sizes : numpy.ndarray
        The groups (``duplicates.HashGroups``): row indices grouped, each group's offset in
        ``members`` and its size.

    Returns
    -------
    GroupChance
    """
    from scipy.special import gammainc

    k = len(sizes)
    if not n or not k:
        return GroupChance(np.zeros(k), np.zeros(k, bool), np.zeros(k, bool))
    first = members[starts]
    others = np.maximum(n - sizes, 1).astype(np.float64)
    log_rate = np.log(others)
    rarest = np.ones(k)  # the least frequent value of each row, outside its group
    previous = None
    for codes in columns:
        outside = np.bincount(codes)[codes[first]] - sizes
        share = np.maximum(outside, 0) / others
        rarest = np.minimum(rarest, share)
        if previous is not None:
            # conditioned on the previous column's value: columns that move together (answers
            # driven by one opinion) are not taken for independent ones; where the pair of
            # values occurs in the group alone (two columns: always), their own frequency
            pairs = previous * (int(codes.max()) + 1) + codes
            both = np.bincount(pairs)[pairs[first]] - sizes
            given = np.bincount(previous)[previous[first]] - sizes
            share = np.where(both > 0, np.maximum(both, 0) / np.maximum(given, 1), share)
        with np.errstate(divide="ignore"):
            log_rate += np.log(share)
        if not rarest.any():
            break
        previous = codes.astype(np.int64)
    rate = np.exp(log_rate)
    # P(X >= s - 1) for a Poisson X of mean ``most``, the regularized lower gamma function: the
    # most a combination can recur is as often as its rarest value (whatever moves together);
    # the largest of many groups is always somewhat large, so the test is Bonferroni's
    most = others * rarest
    tail = np.where(most > 0, gammainc(np.maximum(sizes - 1, 1).astype(np.float64), most), 0.0)
    return GroupChance(rate, rarest > 0, tail >= ALPHA / k)


def labels_uncertain(p_differ: np.ndarray, differ: np.ndarray) -> bool:
    """Whether groups of identical rows carry different labels as an uncertain outcome does: not
    significantly less often (``OUTCOME_Z``, one-sided) than ``OUTCOME_SHARE`` of the rate of
    labels drawn independently of the rows.

    Copies of one sample share its label, and a label the features settle agrees between
    samples that share them; an outcome (a churn, a default, an income band) differs between
    such samples nearly as often as independent draws. With few groups the test cannot tell,
    and says uncertain.

    Parameters
    ----------
    p_differ : numpy.ndarray
        Per group: the probability that its labelled members' labels would differ if drawn
        independently from the split's labels.
    differ : numpy.ndarray
        Per group: whether they do.

    Returns
    -------
    bool
    """
    q = OUTCOME_SHARE * p_differ
    expected = float(q.sum())
    spread = float(np.sqrt(np.sum(q * (1 - q))))
    return bool(np.count_nonzero(differ) >= expected - OUTCOME_Z * spread)
