"""The estimate before a study starts (tuning/estimate.py): the arithmetic on made-up probes, one real probe,
and the ETA of a running study."""

from __future__ import annotations

import pytest

from tuning import estimate as est
from tuning.config import ExecutorName, PrunerName, ResolvedConfig, StrategyName, Task
from tuning.estimate import Estimate, Probe, eta_seconds, eta_words, ladder_fn, predict, promoted, reach
from tuning.ladder import MIN_COMPLETE
from tuning.space import SearchSpace

XGB_SPACE = {"n_estimators": {"value": 100}, "max_depth": {"type": "int", "low": 2, "high": 8}}


@pytest.fixture(autouse=True)
def _no_ask_cost(monkeypatch):
    monkeypatch.setattr(est, "ASK_S", {})  # the per-trial and per-study bookkeeping out of the arithmetic
    monkeypatch.setattr(est, "STUDY_S", 0.0)


def config(space=None, **kw) -> ResolvedConfig:
    base = {
        "dataset_id": "d",
        "target": "y",
        "model": "xgboost",
        "task": Task.CLASSIFICATION,
        "metric": "roc_auc",
        "space": SearchSpace.from_dict(space or XGB_SPACE),
        "strategy": StrategyName.RANDOM,
        "n_trials": 10,
        "cv": 5,
        "workers": 1,
        "test_size": 0.0,
        "trial_timeout": None,
    }
    return ResolvedConfig(**(base | kw))


def xgb_probe(**kw) -> Probe:
    """1 ms per boosting round per fold, nothing else: a trial of 100 rounds on 5 folds is 0.5 s."""
    base = {
        "model": "xgboost",
        "resource": "rounds",
        "fold_rows": 1000,
        "probe_rows": 1000,
        "fit_s": 0.0,
        "unit_s": 0.001,
        "unit_param": "n_estimators",
        "n_classes": 2,
    }
    return Probe(**(base | kw))


def test_one_trial_is_folds_times_rounds_times_the_seconds_per_round():
    e = predict(config(n_trials=1), xgb_probe(), cores=4)
    assert e.per_trial_s == pytest.approx(5 * 100 * 0.001)
    assert e.seconds == pytest.approx(0.5) and e.n_trials == 1


def test_doubling_the_trials_doubles_the_estimate():
    a = predict(config(n_trials=10), xgb_probe(), cores=4)
    b = predict(config(n_trials=20), xgb_probe(), cores=4)
    assert b.seconds == pytest.approx(2 * a.seconds)
    assert a.seconds == pytest.approx(10 * 0.5)


def test_two_workers_halve_it_but_for_the_last_trials_idle_tail():
    one = predict(config(n_trials=20), xgb_probe(), cores=4)
    two = predict(config(n_trials=20, workers=2), xgb_probe(), cores=4)
    assert two.parallel == 2
    assert two.seconds == pytest.approx(one.seconds / 2 + one.per_trial_s / 4)
    # more workers than cores run no faster than the cores; a cluster's workers are its own
    assert predict(config(n_trials=20, workers=8), xgb_probe(), cores=2).parallel == 2
    assert predict(config(n_trials=20, workers=8, executor=ExecutorName.DASK), xgb_probe(), cores=2).parallel == 8


def test_a_grid_of_12_is_12_trials_whatever_the_trial_budget():
    space = {
        "n_estimators": {"value": 100},
        "max_depth": {"values": [2, 3, 4]},
        "learning_rate": {"values": [0.05, 0.1, 0.2, 0.3]},
    }
    e = predict(config(space, strategy=StrategyName.GRID, n_trials=50), xgb_probe(), cores=4)
    assert e.n_trials == 12
    assert e.seconds == pytest.approx(12 * 0.5)
    assert predict(config(space, strategy=StrategyName.GRID, n_trials=5), xgb_probe(), cores=4).n_trials == 5


