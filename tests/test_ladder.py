"""The rung ladder as a pure function: promotion, cuts, pauses and the floor of complete trials (no threads)."""

from __future__ import annotations

from tuning.ladder import Job, Ladder, Move, NoLadder, make_ladder
from tuning.protocol import Candidate, Rung, TrialOutcome, TrialState
from tuning.store import TrialRecord
from tuning.strategies.pruners import ASHAPruner

LADDER = [10, 30, 90]


def budgets(params):
    return list(LADDER)


def ladder(min_complete: int = 0) -> Ladder:
    return Ladder(ASHAPruner(eta=3), budgets, "rounds", min_complete=min_complete)


def done(job: Job, score: float, *, state=TrialState.COMPLETE) -> TrialOutcome:
    return TrialOutcome(state=state, params=job.candidate.params, score=score, budget=job.candidate.budget)


def test_without_a_pruner_every_outcome_is_final():
    lad = make_ladder(None, budgets, unit="rounds")
    assert isinstance(lad, NoLadder) and not isinstance(lad, Ladder)
    job = lad.first(0, {"a": 1}, started="t")
    assert job.candidate.budget is None and job.ladder is None
    step = lad.step(job, done(job, 0.5), ending=False, undecided=0)
    assert step.move is Move.FINAL and step.outcome.state is TrialState.COMPLETE


def test_a_first_candidate_starts_at_rung_zero_and_the_best_is_promoted():
    lad = ladder()
    job = lad.first(0, {"a": 1}, started="t")
    assert (job.candidate.budget, job.candidate.rung, job.ladder) == (10, 0, (10, 30, 90))
    step = lad.step(job, done(job, 0.8), ending=False, undecided=10)
    assert step.move is Move.PROMOTE and step.outcome.state is TrialState.RUNNING
    assert step.next is not None and (step.next.candidate.budget, step.next.candidate.rung) == (30, 1)
    assert step.next.rungs == (Rung(0, 10, 0.8),) and "promoted" in (step.outcome.note or "")


def test_a_weak_candidate_is_cut_and_stored_pruned_with_its_rungs():
    lad = ladder()
    for i, score in enumerate([0.9, 0.8, 0.7]):
        job = lad.first(i, {"a": i}, started="t")
        step = lad.step(job, done(job, score), ending=False, undecided=10)
    assert step.move is Move.FINAL and step.outcome.state is TrialState.PRUNED
    assert step.outcome.rungs == (Rung(0, 10, 0.7),) and step.outcome.note.startswith("cut at rung 0")


def test_the_last_rung_completes_and_early_stopping_below_the_budget_completes_too():
    lad = ladder()
    job = Job(Candidate(0, {}, budget=90, rung=2), "t", tuple(LADDER), (Rung(0, 10, 0.5), Rung(1, 30, 0.6)))
    step = lad.step(job, done(job, 0.7), ending=False, undecided=0)
    assert step.move is Move.FINAL and step.outcome.state is TrialState.COMPLETE and len(step.outcome.rungs) == 3
    short = Job(Candidate(1, {}, budget=30, rung=1), "t", tuple(LADDER))
    out = TrialOutcome(state=TrialState.COMPLETE, params={}, score=0.9, budget=12)  # stopped at round 12
    assert lad.step(short, out, ending=False, undecided=0).outcome.state is TrialState.COMPLETE


def test_a_promotion_while_the_study_ends_is_a_pause():
    lad = ladder()
    job = lad.first(0, {}, started="t")
    step = lad.step(job, done(job, 0.9), ending=True, undecided=0)
    assert step.move is Move.PAUSE and step.next is None and step.outcome.state is TrialState.RUNNING


def test_failed_outcomes_are_final_and_never_reach_the_pruner():
    lad = ladder()
    job = lad.first(0, {}, started="t")
    failed = TrialOutcome(state=TrialState.FAILED, params={}, error="boom")
    assert lad.step(job, failed, ending=False, undecided=0).outcome is failed


def test_the_floor_keeps_candidates_on_when_too_few_could_finish():
    """Two slots for complete trials, one candidate left undecided: the third cut-worthy one still goes on."""
    lad = ladder(min_complete=2)
    scores = [0.9, 0.8, 0.7]
    moves = []
    for i, s in enumerate(scores):
        job = lad.first(i, {}, started="t")
        moves.append(lad.step(job, done(job, s), ending=False, undecided=len(scores) - i - 1).move)
    # 0.9 leads (promoted); 0.8 would be cut, but 1 climbing + 1 undecided + itself = 3 > 2: cut;
    # 0.7: 1 climbing + 0 undecided + itself = 2 <= 2: kept on by the floor
    assert moves == [Move.PROMOTE, Move.FINAL, Move.PROMOTE]


def test_a_resumed_ladder_continues_paused_trials_at_their_next_rung():
    paused = TrialRecord(
        state=TrialState.PAUSED, params={"a": 1}, study_id=1, number=4, rungs=(Rung(0, 10, 0.8),), started="s"
    )
    done_before = TrialRecord(state=TrialState.COMPLETE, params={}, study_id=1, number=1, score=0.5)
    pruner = ASHAPruner(eta=3)
    lad = make_ladder(pruner, budgets, unit="rounds", history=[paused, done_before], n_trials=20)
    assert isinstance(lad, Ladder) and lad.n_complete == 1 and lad.climbing == {4} and lad.min_complete == 8
    job = lad.resume(paused, started="s")
    assert (job.candidate.rung, job.candidate.budget, job.rungs) == (1, 30, paused.rungs)
    assert pruner.report(9, 0, 0.79, budget=10, unit="rounds").seen == 2  # the paused rung was replayed


def test_a_small_early_cut_study_still_finishes_eight_trials(store, add_sample):
    """20 trials of TPE + ASHA (issue: 18 of 20 were cut): the floor leaves at least 8 complete."""
    from tuning.config import StudyConfig
    from tuning.runner import run

    ds = add_sample("moons.csv")
    space = {
        "n_estimators": {"value": 81},
        "max_depth": {"type": "int", "low": 2, "high": 6},
        "learning_rate": {"type": "float", "low": 0.05, "high": 0.5, "log": True},
    }
    out = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="xgboost",
            strategy="tpe",
            n_trials=20,
            cv=3,
            pruner="asha",
            space=space,
            workers=2,
        ),
    )
    assert out["n_trials"] == 20 and out["n_complete"] >= 8 and out["n_pruned"] >= 1
