"""AppTest for the "Iterating and stopping" page: both lessons compute and draw; the N slider changes the text."""

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


def _until(at, keys: tuple[str, ...], timeout: float = 240.0) -> None:
    """Rerun (as the page's polling fragment would) until every chart is drawn."""
    t0 = time.monotonic()
    while True:
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        try:
            for key in keys:
                at.get_by_key(key)
            return
        except KeyError:
            pass
        assert time.monotonic() - t0 < timeout, f"{keys} never all appeared"
        time.sleep(0.5)
        at.run()


def _curse_text(at) -> str:
    return next(m.value for m in at.markdown if "Picking the best of" in m.value)


def test_iterating_page_renders_and_the_slider_changes_the_text(app):
    app.switch_page("app_pages/learn_iterate.py").run()
    app.select_slider(key="it_rows").set_value(60).run()
    app.select_slider(key="it_search_rows").set_value(100).run()
    app.select_slider(key="it_trials").set_value(30).run()
    _until(app, ("it_curse_chart", "it_topk_chart", "it_search_chart"))
    before = _curse_text(app)
    assert "Picking the best of 30 by CV" in before
    app.slider(key="it_n").set_value(5).run()
    after = _curse_text(app)
    assert "Picking the best of 5 by CV" in after and after != before
    assert any(m.value.startswith("- Cold") and "plateau rule" in m.value for m in app.markdown)
    app.select_slider(key="it_wait").set_value(10).run()
    app.radio(key="it_band").set_value("seeded").run()
    app.radio(key="it_x").set_value("seconds").run()
    assert not app.exception
    assert app.get_by_key("it_search_chart")
