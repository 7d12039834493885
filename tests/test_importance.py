"""Importance three ways on a synthetic study with DART's conditional rate_drop."""

from __future__ import annotations

import pytest

from tuning.analysis import results_frame
from tuning.demo import fill_study
from tuning.importance import MIN_TRIALS, Method, compute_importance, n_complete


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from tuning.store import Store

    store = Store(tmp_path_factory.mktemp("imp") / "s.db")
    sid = fill_study(store, 160, seed=3)
    cfg = store.get_study(sid).config
    frame = results_frame(store.get_trials(sid), metric="roc_auc", param_names=cfg.search_space().names)
    return frame, cfg.search_space()


@pytest.mark.parametrize("method", list(Method))
def test_each_method_ranks_the_learning_rate_first_and_survives_conditional_params(study, method):
    frame, space = study
    r = compute_importance(frame, space, method)
    assert r.table["param"].iloc[0] == "learning_rate"  # the synthetic score depends mostly on it
    assert r.table["importance"].sum() == pytest.approx(1.0, abs=1e-6)
    assert r.n_trials == n_complete(frame) and r.question == method.question
    lr = r.table.set_index("param").loc["learning_rate", "correlation"]
    assert lr > 0  # raising the learning rate (in this range) raises the score
    if method is Method.FANOVA:
        assert "rate_drop" not in set(r.table["param"]) and any("rate_drop" in w for w in r.warnings)
    else:
        assert "rate_drop" in set(r.table["param"])


def test_questions_differ_and_small_studies_warn(study):
    frame, space = study
    assert len({m.question for m in Method}) == 3
    assert "top 10 %" in Method.PED_ANOVA.question and "variance" in Method.FANOVA.question
    small = frame.head(30)
    r = compute_importance(small, space, Method.PED_ANOVA)
    assert any(f"about {MIN_TRIALS}" in w for w in r.warnings)
    assert not any(f"about {MIN_TRIALS}" in w for w in compute_importance(frame, space, Method.FOREST).warnings)
    tiny = compute_importance(frame.head(2), space, Method.FANOVA)
    assert tiny.table.empty and tiny.warnings
