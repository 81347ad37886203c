"""split_leakage: copies across splits (exact, re-encoded, resized, re-lit, rounded, noisy),
shared groups and time overlap; and no false alarm on clean random splits."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageEnhance

import datacheck
from datacheck.errors import ConfigError, InputError
from tests.helpers import loud

CHECK = "split_leakage"


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def _one(report, code):
    found = [f for f in report.by_check(CHECK) if f.code == code]
    assert len(found) == 1, [f.code for f in report.by_check(CHECK)]
    return found[0]


def _pairs(finding):
    return {tuple(p) for p in finding.evidence[0].data["pairs"]}


# ------------------------------------------------------------------------------- images

def _image_set(root: Path, sample_data: Path, size: int, variants) -> list[tuple[str, str]]:
    """A train/test folder from clean_images PNGs (resized to ``size``) with planted copies.

    Returns the planted (test path, train path) pairs.
    """
    def put(src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        im = Image.open(src)
        (im if size == 28 else im.resize((size, size), Image.Resampling.BICUBIC)).save(dst)

    train_src = sorted((sample_data / "clean_images" / "train").glob("*/*.png"))[::10]
    test_src = sorted((sample_data / "clean_images" / "test").glob("*/*.png"))[::5]
    for i, p in enumerate(train_src):
        put(p, root / "train" / p.parent.name / f"{i:03d}.png")
    for i, p in enumerate(test_src):
        put(p, root / "test" / p.parent.name / f"t{i:03d}.png")
    train = sorted((root / "train").glob("*/*.png"))
    planted = []
    for k, (name, make, fmt) in enumerate(variants):
        src = train[9 * k + 4]
        dst = root / "test" / src.parent.name / f"copy_{k}_{name}.{fmt}"
        out = make(Image.open(src))
        out.save(dst, quality=75) if fmt == "jpg" else out.save(dst)
        planted.append((dst.relative_to(root).as_posix(), src.relative_to(root).as_posix()))
    return planted


_NATIVE = [
    ("exact", lambda im: im, "png"),
    ("jpeg", lambda im: im, "jpg"),
    ("brighter", lambda im: ImageEnhance.Brightness(im).enhance(1.15), "png"),
    ("darker", lambda im: ImageEnhance.Brightness(im).enhance(0.85), "png"),
    ("jpeg_brighter", lambda im: ImageEnhance.Brightness(im).enhance(1.1), "jpg"),
]


@pytest.fixture(scope="module")
def native_images(tmp_path_factory, sample_data):
    root = tmp_path_factory.mktemp("native")
    planted = _image_set(root, sample_data, 28, _NATIVE)
    yield planted, _profile(root)
    shutil.rmtree(root)


def test_exact_image_copy_is_an_error_listing_the_pair(native_images):
    planted, report = native_images
    f = _one(report, "split_leakage.exact_duplicate")
    assert f.severity.value == "error" and f.split == "test"
    assert _pairs(f) == {planted[0]}
    assert f.samples[:2] == planted[0] and f.metrics["n_leaked"] == 1


def test_reencoded_and_relit_copies_are_near_duplicates(native_images):
    planted, report = native_images
    f = _one(report, "split_leakage.near_duplicate")
    assert f.severity.value == "warning"  # 4 of 45 test images (8.9%): a meaningful share, under 10%
    assert _pairs(f) == set(planted[1:]), "every planted copy, paired with its source, and nothing else"
    assert f.metrics["n_leaked"] == 4 and f.n_samples == 8


def test_resized_copies_are_near_duplicates(tmp_path, sample_data):
    resized = [
        ("smaller", lambda im: im.resize((44, 44), Image.Resampling.LANCZOS), "png"),
        ("larger", lambda im: im.resize((96, 96), Image.Resampling.BICUBIC), "png"),
        ("smaller_jpeg", lambda im: im.resize((48, 48), Image.Resampling.LANCZOS), "jpg"),
    ]
    planted = _image_set(tmp_path, sample_data, 64, resized)
    f = _one(_profile(tmp_path), "split_leakage.near_duplicate")
    assert _pairs(f) == set(planted)


def test_mirrored_copies_are_near_duplicates(tmp_path, sample_data):
    """An augmentation saved to disk before splitting: flipped copies of training images."""
    flip = lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # noqa: E731
    mirrored = [
        ("mirrored", flip, "png"),
        ("mirrored_jpeg", flip, "jpg"),
        ("mirrored_smaller", lambda im: flip(im).resize((58, 58), Image.Resampling.LANCZOS), "png"),
    ]
    planted = _image_set(tmp_path, sample_data, 64, mirrored)
    f = _one(_profile(tmp_path), "split_leakage.near_duplicate")
    assert _pairs(f) == set(planted)


def _smooth_image(rng, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    x = gaussian_filter(rng.random((64, 64)), sigma)
    return (x - x.min()) / (x.max() - x.min())


# its own generator: the session one leaves draws to test order, and some draws make no candidate
@pytest.mark.parametrize("seed", range(3))
def test_a_lookalike_is_not_a_near_copy(seed):
    """Two items of one shape with different fine detail: their thumbnails correlate as a
    copy's do (r ~ 0.99), their full-resolution pixels (r ~ 0.98) do not."""
    rng = np.random.default_rng(seed)
    from datacheck.checks.split_leakage import SplitLeakageCheck
    from datacheck.scan.near_duplicates import match_images
    from datacheck.scan.thumbs import area_thumbnails

    u8 = lambda x: np.round(255 * x).astype(np.uint8)  # noqa: E731
    shape = _smooth_image(rng, 5)
    item, lookalike = (u8(0.85 * shape + 0.15 * _smooth_image(rng, 0.8)) for _ in range(2))
    train = np.stack([item] + [u8(_smooth_image(rng, 5)) for _ in range(40)])
    test = np.stack([lookalike] + [u8(_smooth_image(rng, 5)) for _ in range(20)])
    thumbs = area_thumbnails(np.concatenate([train, test]), 16)
    least = SplitLeakageCheck().config["thumb_similarity"]
    candidates = match_images(thumbs[:41], np.ones(41, bool), np.arange(41, dtype=np.uint64), thumbs[41:],
                              np.ones(21, bool), min_similarity=least)
    assert (0, 0) in set(zip(candidates.query.tolist(), candidates.ref.tolist())), "a thumbnail candidate"
    report = _profile(train=(train, np.arange(41) % 3), test=(test, np.arange(21) % 3))
    assert not [f for f in report.by_check(CHECK) if f.code == "split_leakage.near_duplicate"]


