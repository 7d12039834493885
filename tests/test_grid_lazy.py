"""Grids are enumerated lazily, counted without being built, and refused above a cap."""

from __future__ import annotations

import tracemalloc

import pytest

from tuning.errors import SpaceError
from tuning.models import get_model
from tuning.space import MAX_GRID_SIZE, SearchSpace
from tuning.strategies import GridStrategy

from .test_space import DESIGN_EXAMPLE

# Conditional, 111,000 combinations at 10 points: building it as dicts takes tens of megabytes.
CONDITIONAL = {
    "booster": {"values": ["gbtree", "dart", "gblinear"]},
    "max_depth": {"type": "int", "low": 1, "high": 20, "when": {"booster": ["gbtree", "dart"]}},
    "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
    "reg_lambda": {"type": "float", "low": 0.001, "high": 10.0, "log": True},
}


def _eager_grid(space: SearchSpace) -> list[dict]:
    """The former breadth-first construction: the reference for order and content."""
    partial: list[dict] = [{}]
    for p in space.params:
        values = p.grid(space.grid_points)
        nxt = []
        for assigned in partial:
            if p.is_active(assigned):
                nxt.extend({**assigned, p.name: v} for v in values)
            else:
                nxt.append(assigned)
        partial = nxt
    return partial


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("points", [2, 3, 4])
def test_lazy_grid_matches_the_eager_one_in_order(points):
    for spec in (DESIGN_EXAMPLE, CONDITIONAL):
        space = SearchSpace.from_dict(spec, grid_points=points)
        eager = _eager_grid(space)
        assert list(space.iter_grid()) == eager
        assert space.grid_size() == len(eager)


def test_conditional_grid_is_counted_without_being_built():
    space = SearchSpace.from_dict(CONDITIONAL, grid_points=10)
    # gbtree: 10 depths x 10^3; dart: 10 x 10 x 10^3; gblinear: 10^3
    assert space.grid_size() == 10 * 1000 + 10 * 10 * 1000 + 1000
    assert _peak_bytes(space.grid_size) < 2_000_000


def test_the_issue_grid_is_counted_and_refused():
    # XGBoost's default space with the 12 points per range the Search page allows: 26.9 million.
    space = SearchSpace.from_dict(get_model("xgboost").default_space, grid_points=12)
    assert space.grid_size() == 9 * 12**6
    with pytest.raises(SpaceError, match="random search or TPE"):
        GridStrategy(space)
    with pytest.raises(SpaceError, match="26,873,856 combinations"):
        space.check_grid()


def test_grid_strategy_walks_a_large_grid_without_holding_it():
    space = SearchSpace.from_dict(CONDITIONAL, grid_points=9)
    n = space.grid_size()
    assert 50_000 < n <= MAX_GRID_SIZE

    def walk():
        s = GridStrategy(space)
        assert s.total == n
        firsts = [s.ask() for _ in range(5)]
        assert firsts == list(_first(space, 5))

    assert _peak_bytes(walk) < 2_000_000


def _first(space, k):
    it = space.iter_grid()
    for _ in range(k):
        yield next(it)


def test_grid_strategy_replay_then_ask_the_rest():
    space = SearchSpace.from_dict(DESIGN_EXAMPLE, grid_points=2)
    everything = list(space.iter_grid())
    s = GridStrategy(space)
    s.replay([(everything[0], 0.5), (everything[3], None)])
    rest = []
    while (c := s.ask()) is not None:
        rest.append(c)
    assert rest == [c for i, c in enumerate(everything) if i not in (0, 3)]
    assert s.total == len(everything)


@pytest.mark.parametrize("points", [1, -3, 51, 1000, 2.5])
def test_grid_points_out_of_range_are_refused(points):
    with pytest.raises(SpaceError, match="from 2 to 50"):
        SearchSpace.from_dict(DESIGN_EXAMPLE, grid_points=points)


def test_float_grid_points_that_round_together_are_listed_once():
    space = SearchSpace.from_dict({"a": {"type": "float", "low": 1.0, "high": 1.0000001}}, grid_points=5)
    assert space["a"].grid(5) == [1.0] and space.grid_size() == 1