def test_a_grid_over_rounds_boosts_each_group_once():
    """XGBoost's staged grid: candidates that differ only in n_estimators share their boosters."""
    space = {"n_estimators": {"values": [100, 200, 300]}, "max_depth": {"values": [2, 3]}}
    e = predict(config(space, strategy=StrategyName.GRID, n_trials=6), xgb_probe(), cores=4)
    assert e.seconds == pytest.approx(2 * 5 * 300 * 0.001)  # two groups boosted to 300 rounds, not 1,200 rounds
    alone = predict(config(space, strategy=StrategyName.GRID, n_trials=6, early_stopping_rounds=10), xgb_probe())
    assert alone.seconds == pytest.approx(5 * 1200 * 0.001)  # early stopping: every candidate boosts alone


def test_a_random_search_costs_the_mean_of_the_rounds_range():
    space = {"n_estimators": {"type": "int", "low": 100, "high": 300}}
    e = predict(config(space, n_trials=10), xgb_probe(), cores=4)
    assert e.per_trial_s == pytest.approx(5 * 200 * 0.001, rel=0.05)


def test_rows_scale_the_fit_linearly_and_say_they_were_scaled():
    p = xgb_probe(fold_rows=4000, probe_rows=1000)
    e = predict(config(n_trials=1), p, cores=4)
    assert e.per_trial_s == pytest.approx(4 * 0.5)
    assert any("1,000 of 4,000 rows" in a for a in e.assumed)


def test_the_setup_is_paid_once_and_the_fixed_part_every_fit():
    e = predict(config(n_trials=10), xgb_probe(setup_s=0.2, fit_s=0.01), cores=4)
    assert e.seconds == pytest.approx(5 * 0.2 + 10 * 5 * (0.01 + 0.1))


def test_early_cut_lowers_it_and_the_none_estimate_says_by_how_much():
    none = predict(config(n_trials=40), xgb_probe(), cores=4)
    asha = predict(config(n_trials=40, pruner=PrunerName.ASHA), xgb_probe(), cores=4)
    hyper = predict(config(n_trials=40, pruner=PrunerName.HYPERBAND), xgb_probe(), cores=4)
    # Hyperband's first brackets judge below ASHA's first rung: cheaper (measured: 0.47-0.72x ASHA's wall)
    assert hyper.seconds < asha.seconds < none.seconds
    assert none.seconds_with_early_cut == pytest.approx(asha.seconds)
    assert asha.seconds_with_early_cut is None
    # the floor of complete trials: at least MIN_COMPLETE of 40 run all 100 rounds
    assert asha.seconds >= MIN_COMPLETE * 0.5


def test_early_cut_with_no_more_trials_than_the_floor_cuts_nothing():
    n = MIN_COMPLETE
    none = predict(config(n_trials=n), xgb_probe(), cores=4)
    asha = predict(config(n_trials=n, pruner=PrunerName.ASHA), xgb_probe(), cores=4)
    assert asha.seconds == pytest.approx(none.seconds)
    assert none.seconds_with_early_cut is None  # nothing to offer


def test_rows_rungs_refit_on_more_rows():
    """Other families climb rungs of training rows, refitting at each: the rungs cost their rows each."""
    p = Probe(model="ridge", resource="rows", fold_rows=900, probe_rows=900, fit_s=0.09, n_classes=2)
    cfg = config({"alpha": {"type": "float", "low": 0.1, "high": 10}}, model="ridge", n_trials=1)
    ladder = [100, 300, 900]
    e = predict(cfg.replace(pruner=PrunerName.ASHA), p, budgets=lambda params: ladder, cores=4)
    assert e.seconds == pytest.approx(5 * 0.09 * (100 + 300 + 900) / 900)  # one trial: it climbs every rung


def test_async_halving_promotes_the_top_third_of_those_seen_so_far():
    assert promoted(3) == pytest.approx(1 + 1 / 2 + 1 / 3)
    assert promoted(300) == pytest.approx(100, rel=0.05)
    assert reach(9, 3, floor=0) == pytest.approx((1.0, promoted(9) / 9, promoted(promoted(9)) / 9))
    assert reach(9, 3, floor=9) == (1.0, 1.0, 1.0)
    assert reach(9, 3, start=1)[0] == 0.0


def test_stop_rules_and_the_timeout_bound_it():
    e = predict(config(n_trials=100), xgb_probe(), cores=4)
    timed = predict(config(n_trials=100, timeout=10.0), xgb_probe(), cores=4)
    assert timed.seconds == pytest.approx(10.0 + 0.5) and timed.high <= 10.5
    patient = predict(config(n_trials=100, patience=5), xgb_probe(), cores=4)
    assert patient.seconds == pytest.approx(e.seconds) and patient.low < e.low
    assert any("after 6 trials" in a for a in patient.assumed)
    plateau = predict(config(n_trials=100, plateau=True), xgb_probe(), cores=4)
    assert plateau.low < e.low


