"""Importance three ways on a synthetic study with DART's conditional rate_drop."""

from __future__ import annotations

import pandas as pd
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


def test_too_few_complete_trials_give_one_message_saying_how_many_more():
    from tuning.charts.importance import TOO_FEW, plot_importance
    from tuning.importance import MIN_COMPUTE, Method, compute_importance
    from tuning.space import SearchSpace

    space = SearchSpace.from_dict({"a": {"type": "float", "low": 0.0, "high": 1.0}})
    frame = pd.DataFrame(
        {"state": ["complete", "complete", "pruned"], "param_a": [0.1, 0.5, 0.9], "mean_test_score": [0.5, 0.6, 0.4]}
    )
    for method in Method:
        r = compute_importance(frame, space, method)
        assert r.table.empty and len(r.warnings) == 1
        assert f"at least {MIN_COMPUTE} complete trials; this study has 2 (2 more)" in r.warnings[0]
    fig = plot_importance(r.table, why_empty="Nothing to draw yet")
    texts = [a.text for a in fig.layout.annotations]
    assert "Nothing to draw yet" in texts[0] and TOO_FEW not in texts[0]
