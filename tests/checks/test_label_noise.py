"""label_noise: planted flips are found and warned about; clean data stays quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.checks import CheckContext
from datacheck.checks.label_noise import ONE_WAY, LabelNoiseCheck
from datacheck.data import from_objects, load
from datacheck.errors import ConfigError
from datacheck.models import out_of_fold
from datacheck.models.regression import regression_out_of_fold
from datacheck.models.residuals import target_noise
from datacheck.scan import scan
from tests.helpers import loud

CLEAN = ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest/manifest.csv"]


def flip_symmetric(y: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of the labels moved to another class at random; the moved rows."""
    rng = np.random.default_rng(seed)
    k = int(y.max()) + 1
    out = y.copy()
    at = np.sort(rng.choice(len(y), int(round(rate * len(y))), replace=False))
    out[at] = (out[at] + rng.integers(1, k, len(at))) % k
    return out, at


def flip_pair(y: np.ndarray, a: int, b: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of classes ``a`` and ``b`` swapped for each other; the moved rows."""
    rng = np.random.default_rng(seed)
    out = y.copy()
    candidates = np.flatnonzero((y == a) | (y == b))
    at = np.sort(rng.choice(candidates, int(round(rate * len(candidates))), replace=False))
    out[at] = np.where(out[at] == a, b, a)
    return out, at


def run_with_suspects(dataset, **options):
    """Run label_noise; return its findings and every suspect id (the finding lists 50)."""
    ctx = CheckContext(dataset, scan(dataset, workers=1), {"seed": 0, **options})
    check = LabelNoiseCheck()
    findings = check.run(ctx)
    est, _ = check.estimate(ctx)
    return findings, set(out_of_fold(ctx).sample_ids(ctx, est.suspects))


def precision_recall(found: set[str], planted: set[str]) -> tuple[float, float]:
    hits = len(found & planted)
    return hits / max(len(found), 1), hits / max(len(planted), 1)


def table_splits(frames, y_train):
    train, test = frames
    return from_objects({"train": train.assign(label=y_train), "test": test})


@pytest.mark.parametrize("form", ["features", "images"])
def test_symmetric_flips_on_digits_warn_and_are_found(digits_split, form):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_symmetric(y_train, 0.15, seed=1)  # 11% of all labels
    if form == "images":
        x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)
    findings, suspects = run_with_suspects(from_objects({"train": (x_train, noisy), "test": (x_test, y_test)}))
    planted = {f"train[{i}]" for i in at}
    (f,) = findings
    assert f.code == "label_noise.noise_rate" and f.severity.value == "warning"
    assert f.checklist == (6,)
    precision, recall = precision_recall(suspects, planted)
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)
    # the listed samples are the most suspicious: nearly all planted
    assert len(set(f.samples) & planted) >= 0.95 * len(f.samples)
    assert f.n_samples == len(suspects)
    true = len(at) / (len(y_train) + len(y_test))
    assert abs(f.metrics["noise_ratio"] - true) < 0.03
    # the headline gives the share between the anchors' estimate and the flags' (the models'
    # own confusions are among the flags): the planted share lies within it, or nearly
    low, high = sorted(round(100 * f.metrics[k]) for k in ("widespread_noise_ratio", "noise_ratio"))
    assert f.message.startswith(f"About {low}-{high}% of the labels look wrong" if low < high
                                else f"About {low}% of the labels look wrong")
    assert low - 2 <= 100 * true <= high + 2, (low, high, true)
    assert f"{f.n_samples:,} of " in f.message


def test_a_pixel_table_is_not_held_back_as_an_outcome(digits_split, monkeypatch):
    """The confidence slope holds a table's widespread noise back as a possible outcome; a
    table whose columns are pixels (digits' 8x8) has labels a person can tell, and warns."""
    from datacheck.checks import label_noise

    monkeypatch.setattr(label_noise, "SLOPE_MAX", 0.0)  # every table's slope would hold it back
    x_train, x_test, y_train, y_test = digits_split
    noisy, _ = flip_symmetric(y_train, 0.15, seed=1)

    def noise_finding(columns):
        findings, _ = run_with_suspects(from_objects({"train": (x_train[:, columns], noisy),
                                                      "test": (x_test[:, columns], y_test)}))
        return next(f for f in findings if f.code == "label_noise.noise_rate")

    f = noise_finding(np.arange(64))
    assert f.severity.value == "warning" and f.metrics["pixel_grid"] == "8x8"
    assert "pixels of 8x8 images" in f.message
    # the same columns shuffled: no grid, held back as before
    f = noise_finding(np.random.default_rng(0).permutation(64))
    assert f.severity.value == "info" and "pixel_grid" not in f.metrics
    assert "outcome" in f.message
    # too few samples a class for the table models' anchors: held back too
    monkeypatch.setattr(label_noise, "PIXEL_CLASS_SAMPLES", 1_000)
    f = noise_finding(np.arange(64))
    assert f.severity.value == "info" and "pixel_grid" not in f.metrics


def test_class_pair_swaps_on_digits_are_found(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_pair(y_train, 0, 1, 0.4, seed=0)
    findings, suspects = run_with_suspects(from_objects({"train": (x_train, noisy), "test": (x_test, y_test)}))
    planted = {f"train[{i}]" for i in at}
    (f,) = findings
    assert f.code == "label_noise.noise_rate"
    precision, recall = precision_recall(suspects, planted)
    assert precision >= 0.7 and recall >= 0.75, (precision, recall)
    # concentrated in two classes: named in the message
    assert "in 1, 0 and" in f.message


def flip_one_way(y: np.ndarray, source: int, target: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of class ``source`` relabelled ``target``; the moved rows."""
    rng = np.random.default_rng(seed)
    out = y.copy()
    candidates = np.flatnonzero(y == source)
    at = np.sort(rng.choice(candidates, int(round(rate * len(candidates))), replace=False))
    out[at] = target
    return out, at


@pytest.mark.parametrize("form", ["features", "images"])
def test_one_class_moved_to_another_is_a_warning_naming_both(digits_split, form):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, at = flip_one_way(y_train, 1, 7, 0.4, seed=0)
    if form == "images":
        x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise", "learnability"])
    (pair,) = [f for f in loud(report)]
    assert pair.code == "label_noise.class_pair" and pair.severity.value == "warning"
    assert "Labels of class 7 look like they belong to 1" in pair.message
    assert pair.metrics["given"] == "7" and pair.metrics["suggested"] == "1"
    assert pair.metrics["moved_ratio_low"] >= 0.1 and pair.metrics["n_reverse"] <= ONE_WAY * pair.metrics["n_moved"]
    # the listed samples are the moved ones
    planted = {f"train[{i}]" for i in at}
    assert len(set(pair.samples) & planted) >= 0.9 * len(pair.samples)
    assert pair.n_samples >= 0.6 * len(at)


def test_symmetric_flips_on_breast_cancer_warn_and_are_found():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer(as_frame=True)
    xtr, xte, ytr, yte = train_test_split(data.data, data.target.to_numpy(), test_size=0.25,
                                          random_state=0, stratify=data.target)
    scaler = StandardScaler().fit(xtr)
    train = pd.DataFrame(scaler.transform(xtr), columns=xtr.columns)
    test = pd.DataFrame(scaler.transform(xte), columns=xte.columns).assign(label=yte)
    noisy, at = flip_symmetric(ytr, 0.15, seed=1)
    findings, suspects = run_with_suspects(table_splits((train, test), noisy))
    (f,) = findings
    assert f.severity.value == "warning"
    precision, recall = precision_recall(suspects, {f"train[{i}]" for i in at})
    assert precision >= 0.8 and recall >= 0.75, (precision, recall)


def test_class_pair_flips_on_wine_are_found(wine_frames):
    """178 rows cannot tell moved labels from an outcome the inputs do not determine (the
    confidence slope's bound is too wide): info that says so, with the moved samples listed."""
    train, test = wine_frames
    noisy, at = flip_pair(train["label"].to_numpy(), 0, 1, 0.3, seed=0)
    findings, suspects = run_with_suspects(table_splits((train.drop(columns="label"), test), noisy))
    (f,) = findings
    assert f.severity.value == "info" and "do not fully determine these labels" in f.message
    assert f.metrics["confidence_slope_high"] > 0.7
    precision, recall = precision_recall(suspects, {f"train[{i}]" for i in at})
    assert precision >= 0.7 and recall >= 0.7, (precision, recall)


@pytest.mark.parametrize("name", CLEAN)
def test_clean_sample_data_is_quiet(sample_data, name):
    report = datacheck.profile(sample_data / name, checks=["label_noise", "learnability"])
    assert not loud(report), [f.message for f in loud(report)]
    assert report.outcome("label_noise").status.value == "passed"


@pytest.mark.parametrize("seed", [2, 29, 41])
def test_look_alike_classes_confused_unevenly_are_no_pair_warning(sample_data, seed):
    """Under these seeds the models confuse Shirt with T-shirt 20 times one way and 5 the other
    on clean Fashion-MNIST: uneven, as look-alike classes are, but not a one-way move."""
    report = datacheck.profile(sample_data / "clean_images", checks=["label_noise"], seed=seed)
    assert not loud(report), [f.message for f in loud(report)]


def test_clean_real_sets_are_quiet(sample_data):
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    digits = load_digits()
    at = np.sort(np.concatenate([np.flatnonzero(digits.target == c)[:30] for c in range(10)]))
    sets = {"digits 300": (digits.data[at], digits.target[at]),
            "digits 300 as images": (digits.images[at], digits.target[at]),
            "digits": (digits.data, digits.target)}
    for name, load in (("wine", load_wine), ("breast_cancer", load_breast_cancer)):
        data = load()
        sets[name] = ((data.data - data.data.mean(0)) / data.data.std(0), data.target)
    for name, (x, y) in sets.items():
        report = datacheck.profile(train=(x, y), checks=["label_noise", "learnability"])
        assert not loud(report), (name, [f.message for f in loud(report)])


def test_small_clean_image_sets_are_quiet_and_say_why(sample_data):
    """300 Fashion-MNIST images, and defect_imbalance (whose labels are clean): weak models flag
    many samples, which must not read as wrong labels."""
    from tests import panel

    fashion = panel.image_folder_subset(sample_data / "clean_images", 24, 6)
    for report in (datacheck.profile(train=(fashion.x_train, fashion.y_train), test=(fashion.x_test, fashion.y_test),
                                     checks=["label_noise", "learnability"]),
                   datacheck.profile(sample_data / "defect_imbalance", checks=["label_noise", "learnability"])):
        assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("label_noise")
    assert f.metrics["widespread_noise_low"] < 0.03


def test_clean_random_splits_are_quiet(digits_split, wine_frames):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    for report in (datacheck.profile(train=(x_train, y_train), test=(x_test, y_test),
                                     checks=["label_noise", "learnability"]),
                   datacheck.profile(train=wine_frames[0], test=wine_frames[1],
                                     checks=["label_noise", "learnability"])):
        assert not loud(report), [f.message for f in loud(report)]


def graded_table(n: int, grades: int, noise: float, seed: int) -> pd.DataFrame:
    """Ratings 1..grades cut at quantiles from a linear score of 10 columns plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    w = rng.normal(size=10)
    score = x @ w / np.linalg.norm(w) + noise * rng.normal(size=n)
    cuts = np.quantile(score, np.linspace(0, 1, grades + 1)[1:-1])
    return pd.DataFrame(x, columns=[f"f{i}" for i in range(10)]).assign(rating=1 + np.searchsorted(cuts, score))


@pytest.mark.parametrize("n, grades, noise", [(2000, 5, 0.7), (2000, 7, 1.2), (5000, 3, 0.3)])
def test_clean_ordered_grades_are_quiet_and_say_why(n, grades, noise):
    """A middle grade's most confident predictions still sit next to both neighbours: 17-45%
    of them were called wrong labels (a warning) before grades were measured on their ends;
    and a border between neighbouring grades, uneven on its two sides, was a one-way move."""
    report = datacheck.profile(graded_table(n, grades, noise, 0), label="rating", checks=["label_noise"])
    assert not loud(report), [f.message for f in loud(report)]
    for f in report.by_check("label_noise"):
        assert f.metrics["grades"] and "ordered grades" in f.message and "--task regression" in f.hint


def test_clean_grades_named_by_words_are_read_in_their_order():
    """"very high" sorts before "very low" by name; the scale puts it last."""
    words = np.array(["very low", "low", "medium", "high", "very high"], dtype=object)
    frame = graded_table(2000, 5, 0.7, 0)
    report = datacheck.profile(frame.assign(rating=words[frame["rating"] - 1]), label="rating",
                               checks=["label_noise"])
    assert not loud(report), [f.message for f in loud(report)]
    (f,) = report.by_check("label_noise")
    assert f.metrics["grades"] and "lowest and highest grade (very low and very high)" in f.message


def test_labels_moved_at_random_among_grades_warn():
    frame = graded_table(2000, 3, 0.3, 0)
    noisy, at = flip_symmetric(frame["rating"].to_numpy() - 1, 0.15, seed=1)
    findings, suspects = run_with_suspects(from_objects({"train": frame.assign(rating=noisy + 1)}, label="rating"))
    (f,) = findings
    assert f.severity.value == "warning" and f.metrics["grades"] and "across the grades" in f.message
    precision, _ = precision_recall(suspects, {f"train[{i}]" for i in at})
    assert precision >= 0.8, precision


def test_neighbouring_digits_swapped_are_not_grades(digits_split):
    """Digits are consecutive integers; one swapped pair of neighbours does not make them grades."""
    x_train, x_test, y_train, y_test = digits_split
    noisy, _ = flip_pair(y_train, 3, 4, 0.4, seed=0)
    ds = from_objects({"train": (x_train, noisy), "test": (x_test, y_test)})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    est, _ = LabelNoiseCheck().estimate(ctx)
    assert est.grade_share <= 0.5 and not est.grades


def test_image_suspects_carry_thumbnail_references(sample_data):
    report = datacheck.profile(sample_data / "clean_images", checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.severity.value == "info" and f.samples
    kinds = {e.kind: e for e in f.evidence}
    assert set(kinds) == {"matrix", "bars", "table", "images"}
    images = kinds["images"].data
    assert list(images["samples"]) == list(f.samples)
    assert all("→" in c for c in images["captions"])
    table = kinds["table"].data
    assert table["columns"] == ["sample", "given", "suggested", "quality"]
    assert table["rows"][0][0] == f.samples[0] and table["rows"][0][1] != table["rows"][0][2]
    qualities = [r[3] for r in table["rows"]]
    assert qualities == sorted(qualities), "most suspicious first"
    matrix = kinds["matrix"].data
    assert len(matrix["rows"]) == 10 and abs(np.sum(matrix["values"]) - 1) < 1e-3


def test_sampling_is_stratified_and_reported(digits_split):
    x_train, x_test, y_train, y_test = digits_split  # train_test_split order
    noisy, _ = flip_symmetric(y_train, 0.2, seed=0)
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise"],
                               noise_max_samples=600)
    (f,) = report.by_check("label_noise")
    assert 590 <= f.metrics["n_modelled"] <= 610 and f.metrics["n_labelled"] == len(y_train) + len(y_test)
    assert "stratified sample" in f.message


def test_every_labelled_row_is_judged_beyond_the_modelled_sample(digits_split):
    """A table drawn down to ``noise_max_samples``: the fold models judge every other labelled
    row too (its quality, suggestion and flag in the per-sample table), and the suspects
    found beyond the sample are the flipped labels about as often as those within it."""
    x_train, x_test, y_train, y_test = digits_split
    noisy, at = flip_symmetric(y_train, 0.2, seed=0)
    flipped = np.isin(np.arange(len(y_train)), at)
    n = len(y_train) + len(y_test)
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise"],
                               noise_max_samples=600)
    (f,) = report.by_check("label_noise")
    assert f.metrics["n_modelled"] == 600 and f.metrics["n_judged"] == n
    assert f"the other {n - 600:,} labelled samples were judged" in f.message
    assert f"of {n:,} samples" in f.message or f"of {n:,} labels" in f.message
    assert "noise_max_samples" not in f.hint
    table = report.samples
    assert table["label_noise.quality"].notna().all() and table["label_noise.suggested"].notna().all()
    train = table[table["split"] == "train"]
    flagged = train["label_noise.flag"].notna().to_numpy()
    assert f.n_samples == int(table["label_noise.flag"].notna().sum())
    assert flipped[flagged].mean() > 0.8 and flagged[flipped].mean() > 0.6


def test_every_regression_target_is_judged_beyond_the_modelled_sample():
    """Regression targets beyond ``noise_max_samples`` are predicted by the fold models and
    standardized on the modelled residuals: the wrong targets among them are found too."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    y = y.copy()
    wrong = np.arange(0, len(y), 11)  # 41 targets far off, in and beyond the modelled sample
    y[wrong] += 600
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])]).assign(target=y)
    report = datacheck.profile(train=frame, checks=["label_noise"], task="regression", noise_max_samples=300)
    (f,) = report.by_check("label_noise")
    n = len(y)
    assert f.metrics["n_modelled"] == 300 and f.metrics["n_judged"] == n
    assert "noise_max_samples" not in f.hint and f"the other {n - 300} labelled targets" in f.message
    table = report.samples
    assert table["label_noise.residual_z"].notna().all()
    flagged = table["label_noise.flag"].notna().to_numpy()
    assert f.n_samples == flagged.sum() and set(np.flatnonzero(flagged)) >= set(wrong)


def test_images_beyond_noise_max_samples_are_judged_too(digits_split):
    """Images beyond ``noise_max_samples`` are judged by the fold models: each has a quality,
    and the hint has nothing to say of unjudged samples."""
    x_train, x_test, y_train, y_test = digits_split
    noisy, _ = flip_symmetric(y_train, 0.2, seed=0)
    images = [(x.reshape(-1, 8, 8) * 16).astype(np.uint8) for x in (x_train, x_test)]
    report = datacheck.profile(train=(images[0], noisy), test=(images[1], y_test), checks=["label_noise"],
                               noise_max_samples=600)
    (f,) = report.by_check("label_noise")
    n = len(y_train) + len(y_test)
    assert f.metrics["n_judged"] == n and "noise_max_samples=" not in f.hint
    assert report.samples["label_noise.quality"].notna().sum() == n


def test_the_hint_says_how_to_judge_every_sample_where_only_the_pool_was():
    """With a CNN's probabilities (``noise_model="cnn"``) only the modelled images are judged:
    the hint says how to have every one judged."""
    from datacheck.checks.label_noise import _unjudged

    class Pool:
        capped_from = 1_797

        def __len__(self):
            return 600

    assert _unjudged(Pool(), 0).endswith("noise_max_samples=1797 (--noise-max-samples 1797) judges all 1,797, "
                                         "in more time.")
    assert _unjudged(Pool(), 1_197) == ""


def test_bad_noise_options_are_config_errors(digits_split):
    x_train, _, y_train, _ = digits_split
    with pytest.raises(ConfigError, match="noise_model"):
        datacheck.profile(train=(x_train, y_train), checks=["label_noise"], noise_model="resnet")
    with pytest.raises(ConfigError, match="noise_max_samples"):
        datacheck.profile(train=(x_train, y_train), checks=["label_noise"], noise_max_samples=-1)


def test_skipped_without_learnable_classes():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=12), "label": [0] * 10 + [1] * 2})
    report = datacheck.profile(train=frame, checks=["label_noise"])
    assert report.outcome("label_noise").status.value == "skipped"
    assert "two classes" in report.outcome("label_noise").reason


