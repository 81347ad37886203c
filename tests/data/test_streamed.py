"""What streamed Parquet and CSV share: label values and split columns read batch by batch."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datacheck.data.streamed import label_values, split_labels


def test_text_labels_share_one_string_per_class():
    column = pa.chunked_array([pa.array(["cat", "dog", None]), pa.array(["cat", "bird"])])
    values = label_values(column)
    assert values.tolist() == ["cat", "dog", None, "cat", "bird"]
    assert values[0] is values[3]  # one object per class, however many rows
    assert label_values(pa.array(["x", "y", "x"]).dictionary_encode()).tolist() == ["x", "y", "x"]
    assert label_values(pa.chunked_array([], pa.string())).tolist() == []


def test_numeric_labels_stay_numbers():
    assert label_values(pa.array([3, 1, 2])).tolist() == [3, 1, 2]
    with_null = label_values(pa.array([1, None]))
    assert with_null[0] == 1 and np.isnan(with_null[1])
    assert label_values(pa.array([0.5, 1.5]).dictionary_encode()).tolist() == [0.5, 1.5]


def test_split_labels_names_each_split_and_its_raw_values():
    values: dict = {}
    parts = split_labels(np.array([10, 11, 12, 13, 14]), pa.array(["Train", "test", None, "train", "valid"]),
                         values)
    assert {k: v.tolist() for k, v in parts.items()} == {"train": [10, 13], "test": [11],
                                                          "unassigned": [12], "val": [14]}
    assert values == {"train": {"Train", "train"}, "test": {"test"}, "unassigned": {None}, "val": {"valid"}}
