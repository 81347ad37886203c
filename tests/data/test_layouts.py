"""Loaders: every layout of DESIGN.md section 4, split-name normalisation, clear input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from datacheck.data import from_objects, load, normalize_split_name
from datacheck.errors import InputError


def _png(path, value=0, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size, value, np.uint8)).save(path)


@pytest.mark.parametrize("raw, canonical", [("valid", "val"), ("Validation", "val"), ("val", "val"),
                                            ("TRAIN", "train"), ("test", "test"), ("holdout", "holdout")])
def test_split_names_are_normalized(raw, canonical):
    assert normalize_split_name(raw) == canonical


def test_image_split_folders(tmp_path):
    for split in ("train", "valid", "test"):
        for cls in ("cat", "dog"):
            _png(tmp_path / split / cls / "a.png", 10)
            _png(tmp_path / split / cls / "b.png", 20)
    (tmp_path / "train" / "cat" / "notes.txt").write_text("x")
    ds = load(tmp_path)
    assert ds.modality == "image" and not ds.ordered
    assert list(ds.splits) == ["train", "val", "test"]
    assert ds.classes == ["cat", "dog"]
    train = ds.splits["train"]
    assert train.paths[0] == "train/cat/a.png" and len(train) == 4
    assert train.ignored == ["train/cat/notes.txt"]
    assert ds.classes[train.y[-1]] == "dog"


def test_single_image_split(tmp_path):
    _png(tmp_path / "cat" / "a.png")
    _png(tmp_path / "dog" / "sub" / "b.png")
    ds = load(tmp_path)
    assert list(ds.splits) == ["train"]
    assert ds.splits["train"].paths == ["cat/a.png", "dog/sub/b.png"]


def test_split_tables(tmp_path):
    pd.DataFrame({"f": [1.0, 2.0], "target": ["a", "b"]}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"f": [3.0], "target": ["b"]}).to_parquet(tmp_path / "validation.parquet")
    ds = load(tmp_path)
    assert ds.modality == "tabular" and ds.label == "target"
    assert list(ds.splits) == ["train", "val"]
    assert ds.splits["val"].table.column_names == ["f"]
    assert ds.classes == ["a", "b"] and ds.splits["val"].y.tolist() == [1]


def _table(path, rows=2):
    pd.DataFrame({"f": np.arange(rows, dtype=float), "label": ["a", "b"] * (rows // 2)}).to_csv(path, index=False)


def test_tables_named_for_their_dataset_and_split(tmp_path):
    """Kaggle's naming: fashion-mnist_train.csv and fashion-mnist_test.csv are the splits."""
    _table(tmp_path / "fashion-mnist_train.csv", 4)
    _table(tmp_path / "fashion-mnist_test.csv")
    _table(tmp_path / "fashion-mnist-valid.csv")
    ds = load(tmp_path)
    assert list(ds.splits) == ["train", "val", "test"] and len(ds.splits["train"]) == 4


@pytest.mark.parametrize("names", [
    ("users_train.csv", "items_test.csv"),  # two datasets
    ("mnist_train.csv", "mnist_training.csv"),  # two train splits
    ("mnist_test.csv", "mnist_val.csv"),  # no train split
])
def test_named_splits_that_do_not_make_one_dataset_are_not_joined(tmp_path, names):
    for name in names:
        _table(tmp_path / name)
    with pytest.raises(InputError, match="several tables .* none named train/val/test"):
        load(tmp_path)


def test_tables_named_train_and_test_win_over_named_splits(tmp_path):
    _table(tmp_path / "train.csv", 4)
    _table(tmp_path / "test.csv")
    _table(tmp_path / "old_train.csv", 6)
    ds = load(tmp_path)
    assert list(ds.splits) == ["train", "test"] and len(ds.splits["train"]) == 4


def test_single_table_with_split_column(tmp_path):
    df = pd.DataFrame({"x": range(6), "y": [0, 1] * 3, "split": ["train", "train", "valid", "test", "train", "test"]})
    df.to_csv(tmp_path / "data.csv", index=False)
    ds = load(tmp_path / "data.csv")
    assert {n: len(s) for n, s in ds.splits.items()} == {"train": 3, "val": 1, "test": 2}
    assert ds.splits["train"].table.column_names == ["x"]
    assert ds.splits["train"].sample_id(2) == "train[2]"


def test_label_option_and_missing_label_column(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [0, 1]}).to_csv(tmp_path / "t.csv", index=False)
    assert load(tmp_path / "t.csv", label="b").label == "b"
    with pytest.raises(InputError, match="no label column found"):
        load(tmp_path / "t.csv")
    with pytest.raises(InputError, match="no label column 'zz'"):
        load(tmp_path / "t.csv", label="zz")


