from __future__ import annotations

import json

import numpy as np
import pytest

from tuning.errors import SpaceError
from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace

DESIGN_EXAMPLE = {
    "n_estimators": {"value": 300},
    "max_depth": {"type": "int", "low": 2, "high": 10},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "booster": {"values": ["gbtree", "dart"]},
    "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
    "reg_lambda": {"values": [0.1, 1, 10]},
}


def test_parses_the_design_example_and_round_trips():
    space = SearchSpace.from_dict(DESIGN_EXAMPLE)
    assert isinstance(space["n_estimators"], FixedParam)
    assert isinstance(space["max_depth"], IntParam)
    assert isinstance(space["learning_rate"], FloatParam) and space["learning_rate"].log
    assert isinstance(space["booster"], CategoricalParam)
    assert space["rate_drop"].when == (("booster", ("dart",)),)
    again = SearchSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    assert again == space


def test_conditional_parent_is_ordered_first():
    spec = {
        "rate_drop": {"type": "float", "low": 0, "high": 0.5, "when": {"booster": "dart"}},
        "booster": {"values": ["gbtree", "dart"]},
    }
    assert SearchSpace.from_dict(spec).names == ["booster", "rate_drop"]


def test_grid_expands_conditionals_only_where_active():
    space = SearchSpace.from_dict(DESIGN_EXAMPLE, grid_points=3)
    grid = space.grid()
    # depth 2..10 in 3 points, lr 3 points, reg_lambda 3; gbtree once, dart x 3 rate_drop values
    assert len(grid) == 3 * 3 * 3 * (1 + 3)
    assert space.grid_size() == len(grid)
    assert all(("rate_drop" in g) == (g["booster"] == "dart") for g in grid)
    assert {g["max_depth"] for g in grid} == {2, 6, 10}
    lrs = sorted({g["learning_rate"] for g in grid})
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.3)
    assert lrs[1] == pytest.approx((0.01 * 0.3) ** 0.5, rel=1e-4)  # log-spaced


def test_int_grid_with_fewer_values_than_points_lists_each_once():
    assert IntParam("k", low=1, high=3).grid(5) == [1, 2, 3]


def test_sample_types_and_ranges():
    space = SearchSpace.from_dict(DESIGN_EXAMPLE)
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = space.sample(rng)
        assert type(p["max_depth"]) is int and 2 <= p["max_depth"] <= 10
        assert 0.01 <= p["learning_rate"] <= 0.3
        assert p["booster"] in ("gbtree", "dart")
        assert ("rate_drop" in p) == (p["booster"] == "dart")
        assert p["n_estimators"] == 300


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"a": 3}, ["'a'", "expected an object"]),
        ({"a": {"low": 5, "high": 1}}, ["'a'", "greater than"]),
        ({"a": {"low": 0, "high": 1, "log": True}}, ["'a'", "log scale needs 'low' > 0"]),
        ({"a": {"values": []}}, ["'a'", "non-empty list"]),
        ({"a": {"values": [1, 1]}}, ["'a'", "same value twice"]),
        ({"a": {"low": 1}}, ["'a'", "needs 'value', 'values', or both"]),
        ({"a": {"type": "int", "low": 1.5, "high": 3}}, ["'a'", "whole-number"]),
        ({"a": {"type": "text", "low": 1, "high": 3}}, ["'a'", "unknown type"]),
        ({"a": {"low": "x", "high": 3}}, ["'a'", "must be numbers"]),
        ({"a": {"value": 1, "high": 3}}, ["'a'", "cannot also have"]),
        ({"a": {"values": [1, 2], "colour": 1}}, ["'a'", "unknown key"]),
        ({"a": {"low": 0, "high": 1, "when": {"b": 1}}}, ["'a'", "'b'", "not in the space"]),
        ({"b": {"low": 0, "high": 1}, "a": {"low": 0, "high": 1, "when": {"b": 1}}}, ["'a'", "is a range"]),
        ({"b": {"values": [1, 2]}, "a": {"low": 0, "high": 1, "when": {"b": 3}}}, ["'a'", "3"]),
        ({}, ["empty"]),
    ],
)
def test_invalid_specs_name_the_parameter(spec, words):
    with pytest.raises(SpaceError) as err:
        SearchSpace.from_dict(spec)
    for w in words:
        assert w in str(err.value)


def test_invalid_json_text():
    with pytest.raises(SpaceError, match="not valid JSON"):
        SearchSpace.from_json("{'a': 1}")


def test_unknown_parameter_for_model():
    from tuning.models import get_model

    space = SearchSpace.from_dict({"max_dept": {"values": [2, 3]}})
    with pytest.raises(SpaceError, match="'max_dept'"):
        space.validate_against(get_model("xgboost").allowed_params("classification"), model="XGBoost")


def test_every_default_space_is_valid_for_its_model():
    from tuning.models import MODELS

    for family in MODELS.values():
        for task in family.tasks:
            family.space().validate_against(family.allowed_params(task), model=family.label)


def test_centre_is_the_middle_and_low_names_take_the_lowest():
    space = SearchSpace.from_dict(
        {
            "n": {"type": "int", "low": 50, "high": 500},
            "lr": {"type": "float", "low": 0.01, "high": 1.0, "log": True},
            "depth": {"values": [8, 2, 4]},
            "kind": {"values": ["a", "b"]},
            "fixed": {"value": 7},
        }
    )
    assert space.centre() == {"n": 275, "lr": pytest.approx(0.1), "depth": 4, "kind": "a", "fixed": 7}
    low = space.centre(low={"n", "depth"})
    assert (low["n"], low["depth"], low["lr"]) == (50, 2, pytest.approx(0.1))