def test_missing_and_categorical_columns_are_modelled():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 3))
    colour = rng.choice(["red", "green", "blue"], n)
    y = ((x[:, 0] > 0) ^ (colour == "red")).astype(int)
    x[rng.random((n, 3)) < 0.1] = np.nan
    frame = pd.DataFrame(x, columns=list("abc")).assign(colour=colour, id=[f"row{i}" for i in range(n)], label=y)
    ds = from_objects({"train": frame})
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    oof = out_of_fold(ctx)
    assert "one-hot" in oof.features and "missing-value indicators" in oof.features
    assert any("id" in note for note in oof.notes), "the id-like column is left out and said so"
    assert np.isfinite(oof.proba).all() and np.mean(oof.proba.argmax(1) == oof.y) > 0.75


def test_manifest_images_are_modelled_from_thumbnails(sample_data):
    ds = load(sample_data / "clean_manifest" / "manifest.csv")
    ctx = CheckContext(ds, scan(ds, workers=1), {"seed": 0})
    oof = out_of_fold(ctx)
    assert oof.n == 200 and "thumbnails" in oof.features
    assert oof.sample_ids(ctx, [0])[0].startswith("images/")


# ---------------------------------------------------------------- regression targets

def diabetes_table(seed: int = 0):
    """scikit-learn diabetes, standardized on train, raw target: (train, test) frames and the target."""
    from tests import panel

    data = panel.diabetes(seed)
    columns = [f"f{i}" for i in range(data.x_train.shape[1])]
    return (pd.DataFrame(data.x_train, columns=columns), pd.DataFrame(data.x_test, columns=columns),
            data.y_train, data.y_test)


