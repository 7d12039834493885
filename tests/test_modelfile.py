"""Untrusted model files: the cases that crashed the server, and seeded mutations of a real model.

Every mutation is either refused with a DataError or loads and predicts; none may crash this process.
"""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from tuning.errors import DataError
from tuning.finetune import load_base_file
from tuning.modelfile import MAX_DEPTH, check_model_file


@pytest.fixture(scope="module")
def model() -> dict:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + X["b"] > 0).astype(int)
    b = xgb.train({"objective": "binary:logistic", "max_depth": 4}, xgb.DMatrix(X, label=y), 6)
    return json.loads(b.save_raw(raw_format="json"))


def _bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def _tree(doc: dict, i: int = 0) -> dict:
    return doc["learner"]["gradient_booster"]["model"]["trees"][i]


def test_a_real_model_passes_with_its_depth(model):
    checked = check_model_file(_bytes(model), "m.json")
    assert checked.n_trees == 6 and 1 <= checked.max_depth <= 4
    assert load_base_file(_bytes(model), "m.json").params["max_depth"] == checked.max_depth


def test_a_child_pointing_back_at_its_parent_is_refused(model):
    doc = copy.deepcopy(model)
    t = _tree(doc)
    first = next(i for i, c in enumerate(t["left_children"]) if c != -1)
    t["left_children"][t["left_children"][first]] = first  # a cycle: the crash in get_dump
    t["right_children"][t["left_children"][first]] = first
    with pytest.raises(DataError, match="points to node|reached twice|one child"):
        load_base_file(_bytes(doc), "cycle.json")


def test_an_out_of_range_child_and_a_huge_class_count_are_refused(model):
    doc = copy.deepcopy(model)
    t = _tree(doc)
    t["right_children"][0] = 10**6
    with pytest.raises(DataError, match="points to node"):
        check_model_file(_bytes(doc), "x.json")
    doc = copy.deepcopy(model)
    doc["learner"]["learner_model_param"]["num_class"] = "100000000"
    with pytest.raises(DataError, match="num_class"):
        check_model_file(_bytes(doc), "x.json")


def test_a_tree_deeper_than_the_limit_is_refused(model):
    doc = copy.deepcopy(model)
    t = _tree(doc)
    n = 2 * (MAX_DEPTH + 5) + 1  # a chain: node 2k has a leaf on the left and splits again on the right
    t["left_children"] = [i + 1 if i % 2 == 0 and i < n - 1 else -1 for i in range(n)]
    t["right_children"] = [i + 2 if i % 2 == 0 and i < n - 1 else -1 for i in range(n)]
    for key in ("parents", "split_indices", "split_conditions", "base_weights"):
        t[key] = [0] * n
    t["tree_param"]["num_nodes"] = str(n)
    with pytest.raises(DataError, match="deeper than"):
        check_model_file(_bytes(doc), "deep.json")


def _mutate(doc: dict, rng: random.Random) -> bytes:
    doc = copy.deepcopy(doc)
    t = _tree(doc, rng.randrange(6))
    kind = rng.randrange(9)
    n = len(t["left_children"])
    if kind == 0:
        t[rng.choice(["left_children", "right_children"])][rng.randrange(n)] = rng.choice([-2, 0, n, 10**9, -1, 1])
    elif kind == 1:
        t["split_indices"][rng.randrange(n)] = rng.choice([-1, 4, 99, 2**31])
    elif kind == 2:
        t[rng.choice(["left_children", "parents", "split_indices", "base_weights"])].pop()
    elif kind == 3:
        t["tree_param"]["num_nodes"] = str(rng.choice([0, n + 1, n - 1, 10**9]))
    elif kind == 4:
        doc["learner"]["learner_model_param"][rng.choice(["num_class", "num_feature"])] = rng.choice(
            ["0", "-1", "1e8", "abc", "100000000"]
        )
    elif kind == 5:
        doc["learner"]["feature_names"] = doc["learner"]["feature_names"][: rng.randrange(4)]
    elif kind == 6:
        del doc["learner"][rng.choice(["gradient_booster", "learner_model_param"])]
    elif kind == 7:
        i = rng.randrange(n)
        t["left_children"][i], t["right_children"][i] = rng.randrange(n), rng.randrange(n)
    raw = _bytes(doc)
    if kind == 8:
        raw = raw[: rng.randrange(len(raw))]
    return raw


def test_hundreds_of_mutations_never_crash_the_process(model):
    rng = random.Random(42)
    loaded = refused = 0
    for _ in range(300):
        raw = _mutate(model, rng)
        try:
            base = load_base_file(raw, "fuzz.json")
        except DataError:
            refused += 1
            continue
        booster = base.booster()  # what the app does next: load it and predict
        booster.predict(xgb.DMatrix(np.zeros((2, 4)), feature_names=list(base.features)))
        loaded += 1
    assert refused > 200 and loaded + refused == 300


def test_a_damaged_ubj_file_is_a_plain_error_from_a_subprocess(model):
    b = xgb.Booster()
    b.load_model(bytearray(_bytes(model)))
    ubj = bytes(b.save_raw(raw_format="ubj"))
    assert load_base_file(ubj, "m.ubj").features == ("a", "b", "c", "d")
    for raw in (ubj[: len(ubj) // 2], b"{" + b"\xff" * 64, ubj[:10] + b"\x00" * 100):
        with pytest.raises(DataError):
            load_base_file(raw, "bad.ubj")
