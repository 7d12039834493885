"""The next study from an earlier one (tuning/iterate.py): the space diff, the trials carried over and left
out, the warm-started sampler, the seeds, and the provenance in the store and in ``show --json``.

Parents are made of synthetic trials whose scores are a known function of the parameters, so the right
refined box, the right edge and the right negligible parameter are known."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tuning import iterate, zeroshot
from tuning.config import StudyConfig
from tuning.errors import ConfigError
from tuning.protocol import TrialState
from tuning.store import TrialRecord
from tuning.study import Study, open_study

SPACE = {
    "n_estimators": {"type": "int", "low": 50, "high": 500},
    "max_depth": {"type": "int", "low": 2, "high": 10},
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "subsample": {"type": "float", "low": 0.5, "high": 1.0},
}


def _score(p: dict) -> float:
    """Peaks at learning_rate 0.05 and subsample 1.0 (the high edge, a hard bound), rises with max_depth up
    to 10 (the high edge); n_estimators does not matter at all."""
    return (
        0.9
        - (math.log(p["learning_rate"]) - math.log(0.05)) ** 2 / 20
        + 0.02 * p["max_depth"] / 10
        + 0.05 * (p["subsample"] - 0.5)
    )


def _parent(store, ds, *, n=40, model="xgboost", space=SPACE, score=_score, extra_states=()):
    study = Study.create(store, StudyConfig(dataset_id=ds, target="diagnosis", model=model, space=space, cv=3))
    rng = np.random.default_rng(0)
    from tuning.space import SearchSpace

    parsed = SearchSpace.from_dict(space)
    records = []
    for i in range(n):
        params = parsed.sample(rng)
        s = score(params)
        records.append(
            TrialRecord(
                state=TrialState.COMPLETE,
                params=params,
                score=s,
                fold_scores={"score": [s - 0.01, s, s + 0.01]},
                study_id=study.id,
                number=i,
            )
        )
    for j, state in enumerate(extra_states):
        records.append(
            TrialRecord(state=state, params=parsed.sample(rng), score=0.5, study_id=study.id, number=n + j, budget=9)
        )
    store.add_trials(records)
    return study


@pytest.fixture
def breast(add_sample):
    return add_sample("breast_cancer.csv")


def test_refine_spans_the_best_quarter_padded_inside_the_old_range(store, breast):
    parent = _parent(store, breast)
    p = iterate.propose(store, parent.id, "refine")
    new = {k: v for k, v in p.config.space.items()}
    top = sorted(parent.trials(), key=lambda t: -(t.score or 0))[:10]  # a quarter of 40
    lrs = [t.params["learning_rate"] for t in top]
    lr = new["learning_rate"]
    assert 0.01 <= lr["low"] <= min(lrs) and max(lrs) <= lr["high"] <= 0.3
    assert lr["log"] is True
    width = math.log(max(lrs)) - math.log(min(lrs))
    assert math.log(min(lrs)) - math.log(lr["low"]) == pytest.approx(
        min(0.1 * width, math.log(min(lrs)) - math.log(0.01)), rel=1e-4
    )
    assert lr["high"] - lr["low"] < 0.3 - 0.01  # narrower than before
    assert "learning_rate" in {c.param for c in p.changes}
    assert p.config.extra["parent"]["mode"] == "refine"


def test_refine_fixes_a_parameter_that_does_not_matter_at_the_best_value(store, breast):
    parent = _parent(store, breast, n=60)
    p = iterate.propose(store, parent.id, "refine")
    best = parent.best()
    assert p.config.space["n_estimators"] == {"value": best.params["n_estimators"]}
    change = next(c for c in p.changes if c.param == "n_estimators")
    assert "negligible" in change.why
    assert "learning_rate" not in {c.param for c in p.changes if "negligible" in c.why}


def test_a_small_study_fixes_nothing(store, breast):
    parent = _parent(store, breast, n=12)
    p = iterate.propose(store, parent.id, "refine")
    assert not any("negligible" in c.why for c in p.changes)


def test_refine_warms_with_the_trials_inside_the_box_and_lists_the_others(store, breast):
    parent = _parent(store, breast, extra_states=(TrialState.PRUNED, TrialState.FAILED))
    p = iterate.propose(store, parent.id, "refine")
    assert p.warm and len(p.warm) + len(p.left_out) == 42
    whys = {t.why for t in p.left_out}
    assert "cut early (its score is at a partial budget)" in whys and "failed" in whys
    assert any("outside the new range" in w for w in whys)
    from tuning.space import SearchSpace

    space = SearchSpace.from_dict(p.config.space)
    for w in p.warm:
        for name, v in w["params"].items():
            prm = space[name]
            assert getattr(prm, "low", v) <= v <= getattr(prm, "high", v)
    assert p.config.extra["warm_start"] == list(p.warm)
    stored = p.config.extra["parent"]
    assert stored["n_left_out"] == len(p.left_out) and len(stored["left_out"]) <= iterate.MAX_LISTED


def test_expand_widens_the_edge_and_stops_at_a_hard_bound(store, breast):
    parent = _parent(store, breast)
    top = {"n_estimators": 200, "max_depth": 10, "learning_rate": 0.05, "subsample": 1.0}
    store.add_trials([TrialRecord(state=TrialState.COMPLETE, params=top, score=2.0, study_id=parent.id, number=40)])
    p = iterate.propose(store, parent.id, "expand")
    by = {c.param: c for c in p.changes}
    assert p.config.space["max_depth"] == {"type": "int", "low": 2, "high": 14}  # half of [2, 10] past 10
    assert "high edge" in by["max_depth"].why
    assert p.config.space["subsample"] == SPACE["subsample"]  # at its edge, but 1.0 is subsample's hard bound
    assert any("subsample" in n and "hard bound" in n for n in p.notes)
    assert p.config.space["learning_rate"] == SPACE["learning_rate"]  # its best is inside the range
    assert set(by) == {"max_depth"}
    assert len(p.warm) == 41 and not p.left_out  # every trial fits a wider space


def test_expand_in_log_space_goes_half_the_log_width():
    p = iterate._widen(iterate.FloatParam("alpha", low=0.01, high=1.0, log=True), 0.0101)[0]
    assert p.low == pytest.approx(0.001, rel=1e-4) and p.high == 1.0


def test_continue_keeps_the_space_and_switches_strategy_and_pruner(store, breast):
    parent = _parent(store, breast, extra_states=(TrialState.PRUNED,))
    p = iterate.propose(store, parent.id, "continue", strategy="random", pruner="asha", n_trials=5)
    assert p.config.space == parent.config.space.to_dict() and not p.changes
    assert (p.config.strategy, p.config.pruner, p.config.n_trials) == ("random", "asha", 5)
    assert len(p.warm) == 40 and [t.why for t in p.left_out] == ["cut early (its score is at a partial budget)"]
    assert "the space is unchanged" in "\n".join(p.lines())


def test_the_child_runs_warm_started_and_records_its_parent(store, add_sample):
    from tuning.runner import run

    ds = add_sample("moons.csv")
    space = {"n_neighbors": {"type": "int", "low": 1, "high": 40}, "weights": {"values": ["uniform", "distance"]}}
    first = run(
        store, StudyConfig(dataset_id=ds, target="label", model="knn", strategy="random", n_trials=8, cv=3, space=space)
    )
    p = iterate.propose(store, first["study_id"], "continue", strategy="tpe", n_trials=3)
    from tuning.runner import StudyRunner, start

    child = start(store, p.config)
    assert child.finished.wait(120)
    summary = open_study(store, child.study_id).summary().to_json()
    assert summary["state"] == "complete" and summary["n_trials"] == 3
    assert summary["parent"]["study_id"] == first["study_id"] and summary["parent"]["mode"] == "continue"
    assert summary["parent"]["n_warm"] == 8
    # the warm trials reached the sampler: TPE left its random start (8 told > its startup of 5)
    assert StudyRunner(store, child.study_id)._strategy([]).n_asked == 8


def test_refine_on_a_scikit_learn_family_keeps_categorical_choices_seen_in_the_top(store, add_sample):
    ds = add_sample("moons.csv")
    space = {"n_neighbors": {"type": "int", "low": 1, "high": 60}, "weights": {"values": ["uniform", "distance"]}}
    study = Study.create(store, StudyConfig(dataset_id=ds, target="label", model="knn", space=space, cv=3))
    records = [
        TrialRecord(
            state=TrialState.COMPLETE,
            params={"n_neighbors": k, "weights": "distance" if k % 2 else "uniform"},
            score=1.0 - abs(k - 15) / 100 + (0.2 if k % 2 else 0.0),
            study_id=study.id,
            number=i,
        )
        for i, k in enumerate(range(1, 61))
    ]
    store.add_trials(records)
    p = iterate.propose(store, study.id, "refine")
    assert p.config.space["weights"] == {"values": ["distance"]}  # odd k (distance) wins
    nn = p.config.space["n_neighbors"]
    assert nn["low"] <= 15 <= nn["high"] and nn["high"] - nn["low"] < 59


def test_seed_takes_the_best_of_this_and_of_similar_studies(store, breast, add_sample, monkeypatch):
    parent = _parent(store, breast)
    other = _parent(store, breast, n=10, score=lambda p: -p["learning_rate"])
    p = iterate.propose(store, parent.id, "seed", zero_shot=False)
    assert len(p.seeds) == 6 and not p.warm
    assert p.seeds[0] == parent.best().params
    assert any(f"study #{other.id}" in s for s in p.seed_sources)
    assert p.config.extra["seed"] == list(p.seeds)


def test_seed_adds_flaml_zero_shot_or_says_it_is_missing(store, breast, monkeypatch):
    parent = _parent(store, breast, n=6)
    if zeroshot.available():
        p = iterate.propose(store, parent.id, "seed")
        assert any("FLAML" in s for s in p.seed_sources)
        assert len(p.seeds) == 4
        flaml_seed = p.seeds[-1]
        assert set(flaml_seed) == set(SPACE) and 50 <= flaml_seed["n_estimators"] <= 500
    monkeypatch.setattr(zeroshot, "available", lambda: False)
    p = iterate.propose(store, parent.id, "seed")
    assert zeroshot.MISSING in p.seed_sources and len(p.seeds) == 3


def test_seed_can_start_on_another_dataset_but_the_others_cannot(store, breast, add_sample):
    parent = _parent(store, breast)
    content = (store.dataset_content(breast)[1]).decode().splitlines()
    again = store.add_dataset("half.csv", ("\n".join(content[:300]) + "\n").encode(), n_rows=299, n_cols=31)
    p = iterate.propose(store, parent.id, "seed", dataset_id=again, zero_shot=False)
    assert p.config.dataset_id == again
    assert Study.create(store, p.config).config.dataset_id == again
    with pytest.raises(ConfigError, match="same dataset"):
        iterate.propose(store, parent.id, "refine", dataset_id=again)


def test_a_study_without_complete_trials_and_an_unknown_mode_are_refused(store, breast):
    study = Study.create(store, StudyConfig(dataset_id=breast, target="diagnosis", model="knn", cv=3))
    with pytest.raises(ConfigError, match="no complete trial"):
        iterate.propose(store, study.id, "refine")
    with pytest.raises(ConfigError, match="Unknown mode"):
        iterate.propose(store, study.id, "sideways")


def test_fit_moves_a_value_just_outside_and_drops_one_far_outside():
    from tuning.space import SearchSpace

    space = SearchSpace.from_dict({"a": {"type": "float", "low": 0.0, "high": 1.0}, "b": {"value": 3}})
    assert iterate.fit(space, {"a": 1.05, "b": 9}) == ({"a": 1.0, "b": 3}, None, True)
    assert iterate.fit(space, {"a": 0.5, "b": 9}) == ({"a": 0.5, "b": 3}, None, False)
    assert iterate.fit(space, {"a": 1.5})[0] is None
    assert iterate.fit(space, {"a": 1.5}, clip=True)[0] == {"a": 1.0, "b": 3}
    assert iterate.fit(space, {"a": float("nan")}, clip=True)[0] is None


def test_cli_next_prints_the_diff_and_runs_the_child(store, add_sample, capsys):
    from tuning.cli import main
    from tuning.runner import run

    ds = add_sample("moons.csv")
    space = {"n_neighbors": {"type": "int", "low": 1, "high": 40}}
    first = run(
        store, StudyConfig(dataset_id=ds, target="label", model="knn", strategy="random", n_trials=8, cv=3, space=space)
    )
    db = str(store.path)
    assert main(["next", str(first["study_id"]), "--mode", "refine", "--db", db, "--dry-run", "--json"]) == 0
    out = capsys.readouterr()
    assert "Refine study" in out.err and "n_neighbors: [1, 40] ->" in out.err
    proposal = json.loads(out.out.strip().splitlines()[-1])
    assert proposal["mode"] == "refine" and proposal["study_id"] == first["study_id"]
    assert len(store.list_studies()) == 1  # a dry run records nothing
    assert main(["next", str(first["study_id"]), "--mode", "expand", "--trials", "2", "--db", db, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n_trials"] == 2 and summary["parent"]["mode"] == "expand"
    assert main(["show", str(summary["study_id"]), "--db", db, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["parent"]["study_id"] == first["study_id"]
    assert main(["next", "999", "--mode", "refine", "--db", db]) == 2
    assert "error:" in capsys.readouterr().err