def test_npz_layouts(tmp_path):
    np.savez(tmp_path / "a.npz", x_train=np.zeros((4, 8, 8, 3), np.uint8), y_train=[0, 1, 0, 1],
             x_valid=np.zeros((2, 8, 8, 3), np.uint8), y_valid=[0, 1])
    ds = load(tmp_path / "a.npz")
    assert ds.modality == "array" and list(ds.splits) == ["train", "val"]
    np.savez(tmp_path / "b.npz", X=np.ones((3, 5)), y=np.array(["u", "v", "u"]))
    ds = load(tmp_path / "b.npz")
    assert ds.splits["train"].array.shape == (3, 5) and ds.classes == ["u", "v"]


def test_npz_without_known_arrays(tmp_path):
    np.savez(tmp_path / "c.npz", images=np.zeros(3))
    with pytest.raises(InputError, match="x_train"):
        load(tmp_path / "c.npz")


def test_manifest(tmp_path):
    _png(tmp_path / "img" / "1.png", 1)
    _png(tmp_path / "img" / "2.png", 2)
    pd.DataFrame({"filepath": ["img/1.png", "img/2.png"], "label": ["a", "b"],
                  "split": ["train", "test"]}).to_csv(tmp_path / "manifest.csv", index=False)
    ds = load(tmp_path / "manifest.csv")
    assert ds.modality == "image" and ds.ordered
    assert ds.splits["test"].paths == ["img/2.png"] and ds.splits["test"].root == tmp_path


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such file"),
    (lambda p: p, "the folder is empty"),
])
def test_bad_paths(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        load(make(tmp_path))


def test_unparseable_parquet(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot be read"):
        load(tmp_path / "x.parquet")


def test_from_objects_dataframes_and_arrays():
    ds = from_objects({"train": pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"]}),
                       "test": pd.DataFrame({"a": [3.0], "label": ["y"]})})
    assert ds.modality == "tabular" and list(ds.splits) == ["train", "test"]
    ds = from_objects({"train": (np.zeros((3, 4)), np.array([0, 1, 0]))})
    assert ds.modality == "array"
    with pytest.raises(InputError, match="mix"):
        from_objects({"train": pd.DataFrame({"a": [1], "label": [0]}), "test": (np.zeros((1, 1)), [0])})


def test_sample_data_layouts_all_load(sample_data):
    expected = {"clean_images": "image", "clean_tabular": "tabular", "clean_digits.npz": "array",
                "clean_manifest": "image", "defect_sorted_labels.csv": "tabular"}
    for name, modality in expected.items():
        ds = load(sample_data / name)
        assert ds.modality == modality, name
        assert "train" in ds.splits and "test" in ds.splits, name


def test_a_registered_layout_is_tried_by_priority_and_listed_in_the_help(tmp_path, monkeypatch):
    import pyarrow as pa

    from datacheck.data import layouts

    monkeypatch.setattr(layouts, "LAYOUTS", list(layouts.LAYOUTS))
    (tmp_path / "rows.jsonl").write_text('{"a": 1.0, "label": "x"}\n{"a": 2.0, "label": "y"}\n')
    with pytest.raises(InputError, match="unsupported file type .jsonl; expected .*<class>/<image>"):
        load(tmp_path / "rows.jsonl")

    def read_jsonl(request):
        table = pa.Table.from_pandas(pd.read_json(request.path, lines=True), preserve_index=False)
        return layouts.tables_to_dataset({"train": table}, label=request.label, path=request.path,
                                         source=request.source)

    layouts.register_layout(layouts.Layout("jsonl", "a .jsonl table", "file", 5,
                                            lambda r: r.path.suffix == ".jsonl", read_jsonl))
    ds = load(tmp_path / "rows.jsonl")
    assert ds.modality == "tabular" and ds.classes == ["x", "y"] and len(ds.splits["train"]) == 2
    assert "a .jsonl table" in layouts.layout_help()
    with pytest.raises(ValueError, match="already registered"):
        layouts.register_layout(layouts.LAYOUTS[0])


def test_layout_help_names_every_documented_layout():
    from datacheck.data.layouts import LAYOUT_HELP

    for shown in ("{train,val,test}/<class>/<image>", "<class>/<image>", "{train,val,test}.csv|parquet",
                  ".npz", "manifest", ".parquet part files"):
        assert shown in LAYOUT_HELP, shown


@pytest.mark.parametrize("name", ["rows.csv.gz", "data.zip", "images.tar"])
def test_a_compressed_file_is_named_as_such(tmp_path, name):
    (tmp_path / name).write_bytes(b"\x1f\x8b\x08\x00compressed")
    with pytest.raises(InputError, match=r"a compressed file \(\.\w+\) is not read; decompress it first"):
        load(tmp_path / name)