def regression_suspects(train, test, **params):
    """label_noise on a regression table: its findings and every suspect id."""
    dataset = from_objects({"train": train, "test": test})
    ctx = CheckContext(dataset, scan(dataset, workers=1), {"seed": 0})
    check = LabelNoiseCheck(**params)
    findings = check.run(ctx)
    est = target_noise(ctx, check.config["residual_z"])
    return findings, set(regression_out_of_fold(ctx).sample_ids(ctx, est.suspects))


@pytest.mark.parametrize("plant", ["far", "unit_slip"])
def test_planted_outlying_targets_warn_and_are_listed(plant):
    x_train, x_test, y_train, y_test = diabetes_table()
    rng = np.random.default_rng(3)
    at = np.sort(rng.choice(len(y_train), int(0.05 * len(y_train)), replace=False))
    wrong = y_train.copy()
    if plant == "far":  # beyond the range by one to three times its spread
        wrong[at] = y_train.max() + rng.uniform(1, 3, len(at)) * 2 * y_train.std()
    else:  # a value recorded in the wrong unit
        wrong[at] *= 10
    findings, suspects = regression_suspects(x_train.assign(target=wrong), x_test.assign(target=y_test))
    (f,) = findings
    assert f.code == "label_noise.target_outliers" and f.severity.value == "warning", f.message
    planted = {f"train[{i}]" for i in at}
    precision, recall = precision_recall(suspects, planted)
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)
    assert len(set(f.samples) & planted) >= 0.8 * len(planted)
    # the table gives the given and predicted targets, most extreme first
    (table,) = [e for e in f.evidence if e.kind == "table"]
    assert table.data["columns"] == ["sample", "given", "predicted", "z"]
    z = [abs(row[3]) for row in table.data["rows"]]
    assert z == sorted(z, reverse=True) and min(z) > 5
    assert f.metrics["refit_without_suspects"] is True and f.metrics["r2_within_cut"] > 0.3


