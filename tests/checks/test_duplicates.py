"""duplicates: planted copies and label conflicts; quiet on clean data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import datacheck
from datacheck.checks.duplicates import hash_groups
from tests.helpers import loud

CHECK = "duplicates"


def profile(*args, **kwargs):
    return datacheck.profile(*args, checks=[CHECK], workers=1, **kwargs)


def by_code(report):
    return {f.code.split(".", 1)[1]: f for f in report.findings}


def pair_set(finding):
    (pairs,) = [e for e in finding.evidence if e.kind == "pairs"]
    return {frozenset(p) for p in pairs.data["pairs"]}


def train_ids(pairs):
    return {frozenset(f"train[{i}]" for i in p) for p in pairs}


# -- planted defects ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(sample_data):
    truth = json.loads((sample_data / "defect_duplicates.truth.json").read_text())
    return truth, by_code(profile(sample_data / "defect_duplicates.csv"))


def test_exact_copies_found(planted):
    truth, found = planted
    f = found["exact"]
    assert f.severity.value == "warning" and f.split == "train"
    assert f.metrics["n_copies"] == truth["exact_duplicates"]["count"]
    assert pair_set(f) == train_ids(truth["exact_duplicates"]["pairs_train_index"])
    # Both members of each pair are listed.
    assert set(f.samples) == {s for p in train_ids(truth["exact_duplicates"]["pairs_train_index"]) for s in p}
    assert f.n_samples == 2 * truth["exact_duplicates"]["count"]


def test_label_conflicts_found(planted):
    truth, found = planted
    f = found["label_conflicts"]
    assert f.severity.value == "error" and f.split == "train"
    assert f.metrics["n_groups"] == truth["conflicting_labels"]["count"]
    assert pair_set(f) == train_ids(truth["conflicting_labels"]["pairs_train_index"])
    table = f.evidence[1].data["rows"]
    for group in {r[0] for r in table}:
        assert len({r[2] for r in table if r[0] == group}) == 2
    assert set(found) == {"exact", "label_conflicts"}


def test_copied_png_in_image_folder(tmp_path, sample_data):
    src = sorted((sample_data / "clean_images" / "train" / "Bag").glob("*.png"))[:30]
    folder = tmp_path / "train" / "Bag"
    folder.mkdir(parents=True)
    for p in src:
        shutil.copy(p, folder / p.name)
    shutil.copy(src[3], folder / "copy.png")
    (f,) = profile(tmp_path).findings
    assert f.code == f"{CHECK}.exact" and f.severity.value == "warning"
    assert pair_set(f) == {frozenset({f"train/Bag/{src[3].name}", "train/Bag/copy.png"})}


def test_copied_png_in_another_class_is_a_conflict(tmp_path, sample_data):
    src = sorted((sample_data / "clean_images" / "train" / "Bag").glob("*.png"))[:30]
    for p in src:
        (tmp_path / "Bag").mkdir(exist_ok=True)
        shutil.copy(p, tmp_path / "Bag" / p.name)
    (tmp_path / "Coat").mkdir()
    shutil.copy(src[0], tmp_path / "Coat" / "odd.png")
    (f,) = profile(tmp_path).findings
    assert f.code == f"{CHECK}.label_conflicts" and f.severity.value == "error"
    assert set(f.samples) == {f"Bag/{src[0].name}", "Coat/odd.png"}


def test_unreadable_files_are_not_duplicates(sample_data):
    # Three undecodable files share no content, even though none has pixels.
    assert not profile(sample_data / "defect_corrupt_images").findings


def test_a_few_copies_are_info(rng):
    x = rng.normal(size=(500, 5))
    x[400] = x[17]
    y = np.arange(500) % 2
    y[400] = y[17]
    (f,) = profile(train=(x, y)).findings
    assert f.code == f"{CHECK}.exact" and f.severity.value == "info"
    assert f.samples == ("train[17]", "train[400]")


def test_same_batch_repeated_is_an_error(rng):
    x = np.tile(rng.normal(size=(8, 4)), (30, 1))
    y = np.tile(np.arange(8) % 2, 30)
    (f,) = profile(train=(x, y)).findings
    assert f.code == f"{CHECK}.exact" and f.severity.value == "error"
    assert f.metrics["n_copies"] == 232 and f.metrics["largest_group"] == 30


def test_missing_label_is_no_conflict(rng):
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc"))
    df["label"] = np.arange(40) % 2
    df.loc[39] = df.loc[2]
    df["label"] = df["label"].astype(float)
    df.loc[39, "label"] = np.nan
    (f,) = profile(df).findings
    assert f.code == f"{CHECK}.exact"


def test_hash_groups_order_and_members():
    hashes = np.array([5, 7, 5, 9, 7, 7, 1], dtype=np.uint64)
    index = np.arange(10, 17)
    g = hash_groups(hashes, index)
    assert g.sizes.tolist() == [3, 2]  # largest group first
    assert g.members.tolist() == [11, 14, 15, 10, 12]
    assert g.starts.tolist() == [0, 3]
    empty = hash_groups(np.zeros(0, np.uint64), np.zeros(0, np.int64))
    assert len(empty.sizes) == 0


# -- clean controls ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clean_images", "clean_tabular", "clean_digits.npz", "clean_manifest"])
def test_clean_sample_data_is_quiet(sample_data, name):
    assert not profile(sample_data / name).findings


def test_digits_random_split_has_no_duplicates(digits_split):
    x_train, x_test, y_train, y_test = digits_split
    assert not profile(train=(x_train, y_train), test=(x_test, y_test)).findings


def test_wine_is_quiet(wine_frames):
    train, test = wine_frames
    assert not loud(profile(train=train, test=test))


def _coarse_table(n=3000, seed=0):
    """Four categorical columns of 3-4 levels (144 combinations) and a label ruled by them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"buying": rng.choice(["low", "med", "high", "vhigh"], n),
                          "doors": rng.choice(["2", "3", "4", "5more"], n),
                          "persons": rng.choice(["2", "4", "more"], n),
                          "safety": rng.choice(["low", "med", "high"], n)})
    score = (frame.buying.map({"low": 2, "med": 1, "high": 0, "vhigh": 0})
             + frame.safety.map({"low": -5, "med": 1, "high": 2}) + frame.persons.map({"2": -5, "4": 1, "more": 1}))
    frame["label"] = np.where(score >= 3, "good", np.where(score >= 1, "acc", "unacc"))
    return frame


