"""The shipped default suites (``datacheck/expectations/*.json``, copied to ``expectations/``).

They hold what holds for any classification dataset, with datacheck's thresholds: labels
present, batches not single-label, classes balanced, no sample in two splits, images
readable; and every check's defaults in ``meta["datacheck"]["params"]``, which
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
SUITES = {"tabular": "tabular_classification.json", "image": "image_classification.json"}
LABEL, SPLIT, TRAIN = "label", "split", "train"


def default_suite(modality: str, params: dict[str, dict[str, Any]] | None = None) -> dict:
    """The default suite for ``tabular`` or ``image`` classification, in GX 1.x JSON form.

    Parameters
    ----------
    modality : str
        ``tabular`` (a table with columns ``label`` and ``split``) or ``image`` (datacheck's
        per-sample image summary).
    params : dict, optional
        Check thresholds to carry and apply (default: every registered check's defaults).

    Returns
    -------
    dict
    """
    from datacheck.gx.run import suite_from_dict

    if modality not in SUITES:
        raise ValueError(f"modality must be one of {sorted(SUITES)}, got {modality!r}")
    params = b.check_defaults() if params is None else params
    train = b.where_equal(SPLIT, TRAIN)
    out = [b.readable_expectation()] if modality == "image" else []
    out += b.label_expectations(LABEL, complete=True)
    if modality == "tabular":
        # A random order of three or more balanced classes almost never fills a batch with
        # one label, so the share allowed is datacheck's excess over that.
        out.append(b.batch_expectation(LABEL, TRAIN, True, b.threshold(params, "label_order", "batch_size"),
                                       b.threshold(params, "label_order", "single_label_excess"), train))
    out += b.balance_expectations(LABEL, TRAIN, params, train)
    content = {"columns": ["hash"]} if modality == "image" else {"ignore_columns": [LABEL]}
    out.append(b.leakage_expectation(SPLIT, **content))
    table = "summary" if modality == "image" else "table"
    suite = {
        "name": f"datacheck.{modality}_classification",
        "expectations": out,
        "meta": {"datacheck": {"table": table, "label": LABEL, "split_column": SPLIT, "params": params}},
        "notes": (f"datacheck's default suite for {modality} classification. Copy it, edit the "
                  "thresholds in meta.datacheck.params (used by `datacheck profile --suite`) and the "
                  "expectations, and run it with `datacheck validate PATH --suite FILE`."),
    }
    data = suite_from_dict(suite, source=f"default {modality} suite").to_json_dict()
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
