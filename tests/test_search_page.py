"""AppTest of the Search page's cost before Start (issue 17 item 4) and its budgets that fit the search (issue 19):
the estimate in words, one-click budget fixes, and the plateau stop written into the study."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def search(tmp_path, monkeypatch):
    """The Search page over a fresh store, on the default sample (breast_cancer.csv)."""
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "search.db"))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("app_pages/search.py").run()
    _ok(app)
    return app


def _ok(app) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _markdown(app) -> list[str]:
    return [str(m.value) for m in app.markdown]


def _warnings(app) -> list[str]:
    return [str(w.value) for w in app.warning]


def _start_small_random(app) -> int:
    """Start the random search on screen with 2 trials of 2 folds; the new study's id."""
    app.number_input(key="search_trials_random").set_value(2)
    app.number_input(key="search_cv").set_value(2)
    app.button(key="search_start").click().run()
    _ok(app)
    sid = app.query_params["study"]
    return int(sid[0] if isinstance(sid, list) else sid)


def test_the_estimate_appears_in_words_and_follows_the_budget(search):
    app = search
    app.selectbox(key="search_model").set_value("decision_tree").run()
    app.number_input(key="search_cv").set_value(3).run()
    assert any("30 trials × 3 folds = **90 fits**" in m for m in _markdown(app))
    assert not any(m.startswith("**Time:**") for m in _markdown(app))
    app.button(key="search_estimate").click().run()
    _ok(app)
    first = next(m for m in _markdown(app) if m.startswith("**Time:**"))
    # "at least": a machine so busy that the probe reached its cap (the words say it is a lower bound)
    assert re.match(r"\*\*Time:\*\* (about|at least) .* on \d+ workers?", first) and "a trial" in first
    assert any("trials × 3 folds" in m for m in _markdown(app))  # the fits line stays
    # a budget change redraws the estimate from the same probe: no second click
    app.number_input(key="search_trials_tpe").set_value(60).run()
    _ok(app)
    assert any(m.startswith("**Time:**") for m in _markdown(app))


def test_a_tpe_budget_too_small_is_raised_in_one_click(search):
    app = search
    app.number_input(key="search_trials_tpe").set_value(8).run()
    assert any("TPE spends its first 5 trials at random" in w for w in _warnings(app))
    app.button(key="search_fix_0").click().run()
    _ok(app)
    assert app.number_input(key="search_trials_tpe").value == 20
    assert not any("TPE spends" in w for w in _warnings(app))


def test_an_early_cut_that_cuts_nothing_is_raised_in_one_click(search):
    app = search
    app.radio(key="search_strategy").set_value("random").run()
    app.selectbox(key="search_pruner").set_value("asha").run()
    app.number_input(key="search_trials_random").set_value(8).run()
    assert any("with 8 trials nothing is cut" in w for w in _warnings(app))
    app.button(key="search_fix_0").click().run()
    _ok(app)
    assert app.number_input(key="search_trials_random").value == 24
    assert not any("Early cut keeps" in w for w in _warnings(app))


def test_a_grid_larger_than_the_trials_is_offered_in_full(search):
    app = search
    app.selectbox(key="search_model").set_value("decision_tree").run()
    app.radio(key="search_strategy").set_value("grid").run()
    size = app.number_input(key="search_trials_grid").value
    app.number_input(key="search_trials_grid").set_value(3).run()
    assert any(f"The grid has {size:,} combinations; 3 trials" in w for w in _warnings(app))
    app.button(key="search_fix_0").click().run()
    _ok(app)
    assert app.number_input(key="search_trials_grid").value == size
    assert not any("The grid has" in w for w in _warnings(app))


def test_the_plateau_box_writes_plateau_into_the_study(search):
    from ui.state import get_store

    app = search
    app.selectbox(key="search_model").set_value("decision_tree").run()
    box = app.checkbox(key="search_plateau")
    assert box.value is False and "fold-to-fold noise" in box.help
    box.check().run()
    app.radio(key="search_strategy").set_value("random").run()
    sid = _start_small_random(app)
    store = get_store()
    assert store.get_study(sid).raw_config["plateau"] is True
    assert store.get_study(sid).config.plateau is True


def test_the_cheap_first_trial_box_shows_for_a_sampled_xgboost_search_only(search):
    from ui.state import get_store

    app = search
    app.selectbox(key="search_model").set_value("xgboost").run()
    app.radio(key="search_strategy").set_value("random").run()
    box = app.checkbox(key="search_cheap_start")
    assert box.value is True and "fewest rounds" in box.help
    app.radio(key="search_strategy").set_value("grid").run()
    assert not [c for c in app.checkbox if c.key == "search_cheap_start"]  # a grid is the grid
    app.selectbox(key="search_model").set_value("knn").run()
    app.radio(key="search_strategy").set_value("random").run()
    assert not [c for c in app.checkbox if c.key == "search_cheap_start"]  # no cost parameter to start cheap on
    app.selectbox(key="search_model").set_value("xgboost").run()
    app.checkbox(key="search_cheap_start").uncheck().run()
    sid = _start_small_random(app)
    assert get_store().get_study(sid).config.cheap_start is False


def test_the_cheap_first_trial_box_follows_the_space_being_searched():
    from ui.search_form import cheap_start_input

    fixed = {"n_estimators": {"value": 100}, "max_depth": {"value": 3}, "learning_rate": {"value": 0.1}}
    assert cheap_start_input("xgboost", "tpe", None) is True  # the family's space: rounds and depth searched
    assert cheap_start_input("xgboost", "tpe", fixed) is None  # nothing to start cheap on
    assert cheap_start_input("xgboost", "tpe", {"n_estimators": {"type": "int"}}) is True  # mid-edit: the default
    assert cheap_start_input("xgboost", "grid", None) is None
