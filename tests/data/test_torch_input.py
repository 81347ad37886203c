"""Reading torch datasets and loaders through their transforms (``datacheck.data.torch_input``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from datacheck.data.torch_input import is_torch_data, torch_to_dataset
from datacheck.errors import InputError

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset  # noqa: E402
from torchvision import transforms as T  # noqa: E402
from torchvision.datasets import ImageFolder  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """An ImageFolder tree of 32x32 patches of scikit-learn's two photos (60 per class)."""
    from sklearn.datasets import load_sample_images

    root = tmp_path_factory.mktemp("photos")
    for name, image in zip(("china", "flower"), load_sample_images().images):
        (root / name).mkdir()
        small = image[::2, ::2]
        for k, (i, j) in enumerate((i, j) for i in range(0, 192, 32) for j in range(0, 320, 32)):
            Image.fromarray(small[i:i + 32, j:j + 32]).save(root / name / f"{k:03d}.png")
    return root


class _Items(Dataset):
    """A map-style dataset returning whatever ``make(i)`` builds."""

    def __init__(self, n, make):
        self.n, self.make = n, make

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


def test_dataset_is_sampled_at_random_through_its_transforms(folder):
    ds = ImageFolder(folder, transform=T.ToTensor())
    data = torch_to_dataset({"train": ds}, n_samples=50, seed=3)
    split = data.splits["train"]
    assert data.modality == "array" and not data.ordered
    assert split.array.shape == (50, 3, 32, 32) and split.array.dtype == np.float32
    assert 0 <= split.array.min() and split.array.max() <= 1
    assert data.classes == ["china", "flower"]
    index = [int(s[len("train["):-1]) for s in split.sample_ids(range(50))]
    assert index == sorted(index) and len(set(index)) == 50 and max(index) < len(ds)
    item, label = ds[index[7]]
    assert np.array_equal(split.array[7], item.numpy())
    assert data.classes[split.y[7]] == ds.classes[label]
    assert "50 of 120 items" in data.notes[0]
    again = torch_to_dataset({"train": ds}, n_samples=50, seed=3).splits["train"]
    assert again.sample_ids(range(50)) == split.sample_ids(range(50))
    other = torch_to_dataset({"train": ds}, n_samples=50, seed=4).splits["train"]
    assert other.sample_ids(range(50)) != split.sample_ids(range(50))


def test_loader_is_read_in_its_own_order(folder):
    ds = ImageFolder(folder, transform=T.ToTensor())
    data = torch_to_dataset({"train": DataLoader(ds, batch_size=16), "test": DataLoader(ds, batch_size=7)},
                            n_samples=40)
    assert data.ordered and list(data.splits) == ["train", "test"]
    split = data.splits["train"]
    assert split.array.shape == (40, 3, 32, 32) and split.sample_id(39) == "train[39]"
    assert np.array_equal(split.array[5], ds[5][0].numpy())
    assert (np.array(data.classes)[split.y] == "china").all()  # an unshuffled ImageFolder is sorted


def test_random_transforms_repeat_and_global_rng_is_untouched(folder):
    ds = ImageFolder(folder, transform=T.Compose([T.RandomHorizontalFlip(), T.ToTensor()]))
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    state = torch.get_rng_state()
    first = torch_to_dataset({"train": loader}, n_samples=24, seed=1).splits["train"].array
    second = torch_to_dataset({"train": loader}, n_samples=24, seed=1).splits["train"].array
    assert np.array_equal(first, second)
    assert torch.equal(state, torch.get_rng_state())


def test_memory_budget_limits_the_sample(folder):
    ds = ImageFolder(folder, transform=T.ToTensor())
    item_bytes = 3 * 32 * 32 * 4
    data = torch_to_dataset({"train": ds}, n_samples=100, max_bytes=10 * item_bytes)
    assert len(data.splits["train"]) == 10


def test_pil_items_dict_items_and_bare_inputs():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    pil = torch_to_dataset({"train": _Items(20, lambda i: (Image.fromarray(images[i]), i % 2))})
    assert pil.splits["train"].array.dtype == np.uint8 and pil.splits["train"].array.shape == (20, 8, 8, 3)
    dicts = torch_to_dataset({"train": _Items(20, lambda i: {"pixel_values": torch.zeros(3, 4, 4),
                                                             "labels": torch.tensor(i % 3)})})
    assert dicts.classes == ["0", "1", "2"] and (dicts.splits["train"].y >= 0).all()
    bare = torch_to_dataset({"train": TensorDataset(torch.rand(12, 1, 5, 5))})
    assert (bare.splits["train"].y == -1).all() and bare.splits["train"].array.shape == (12, 1, 5, 5)


def test_iterable_dataset_gives_its_first_items():
    class Stream(IterableDataset):
        def __iter__(self):
            for i in range(1000):
                yield torch.full((1, 2, 2), float(i)), i % 2

    split = torch_to_dataset({"train": Stream()}, n_samples=30).splits["train"]
    assert len(split) == 30 and split.array[-1].max() == 29


def test_bad_inputs_raise_input_error():
    ragged = _Items(4, lambda i: (torch.zeros(3, 8 + i, 8), 0))
    with pytest.raises(InputError, match="different shapes"):
        torch_to_dataset({"train": ragged})
    with pytest.raises(InputError, match="non-torch"):
        torch_to_dataset({"train": TensorDataset(torch.zeros(2, 3)), "test": (np.zeros((2, 3)), [0, 1])})
    with pytest.raises(InputError, match="empty"):
        torch_to_dataset({"train": TensorDataset(torch.zeros(0, 3))})
    with pytest.raises(InputError, match="str"):
        torch_to_dataset({"train": _Items(3, lambda i: ("text", 0))})


def test_is_torch_data():
    assert is_torch_data(TensorDataset(torch.zeros(2)))
    assert is_torch_data(DataLoader(TensorDataset(torch.zeros(2))))
    assert not is_torch_data(np.zeros(3)) and not is_torch_data(pd.DataFrame({"a": [1]}))
    assert not is_torch_data((np.zeros(3), np.zeros(3)))
