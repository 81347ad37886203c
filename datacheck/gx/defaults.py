"""The shipped default suites (``datacheck/expectations/*.json``, copied to ``expectations/``).

They hold what holds for any classification dataset, with datacheck's thresholds: labels
present, batches not single-label, classes balanced, each class spelled one way, no sample in
two splits, images readable; for a regression table: a numeric target present, not sorted along the file
(narrow batches, rank correlation with position), not shifted between splits, no sample in
two splits; and every check's defaults in ``meta["datacheck"]["params"]``, which
``datacheck profile --suite`` applies. Regenerate both copies after changing a check's
defaults with ``python -m datacheck.gx.defaults``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datacheck.gx import builders as b

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "expectations"
REPO_DIR = PACKAGE_DIR.parent.parent / "expectations"
SUITES = {"tabular": "tabular_classification.json", "image": "image_classification.json",
          "tabular_regression": "tabular_regression.json"}
LABEL, TARGET, SPLIT, TRAIN = "label", "target", "split", "train"


def default_suite(modality: str, params: dict[str, dict[str, Any]] | None = None) -> dict:
    """The default suite for ``tabular`` or ``image`` classification, or a
    ``tabular_regression`` table, in GX 1.x JSON form.

    Parameters
    ----------
    modality : str
        ``tabular`` (a table with columns ``label`` and ``split``), ``image`` (datacheck's
        per-sample image summary) or ``tabular_regression`` (a table with a numeric
        ``target`` column and ``split``).
    params : dict, optional
        Check thresholds to carry and apply (default: every registered check's defaults).

    Returns
    -------
    dict
    """
    if modality not in SUITES:
        raise ValueError(f"modality must be one of {sorted(SUITES)}, got {modality!r}")
    params = b.check_defaults() if params is None else params
    if modality == "tabular_regression":
        return _finish(_regression_expectations(params), modality, "table", TARGET, params,
                       "regression of a numeric target on a table", task="regression")
    train = b.where_equal(SPLIT, TRAIN)
    out = [b.readable_expectation()] if modality == "image" else []
    out += b.label_expectations(LABEL, complete=True)
    if modality == "tabular":
        # A random order of three or more balanced classes almost never fills a batch with
        # one label, so the share allowed is datacheck's excess over that.
        out.append(b.batch_expectation(LABEL, TRAIN, True, b.threshold(params, "label_order", "batch_size"),
                                       b.threshold(params, "label_order", "single_label_excess"), train))
    out += b.balance_expectations(LABEL, TRAIN, params, train)
    out.append(b.variants_expectation(LABEL, params))
    content = {"columns": ["hash"]} if modality == "image" else {"ignore_columns": [LABEL]}
    out.append(b.leakage_expectation(SPLIT, **content))
    table = "summary" if modality == "image" else "table"
    return _finish(out, f"{modality}_classification", table, LABEL, params, f"{modality} classification")


def _regression_expectations(params: dict[str, dict[str, Any]]) -> list[dict]:
    """A numeric, complete target; on train, few narrow batches (a random order of a continuous
    target almost never gives one, so the share allowed is datacheck's excess over none) and
    no rank correlation with position at the level ``label_order`` calls sorted; no target
    shift between splits beyond noise; no sample in two splits."""
    from datacheck.checks._target.distribution import SHIFT_P
    from datacheck.checks._target.order import SORTED_RANK_CORRELATION
    from datacheck.gx.infer import NUMERIC_TYPES

    train = b.where_equal(SPLIT, TRAIN)
    return [
        *b.label_expectations(TARGET, complete=True),
        b.expectation("expect_column_values_to_be_in_type_list", "critical", "The target holds numbers.",
                      column=TARGET, type_list=NUMERIC_TYPES),
        b.narrow_batch_expectation(TARGET, TRAIN, True, b.threshold(params, "label_order", "batch_size"),
                                   b.threshold(params, "label_order", "single_label_excess"), train),
        b.order_correlation_expectation(TARGET, TRAIN, SORTED_RANK_CORRELATION, train),
        b.shift_expectation(TARGET, SPLIT, TRAIN, params, SHIFT_P),
        b.leakage_expectation(SPLIT, ignore_columns=[TARGET]),
    ]


def _finish(expectations: list[dict], name: str, table: str, label: str,
            params: dict[str, dict[str, Any]], what: str, task: str | None = None) -> dict:
    """The suite's JSON form, checked by building it with GX; ``task`` is recorded when given
    (``datacheck validate`` then reads the data as that task)."""
    from datacheck.gx.run import suite_from_dict

    info = {"table": table, "label": label, "split_column": SPLIT, **({"task": task} if task else {}),
            "params": params}
    suite = {
        "name": f"datacheck.{name}",
        "expectations": expectations,
        "meta": {"datacheck": info},
        "notes": (f"datacheck's default suite for {what}. Copy it, edit the "
                  "thresholds in meta.datacheck.params (used by `datacheck profile --suite`) and the "
                  "expectations, and run it with `datacheck validate PATH --suite FILE`."),
    }
    data = suite_from_dict(suite, source=f"default {what} suite").to_json_dict()
    data["meta"].pop("great_expectations_version", None)
    return data


def write_default_suites(folders: tuple[Path, ...] = (PACKAGE_DIR, REPO_DIR)) -> list[Path]:
    """Write every default suite into each folder; returns the files written."""
    written = []
    for modality, filename in SUITES.items():
        text = json.dumps(default_suite(modality), indent=2) + "\n"
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / filename).write_text(text, encoding="utf-8")
            written.append(folder / filename)
    return written


if __name__ == "__main__":
    write_default_suites()
