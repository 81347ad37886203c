"""Turn in-memory Python objects (DataFrames, numpy arrays) into a ``Dataset``."""

from __future__ import annotations

from typing import Any

import numpy as np

from datacheck.data.arrays import arrays_to_dataset
from datacheck.data.dataset import Dataset, normalize_split_name
from datacheck.data.tables import tables_to_dataset
from datacheck.data.torch_input import is_torch_data, torch_to_dataset
from datacheck.errors import InputError


def from_objects(splits: dict[str, Any], *, label: str | None = None, seed: int = 0,
                 progress=None) -> Dataset:
    """Build a ``Dataset`` from objects given per split.

    Parameters
    ----------
    splits : dict of str to object
        Split name -> a pandas DataFrame holding the label column, a pyarrow Table, a tuple
        ``(X, y)`` of a numpy array (or DataFrame) and labels, or a torch ``Dataset`` or
        ``DataLoader`` (read through its transforms: what the first layer sees).
    label : str, optional
        The label column of DataFrames; default the first of ``label, target, class, y``.
    seed : int, default=0
        Seed of the sample drawn from a torch ``Dataset`` too large to read whole.
    progress : callable, optional
        ``progress(description, total) -> advance(n)``, while torch items are read.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        When an object is of an unsupported type or the splits mix kinds.
    """
    import pandas as pd
    import pyarrow as pa

    splits = {normalize_split_name(k): v for k, v in splits.items() if v is not None}
    if not splits:
        raise InputError("profile()", "no data given: pass a path, or train= (and test=, val=)")
    if any(is_torch_data(v) for v in splits.values()):
        return torch_to_dataset(splits, seed=seed, progress=progress)
    kinds = set()
    tables, pairs = {}, {}
    for name, obj in splits.items():
        if isinstance(obj, pd.DataFrame):
            tables[name] = pa.Table.from_pandas(obj, preserve_index=False)
            kinds.add("table")
        elif isinstance(obj, pa.Table):
            tables[name] = obj
            kinds.add("table")
        elif isinstance(obj, tuple) and len(obj) == 2:
            x, y = obj
            if isinstance(x, pd.DataFrame):
                col = label or "label"
                tables[name] = pa.Table.from_pandas(x.assign(**{col: np.asarray(y)}), preserve_index=False)
                kinds.add("table")
            else:
                pairs[name] = (np.asarray(x), np.asarray(y))
                kinds.add("array")
        else:
            raise InputError(f"profile({name}=...)", f"unsupported type {type(obj).__name__}; pass a "
                             "DataFrame with a label column or a tuple (X, y)")
    if len(kinds) > 1:
        raise InputError("profile()", "splits mix tables and arrays; pass the same kind for every split")
    if tables:
        return tables_to_dataset(tables, label=label, path="profile()", source="<DataFrame>")
    return arrays_to_dataset(pairs, source="<arrays>", label=label or "y")
