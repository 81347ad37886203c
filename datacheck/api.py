"""The Python API: ``datacheck.profile``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from datacheck.errors import ConfigError
from datacheck.report.findings import DatasetSummary, Report

# Quantiles of a regression target given per split in the report.
TARGET_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def select_checks(checks: Iterable[str] | None = None, skip: Iterable[str] | None = None,
                  params: dict[str, dict[str, Any]] | None = None, batch_size: int | None = None):
    """Instantiate the registered checks to run.

    Parameters
    ----------
    checks : iterable of str, optional
        Only these ids (default: all registered).
    skip : iterable of str, optional
        Ids to leave out.
    params : dict, optional
        Check id -> parameter overrides.
    batch_size : int, optional
        Sets the ``batch_size`` parameter of every check that has one, over ``params``.

    Returns
    -------
    list of Check
    """
    from datacheck.checks import REGISTRY, get_check

    wanted = list(checks) if checks else list(REGISTRY)
    skipped = set(skip or ())
    for cid in [*wanted, *skipped, *(params or {})]:
        get_check(cid)
    out = []
    for cid in wanted:
        if cid in skipped:
            continue
        cls = get_check(cid)
        kwargs = dict((params or {}).get(cid, {}))
        if batch_size is not None and "batch_size" in cls.params:
            kwargs["batch_size"] = batch_size  # an explicit batch size wins over a suite's
        out.append(cls(**kwargs))
    return out


def summarize(dataset, scanned=None) -> DatasetSummary:
    """The ``dataset`` part of the report: modality, task, label, classes (none for a
    regression target), split sizes with their class counts or target statistics, and notes
    (the dataset's, and the scan's when given)."""
    import numpy as np

    splits = {}
    for name, split in dataset.splits.items():
        if dataset.is_regression:
            splits[name] = {"n_samples": len(split), "target": target_stats(dataset.target(name))}
        else:
            labelled = split.y[split.y >= 0]
            splits[name] = {"n_samples": len(split), "n_classes": int(len(np.unique(labelled)))}
    notes = list(dataset.notes) + (scanned.notes if scanned is not None else [])
    classes = () if dataset.is_regression else tuple(dataset.classes)
    return DatasetSummary(dataset.modality, dataset.label, classes, splits, tuple(notes),
                          dataset.task, dataset.task_reason)


def target_stats(values) -> dict[str, Any]:
    """Count, range, mean, standard deviation and the 5/25/50/75/95% quantiles of a numeric
    target (missing values left out); None for each statistic of an empty target."""
    import numpy as np

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {"n": 0, "min": None, "max": None, "mean": None, "std": None, "quantiles": []}
    q = np.quantile(v, TARGET_QUANTILES)
    return {"n": int(len(v)), "min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
            "std": float(v.std()), "quantiles": [[p, float(x)] for p, x in zip(TARGET_QUANTILES, q)]}



def column_overview(result, selected=()) -> list[dict]:
    """The report's per-column overview of a scan (``datacheck.scan.columns``), drift judged
    with ``split_consistency``'s ``drift_effect`` as configured (its default when not run);
    empty, with a logged warning, if it cannot be built (it is context, not a check)."""
    import logging

    from datacheck.checks import get_check
    from datacheck.scan.columns import column_overview as overview

    effect = next((c.config["drift_effect"] for c in selected if c.id == "split_consistency"),
                  get_check("split_consistency").params["drift_effect"].default)
    try:
        return overview(result, drift_effect=effect)
    except Exception as exc:  # noqa: BLE001 - the findings stand without the overview
        logging.getLogger(__name__).warning("no column overview: %s: %s", type(exc).__name__, exc)
        return []


def run_smoke(dataset, settings: dict[str, Any] | None = None):
    """Run the model-side smoke probes on a dataset's training split.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset.
    settings : dict, optional
        ``model``, ``steps``, ``device``, ``batch_size``, ``seed`` (None values use the defaults).

    Returns
    -------
    outcomes : list of CheckOutcome
    findings : list of Finding

    Raises
    ------
    ConfigError
        When torch is not installed, or a setting is invalid.
    """
    try:
        from datacheck.smoke import smoke_dataset
        import torch  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        raise ConfigError("The smoke run needs PyTorch: pip install 'datacheck[torch]'.") from None
    kwargs = {k: v for k, v in (settings or {}).items() if v is not None}
    return smoke_dataset(dataset, **kwargs)


def _import_models_in_background() -> None:
    """Start importing the model libraries (``models.LIBRARIES``, about a second) in a thread
    while the data is read and scanned. pandas and pyarrow are imported here first: the
    loaders need them, and the model libraries import them too (two threads importing one
    package can deadlock); so is joblib's process pool (0.03 s), which a regression's
    boosting worker needs before the imports finish (``models.regression.start_worker_early``).
    Only for a path read by the local engine: a DataLoader given as an object may fork worker
    processes while the thread imports (``finish_imports``)."""
    import joblib.externals.loky  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    from datacheck.models import LIBRARIES
    from datacheck.scan.parallel import import_in_background

    import_in_background(LIBRARIES)


def profile(path_or_train: Any = None, *, train: Any = None, val: Any = None, test: Any = None,
            label: str | None = None, split_col: str | None = None, task: str | None = None,
            checks: Iterable[str] | None = None, skip: Iterable[str] | None = None,
            params: dict[str, dict[str, Any]] | None = None, batch_size: int | None = None,
            seed: int = 0, workers: int | None = None,
            progress: Callable[[str, int], Callable[[int], None]] | None = None,
            smoke: dict[str, Any] | bool | None = None, engine: str = "local",
            scheduler: str | None = None, stream: bool | None = None,
            partitions: int | None = None, **options: Any) -> Report:
    """Profile a dataset and return the report.

    Parameters
    ----------
    path_or_train : str, pathlib.Path, DataFrame or tuple, optional
        A path in any layout of DESIGN.md section 4, or the training split as an object.
    train, val, test : DataFrame, pyarrow.Table or tuple (X, y), optional
        Splits given as objects.
    label : str, optional
        The label column (tables and manifests).
    split_col : str, optional
        The split column of a single table.
    task : {"classification", "regression"}, optional
        The learning task; default inferred from the label (a float label with many distinct
        values, or non-whole ones, is a regression target; integers and text are classes).
    checks, skip : iterable of str, optional
        Which check ids to run, and which to leave out.
    params : dict, optional
        Check id -> parameter overrides, e.g. ``{"label_order": {"batch_size": 64}}``.
    batch_size : int, optional
        Training batch size, used by checks that reason about batches.
    seed : int, default=0
        Seed of every random choice, so the same input gives the same findings.
    workers : int, optional
        Processes for image decoding and threads for model fits, and whether a worker
        process may fit gradient boosting beside them (from 2); default the CPUs available
        (affinity and cgroup quota).
    progress : callable, optional
        ``progress(description, total)`` -> ``advance(n)``, for long steps. Where the model
        checks run beside the others (``checks.runner.run_checks``), two threads may call it
        and advance their own bars at the same time.
    smoke : bool or dict, optional
        Also run the model-side smoke probes after the data checks (True, or settings for
        ``run_smoke``: ``model``, ``steps``, ``device``); needs ``datacheck[torch]``.
    engine : {"local", "dask"}, default="local"
        Where the scan runs: this process, or a Dask cluster (``datacheck[dask]``); the
        checks run here on the merged scan either way, with the same findings.
    scheduler : str, optional
        Address of a running Dask scheduler; with ``engine="dask"`` and none, a local
        cluster of ``workers`` processes is started for the run.
    stream : bool, optional
        Read the features of Parquet or CSV tables in record batches rather than whole: True
        always, False never, None (default) when they exceed 1 GiB (uncompressed Parquet, or
        text) or a CSV would not fit in free memory. Checks that compare rows then use a
        stratified sample of each split (the report says so).
    partitions : int, optional
        Scan each split in this many row ranges and merge the results (for testing the
        merge; the findings do not change).
    **options
        Further run-wide options read by checks (e.g. ``model``, ``norm``).

    Returns
    -------
    Report
        Its ``samples`` property is the per-sample table (a DataFrame, one row per sample,
        with every sample-level check's flags and scores), built on first access.
    """
    from datacheck.checks import CheckContext
    from datacheck.checks.runner import run_checks
    from datacheck.data import from_objects, load
    from datacheck.engines import open_engine
    from datacheck.models import validate_options
    from datacheck.models.regression import start_worker_early
    from datacheck.norms import expected_norm
    from datacheck.scan import scan
    from datacheck.scan.parallel import finish_imports

    if seed is None or int(seed) != seed:
        raise ConfigError(f"The 'seed' parameter must be an int. Got {seed!r} instead.")
    selected = select_checks(checks, skip, params, batch_size)
    fits_models = any(check.fits_models for check in selected)
    # Bad options fail here, before a long scan.
    expected_norm(**{k: options.get(k) for k in ("model", "norm", "mean", "std")})
    validate_options(options)
    if isinstance(path_or_train, (str, Path)):
        if train is not None:
            raise ConfigError("Pass either a path or train=..., not both.")
        if engine == "local" and fits_models:
            _import_models_in_background()
        dataset = load(path_or_train, label=label, split_col=split_col, stream=stream, progress=progress)
    else:
        train = path_or_train if path_or_train is not None else train
        dataset = from_objects({"train": train, "val": val, "test": test}, label=label, seed=int(seed),
                               progress=progress)
    if task is not None:
        dataset.set_task(task)
    if fits_models:
        start_worker_early(dataset, {"workers": workers, **options})  # it starts during the scan
    dataset.set_key_columns({k: options[k] for k in ("group_col", "time_col") if options.get(k)})
    if partitions is not None and (isinstance(partitions, bool) or not isinstance(partitions, int)
                                   or partitions < 1):
        raise ConfigError(f"The 'partitions' parameter must be an int >= 1. Got {partitions!r} instead.")
    with open_engine(engine, scheduler, workers) as running:
        result = scan(dataset, workers=workers, progress=progress, partitions=partitions,
                      engine=running, seed=int(seed))
    ctx = CheckContext(dataset, result, {"seed": int(seed), "workers": workers, **options}, progress=progress)
    finish_imports()
    columns: list[dict] = []  # the overview is built while the model checks run
    outcomes, findings = run_checks(ctx, selected, meanwhile=lambda: columns.extend(column_overview(result, selected)))
    if smoke:
        settings = {"batch_size": batch_size, "seed": int(seed), **(smoke if isinstance(smoke, dict) else {})}
        more_outcomes, more_findings = run_smoke(dataset, settings)
        outcomes += more_outcomes
        findings += more_findings
    return Report(source=dataset.source, dataset=summarize(dataset, result), checks=tuple(outcomes),
                  findings=tuple(findings), columns=tuple(columns), sample_index=ctx.sample_index())
