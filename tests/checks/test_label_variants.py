"""label_variants: class names spelled two ways are found in tables, Parquet, class folders and
manifests (also when both spellings are in train and test); names that differ on purpose and
clean real datasets stay quiet; string feature values are reported at info."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import datacheck
from datacheck.checks._variants import find_variants, normalize, one_edit, typo
from datacheck.scan.values import MAX_DISTINCT, StringCounts
from tests import panel
from tests.conftest import SAMPLE
from tests.helpers import loud

CHECK = "label_variants"
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")


def _profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], **kwargs)


def _findings(report, code, severity=None):
    return [f for f in report.by_check(CHECK) if f.code == f"{CHECK}.{code}"
            and (severity is None or f.severity.value == severity)]


def _strong(counts, **kwargs):
    """``{main: [(variant, kind), ...]}`` of the strong groups."""
    return {g.main.name: [(v.name, v.kind) for v in g.others if v.strong]
            for g in find_variants(counts, **kwargs) if g.strong}


def _wine(seed=0):
    """wine as train/test frames with text labels ``class_0`` .. ``class_2``."""
    data = panel.sklearn_table("wine", seed)
    names = np.array([f"class_{c}" for c in range(3)], dtype=object)
    frames = []
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        df = pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])])
        df["label"] = names[y]
        frames.append(df)
    return frames


def _respell(df, name, spelled, n, seed):
    rows = np.random.default_rng(seed).choice(np.flatnonzero(df["label"] == name), n, replace=False)
    df.loc[rows, "label"] = spelled
    return sorted(rows.tolist())


# --- the pure finder ---------------------------------------------------------------------------

def test_case_spacing_punctuation_and_typo_variants_are_strong():
    counts = {"dog": [500, 100], "Dog": [7, 3], "dgo": [5, 0], "cat": [400, 90], "class_2": [300, 50],
              "class_2 ": [3, 0], "T-shirt/top": [200, 40], "T-shirt top": [4, 1], "horse": [300, 60],
              "Horse_": [2, 1], "bird": [300, 50], "birds": [9, 0]}
    assert _strong(counts) == {"dog": [("Dog", "case"), ("dgo", "typo")], "class_2": [("class_2 ", "case")],
                               "T-shirt/top": [("T-shirt top", "punctuation")],
                               "horse": [("Horse_", "punctuation")], "bird": [("birds", "typo")]}
    [dog] = [g for g in find_variants(counts) if g.main.name == "dog"]
    assert dog.main.counts == (500, 100) and [v.counts for v in dog.others] == [(7, 3), (5, 0)]


def test_same_name_spelled_two_ways_at_similar_counts_is_strong():
    # two spellings of one class, half the samples each: the worst case, not a rare slip
    assert _strong({"Dog": [500], "dog": [480], "cat": [490]}) == {"Dog": [("dog", "case")]}
    # a typo is only a typo when rare: names one letter apart at similar counts are names
    assert _strong({"dog": [500], "dgo": [480]}) == {}
    assert _strong({"dog": [500], "dgo": [51]}) == {} and _strong({"dog": [500], "dgo": [50]}) != {}


@pytest.mark.parametrize("names", [
    ["cat", "car", "bat", "hat", "rat"],                                  # one letter apart, real words
    [str(d) for d in range(10)],                                          # digits
    ["class_0", "class_1", "class_2"],                                    # sklearn wine
    ["setosa", "versicolor", "virginica"],                                # sklearn iris
    ["malignant", "benign"],                                              # sklearn breast_cancer
    list(FASHION),                                                        # Fashion-MNIST
    ["T-shirt_top", "Dress", "Coat", "Sneaker"],                          # sample manifest
    ["type_1", "type_2", "type_10", "type_11", "v1", "v2"],               # numbered names
    ["-1", "1"], ["0", "1"], ["+", "-"], ["C", "C++", "C#"],              # signs and symbols
])
def test_names_that_differ_on_purpose_are_not_strong_at_any_counts(names):
    rng = np.random.default_rng(0)
    for _ in range(20):  # balanced and heavily skewed counts
        counts = {n: [int(c)] for n, c in zip(names, rng.pareto(1.0, len(names)) * 100 + 1)}
        assert _strong(counts) == {}, counts


CIFAR100 = ("apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus "
            "butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch "
            "crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo "
            "keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse "
            "mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy "
            "porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper "
            "snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television "
            "tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm").split()


@pytest.mark.parametrize("imbalance", [1, 10, 100])
def test_cifar100_and_its_long_tailed_versions_are_quiet(imbalance):
    # CIFAR-100-LT: 500 images of class 0 down to 500 / imbalance of class 99, in index order
    assert len(CIFAR100) == 100
    counts = {n: [int(500 * imbalance ** (-i / 99))] for i, n in enumerate(CIFAR100)}
    assert _strong(counts) == {}
    # bear / pear: one letter, but not a slip of the hand; sea / seal: similar counts
    assert _strong({"bear": [500], "pear": [5], "sea": [500], "seal": [480]}) == {}
    # a letter added at the end is another word unless it is a plural's s or a doubled letter
    assert _strong({"sea": [500], "seal": [5]}) == {} and _strong({"seal": [500], "sea": [5]}) != {}
    assert _strong({"dog": [500], "dogs": [5], "cat": [500], "catt": [5]}) == {"dog": [("dogs", "typo")],
                                                                              "cat": [("catt", "typo")]}


def test_short_names_are_info_not_warnings():
    # a / A are two EMNIST classes, A- / A two grades: found, but not strong
    groups = find_variants({"a": [100], "A": [5], "A-": [50], "B": [80]})
    assert {(g.main.name, v.name, v.kind) for g in groups for v in g.others} == {
        ("a", "A", "case"), ("a", "A-", "punctuation")}
    assert not any(g.strong for g in groups)


def test_a_long_list_of_names_makes_every_variant_weak():
    names = {f"name{chr(97 + i % 26)}{chr(97 + i // 26)}": [100] for i in range(150)}
    counts = {**names, "dog": [500], "Dog": [480], "dgo": [5]}
    assert _strong(counts) == {}
    assert _strong(counts, max_names=1000) == {"dog": [("Dog", "case"), ("dgo", "typo")]}


def test_typos_are_slips_of_the_hand():
    assert one_edit("dog", "dgo") == ("swap", "og", 1)
    assert one_edit("coat", "boat") == ("replace", "cb", 0)
    assert one_edit("sandal", "sandl") == ("delete", "a", 4)
    assert typo("dog", "dgo") == "slip"            # neighbours swapped
    assert typo("sneaker", "sneajer") == "slip"    # k and j are neighbouring keys
    assert typo("pullover", "pulover") == "slip"   # a doubled letter dropped
    assert typo("crane", "crate") == "edit"        # n and t are not neighbours: a word, not a slip
    assert typo("nail", "snail") == "edit"         # a letter added in front
    assert typo("sea", "seal") == "edit" and typo("seal", "sea") == "slip"  # the rare one decides
    assert typo("class1", "class2") is None        # a digit
    assert typo("cat", "car") is None              # too short for anything but a swap
    assert _strong({"crane": [500], "crate": [5]}) == {}
    assert normalize("  Class_1 ") == normalize("class-1") == "class1" and normalize("-") == "-"


def test_numbers_pair_only_with_the_same_value():
    groups = find_variants({"1": [100], "01": [3], "2": [100], "-1": [100]})
    assert [(g.main.name, [v.name for v in g.others]) for g in groups] == [("1", ["01"])]
    assert not groups[0].strong


# --- the check, on every layout ----------------------------------------------------------------

@pytest.fixture(scope="module")
def planted_report():
    return _profile(SAMPLE / "defect_label_variants.csv")


def test_planted_sample_set_warns_naming_every_spelling_and_its_rows(planted_report):
    truth = json.loads((SAMPLE / "defect_label_variants.truth.json").read_text())
    [f] = _findings(planted_report, "class_names")
    assert f.severity.value == "warning" and f.split is None
    assert f.metrics["n_groups"] == len(truth["variants"])
    found = {v["name"]: (g["name"], {s: c for s, c in v["counts"].items() if c})
             for g in f.metrics["groups"] for v in g["variants"]}
    assert found == {v["spelling"]: (v["of"], {s: c for s, c in v["split_counts"].items() if c})
                     for v in truth["variants"]}
    assert sorted(f.samples) == sorted(s for v in truth["variants"] for s in v["samples"])
    assert f.n_samples == sum(sum(v["split_counts"].values()) for v in truth["variants"])
    # spellings are quoted so that a trailing space shows, with their counts per split
    assert "'class_2 ' (train 2, test 1; differs in spacing)" in f.message
    assert "'Class_1' (train 3, test 1; differs in case)" in f.message
    assert "'clas_0' (train 2; one letter off)" in f.message
    [table] = f.evidence
    assert table.kind == "table" and ["'class_2 '", "'class_2'", "case", 2, 1] in table.data["rows"]


def test_variants_in_both_splits_are_found_without_a_missing_class():
    train, test = _wine()
    _respell(train, "class_1", "Class_1", 4, 1)
    _respell(test, "class_1", "Class_1", 2, 2)
    report = datacheck.profile(train=train, test=test, label="label", checks=[CHECK, "class_balance"])
    codes = {f.code for f in report.findings}
    assert not codes & {"class_balance.missing_class", "class_balance.unseen_label"}
    [f] = _findings(report, "class_names", "warning")
    assert f.metrics["groups"][0]["variants"][0]["counts"] == {"train": 4, "test": 2}
    assert f.n_samples == 6 and sum(s.startswith("test[") for s in f.samples) == 2


def test_parquet_tables(tmp_path):
    train, test = _wine(1)
    rows = _respell(train, "class_0", "class_0 ", 3, 3)
    for name, df in (("train", train), ("test", test)):
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    [f] = _findings(_profile(tmp_path), "class_names", "warning")
    assert sorted(f.samples) == sorted(f"train[{r}]" for r in rows)
    assert "'class_0 ' (train 3; differs in spacing)" in f.message


def test_image_class_folders(tmp_path):
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    data = panel.digits_images(300, 100, seed=2)
    root = panel.write_image_folder(panel.Splits(data.x_train, data.x_test, data.y_train, data.y_test, words),
                                    tmp_path / "digits")
    assert loud(_profile(root)) == []  # clean control on the same images
    moved = []
    for split, n in (("train", 2), ("test", 1)):
        (root / split / "Three_").mkdir()
        for p in sorted((root / split / "three").iterdir())[:n]:
            p.rename(root / split / "Three_" / p.name)
            moved.append(f"{split}/Three_/{p.name}")
    [f] = _findings(_profile(root), "class_names", "warning")
    assert sorted(f.samples) == sorted(moved) and "'Three_' (train 2, test 1; differs in case and punctuation)" in f.message


def test_image_manifest(tmp_path):
    root = tmp_path / "manifest"
    shutil.copytree(SAMPLE / "clean_manifest", root)
    df = pd.read_csv(root / "manifest.csv")
    coat = np.flatnonzero(df["label"] == "Coat")[:4]
    sneaker = np.flatnonzero(df["label"] == "Sneaker")[:2]
    df.loc[coat, "label"] = "Caot"
    df.loc[sneaker, "label"] = "sneaker"
    df.to_csv(root / "manifest.csv", index=False)
    [f] = _findings(_profile(root / "manifest.csv"), "class_names", "warning")
    assert {v["name"] for g in f.metrics["groups"] for v in g["variants"]} == {"Caot", "sneaker"}
    assert sorted(f.samples) == sorted(df.loc[np.r_[coat, sneaker], "path"])


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE.glob("clean_*")))
def test_clean_sample_sets_are_quiet(name):
    assert [f.severity.value for f in _profile(SAMPLE / name).by_check(CHECK)] == []


@pytest.mark.parametrize("loader", ["iris", "wine", "breast_cancer"])
def test_sklearn_tables_with_their_class_names_are_quiet(loader, tmp_path):
    from sklearn import datasets

    d = getattr(datasets, f"load_{loader}")()
    df = pd.DataFrame(d.data, columns=d.feature_names)
    df["label"] = np.asarray(d.target_names)[d.target]
    df.to_csv(tmp_path / "t.csv", index=False)
    assert _profile(tmp_path / "t.csv").by_check(CHECK) == []


def test_fashion_class_names_are_quiet():
    assert _profile(SAMPLE / "clean_images").by_check(CHECK) == []
    assert len(list((SAMPLE / "clean_images" / "train").iterdir())) == 10  # Fashion-MNIST's classes


def test_regression_target_has_no_class_names_finding():
    data = panel.diabetes()
    report = _profile(train=(data.x_train, data.y_train), test=(data.x_test, data.y_test))
    assert report.by_check(CHECK) == []


# --- string feature values ---------------------------------------------------------------------

def test_string_feature_values_are_info_naming_the_column():
    train, test = _wine(2)
    rng = np.random.default_rng(0)
    for df in (train, test):
        df["region"] = rng.choice(["Piedmont", "Tuscany", "Veneto"], len(df))
        df["batch"] = [f"b{i}" for i in range(len(df))]  # an id: every value distinct
        df["cellar"] = rng.choice(["north", "south"], len(df))  # clean control column
    train.loc[[0, 5, 9], "region"] = "tuscany "
    test.loc[[1], "region"] = "Tuscany_"
    [f] = _findings(_profile(train=train, test=test, label="label"), "feature_values")
    assert f.severity.value == "info" and f.metrics["column"] == "region"
    assert {v["name"]: v["counts"] for v in f.metrics["groups"][0]["variants"]} == {
        "tuscany ": {"train": 3, "test": 0}, "Tuscany_": {"train": 0, "test": 1}}
    assert "'tuscany ' (train 3; differs in case and spacing)" in f.message


def test_string_counts_are_bounded_and_merge_exactly():
    rng = np.random.default_rng(0)
    table = pa.table({"low": rng.choice(["a", "b", "c", None], 1000).tolist(),
                      "high": [f"v{i}" for i in range(1000)],
                      "cat": pa.array(rng.choice(["x", "y"], 1000)).dictionary_encode(),
                      "num": np.arange(1000)})
    whole = StringCounts.of(table)
    assert set(whole.counts) == {"low", "high", "cat"} and whole.counts["high"] is None
    assert sum(whole.counts["low"].values()) == sum(v is not None for v in table["low"].to_pylist())
    parts = StringCounts.merge([StringCounts.of(table.slice(a, 250)) for a in range(0, 1000, 250)])
    assert parts == whole
    # each part within the bound, their sum past it: dropped too
    wide = pa.table({"s": [f"v{i}" for i in range(2 * MAX_DISTINCT)]})
    halves = [StringCounts.of(wide.slice(0, MAX_DISTINCT)), StringCounts.of(wide.slice(MAX_DISTINCT))]
    assert all(h.counts["s"] is not None for h in halves) and StringCounts.merge(halves).counts["s"] is None


def test_streamed_and_partitioned_scans_count_the_same_values(tmp_path):
    train, test = _wine(3)
    train["region"] = np.where(np.arange(len(train)) % 3, "Tuscany", "Veneto")
    train.loc[[4, 7], "region"] = "tuscany"
    path = tmp_path / "train.csv"
    train.to_csv(path, index=False)
    test.assign(region="Veneto").to_csv(tmp_path / "test.csv", index=False)
    reports = [_profile(tmp_path), _profile(tmp_path, stream=True, partitions=3)]
    [a], [b] = (_findings(r, "feature_values") for r in reports)
    assert a.metrics == b.metrics and a.metrics["groups"][0]["variants"][0]["counts"]["train"] == 2


def _two_vowels(rng, n=90):
    """Formant-like measurements of four vowels, 'had' and 'hAd' among them: the case tells
    two vowels apart, as in the Vowel data's phonetic names."""
    centres = {"had": [3.0, 1.0, 0.0], "hAd": [1.0, 3.0, 0.5], "hid": [0.0, 0.0, 3.0],
               "hod": [-2.0, 1.0, 1.0]}
    frames = [pd.DataFrame(rng.normal(c, 1.0, (n, 3)), columns=["f1", "f2", "f3"]).assign(label=name)
              for name, c in centres.items()]
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)


def test_names_alike_whose_samples_the_inputs_tell_apart_are_two_classes():
    report = _profile(_two_vowels(np.random.default_rng(0)), label="label")
    assert not loud(report, CHECK)
    (f,) = _findings(report, "class_names", "info")
    assert "'had' from 'hAd'" in f.message or "'hAd' from 'had'" in f.message


def test_one_class_spelled_two_ways_at_equal_counts_stays_a_warning():
    # the same vowel's samples, half of them spelled 'Had': the inputs cannot tell the halves apart
    frame = _two_vowels(np.random.default_rng(1))
    halves = frame.index[frame.label == "had"][::2]
    frame.loc[halves, "label"] = "Had"
    (f,) = _findings(_profile(frame, label="label"), "class_names", "warning")
    assert "'Had'" in f.message