def test_a_timeout_alone_is_as_many_trials_as_fit():
    e = predict(config(n_trials=None, timeout=20.0), xgb_probe(), cores=4)
    assert e.n_trials == 40 and e.seconds <= 20.5


def test_the_ladder_from_the_probe_is_the_trainers_own():
    from tuning.trainers.xgboost import XGBoostTrainer

    params = {"n_estimators": 200, "learning_rate": 0.1}
    assert ladder_fn(config(), xgb_probe())(params) == XGBoostTrainer().rung_budgets(
        None, params, eta=3, min_budget=None
    )  # type: ignore[arg-type]
    rows = Probe(model="ridge", resource="rows", fold_rows=5400, probe_rows=5400, fit_s=0.1, n_classes=3)
    ladder = ladder_fn(config(model="ridge"), rows)({"alpha": 1.0})
    assert ladder == [200, 600, 1800, 5400]


def test_words_say_it_in_minutes_with_the_range_and_the_early_cut():
    e = Estimate(
        seconds=360,
        low=240,
        high=540,
        per_trial_s=10,
        n_trials=72,
        parallel=2,
        seconds_with_early_cut=120,
        probe=xgb_probe(),
    )
    assert e.words() == "about 6 min on 2 workers (4–9 min); early cut would make it about 2 min"
    short = Estimate(3, 2, 4, 0.1, 10, 1, None, xgb_probe())
    assert short.words() == "about a few seconds on 1 worker"
    lower = Estimate(100, 70, 150, 10, 10, 1, None, xgb_probe(capped=True))
    assert lower.words() == "at least 2 min on 1 worker"


def test_eta_weights_recent_trials_and_counts_the_running_ones():
    assert eta_seconds(0, [1.0], workers=1) == 0.0
    assert eta_seconds(5, [], workers=1) is None
    assert eta_seconds(4, [2.0, 2.0], workers=1) == pytest.approx(8.0)
    assert eta_seconds(4, [2.0, 2.0], workers=2) == pytest.approx(4.0)
    # one of the 4 has run 1.5 s of its 2: 3 x 2 + 0.5 left
    assert eta_seconds(4, [2.0, 2.0], workers=1, running=[1.5]) == pytest.approx(6.5)
    # a trial running past the pace still has a tenth of a trial to go
    assert eta_seconds(1, [2.0], workers=1, running=[5.0]) == pytest.approx(0.2)
    slowing = eta_seconds(10, [1.0] * 10 + [3.0] * 10, workers=1)
    assert slowing is not None and slowing > 10 * 2.0  # the recent, slower trials count more than the mean
    assert eta_words(None) == "-" and eta_words(0.5) == "seconds" and eta_words(300) == "5 min"


def test_deeper_trees_cost_what_the_probe_measured_at_the_deepest():
    """The probe timed depth 3 and depth 6 (3x a round): a grid over both costs each at its own depth."""
    space = {"n_estimators": {"value": 100}, "max_depth": {"values": [3, 6]}}
    p = xgb_probe(depth=3, depth_hi=6, depth_factor=3.0)
    assert p.depth_scale({"max_depth": 6}) == pytest.approx(3.0) and p.depth_scale({"max_depth": 3}) == 1.0
    assert p.depth_scale({"max_depth": 4.5}) == pytest.approx(3**0.5)  # geometric in between
    assert p.depth_scale({}) == 1.0 and xgb_probe().depth_scale({"max_depth": 6}) == 1.0
    e = predict(config(space, strategy=StrategyName.GRID, n_trials=2), p, cores=4)
    assert e.seconds == pytest.approx(5 * 100 * 0.001 * (1 + 3))
    # up the rungs too: with no more trials than the floor, both climb every rung at their own depth
    cut = predict(config(space, strategy=StrategyName.GRID, n_trials=2, pruner=PrunerName.ASHA), p, cores=4)
    assert cut.seconds == pytest.approx(e.seconds)