def test_clean_regression_tables_are_quiet(sample_data):
    x_train, x_test, y_train, y_test = diabetes_table()
    findings, _ = regression_suspects(x_train.assign(target=y_train), x_test.assign(target=y_test))
    assert all(f.severity.value == "info" for f in findings), [f.message for f in findings]
    report = datacheck.profile(sample_data / "clean_regression", checks=["label_noise"])
    assert not loud(report), [f.message for f in loud(report)]


def test_heavy_tailed_clean_residuals_are_at_most_info():
    # t-distributed noise (2 degrees of freedom) puts about 1% of clean residuals beyond the cut:
    # outlying, but not a sign of wrong targets
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(3000, noise=0.0, random_state=0)
    y = y + np.random.default_rng(0).standard_t(2, len(y))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).assign(target=y)
    report = datacheck.profile(train=frame, checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.code == "label_noise.target_outliers" and f.severity.value == "info", f.message
    assert 0 < f.metrics["noise_ratio"] < 0.02


def test_a_heavy_tail_of_noise_beyond_the_warning_share_is_info():
    # a linear target with t(2) noise: the models fit the line, and 2.6% of the residuals lie
    # beyond the cut (a warning before), with 2.6 times as many just inside it
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6000, 5))
    y = x @ np.array([3.0, -2.0, 1.0, 0.5, 2.0]) + rng.standard_t(2, len(x))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)]).assign(target=y)
    (f,) = datacheck.profile(train=frame, checks=["label_noise"]).by_check("label_noise")
    assert f.severity.value == "info" and f.metrics["noise_ratio"] >= 0.02, f.message
    assert f.metrics["residual_shoulder"] >= 1.75 and "heavy tail of noise" in f.message
    wrong = y.copy()
    wrong[::25] = y.max() + 3 * y.std()  # 4% set apart from the rest, beside the same tail
    (f,) = datacheck.profile(train=frame.assign(target=wrong), checks=["label_noise"]).by_check("label_noise")
    assert f.severity.value == "warning" and f.metrics["residual_shoulder"] < 1.75, f.message


