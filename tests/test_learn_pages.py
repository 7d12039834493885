"""AppTest for the Learn pages: every lesson view computes (in the background) and draws its chart."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "learn.db"))
    import ui.state

    ui.state._store.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    return at


def _until_chart(at, key: str, timeout: float = 240.0) -> None:
    """Rerun (as the page's polling fragment would) until the view's chart is drawn."""
    t0 = time.monotonic()
    while True:
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        try:
            at.get_by_key(key)
            return
        except KeyError:
            pass
        assert time.monotonic() - t0 < timeout, f"{key} never appeared"
        time.sleep(0.5)
        at.run()


OVERFITTING = [
    ("Validation curve", "vc_chart"),
    ("Learning curve", "lc_chart"),
    ("Boosting rounds", "bo_chart"),
    ("Decision boundary", "db_chart"),
    ("1-D fit", "f1_chart"),
    ("Bias–variance", "bv_chart"),
]
REGULARIZATION = [
    ("Linear penalties", "lin_chart"),
    ("Sparsity (digits)", "sp_chart"),
    ("XGBoost knobs", "kn_chart"),
    ("Attributions", "at_chart"),
]


def test_overfitting_lab_views(app):
    app.switch_page("app_pages/learn_overfitting.py").run()
    for view, key in OVERFITTING:
        app.segmented_control(key="lab_view").set_value(view).run()
        _until_chart(app, key)
    # main controls: move the validation-curve slider (no refit), pin, resample the boundary data
    app.segmented_control(key="lab_view").set_value("Validation curve").run()
    _until_chart(app, "vc_chart")
    app.select_slider(key="vc_current_decision_tree_max_depth").set_value(12).run()
    assert {m.label: m.value for m in app.metric}["Regime"] == "overfit"
    app.button(key="vc_pins_pin").click().run()
    assert len(app.session_state["vc_pins"]) == 1
    app.segmented_control(key="lab_view").set_value("Decision boundary").run()
    _until_chart(app, "db_chart")
    app.button(key="db_resample").click().run()
    _until_chart(app, "db_chart")
    assert app.session_state["db_seed"] == 1
    app.segmented_control(key="lab_view").set_value("Overfitting the validation set").run()
    assert not app.exception and "No study has a held-out test split" in app.info[-1].value


def test_regularization_views(app):
    app.switch_page("app_pages/learn_regularization.py").run()
    for view, key in REGULARIZATION:
        app.segmented_control(key="reg_view").set_value(view).run()
        _until_chart(app, key)
