"""Expectations in GX 1.x JSON form, and datacheck's thresholds a suite carries.

Shared by the inferred suites (``infer.py``) and the shipped default suites
(``defaults.py``). Severities follow datacheck's: GX ``critical`` is a datacheck error,
``warning`` a warning, ``info`` info. Each datacheck-derived expectation names its check
and a hint in ``meta["datacheck"]``.
"""

from __future__ import annotations

from typing import Any

# Thresholds used when the check that owns them is not registered.
FALLBACK_PARAMS = {
    "label_order": {"batch_size": 32, "single_label_excess": 0.25, "z_threshold": 6.0},
    "class_balance": {"max_imbalance_ratio": 10.0, "min_share_ratio": 0.2, "max_target_shift": 0.2},
    "label_variants": {"max_share": 0.1, "max_names": 100},
}
SHUFFLE_HINT = "Shuffle the samples (DataLoader(shuffle=True), or shuffle the rows once before saving)."
BALANCE_HINT = "Collect more samples of the small classes, or reweight or resample them when training."
SHIFT_HINT = ("Split at random (or stratify on target quantiles) unless the shift is intended; a model "
              "extrapolates poorly beyond the targets it was trained on.")
LEAK_HINT = ("Remove the shared samples from the evaluation split: deduplicate before splitting, "
             "and split before any augmentation.")


def check_defaults(batch_size: int | None = None) -> dict[str, dict[str, Any]]:
    """Every registered check's parameters at their defaults, ``batch_size`` overridden.

    Returns
    -------
    dict
        Check id -> {parameter: default}, for ``meta["datacheck"]["params"]``.
    """
    from datacheck.checks import REGISTRY

    params = {cid: {n: p.default for n, p in cls.params.items()} for cid, cls in REGISTRY.items()}
    if batch_size is not None:
        for values in params.values():
            if "batch_size" in values:
                values["batch_size"] = int(batch_size)
    return {cid: values for cid, values in params.items() if values}


def threshold(params: dict[str, dict[str, Any]], check: str, name: str) -> Any:
    """A check parameter from ``params``, else datacheck's fallback default."""
    return params.get(check, {}).get(name, FALLBACK_PARAMS[check][name])


def expectation(type_: str, severity: str, description: str, *, check: str | None = None,
                hint: str | None = None, **kwargs: Any) -> dict:
    """One expectation in GX 1.x JSON form.

    Parameters
    ----------
    type_ : str
        Snake-case expectation type.
    severity : str
        ``critical``, ``warning`` or ``info``.
    description : str
        What is expected, as a plain sentence (shown in findings).
    check : str, optional
        The datacheck check it mirrors.
    hint : str, optional
        What to do when it fails.
    **kwargs
        The expectation's arguments.
    """
    meta = {k: v for k, v in (("check", check), ("hint", hint)) if v}
    return {"type": type_, "kwargs": kwargs, "severity": severity, "description": description,
            "meta": {"datacheck": meta} if meta else {}}


def where_equal(column: str, value: Any) -> dict:
    """Kwargs restricting an expectation to the rows where ``column == value``.

    A GX comparison condition rather than a pandas query string, so that any engine can
    evaluate it.
    """
    return {"row_condition": {"type": "comparison", "column": {"name": column}, "operator": "==",
                              "parameter": value}}


def label_expectations(label: str, *, complete: bool) -> list[dict]:
    """The label column exists and, when ``complete``, is never missing."""
    out = [expectation("expect_column_to_exist", "critical", f"The table has a label column {label!r}.",
                       column=label)]
    if complete:
        out.append(expectation("expect_column_values_to_not_be_null", "critical", "Every sample has a label.",
                               column=label))
    return out


def batch_expectation(label: str, split: str, is_train: bool, batch_size: int, limit: float,
                      where: dict) -> dict:
    """Less than ``limit`` of the batches of ``batch_size`` consecutive rows hold one label
    (``label_order`` calls an order sorted from ``limit`` on)."""
    return expectation(
        "expect_column_single_label_batch_ratio_to_be_between", "critical" if is_train else "warning",
        f"Fewer than {limit:.0%} of the batches of {batch_size} consecutive samples in split {split} "
        "hold a single label.", check="label_order", hint=SHUFFLE_HINT, column=label,
        batch_size=int(batch_size), max_value=float(limit), strict_max=True, **where)