def test_shuffled_regression_target_is_left_to_learnability():
    x_train, x_test, y_train, y_test = diabetes_table()
    rng = np.random.default_rng(0)
    findings, _ = regression_suspects(x_train.assign(target=rng.permutation(y_train)),
                                      x_test.assign(target=rng.permutation(y_test)))
    (f,) = findings
    assert f.code == "label_noise.not_estimated" and f.severity.value == "info"


def test_regression_needs_enough_samples():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=12), "target": rng.normal(size=12)})
    report = datacheck.profile(train=frame, checks=["label_noise", "learnability"])
    assert report.dataset.task == "regression"
    assert {c.status.value for c in report.checks} == {"skipped"}
    assert all("labelled samples" in c.reason for c in report.checks)


def test_bad_residual_cut_is_a_config_error():
    with pytest.raises(ConfigError, match="residual_z"):
        LabelNoiseCheck(residual_z=1.0)


def test_skewed_clean_residuals_are_info_suggesting_a_log_scale():
    # multiplicative noise: about 5% of the targets lie beyond the cut, none of them wrong
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(2000, noise=0.0, random_state=0)
    y = np.exp(0.3 * y / y.std() + np.random.default_rng(0).normal(0, 1.0, len(y)))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).assign(target=y)
    report = datacheck.profile(train=frame, checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.severity.value == "info" and f.metrics["noise_ratio"] > 0.02, f.message
    assert f.metrics["residual_skewness"] > 0.3 and "log scale" in f.hint


def test_a_one_way_move_seen_by_weak_models_is_info_with_the_numbers(digits_split, monkeypatch):
    # Clean photo tiles labelled by their source photo (skill 0.43-0.47) showed a one-way "move"
    # that is only look-alike texture: below PAIR_SKILL the pair is context, not a claim.
    x_train, x_test, y_train, y_test = digits_split
    noisy, _ = flip_one_way(y_train, 1, 7, 0.4, seed=0)
    monkeypatch.setattr("datacheck.checks.label_noise.PAIR_SKILL", 0.99)  # digits reach ~0.93
    report = datacheck.profile(train=(x_train, noisy), test=(x_test, y_test), checks=["label_noise"])
    assert not loud(report)
    (pair,) = [f for f in report.findings if f.code == "label_noise.class_pair"]
    assert pair.severity.value == "info" and "too weak here" in pair.message
    assert f"balanced accuracy {pair.metrics['balanced_accuracy']:.2f}" in pair.message


def outcome_table(n: int, strength: float, k: int, seed: int, flip: float = 0.0) -> pd.DataFrame:
    """A label drawn from a softmax of the inputs (an outcome they do not determine); with
    ``flip``, the most likely class instead, then that share moved to another class at random."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12))
    logits = x @ (rng.normal(size=(12, k)) * strength / np.sqrt(12)) + 0.5 * strength * np.sin(2 * x[:, :k])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = p.argmax(axis=1) if flip else (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    moved = rng.random(n) < flip
    y[moved] = (y[moved] + rng.integers(1, k, moved.sum())) % k
    return pd.DataFrame(x, columns=[f"f{i}" for i in range(12)]).assign(outcome=np.array(["no", "yes", "later"])[y])


@pytest.mark.parametrize("n, strength, k, seed", [(1000, 0.5, 2, 1012), (1000, 1.0, 3, 1013), (5000, 0.5, 3, 5008)])
def test_an_outcome_the_inputs_do_not_determine_is_no_label_noise(n, strength, k, seed):
    """A churn or a default: even the surest predictions are contradicted, as often as their
    confidence says. These warned "16-33% of the labels look wrong" before."""
    import datacheck

    report = datacheck.profile(train=outcome_table(n, strength, k, seed), label="outcome", checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.severity.value == "info", f.message
    assert "do not fully determine these labels" in f.message and f.metrics["confidence_slope_high"] > 0.7
    assert "churn" in f.hint


def test_flipped_labels_of_a_table_are_contradicted_beyond_the_models_confidence():
    import datacheck

    report = datacheck.profile(train=outcome_table(20_000, 4.0, 2, 3, flip=0.1), label="outcome",
                               checks=["label_noise"])
    (f,) = report.by_check("label_noise")
    assert f.severity.value == "warning" and f.metrics["confidence_slope_high"] <= 0.7


def _titanic_like(n: int, seed: int) -> pd.DataFrame:
    """Survival drawn from a logistic of sex, class and age (no label is wrong), 20% of the ages
    missing, and the passengers numbered 1..n as Kaggle's PassengerId."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["male", "female"], n, p=[0.65, 0.35])
    pclass = rng.choice([1, 2, 3], n, p=[0.24, 0.21, 0.55])
    age = np.where(rng.random(n) < 0.2, np.nan, np.clip(rng.normal(30, 14, n), 0.4, 80).round(0))
    fare = np.where(pclass == 1, rng.lognormal(4.2, 0.6, n),
                    np.where(pclass == 2, rng.lognormal(3, 0.4, n), rng.lognormal(2.2, 0.4, n))).round(4)
    embarked = rng.choice(["S", "C", "Q"], n, p=[0.72, 0.19, 0.09])
    logit = 1.0 - 2.5 * (sex == "male") - 0.9 * (pclass - 1) - 0.02 * np.nan_to_num(age - 30)
    survived = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"PassengerId": np.arange(1, n + 1), "Pclass": pclass, "Sex": sex, "Age": age,
                         "SibSp": rng.poisson(0.5, n), "Parch": rng.poisson(0.4, n), "Fare": fare,
                         "Embarked": embarked, "label": survived})


