from __future__ import annotations

import math

import numpy as np
import pytest

from tuning.space import SearchSpace
from tuning.strategies import STRATEGIES, make_strategy

SPACE = SearchSpace.from_dict(
    {
        "depth": {"type": "int", "low": 1, "high": 12},
        "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        "kind": {"values": ["a", "b", 3]},
        "drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"kind": "b"}},
        "fixed": {"value": 7},
    }
)


def objective(p: dict) -> float:
    """Smooth, higher is better, optimum at depth 8, lr 0.01, kind 'b', drop 0.2."""
    s = -(((p["depth"] - 8) / 4) ** 2) - (math.log10(p["lr"]) + 2) ** 2
    s += {"a": -0.5, "b": 0.0, 3: -1.0}[p["kind"]]
    if p["kind"] == "b":
        s -= ((p["drop"] - 0.2) * 4) ** 2
    return s


def run(strategy: str, seed: int, n: int = 40) -> list[tuple[dict, float]]:
    s = make_strategy(strategy, SPACE, seed=seed)
    out = []
    for _ in range(n):
        p = s.ask()
        if p is None:
            break
        score = objective(p)
        s.tell(p, score)
        out.append((p, score))
    return out


@pytest.mark.parametrize("name", ["random", "tpe", "anneal", "grid"])
def test_types_values_and_conditionals(name):
    for p, _ in run(name, seed=1, n=30):
        assert type(p["depth"]) is int and 1 <= p["depth"] <= 12
        assert isinstance(p["lr"], float) and 1e-4 <= p["lr"] <= 1.0
        assert p["kind"] in ("a", "b", 3)  # the value, never hyperopt's index
        if p["kind"] == 3:
            assert type(p["kind"]) is int
        assert ("drop" in p) == (p["kind"] == "b")
        assert p["fixed"] == 7
        assert not any(type(v).__module__.startswith("numpy") for v in p.values())


@pytest.mark.parametrize("name", ["random", "tpe", "anneal"])
def test_same_seed_same_trials(name):
    assert run(name, seed=3, n=25) == run(name, seed=3, n=25)
    assert run(name, seed=3, n=25) != run(name, seed=4, n=25)


def test_log_ranges_are_sampled_in_natural_units_evenly_in_log():
    lrs = np.array([p["lr"] for p, _ in run("random", seed=0, n=400)])
    frac_below_1e_2 = np.mean(lrs < 1e-2)
    assert 0.4 < frac_below_1e_2 < 0.6  # half the log range lies below 1e-2


def test_tpe_beats_random_at_40_trials_over_seeds():
    seeds = range(12)
    tpe = np.median([max(s for _, s in run("tpe", seed)) for seed in seeds])
    rnd = np.median([max(s for _, s in run("random", seed)) for seed in seeds])
    assert tpe > rnd


def test_grid_is_exhaustive_and_ends():
    space = SearchSpace.from_dict({"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}})
    s = make_strategy("grid", space)
    seen = []
    while (p := s.ask()) is not None:
        seen.append((p["a"], p["b"]))
    assert sorted(seen) == sorted((a, b) for a in (1, 2, 3) for b in ("x", "y"))
    assert s.total == 6


def test_grid_replay_skips_done_candidates():
    space = SearchSpace.from_dict({"a": {"values": [1, 2, 3]}})
    s = make_strategy("grid", space)
    s.replay([({"a": 1}, 0.5), ({"a": 3}, None)])
    assert s.ask() == {"a": 2}
    assert s.ask() is None


@pytest.mark.parametrize("name", ["tpe", "anneal"])
def test_hyperopt_replay_learns_from_history(name):
    history = run("random", seed=5, n=30)
    s = make_strategy(name, SPACE, seed=0)
    s.replay(history)
    assert len(s._trials.trials) == 30
    p = s.ask()
    assert set(p) >= {"depth", "lr", "kind", "fixed"}


def test_failed_candidates_are_told_as_failures():
    s = make_strategy("tpe", SPACE, seed=0)
    for _ in range(25):
        p = s.ask()
        s.tell(p, None if p["kind"] == "a" else objective(p))
    assert s.ask() is not None


def test_unknown_strategy():
    from tuning.errors import ConfigError

    with pytest.raises(ConfigError, match="grid, random, tpe, anneal"):
        make_strategy("bayes", SPACE)
    assert set(STRATEGIES) == {"grid", "random", "tpe", "anneal"}


def test_tpe_starts_guiding_after_a_quarter_of_the_budget():
    from tuning.strategies import make_strategy
    from tuning.strategies.hyperopt_adapter import startup_trials

    assert [startup_trials(b) for b in (None, 8, 20, 40, 100, 1000)] == [20, 5, 5, 10, 20, 20]
    space = SearchSpace.from_dict({"x": {"type": "float", "low": 0.0, "high": 1.0}})
    tpe = make_strategy("tpe", space, seed=0, budget=20)
    assert tpe.n_startup_jobs == 5 and "5 random trials" in tpe.describe_plan()
    # after 5 random trials told that small x is good, TPE proposes small x more often than random would
    for _ in range(5):
        p = tpe.ask()
        tpe.tell(p, -p["x"])
    guided = [tpe.ask()["x"] for _ in range(10)]
    for x in guided:
        tpe.tell({"x": x}, -x)
    assert sum(x < 0.5 for x in guided) >= 7


def test_the_search_page_says_what_the_budget_buys():
    from tuning.config import StudyConfig
    from ui.search_form import budget_notes

    notes = budget_notes(StudyConfig(dataset_id="d", target="y", model="xgboost", n_trials=20, pruner="asha"), 20)
    assert "first 5 trials are random, the other 15 guided" in notes[0]
    assert "at least 8 of the 20 trials run to the full budget" in notes[1]
    assert budget_notes(StudyConfig(dataset_id="d", target="y", model="knn", strategy="random", n_trials=20), 20) == []
