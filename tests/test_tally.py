"""The tally: counts, best, patience and the stop reasons, from outcomes alone."""

from __future__ import annotations

from tuning.config import ResolvedConfig
from tuning.protocol import StopReason, StudyState, TrialOutcome, TrialState
from tuning.space import SearchSpace
from tuning.tally import UNBOUNDED, Tally


def cfg(**kw) -> ResolvedConfig:
    base = dict(
        dataset_id="d",
        target="y",
        model="knn",
        task=None,
        metric="accuracy",
        space=SearchSpace.from_dict({"k": {"type": "int", "low": 1, "high": 3}}),
    )
    return ResolvedConfig(**{**base, **kw})


def out(score, state=TrialState.COMPLETE) -> TrialOutcome:
    return TrialOutcome(state=state, params={}, score=score, fold_scores={"accuracy": [score or 0.0] * 2}, error="e")


def test_best_and_patience_count_like_the_runner_did():
    t = Tally(cfg(patience=2), 10)
    for s in (0.5, 0.7, 0.6):
        t.add(out(s))
    assert (t.n_done, t.best, t.since_best) == (3, 0.7, 1)
    assert t.stop_reason(elapsed=0, stop_requested=False) is None
    t.add(out(None, TrialState.FAILED))
    assert t.n_failed == 1 and t.first_error == "e"
    assert t.stop_reason(elapsed=0, stop_requested=False) is StopReason.PATIENCE


def test_a_pruned_score_is_never_the_best():
    t = Tally(cfg(), 10)
    t.add(out(0.99, TrialState.PRUNED))
    assert t.best is None and t.scores == [(None, ())]


def test_stop_reasons_in_their_order():
    t = Tally(cfg(timeout=5.0, target_score=0.8), 2)
    assert t.stop_reason(elapsed=0, stop_requested=True) is StopReason.USER
    assert t.stop_reason(elapsed=6, stop_requested=False) is StopReason.TIMEOUT
    t.add(out(0.9))
    assert t.stop_reason(elapsed=0, stop_requested=False) is StopReason.TARGET
    t.add(out(0.1))
    assert t.stop_reason(elapsed=0, stop_requested=False) is StopReason.TRIALS


def test_every_trial_failed_is_a_failed_study():
    t = Tally(cfg(), 2)
    t.add(out(None, TrialState.FAILED))
    state, reason, error = t.final(None, stop_requested=False)
    assert (state, reason) == (StudyState.FAILED, StopReason.FAILED) and "e" in error
    assert Tally(cfg(), 2).final(StopReason.EXHAUSTED, stop_requested=False)[:2] == (
        StudyState.COMPLETE,
        StopReason.EXHAUSTED,
    )


def test_the_budget_comes_from_the_config_or_the_strategy():
    history = [out(0.5), out(0.6)]
    assert Tally.of(cfg(n_trials=7), history, total=None).budget == 7
    assert Tally.of(cfg(n_trials=None), history, total=12).budget == 12
    t = Tally.of(cfg(n_trials=None), history, total=None)
    assert t.budget == UNBOUNDED and t.n_done == 2 and t.best == 0.6