def test_rows_of_few_valued_features_repeat_by_chance_at_info(tmp_path):
    """3,000 rows over 144 combinations repeat 95% of the time with nothing copied: info, not
    an error; a 1-5 survey with an uncertain outcome repeats answers with other labels: no
    label-conflict error either."""
    _coarse_table().to_csv(tmp_path / "cars.csv", index=False)
    found = datacheck.profile(tmp_path / "cars.csv", checks=["duplicates"]).findings
    assert [(f.code, f.severity.value) for f in found] == [("duplicates.chance_repeats", "info")]
    rng = np.random.default_rng(1)
    answers = rng.integers(1, 6, (3000, 5))
    p = 1 / (1 + np.exp(-(answers[:, 0] + answers[:, 1] - 6)))
    survey = pd.DataFrame(answers, columns=[f"q{i}" for i in range(5)]).assign(label=(rng.random(3000) < p).astype(int))
    survey.to_csv(tmp_path / "survey.csv", index=False)
    found = datacheck.profile(tmp_path / "survey.csv", checks=["duplicates"]).findings
    assert [(f.code, f.severity.value) for f in found] == [("duplicates.chance_repeats", "info")]
    assert found[0].metrics["n_groups_with_labels_differing"] > 100


def test_copies_of_rows_with_a_measurement_stay_copies(tmp_path):
    """The same coarse table with a measurement column: rows repeat only when copied, so 60
    copied rows (some relabelled) are a warning and an error as before."""
    rng = np.random.default_rng(2)
    frame = _coarse_table(1000).assign(weight=rng.normal(1500, 200, 1000).round(1))
    copies = frame.sample(60, random_state=0)
    copies.loc[copies.index[:10], "label"] = "good"
    frame = pd.concat([frame, copies], ignore_index=True)
    frame.to_csv(tmp_path / "weighed.csv", index=False)
    codes = {f.code: f.severity.value for f in datacheck.profile(tmp_path / "weighed.csv", checks=["duplicates"]).findings}
    assert codes["duplicates.exact"] == "warning"
    assert "duplicates.chance_repeats" not in codes


