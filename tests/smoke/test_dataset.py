"""smoke_dataset: loaders and default models built from a datacheck Dataset."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from datacheck.data.dataset import Dataset, Split
from datacheck.errors import ConfigError
from datacheck.report.findings import Severity, Status
from datacheck.smoke import smoke_dataset
from datacheck.smoke._data import array_samples, decode_images, table_features
from datacheck.smoke._models import MLP, SmallCNN, build_model


def make_classifier(num_classes: int = 3) -> torch.nn.Module:
    """A ``module:factory`` for the tests."""
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(num_classes))


def _digit_images(folder, n_per_class: int = 20, size: int = 12):
    """Digits as grayscale PNGs in folder/<class>/, as an image Dataset (one split)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    paths, labels = [], []
    for c in range(10):
        for k, i in enumerate(np.flatnonzero(y == c)[:n_per_class]):
            rel = f"{c}/{k:03d}.png"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            img = Image.fromarray((x[i].reshape(8, 8) * 15).astype(np.uint8), "L").resize((size, size))
            img.save(folder / rel)
            paths.append(rel)
            labels.append(c)
    split = Split("train", y=np.array(labels, dtype=np.int64), paths=paths, root=folder)
    return Dataset("image", {"train": split}, [str(c) for c in range(10)], ordered=False)


def test_images_decode_to_unit_range_nchw(tmp_path):
    ds = _digit_images(tmp_path, n_per_class=2)
    (tmp_path / "0" / "000.png").write_bytes(b"not a png")  # a corrupt file is left out
    x, keep = decode_images(ds.train, np.arange(len(ds.train)), rgb=False, max_side=64)
    assert x.dtype == torch.float32 and tuple(x.shape) == (19, 1, 12, 12)
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert 0 not in keep.tolist()
    rgb, _ = decode_images(ds.train, np.arange(1, 5), rgb=True, max_side=224, min_side=32)
    assert tuple(rgb.shape) == (4, 3, 32, 32)


def test_table_features_are_standardized_float32():
    import pyarrow as pa

    table = pa.table({"a": [1.0, 2.0, None, 4.0], "b": [10, 20, 30, 40], "c": ["x", "y", "x", None],
                      "flag": [True, False, True, True]})
    x = table_features(table, np.arange(4))
    assert x.dtype == torch.float32 and x.shape[0] == 4
    assert torch.isfinite(x).all()
    assert torch.allclose(x.mean(0), torch.zeros(x.shape[1]), atol=1e-6)


def test_arrays_are_used_as_given_in_nchw():
    nhwc = np.random.default_rng(0).integers(0, 255, (5, 8, 8, 3), dtype=np.uint8)
    x = array_samples(nhwc, np.arange(5))
    assert tuple(x.shape) == (5, 3, 8, 8) and float(x.max()) > 1  # not rescaled
    assert tuple(array_samples(np.zeros((4, 6, 6)), np.arange(4)).shape) == (4, 1, 6, 6)
    assert tuple(array_samples(np.zeros((4, 7)), np.arange(4)).shape) == (4, 7)


def test_model_specs():
    assert isinstance(build_model(None, in_shape=(1, 12, 12), n_classes=10), SmallCNN)
    assert isinstance(build_model(None, in_shape=(30,), n_classes=2), MLP)
    model = build_model("tests.smoke.test_dataset:make_classifier", in_shape=(4,), n_classes=5)
    assert model(torch.zeros(2, 4)).shape == (2, 5)
    pytest.importorskip("torchvision")
    net = build_model("resnet18", in_shape=(3, 32, 32), n_classes=7)
    assert net.fc.out_features == 7
    with pytest.raises(ConfigError, match="torchvision architecture"):
        build_model("resnet_nope", in_shape=(3, 32, 32), n_classes=7)
    with pytest.raises(ConfigError, match="module:factory"):
        build_model("no_such_module:f", in_shape=(3, 32, 32), n_classes=7)


def test_default_cnn_on_clean_images_trips_no_probe(tmp_path):
    ds = _digit_images(tmp_path, n_per_class=30)
    outcomes, findings = smoke_dataset(ds, steps=30, device="cpu", batch_size=16)
    bad = [(f.code, f.message) for f in findings if f.severity >= Severity.WARNING]
    assert not bad
    assert all(o.status is Status.PASSED for o in outcomes), [(o.id, o.reason) for o in outcomes]


def test_default_mlp_on_a_table(wine_frames):
    import pyarrow as pa

    train, _ = wine_frames
    split = Split("train", y=train["label"].to_numpy().astype(np.int64),
                  table=pa.Table.from_pandas(train.drop(columns="label"), preserve_index=False))
    ds = Dataset("tabular", {"train": split}, ["0", "1", "2"])
    outcomes, findings = smoke_dataset(ds, steps=20, device="cpu", batch_size=16,
                                       probes=["loss_input", "init_loss", "activations", "prime_dims",
                                               "train_eval", "frozen_params"])
    assert not [f.code for f in findings if f.severity >= Severity.WARNING]
    assert all(o.status is Status.PASSED for o in outcomes)


def test_bad_dataset_options():
    split = Split("train", y=np.array([0, 1, 0, 1]), array=np.zeros((4, 3), dtype=np.float32))
    ds = Dataset("array", {"train": split}, ["a", "b"])
    with pytest.raises(ConfigError, match="'batch_size'"):
        smoke_dataset(ds, batch_size=0)
    with pytest.raises(ConfigError, match="'model'"):
        smoke_dataset(ds, model="resnet_nope")