def test_a_row_number_column_does_not_make_outcomes_look_mislabelled():
    # with PassengerId among the model's inputs, 8% of these survivals were "wrong labels"
    report = datacheck.profile(train=_titanic_like(891, 13), label="label", checks=["label_noise", "target_leakage"])
    (noise,) = report.by_check("label_noise")
    assert noise.severity.value == "info", noise.message
    assert "row-number columns left out of the model: PassengerId" in noise.message
    (ids,) = [f for f in report.by_check("target_leakage") if f.code == "target_leakage.id_like"]
    assert "PassengerId" in ids.message  # still named as an id


def test_only_a_row_counter_is_left_out_of_the_model_inputs():
    from datacheck.models.features import id_like_columns
    from datacheck.models.oof import pooled_features

    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame({"row": np.arange(1000, 1000 + n),  # a counter: left out
                          "seconds": np.cumsum(rng.integers(1, 60, n)),  # rises with gaps: a time
                          "rank": rng.permutation(n) + 1,  # 1..n shuffled: a rank, perhaps
                          "a": rng.normal(size=n), "label": rng.integers(0, 2, n)})
    dataset = from_objects({"train": frame}, label="label")
    ctx = CheckContext(dataset, scan(dataset), {"seed": 0})
    ids = id_like_columns(ctx)
    assert {name: column.counter for name, column in ids.items()} == {"row": True, "seconds": False, "rank": False}
    assert pooled_features(ctx).x.shape[1] == 3  # seconds, rank, a