def test_chance_rate_of_a_group():
    """Three columns of ten equally frequent values (1,000 combinations) over 3,000 rows: a
    pair of equal rows is chance (about 3 expected); 20 equal rows holding a value that only
    5 other rows have are more than even that value allows (oversampling); a pair whose
    shared value no other row has is a copy, not even a value that recurs."""
    from datacheck.checks._chance_copies import chance_groups

    rows = np.arange(3000)
    a, b, c = rows % 10, (rows // 10) % 10, (rows // 100) % 10
    pair = np.flatnonzero((a == 1) & (b == 2) & (c == 3))[:2]
    assert chance_groups(iter([a, b, c]), 3000, pair, np.array([0]), np.array([2])).repeats.tolist() == [True]
    crowd = np.arange(20)
    rare = c.copy()
    rare[:25] = 10  # a value of 20 crowd rows and 5 others
    crowd_cols = [np.where(rows < 20, 0, a), np.where(rows < 20, 0, b), rare]
    assert chance_groups(iter(crowd_cols), 3000, crowd, np.array([0]), np.array([20])).repeats.tolist() == [False]
    d = rows.copy()
    d[1] = 0  # rows 0 and 1 share a measurement no other row has
    alone = chance_groups(iter([a, b, d]), 3000, np.array([0, 1]), np.array([0]), np.array([2]))
    assert alone.repeats.tolist() == [False] and alone.recurs.tolist() == [False]


def test_answers_that_move_together_repeat_by_chance_too(tmp_path):
    """Six 1-5 answers driven by one opinion, with an outcome drawn from it: answers repeat
    more often than independent columns would, and their outcomes differ; both are the
    data (no warning, no error)."""
    rng = np.random.default_rng(3)
    opinion = rng.normal(3, 1, 3000)
    answers = np.clip(np.round(opinion[:, None] + rng.normal(0, 0.5, (3000, 6))), 1, 5).astype(int)
    outcome = (rng.random(3000) < 1 / (1 + np.exp(-(opinion - 3)))).astype(int)
    pd.DataFrame(answers, columns=[f"q{i}" for i in range(6)]).assign(label=outcome).to_csv(
        tmp_path / "survey.csv", index=False)
    report = datacheck.profile(tmp_path / "survey.csv", checks=["duplicates"])
    assert not loud(report, "duplicates")
    assert "duplicates.chance_repeats" in {f.code for f in report.findings}


def test_two_categorical_columns_repeat_by_chance(tmp_path):
    """Two columns (12 combinations): every pair of values lies in its own group only, so the
    pair's frequency outside the group says nothing and each value's own frequency stands."""
    rows = np.arange(400)
    pd.DataFrame({"shape": np.array(["round", "square", "flat"])[rows % 3],
                  "size": np.array(["s", "m", "l", "xl"])[rows % 4], "label": rows % 2}).to_csv(
        tmp_path / "two.csv", index=False)
    found = datacheck.profile(tmp_path / "two.csv", checks=["duplicates"]).findings
    assert [(f.code, f.severity.value) for f in found] == [("duplicates.chance_repeats", "info")]


def _churn_table(n: int = 7000, seed: int = 0) -> pd.DataFrame:
    """Telco-like customers: a month's tenure makes the total charge the monthly one, phone-only
    service fixes six columns and a price tier of 30 values; churn is an outcome drawn from the
    contract, the tenure and the payment. New phone-only customers repeat each other's rows,
    which the column frequencies call rare, and their churn differs at random."""
    rng = np.random.default_rng(seed)
    tenure = np.where(rng.random(n) < 0.09, 1, rng.integers(2, 73, n))
    service = rng.choice(["phone", "internet", "both"], n, p=[0.22, 0.1, 0.68])
    phone_only = service == "phone"
    frame = pd.DataFrame({"gender": rng.choice(["Female", "Male"], n), "senior": (rng.random(n) < 0.16).astype(int),
                          "partner": rng.choice(["Yes", "No"], n), "tenure": tenure, "service": service})
    for col in ("security", "backup", "protection", "support", "tv", "movies"):
        frame[col] = np.where(phone_only, "No internet service", rng.choice(["Yes", "No"], n))
    m2m = rng.random(n) < np.where(tenure < 12, 0.85, 0.4)
    frame["contract"] = np.where(m2m, "Month-to-month", rng.choice(["One year", "Two year"], n))
    frame["payment"] = rng.choice(["Mailed check", "Electronic check", "Bank transfer", "Credit card"], n)
    monthly = np.where(phone_only, rng.choice(np.round(np.arange(19.5, 21.0, 0.05), 2), n),
                       np.round(rng.uniform(30, 110, n) / 0.05) * 0.05)
    frame["monthly"] = np.round(monthly, 2)
    frame["total"] = np.round(np.where(tenure == 1, monthly, monthly * tenure * rng.uniform(0.97, 1.03, n)), 2)
    logit = -1.2 + 1.3 * m2m - 0.04 * tenure + 0.5 * (frame["payment"] == "Electronic check")
    frame["churn"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return frame


@pytest.mark.parametrize("seed", [0, 1])
def test_customers_who_share_their_row_with_another_outcome_are_no_conflict(tmp_path, seed):
    # they differ about as often as independent churns would: distinct customers, repeated by
    # chance, not copies or label conflicts
    _churn_table(seed=seed).to_csv(tmp_path / "churn.csv", index=False)
    report = datacheck.profile(tmp_path / "churn.csv", checks=["duplicates"], label="churn")
    assert not loud(report, "duplicates")
    (f,) = report.findings
    assert f.code == "duplicates.chance_repeats" and f.metrics["n_groups_with_labels_differing"] >= 3


def test_copied_customer_records_relabelled_stay_conflicts(tmp_path):
    # the same table with 40 long-standing customers' records copied, 20 of the copies with the
    # other outcome: their totals are theirs alone, so the copies are one record twice
    frame = _churn_table()
    copies = frame[frame.tenure > 12].sample(40, random_state=0)
    flip = copies.index[:20]
    copies.loc[flip, "churn"] = np.where(copies.loc[flip, "churn"] == "Yes", "No", "Yes")
    pd.concat([frame, copies], ignore_index=True).to_csv(tmp_path / "churn.csv", index=False)
    found = by_code(datacheck.profile(tmp_path / "churn.csv", checks=["duplicates"], label="churn"))
    conflicts = found["label_conflicts"]
    assert conflicts.severity.value == "warning" and conflicts.metrics["n_groups"] >= 20


def test_labels_uncertain_given_the_rows():
    from datacheck.checks._chance_copies import labels_uncertain

    p = np.full(80, 0.4)  # pairs of a 70/30 label: 32 of 80 differ if drawn independently
    assert labels_uncertain(p, np.arange(80) < 32)
    assert labels_uncertain(p, np.arange(80) < 14)  # features that explain some of an outcome
    assert not labels_uncertain(p, np.arange(80) < 6)  # copies that mostly agree
    assert labels_uncertain(np.array([0.4]), np.array([True]))  # one group cannot tell


def _replicates(rng, n_mixes: int = 600) -> pd.DataFrame:
    """Concrete-like mixes, 40 of them measured twice: strength 0-80 (an interquartile range of
    about 20), replicate noise 2."""
    frame = pd.DataFrame(rng.uniform(100, 500, (n_mixes, 4)).round(1), columns=["cement", "slag", "water", "sand"])
    frame = pd.concat([frame, frame.sample(40, random_state=1)], ignore_index=True)
    true = 0.12 * frame.cement - 0.05 * frame.water + 0.03 * frame.slag
    frame["strength"] = (true + rng.normal(0, 2, len(frame))).round(2)
    return frame


def test_replicate_measurements_of_a_target_are_copies_not_conflicts(tmp_path):
    # 40 mixes measured twice, their strengths about 3 apart with an interquartile range of about 20
    rng = np.random.default_rng(4)
    _replicates(rng).to_csv(tmp_path / "concrete.csv", index=False)
    found = by_code(datacheck.profile(tmp_path / "concrete.csv", checks=["duplicates"], label="strength"))
    assert "label_conflicts" not in found
    assert found["exact"].metrics["n_copies"] == 40


def test_a_replicate_far_from_its_twin_is_a_conflict(tmp_path):
    rng = np.random.default_rng(4)
    frame = _replicates(rng)
    twin = frame.index[-1]
    frame.loc[twin, "strength"] += 3 * np.subtract(*np.percentile(frame.strength, [75, 25]))
    frame.to_csv(tmp_path / "concrete.csv", index=False)
    found = by_code(datacheck.profile(tmp_path / "concrete.csv", checks=["duplicates"], label="strength"))
    assert found["label_conflicts"].metrics["n_groups"] == 1
    assert found["label_conflicts"].severity.value == "warning"


def test_a_handful_of_conflicts_among_thousands_is_info(rng):
    x = rng.normal(size=(2000, 5))
    y = np.arange(2000) % 2
    x[1500] = x[17]
    y[1500] = 1 - y[17]  # 2 of 2,000 samples: 0.1%
    found = by_code(profile(train=(x, y)))
    assert found["label_conflicts"].severity.value == "info"
    x[1501], y[1501] = x[18], 1 - y[18]
    x[1502], y[1502] = x[19], 1 - y[19]  # 6 of 2,000: 0.3%
    assert by_code(profile(train=(x, y)))["label_conflicts"].severity.value == "warning"
