"""The trial protocol's types."""

from __future__ import annotations

import json
import pickle

import numpy as np

from tuning.protocol import Candidate, Rung, StopReason, TrialOutcome, TrialState


def test_finished_states():
    assert {s for s in TrialState if s.finished} == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED}


def test_outcomes_are_frozen_and_travel_by_pickle():
    out = TrialOutcome(
        state=TrialState.COMPLETE, params={"a": 1}, score=0.5, fit_time=(1.0, 3.0), rungs=(Rung(0, 9, 0.4),)
    )
    back = pickle.loads(pickle.dumps(out))
    assert back == out and back.mean_fit_time == 2.0 and back.rungs[0].budget == 9
    assert out.with_(score=0.6).score == 0.6 and out.score == 0.5


def test_a_rung_is_a_plain_triple_in_json():
    assert json.loads(json.dumps(Rung(1, 30, 0.25))) == [1, 30, 0.25]


def test_candidate_moves_up_a_rung():
    c = Candidate(3, {"x": 1}).at(budget=27, rung=1)
    assert (c.number, c.budget, c.rung) == (3, 27, 1)


def test_stop_reasons_are_stored_as_words():
    assert StopReason("plateau") is StopReason.PLATEAU and StopReason.USER.value == "stopped"


def test_curve_points_every_round_first_then_spaced_and_the_last():
    from tuning.protocol import CURVE_FULL_ROUNDS, CURVE_POINTS, curve_round

    pts = [r for r in range(500) if curve_round(r, 500)]
    assert pts[:CURVE_FULL_ROUNDS] == list(range(CURVE_FULL_ROUNDS)) and pts[-1] == 499
    assert len(pts) <= CURVE_FULL_ROUNDS + CURVE_POINTS + 2  # the spaced points and the last
    assert [r for r in range(30) if curve_round(r, 30)] == list(range(30))  # up to CURVE_POINTS rounds: every round
    for budget in (33, 52, 64, 65, 100, 5000):  # spacing rounds up: never more than the fixed count of points
        pts = [r for r in range(budget) if curve_round(r, budget)]
        assert len(pts) <= CURVE_FULL_ROUNDS + CURVE_POINTS + 1 and pts[-1] == budget - 1
    pts52 = [r for r in range(52) if curve_round(r, 52)]
    assert max(b - a for a, b in zip(pts52, pts52[1:])) == 2  # a 52-round fit: every other round after the start
    assert all(curve_round(r, 500, None) for r in range(500))  # lessons: every round


def test_curves_read_stored_dicts_of_either_release():
    from tuning.protocol import Curves

    old = {"metric": "rmse", "val_mean": [3.0, 2.0, 1.5], "train_mean": [2.9, 1.8], "best_iteration": [2]}
    c = Curves.from_dict(old)
    assert c.rounds == (0, 1, 2) and c.train_mean[:2] == (2.9, 1.8) and np.isnan(c.train_mean[2])
    new = Curves.from_dict({**old, "rounds": [0, 10, 20], "train_mean": [2.9, 1.8, 1.2]})
    assert new.rounds == (0, 10, 20) and Curves.from_dict(new.to_dict()) == new
    assert Curves.from_dict(None) is None and Curves.from_dict({"val_mean": []}) is None
