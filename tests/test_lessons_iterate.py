"""Why iterate, and when to stop: the winner's curse, the refined box, the seeded start, the plateau stop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import make_classification

from tuning.errors import ConfigError
from tuning.iterate import refined_space
from tuning.lessons.iterating import (
    TREE_SPACE,
    best_of,
    compare_searches,
    curse_sentence,
    iterate_search,
    plateau_stop,
    winners_curse,
)
from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace
from tuning.stoprule import MIN_TRIALS


@pytest.fixture(scope="module")
def noisy() -> tuple[np.ndarray, np.ndarray]:
    """Few informative features and 10% flipped labels: CV scores on 60 rows are noisy."""
    X, y = make_classification(n_samples=360, n_features=8, n_informative=3, flip_y=0.1, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def curse(noisy):
    X, y = noisy
    return winners_curse(X, y, task="classification", n_rows=60, n_candidates=24, repeats=4, metric="accuracy")


@pytest.fixture(scope="module")
def lesson(noisy):
    X, y = noisy
    return iterate_search(X, y, task="classification", space=TREE_SPACE, n_rows=150, trials=24, metric="accuracy")


def test_best_of_is_the_expected_winner_of_a_random_subset():
    cv = np.array([[0.5, 0.7, 0.9]])
    held = np.array([[0.50, 0.60, 0.70]])
    best, winner = best_of(cv, held)
    # n = 1: any one candidate; n = 2: the subsets {1,2}, {1,3}, {2,3}; n = 3: the pool's winner.
    np.testing.assert_allclose(best[0], [0.7, (0.7 + 0.9 + 0.9) / 3, 0.9])
    np.testing.assert_allclose(winner[0], [0.6, (0.6 + 0.7 + 0.7) / 3, 0.7])
    # A failed candidate (NaN) is left out of the pool.
    best, _ = best_of(np.array([[0.5, np.nan, 0.9]]), held)
    np.testing.assert_allclose(best[0, :2], [0.7, 0.9])


def test_the_winners_optimism_is_positive_and_grows_with_the_number_of_trials(curse):
    assert curse.cv_score.shape == curse.held_score.shape == (4, 24)
    assert curse.n_held == 300 and curse.metric == "accuracy"
    np.testing.assert_allclose(curse.optimism, curse.best_cv - curse.winner_held)
    # One random candidate is an honest estimate; the best of many is picked partly for its luck.
    assert curse.optimism_at(24) > 0.02
    assert curse.optimism_at(24) > curse.optimism_at(1) + 0.015
    assert abs(curse.optimism_at(1)) < curse.optimism_at(24)
    assert curse.optimism_at(12) > curse.optimism_at(1)
    # The best CV score only rises with N; the winner's held-out score does not follow it.
    assert np.all(np.diff(curse.best_cv, axis=1) >= -1e-12)
    rise_cv = np.mean(curse.best_cv[:, -1] - curse.best_cv[:, 0])
    rise_held = np.mean(curse.winner_held[:, -1] - curse.winner_held[:, 0])
    assert rise_cv > rise_held


def test_top_k_ranks_the_cv_scores_and_the_sentence_gives_the_optimism(curse):
    top = curse.top(10, 3)
    assert top.shape == (4, 3) and np.all(top < 10)
    for r in range(4):
        scores = curse.cv_score[r, top[r]]
        assert np.all(np.diff(scores) <= 0) and scores[0] == np.max(curse.cv_score[r, :10])
    text = curse_sentence(curse, 24)
    assert text.startswith("Picking the best of 24 by CV added ")
    assert f"{curse.optimism_at(24):.3g} of optimism" in text and "300 held-out rows" in text
    assert curse_sentence(curse, 10) != text


def test_too_few_rows_left_for_holding_out_is_a_plain_error(noisy):
    X, y = noisy
    with pytest.raises(ConfigError, match="held out"):
        winners_curse(X, y, task="classification", n_rows=350, n_candidates=2, repeats=1)


SPACE = SearchSpace.from_dict(
    {
        "depth": {"type": "int", "low": 1, "high": 20},
        "leaf": {"type": "int", "low": 1, "high": 50, "log": True},
        "rate": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
        "kind": {"values": ["a", "b", "c"]},
        "fixed": {"value": 7},
    }
)


def test_the_refined_box_is_inside_the_space_and_holds_the_best_trial():
    """The lesson's refined search uses the engine's refine step: check the box it draws."""
    rng = np.random.default_rng(0)
    trials = [SPACE.sample(rng) for _ in range(40)]
    scores = [-10 * abs(t["depth"] - 6) - abs(math.log(t["rate"] / 0.05)) for t in trials]
    refined, changes = refined_space(SPACE, list(zip(trials, scores)))
    best = trials[int(np.argmax(scores))]
    for p in refined.params:
        orig = SPACE[p.name]
        assert type(p) is type(orig) and p.name == orig.name
        if isinstance(p, (IntParam, FloatParam)):
            assert isinstance(orig, (IntParam, FloatParam))
            assert orig.low <= p.low <= best[p.name] <= p.high <= orig.high and p.log == orig.log
        elif isinstance(p, CategoricalParam):
            assert best[p.name] in p.values and set(p.values) <= set(orig.values)
        else:
            assert isinstance(p, FixedParam) and p.value == 7
    # The box narrowed where the scores point: depth near 6.
    depth, rate = refined["depth"], refined["rate"]
    assert isinstance(depth, IntParam) and isinstance(rate, FloatParam)
    assert depth.high - depth.low <= 10 < 19
    # Padding is a tenth of the top quarter's own width, in log space for a log range.
    top = sorted(zip(scores, trials), key=lambda t: -t[0])[:10]
    lo, hi = (f(t["rate"] for _, t in top) for f in (min, max))
    pad = 0.1 * (math.log(hi) - math.log(lo))
    assert rate.low == pytest.approx(max(1e-3, lo * math.exp(-pad)), rel=1e-5)
    # Each narrowed range has its line for the expander.
    assert {c.param for c in changes} == {p.name for p in refined.params if p != SPACE[p.name]} >= {"depth"}
    assert all(c.line().startswith(f"{c.param}: ") for c in changes)


def test_refining_with_no_scored_trial_keeps_the_space():
    assert refined_space(SPACE, []) == (SPACE, [])


def test_the_plateau_marker_appears_on_a_flat_curve_and_not_on_a_climbing_one():
    folds = [[0.80, 0.82, 0.78, 0.81, 0.79]] * 40
    flat = [0.80] * 40
    stop, reason = plateau_stop(flat, folds)
    assert stop == MIN_TRIALS and reason is not None and "standard error" in reason
    climbing = [0.5 + 0.01 * i for i in range(40)]
    assert plateau_stop(climbing, folds) == (None, None)
    assert plateau_stop(flat, folds, min_trials=12)[0] == 12


def test_cold_refined_and_seeded_searches(lesson):
    cold, refined, seeded = lesson.runs
    assert (cold.name, refined.name, seeded.name) == ("cold", "refined", "seeded")
    assert all(r.scores.size == 24 and r.folds.shape == (24, 5) for r in lesson.runs)
    # The seeded search starts from the cold search's best configurations, on the same folds.
    assert seeded.n_seeded == 3 and seeded.params[0] == cold.params[int(np.argmax(cold.scores))]
    assert seeded.best[0] == pytest.approx(cold.final_best)
    assert seeded.final_best >= cold.final_best
    for r in lesson.runs:
        assert np.all(np.diff(r.best) >= 0)
        holder = r.best_trial - 1
        np.testing.assert_allclose(r.best, r.scores[holder])
        assert np.all(r.best_se > 0)
    # Every refined candidate lies in the refined box.
    for p in refined.params:
        for q in lesson.refined_space.params:
            if isinstance(q, (IntParam, FloatParam)):
                assert q.low <= p[q.name] <= q.high
    # The refined box is the engine's, with its lines; the richer space makes every trial a different tree.
    assert (
        lesson.refined_space
        == refined_space(lesson.space, [(p, float(s)) for p, s in zip(cold.params, cold.scores) if math.isfinite(s)])[0]
    )
    assert lesson.changes and all(c.line() for c in lesson.changes)
    assert all(len(set(np.round(r.scores, 9))) > r.scores.size // 2 for r in lesson.runs)
    # Each trial's fitting time is measured, so the chart can put seconds on its x axis.
    for r in lesson.runs:
        assert r.seconds.shape == (24,) and np.all(r.seconds > 0) and np.all(np.diff(r.elapsed) > 0)
    text = compare_searches(lesson)
    assert len(text) == 5 and text[0].startswith("Cold: best ") and "noise" in text[-1]
    assert all("came within that noise" in t for t in text[-2:])  # the seeded search does at trial 1
    assert "at trial 1 (" in text[-1]


def test_the_seeded_run_stops_as_soon_as_the_rule_allows_when_nothing_beats_the_seed(lesson):
    seeded = lesson.run("seeded")
    if seeded.final_best == seeded.best[0]:
        assert seeded.stop(20)[0] == 20
    assert seeded.stop(10)[0] is not None