def run_expectation(label: str, split: str, is_train: bool, bound: int, where: dict) -> dict:
    """No run of one label longer than ``bound`` consecutive rows."""
    return expectation(
        "expect_column_longest_run_to_be_between", "warning" if is_train else "info",
        f"No run of one label in split {split} is longer than {bound} samples "
        "(a random order exceeds it with chance below 1e-6).",
        check="label_order", hint=SHUFFLE_HINT, column=label, max_value=int(bound), **where)


def balance_expectations(label: str, split: str, params: dict, where: dict) -> list[dict]:
    """Class imbalance ratio and smallest class within datacheck's ``class_balance``
    thresholds (it warns at a ratio of ``max_imbalance_ratio`` or more, and for a class below
    ``min_share_ratio`` of a fair share)."""
    ratio = float(threshold(params, "class_balance", "max_imbalance_ratio"))
    share = float(threshold(params, "class_balance", "min_share_ratio"))
    return [
        expectation("expect_column_class_imbalance_ratio_to_be_between", "warning",
                    f"The largest class of split {split} has fewer than {ratio:g} times the samples "
                    "of the smallest.", check="class_balance", hint=BALANCE_HINT, column=label,
                    max_value=ratio, strict_max=True, **where),
        expectation("expect_column_min_class_share_to_be_between", "warning",
                    f"Every class of split {split} has at least {share:.0%} of a fair share of its "
                    "samples (samples over classes).", check="class_balance", hint=BALANCE_HINT,
                    column=label, min_value=share, **where),
    ]


def narrow_batch_expectation(label: str, split: str, is_train: bool, batch_size: int, limit: float,
                             where: dict) -> dict:
    """Less than ``limit`` of the batches of ``batch_size`` consecutive rows span under a
    quarter of the target's spread (``label_order`` calls a target sorted from ``limit`` on)."""
    return expectation(
        "expect_column_narrow_target_batch_ratio_to_be_between", "critical" if is_train else "warning",
        f"Fewer than {limit:.0%} of the batches of {batch_size} consecutive samples in split {split} "
        "span under a quarter of the target's spread.", check="label_order", hint=SHUFFLE_HINT,
        column=label, batch_size=int(batch_size), max_value=float(limit), strict_max=True, **where)


def order_correlation_expectation(label: str, split: str, bound: float, where: dict) -> dict:
    """The target's absolute rank correlation with row position stays at most ``bound``
    (``label_order`` calls a train target clustered, an evaluation target sorted, beyond it)."""
    return expectation(
        "expect_column_target_order_correlation_to_be_between", "warning",
        f"The target of split {split} has a rank correlation with row position of at most {bound:g} "
        "in absolute value.",
        check="label_order", hint=SHUFFLE_HINT, column=label, max_value=float(bound), **where)


def shift_expectation(label: str, split_col: str, reference: str, params: dict, p_value: float) -> dict:
    """No split's target differs from the reference split's beyond sampling noise by a KS
    statistic of ``max_target_shift`` or more (``class_balance``'s target shift)."""
    limit = float(threshold(params, "class_balance", "max_target_shift"))
    return expectation(
        "expect_column_target_shift_ks_to_be_between", "warning",
        f"No split's target differs from {reference}'s by a KS statistic of {limit:g} or more "
        f"beyond sampling noise (p below {p_value:g}).", check="class_balance", hint=SHIFT_HINT,
        column=label, split_column=split_col, reference_split=reference, max_p_value=float(p_value),
        max_value=limit, strict_max=True)


def leakage_expectation(split_col: str, **content: Any) -> dict:
    """No row's content in two splits; ``content`` is ``columns=`` or ``ignore_columns=``."""
    return expectation("expect_column_split_leaked_row_count_to_be_between", "critical",
                       "No sample occurs in more than one split.", check="split_leakage",
                       hint=LEAK_HINT, column=split_col, max_value=0, **content)


def variants_expectation(label: str, params: dict) -> dict:
    """No class name spelled more than one way, over every split (``label_variants``)."""
    return expectation(
        "expect_column_label_variant_count_to_be_between", "warning",
        "No class name is spelled more than one way (case, spacing, punctuation, a rare typo).",
        check="label_variants", hint="Map each spelling to its class's main one before training.",
        column=label, max_value=0, max_share=float(threshold(params, "label_variants", "max_share")),
        max_names=int(threshold(params, "label_variants", "max_names")))


def readable_expectation() -> dict:
    """Every image of the summary table decodes."""
    return expectation("expect_column_values_to_be_in_set", "critical", "Every image file can be decoded.",
                       check="input_integrity", hint="Remove or replace the unreadable files.",
                       column="ok", value_set=[True])