def test_two_classes_are_not_named_as_the_ones_confused():
    # overlapping binary classes: the contradicted labels lie in both, which naming them ("most
    # of them in 0 and 1") would present as a finding
    from sklearn.datasets import make_classification

    x, y = make_classification(2000, 10, n_informative=4, random_state=0, class_sep=0.6)
    (f,) = datacheck.profile(train=(x, y), checks=["label_noise"]).findings
    assert f.severity.value == "info" and "in both classes" in f.message and "most of them in" not in f.message


def _streamed(tmp_path, monkeypatch, frame, name: str, sample_rows: int):
    """``frame`` as a Parquet file of small row groups, to be read in batches (``stream=True``)
    with a row sample of about ``sample_rows``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_ROWS", sample_rows)
    monkeypatch.setattr("datacheck.scan.sample.SAMPLE_FLOOR", 5)
    path = tmp_path / name
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=256)
    return str(path)


def test_every_labelled_row_of_a_streamed_split_is_judged(tmp_path, monkeypatch, digits_split):
    """A streamed split holds a row sample only, which the models are cross-fitted on; its other
    rows are read again and judged by the fold models, the flipped labels among them found
    about as well as within the sample."""
    x_train, _, y_train, _ = digits_split
    noisy, at = flip_symmetric(y_train, 0.2, seed=0)
    flipped = np.isin(np.arange(len(y_train)), at)
    frame = pd.DataFrame(x_train, columns=[f"p{j}" for j in range(x_train.shape[1])]).assign(label=noisy)
    path = _streamed(tmp_path, monkeypatch, frame, "digits.parquet", 600)
    # batches of 250 rows, judged in blocks of 100 of them
    monkeypatch.setattr("datacheck.data.parquet.BATCH_ROWS", 250)
    monkeypatch.setattr("datacheck.models.every_row.BLOCK_ROWS", 100)
    monkeypatch.setattr("datacheck.models.every_row.MIN_BLOCK_ROWS", 10)
    report = datacheck.profile(path, checks=["label_noise"], stream=True)
    (f,) = report.by_check("label_noise")
    n = len(y_train)
    assert f.metrics["n_modelled"] < 700 and f.metrics["n_judged"] == n, f.metrics
    assert f"the other {n - f.metrics['n_modelled']:,} labelled samples were judged" in f.message
    table = report.samples
    assert len(table) == n and table["label_noise.quality"].notna().all()
    flagged = table["label_noise.flag"].notna().to_numpy()
    assert flipped[flagged].mean() > 0.8 and flagged[flipped].mean() > 0.6


def test_every_regression_target_of_a_streamed_split_is_judged(tmp_path, monkeypatch):
    """A streamed regression table: the targets beyond its row sample are read again and
    judged, the wrong ones among them found."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    y = y.copy()
    wrong = np.arange(0, len(y), 11)
    y[wrong] += 600
    frame = pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])]).assign(target=y)
    path = _streamed(tmp_path, monkeypatch, frame, "diabetes.parquet", 250)
    report = datacheck.profile(path, checks=["label_noise"], task="regression", stream=True)
    (f,) = report.by_check("label_noise")
    assert f.metrics["n_modelled"] < len(y) and f.metrics["n_judged"] == len(y), f.metrics
    flagged = report.samples["label_noise.flag"].notna().to_numpy()
    assert set(np.flatnonzero(flagged)) >= set(wrong)