def test_a_few_near_copies_in_a_large_split_are_info(digits_split):
    """Severity follows the share of the evaluation split: 2 copies in 452 test images."""
    x_train, x_test, y_train, y_test = digits_split
    imgs = lambda x: (x.reshape(-1, 8, 8, 1) * 15).astype(np.uint8)  # noqa: E731
    tr = imgs(x_train)
    copies = np.clip(tr[:2].astype(int) + 12, 0, 255).astype(np.uint8)
    test = np.concatenate([imgs(x_test), copies])
    report = _profile(train=(tr, y_train), test=(test, np.r_[y_test, y_train[:2]]))
    f = _one(report, "split_leakage.near_duplicate")
    assert f.severity.value == "info" and len(_pairs(f)) == 2


@pytest.mark.parametrize("n_copies, severity", [(1, "info"), (2, "warning")])
def test_a_lone_near_copy_in_a_small_split_is_info(digits_split, n_copies, severity):
    """1 copy among 60 test images is 1.7%, over the warning share, yet one pair alone may be
    a natural look-alike that a small training split gives nothing to compare with."""
    x_train, x_test, y_train, y_test = digits_split
    imgs = lambda x: (x.reshape(-1, 8, 8, 1) * 15).astype(np.uint8)  # noqa: E731
    tr = imgs(x_train)
    copies = np.clip(tr[:n_copies].astype(int) + 12, 0, 255).astype(np.uint8)
    test = np.concatenate([imgs(x_test[:60 - n_copies]), copies])
    report = _profile(train=(tr, y_train), test=(test, np.r_[y_test[:60 - n_copies], y_train[:n_copies]]))
    f = _one(report, "split_leakage.near_duplicate")
    assert f.severity.value == severity and f.metrics["n_leaked"] == n_copies
    assert ("natural look-alike" in f.message) == (n_copies == 1)


def test_many_near_copies_are_an_error(digits_split):
    """60 brightened copies in 510 test images (11.8%): the test score is not to be trusted."""
    x_train, x_test, y_train, y_test = digits_split
    imgs = lambda x: (x.reshape(-1, 8, 8, 1) * 15).astype(np.uint8)  # noqa: E731
    tr = imgs(x_train)
    copies = np.clip(tr[:60].astype(int) + 12, 0, 255).astype(np.uint8)
    test = np.concatenate([imgs(x_test), copies])
    f = _one(_profile(train=(tr, y_train), test=(test, np.r_[y_test, y_train[:60]])),
             "split_leakage.near_duplicate")
    assert f.severity.value == "error" and f.metrics["n_leaked"] == 60


