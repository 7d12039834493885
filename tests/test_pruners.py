"""Pruners: asynchronous successive halving promotes the top 1/eta seen at each rung."""

from __future__ import annotations

import pytest

from tuning.errors import ConfigError
from tuning.strategies.pruners import ASHAPruner, HyperbandPruner, make_pruner


def test_asha_promotes_the_top_third_of_what_each_rung_has_seen():
    p = ASHAPruner(eta=3)
    scores = [0.5, 0.9, 0.1, 0.7, 0.8, 0.2, 0.3, 0.95, 0.4]
    got = [p.report(i, 0, s, budget=10, unit="rounds").promote for i, s in enumerate(scores)]
    # fewer than 3 seen: only a new best goes on; then the top len//3 of those seen so far
    assert got == [True, True, False, False, False, False, False, True, False]
    late = p.report(99, 0, 0.85, budget=10, unit="rounds")
    assert late.promote and late.rank == 3 and late.seen == 10  # top 3 of 10
    cut = p.report(98, 0, 0.6, budget=10, unit="rounds")
    assert not cut.promote and "cut at rung 0 (10 rounds)" in cut.note and "only the top 3" in cut.note


def test_asha_keeps_about_one_in_eta_on_a_long_random_stream():
    import numpy as np

    p = ASHAPruner(eta=3)
    rng = np.random.default_rng(0)
    promoted = [p.report(i, 0, float(s), budget=5, unit="rows").promote for i, s in enumerate(rng.random(300))]
    assert 0.25 < np.mean(promoted) < 0.45


def test_rungs_are_judged_separately_and_replay_restores_them():
    p = ASHAPruner(eta=2)
    p.report(0, 0, 0.9, budget=1, unit="rounds")
    assert p.report(1, 1, 0.1, budget=3, unit="rounds").promote  # first at rung 1
    q = ASHAPruner(eta=2)
    q.replay(0, [(0, 0.9)])
    assert not q.report(1, 0, 0.1, budget=1, unit="rounds").promote


def test_hyperband_deals_candidates_to_brackets_that_start_later():
    p = HyperbandPruner(eta=3, n_brackets=3)
    assert [p.bracket(i) for i in range(6)] == [0, 1, 2, 0, 1, 2]
    assert [p.start_rung(i, 4) for i in range(3)] == [0, 1, 2]
    assert p.start_rung(2, 2) == 1  # a short ladder: the last rung at most


def test_a_hyperband_ladder_reaches_below_ashas_so_its_last_bracket_judges_where_asha_does():
    from types import SimpleNamespace

    import numpy as np

    from tuning.strategies.pruners import rungs_below
    from tuning.trainers import trainer_for

    assert rungs_below("hyperband") == HyperbandPruner().rungs_below == 2
    assert rungs_below("asha") == rungs_below("none") == rungs_below(None) == 0
    ctx = SimpleNamespace(task="regression", y=np.zeros(27_001), folds=((np.arange(27_000), np.arange(1)),))
    xgb = trainer_for("xgboost")
    params = {"n_estimators": 500, "learning_rate": 0.1}
    asha = xgb.rung_budgets(ctx, params, eta=3, min_budget=None)
    hb = xgb.rung_budgets(ctx, params, eta=3, min_budget=None, below=2)
    assert asha == [90, 270, 500] and hb == [10, 30, 90, 270, 500]  # progress 1, 3, then ASHA's 9, 27
    p = HyperbandPruner()
    assert [hb[p.start_rung(i, len(hb))] for i in range(3)] == [10, 30, 90]  # bracket 2 starts at ASHA's rung
    rows = trainer_for("ridge")
    assert rows.rung_budgets(ctx, {}, eta=3, min_budget=None)[0] == 1000  # 1/27 of the fold's rows
    assert rows.rung_budgets(ctx, {}, eta=3, min_budget=None, below=2)[:3] == [111, 333, 999]
    small = SimpleNamespace(task="regression", y=np.zeros(901), folds=((np.arange(900), np.arange(1)),))
    assert rows.rung_budgets(small, {}, eta=3, min_budget=None, below=2)[0] == 40  # the rows' floor still holds


def test_make_pruner():
    assert make_pruner("none") is None and make_pruner(None) is None
    assert isinstance(make_pruner("asha"), ASHAPruner)
    with pytest.raises(ConfigError, match="Unknown pruner"):
        make_pruner("median")