def test_a_streamed_split_has_at_most_its_cap_of_rows_judged_beyond_the_sample(tmp_path, monkeypatch, digits_split):
    """Memory stays bounded on a streamed table: at most ``STREAMED_MAX_ROWS`` rows beyond the
    row sample are judged (drawn at random), and the hint says how many were not."""
    x_train, _, y_train, _ = digits_split
    noisy, _ = flip_symmetric(y_train, 0.2, seed=0)
    frame = pd.DataFrame(x_train, columns=[f"p{j}" for j in range(x_train.shape[1])]).assign(label=noisy)
    path = _streamed(tmp_path, monkeypatch, frame, "digits.parquet", 600)
    monkeypatch.setattr("datacheck.models.every_row.STREAMED_MAX_ROWS", 300)
    report = datacheck.profile(path, checks=["label_noise"], stream=True)
    (f,) = report.by_check("label_noise")
    n, modelled, n_judged = len(y_train), f.metrics["n_modelled"], f.metrics["n_judged"]
    assert modelled + 250 <= n_judged <= modelled + 300, f.metrics  # each row kept at random
    assert f"{n - n_judged:,} labelled rows of streamed splits were not judged" in f.hint
    judged = report.samples["label_noise.quality"].notna().to_numpy()
    assert judged.sum() == n_judged
    # drawn at random over the file, not its first rows
    assert np.flatnonzero(judged).max() > 0.9 * n


def _fashion_images(sample_data, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class`` training images of each class of the bundled Fashion-MNIST set."""
    from PIL import Image

    folders = sorted((sample_data / "clean_images" / "train").iterdir())
    images, labels = [], []
    for label, folder in enumerate(folders):
        for path in sorted(folder.glob("*.png"))[:per_class]:
            images.append(np.asarray(Image.open(path)))
            labels.append(label)
    return np.stack(images), np.array(labels)


@pytest.mark.parametrize("per_class", [15, 20])
def test_too_few_images_a_class_raise_no_noise_warning(sample_data, per_class):
    """Clean images, 15-20 a class: their anchors are most of each class and measure the
    models' errors, not wrong labels (a warning before ``MIN_CLASS_SAMPLES``)."""
    x, y = _fashion_images(sample_data, per_class)
    report = datacheck.profile(train=(x, y), checks=["label_noise"])
    assert all(f.severity.name == "INFO" for f in report.findings), [f.message for f in report.findings]
    if per_class == 15:  # its anchors disagree as they would warn on more samples: the message says why not
        (finding,) = report.findings
        assert "with 15 modelled samples a class" in finding.message and "30 a class" in finding.hint


def test_moved_labels_warn_from_thirty_images_a_class(sample_data):
    x, y = _fashion_images(sample_data, 30)
    noisy, _ = flip_symmetric(y, 0.2, seed=0)
    report = datacheck.profile(train=(x, noisy), checks=["label_noise"])
    assert [f.severity.name for f in report.findings if f.code == "label_noise.noise_rate"] == ["WARNING"]