def test_near_copies_in_image_arrays(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split's order
    imgs = lambda x: (x.reshape(-1, 8, 8, 1) * 15).astype(np.uint8)  # noqa: E731
    tr = imgs(x_train)
    copies = np.clip(tr[:6].astype(int) + 12, 0, 255).astype(np.uint8)  # brightened copies
    report = _profile(train=(tr, y_train), test=(np.concatenate([imgs(x_test), copies]),
                                                 np.r_[y_test, y_train[:6]]))
    f = _one(report, "split_leakage.near_duplicate")
    n = len(x_test)
    assert _pairs(f) == {(f"test[{n + i}]", f"train[{i}]") for i in range(6)}


# ------------------------------------------------------------------------------- tables

def test_rows_copied_from_train_are_exact_duplicates(wine_frames):
    train, test = wine_frames
    leaked = pd.concat([test, train.iloc[[3, 7, 11, 20, 40]]], ignore_index=True)
    f = _one(_profile(train=train, test=leaked), "split_leakage.exact_duplicate")
    n = len(test)
    assert f.severity.value == "error"
    assert _pairs(f) == {(f"test[{n + i}]", f"train[{j}]") for i, j in enumerate([3, 7, 11, 20, 40])}
    assert f.metrics["n_leaked"] == 5 and f.n_samples == 10


def test_noisy_and_rounded_rows_are_near_duplicates(wine_frames):
    rng = np.random.default_rng(0)
    train, test = wine_frames
    feats = [c for c in train.columns if c != "label"]
    noisy = train.iloc[:4].copy()
    noisy[feats] += rng.normal(0, 1e-4, (4, len(feats)))
    rounded = train.iloc[4:8].copy()
    rounded[feats] = rounded[feats].round(3)
    leaked = pd.concat([test, noisy, rounded], ignore_index=True)
    f = _one(_profile(train=train, test=leaked), "split_leakage.near_duplicate")
    n = len(test)
    assert f.severity.value == "error"
    assert _pairs(f) == {(f"test[{n + i}]", f"train[{i}]") for i in range(8)}
    data = f.evidence[0].data
    assert data["relation"] == "≈" and len(data["captions"]) == len(data["pairs"])
    assert all(c.endswith("% of the tolerance") for c in data["captions"])
    assert not [g for g in loud(_profile(train=train, test=test))], "the clean split stays silent"


def test_a_small_leak_is_a_warning():
    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(6)]
    train = pd.DataFrame(rng.normal(size=(600, 6)), columns=cols).assign(label=rng.integers(0, 2, 600))
    test = pd.DataFrame(rng.normal(size=(400, 6)), columns=cols).assign(label=rng.integers(0, 2, 400))
    leaked = pd.concat([test, train.iloc[[5]]], ignore_index=True)
    f = _one(_profile(train=train, test=leaked), "split_leakage.exact_duplicate")
    assert f.severity.value == "warning" and f.samples == ("test[400]", "train[5]")


def test_rows_that_coincide_by_chance_are_only_context():
    # Coarse features: rows repeat inside train as often as across splits.
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.integers(0, 3, (900, 3)), columns=list("abc")).assign(label=rng.integers(0, 2, 900))
    report = _profile(train=df.iloc[:600], test=df.iloc[600:])
    assert report.by_check(CHECK) and not loud(report, CHECK)
    assert {f.severity.value for f in report.by_check(CHECK)} == {"info"}


# ------------------------------------------------------------------------------- keys

def test_shared_group_lists_rows_of_the_same_group(wine_frames):
    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)) // 2)
    test = test.assign(patient=1000 + np.arange(len(test)))
    test.loc[[0, 1, 2], "patient"] = [5, 5, 17]
    f = _one(_profile(train=train, test=test, group_col="patient"), "split_leakage.shared_group")
    assert f.severity.value == "error" and f.metrics == {"n_groups": 2, "n_leaked": 3, "leaked_ratio": round(3 / len(test), 6)}
    assert _pairs(f) == {("test[0]", "train[10]"), ("test[1]", "train[10]"), ("test[2]", "train[34]")}


