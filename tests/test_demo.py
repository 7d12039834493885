"""Synthetic studies filled through the store's bulk insert."""

from __future__ import annotations

from tuning.demo import fill_study
from tuning.protocol import TrialState
from tuning.study import open_study


def test_a_synthetic_study_reads_back_like_a_real_one(store):
    sid = fill_study(store, 60, curves=True)
    study = open_study(store, sid)
    s = study.summary()
    assert s.n_trials == 60 and s.n_pruned == 60 // 17 - (1 if 60 // 17 >= 2 else 0) or s.n_pruned > 0
    pruned = [t for t in study.trials() if t.state is TrialState.PRUNED]
    assert pruned and all(t.rungs and t.rungs[0].budget == 100 for t in pruned)
    assert study.frame()["mean_test_score"].notna().sum() == s.n_complete + len(pruned)
