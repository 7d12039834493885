"""The trial protocol's types."""

from __future__ import annotations

import json
import pickle

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