def test_key_columns_are_not_features(wine_frames):
    # A copied row with a new id is still a copy; ids differ on every row, so without
    # excluding them no row would ever match.
    train, test = wine_frames
    train = train.assign(patient=np.arange(len(train)))
    leaked = pd.concat([test, train.iloc[[2, 9]]], ignore_index=True).assign(patient=10_000 + np.arange(len(test) + 2))
    report = _profile(train=train, test=leaked, group_col="patient")
    assert _pairs(_one(report, "split_leakage.exact_duplicate")) == {
        (f"test[{len(test)}]", "train[2]"), (f"test[{len(test) + 1}]", "train[9]")}
    assert not [f for f in report.by_check(CHECK) if f.code == "split_leakage.shared_group"]


def test_time_overlap_is_an_error_and_a_forward_split_is_clean(wine_frames):
    train, test = wine_frames
    days = pd.date_range("2021-01-01", periods=len(train) + len(test), freq="D")
    shuffled = np.random.default_rng(0).permutation(days)
    report = _profile(train=train.assign(day=shuffled[:len(train)]), test=test.assign(day=shuffled[len(train):]),
                      time_col="day")
    f = _one(report, "split_leakage.time_overlap")
    assert f.severity.value == "error" and f.metrics["n_leaked"] > len(test) // 2
    assert f.samples[0].startswith("train[") and all(s.startswith("test[") for s in f.samples[1:])
    forward = _profile(train=train.assign(day=days[:len(train)].astype(str)),
                       test=test.assign(day=days[len(train):].astype(str)), time_col="day")
    assert not loud(forward, CHECK)


def test_unknown_key_column_is_an_input_error_before_the_scan(wine_frames):
    train, test = wine_frames
    with pytest.raises(InputError, match="--group-col: split 'train' has no column 'patient'"):
        _profile(train=train, test=test, group_col="patient")
    with pytest.raises(ConfigError, match="group_col"):
        from datacheck.checks import CheckContext
        from datacheck.checks._leakage.columns import key_columns
        from datacheck.data import from_objects
        from datacheck.scan import scan

        ds = from_objects({"train": train, "test": test})
        key_columns(CheckContext(ds, scan(ds, workers=1), {"group_col": "patient"}))


# ------------------------------------------------------------------------------- clean

@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_silent(sample_data, name):
    report = _profile(sample_data / name)
    assert report.outcome(CHECK).status.value == "passed"
    assert not report.by_check(CHECK)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_splits_are_silent(seed, wine_frames):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    a, b, ya, yb = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    assert not loud(_profile(train=(a, ya), test=(b, yb), seed=seed), CHECK)
    img = lambda v: (v.reshape(-1, 8, 8) * 15).astype(np.uint8)  # noqa: E731
    assert not loud(_profile(train=(img(a), ya), test=(img(b), yb), seed=seed), CHECK)
    train, test = wine_frames
    assert not loud(_profile(train=train, test=test, seed=seed), CHECK)


def test_a_near_copy_search_cut_short_in_crowded_cells_says_so(monkeypatch):
    monkeypatch.setattr("datacheck.scan.near_rows._PAIR_BUDGET", 10)
    rng = np.random.default_rng(4)
    cols = [f"f{i}" for i in range(6)]
    base = rng.normal(size=(100, 6))
    # 200 identical train rows crowd one cell of the grid (train rows are also indexed, to
    # measure how often train rows coincide)
    train = pd.DataFrame(np.r_[np.tile(rng.normal(size=(1, 6)), (200, 1)), base], columns=cols)
    train = train.assign(label=rng.integers(0, 2, len(train)))
    test = pd.DataFrame(rng.normal(size=(100, 6)), columns=cols).assign(label=rng.integers(0, 2, 100))
    info = _one(_profile(train=train, test=test), "split_leakage.near_search_partial")
    assert info.severity.value == "info" and "only part of their candidate pairs" in info.message
    noisy = train.iloc[200:203].copy()
    noisy[cols] += rng.normal(0, 1e-4, (3, 6))
    near = _one(_profile(train=train, test=pd.concat([test, noisy], ignore_index=True)),
                "split_leakage.near_duplicate")
    assert near.metrics["n_leaked"] == 3 and "searched in part" in near.message
    monkeypatch.undo()
    assert "searched in part" not in _one(_profile(train=train, test=pd.concat([test, noisy], ignore_index=True)),
                                          "split_leakage.near_duplicate").message
