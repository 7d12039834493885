"""The Results page's "Next study" planner and the Compare page's parent and child (AppTest)."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT, SAMPLES

APP = str(ROOT / "app.py")


@pytest.fixture
def parent(tmp_path, monkeypatch):
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.store import Store

    db = tmp_path / "next.db"
    store = Store(db)
    ds = store.add_dataset("moons.csv", (SAMPLES / "moons.csv").read_bytes())
    space = {"n_neighbors": {"type": "int", "low": 1, "high": 40}, "weights": {"values": ["uniform", "distance"]}}
    out = run(
        store, StudyConfig(dataset_id=ds, target="label", model="knn", strategy="random", n_trials=8, cv=3, space=space)
    )
    monkeypatch.setenv("TUNING_DB", str(db))
    import ui.state

    ui.state._store.clear()
    return store, out["study_id"]


def _results(study_id: int) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["study"] = str(study_id)
    app.run()
    app.switch_page("app_pages/results.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_nothing_is_proposed_until_the_planner_is_opened(parent):
    _, sid = parent
    app = _results(sid)
    assert not [b for b in app.button if b.key == f"next_start_{sid}"]
    app.toggle(key=f"next_open_{sid}").set_value(True).run()
    assert not app.exception
    assert [b for b in app.button if b.key == f"next_start_{sid}"]


def test_refine_shows_the_diff_and_starts_a_child_that_records_its_parent(parent):
    store, sid = parent
    app = _results(sid)
    app.toggle(key=f"next_open_{sid}").set_value(True).run()
    from tuning.iterate import Mode

    app.radio(key=f"next_mode_{sid}").set_value(Mode.REFINE).run()
    app.number_input(key=f"next_trials_{sid}").set_value(3).run()
    assert not app.exception
    diff = next(d.value for d in app.dataframe if "parameter" in d.value.columns)  # keys are kept for selections only
    assert "n_neighbors" in set(diff["parameter"]) and diff.iloc[0]["before"] == "[1, 40]"
    text = " ".join(str(m.value) for m in app.markdown)
    assert "warm the sampler" in text
    app.button(key=f"next_start_{sid}").click().run()
    assert not app.exception, [e.value for e in app.exception]
    child = max(s.id for s in store.list_studies())
    assert child != sid
    deadline = time.monotonic() + 120
    while store.get_study(child).state.value == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    cfg = store.get_study(child).config
    assert cfg.extra["parent"]["study_id"] == sid and cfg.extra["parent"]["mode"] == "refine"
    assert cfg.n_trials == 3

    # Compare opens on parent and child, and says how they are related
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["study"] = str(child)
    app.run()
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert sorted(app.multiselect(key="cmp_studies").value) == sorted([sid, child])
    captions = " ".join(str(c.value) for c in app.caption)
    assert f"#{child} is a refine of #{sid}" in captions
    table = next(d.value for d in app.dataframe if "from" in d.value.columns)
    assert "from" in table.columns and f"refine of #{sid}" in set(table["from"])


def test_a_running_study_cannot_start_its_next_yet(parent, monkeypatch):
    store, sid = parent
    from tuning.store import StudyState

    app = _results(sid)
    app.toggle(key=f"next_open_{sid}").set_value(True).run()
    assert not app.button(key=f"next_start_{sid}").disabled
    import ui.next_study

    real = ui.next_study.render_next_study

    def as_running(store_, study_id, *, n_complete, running):
        return real(store_, study_id, n_complete=n_complete, running=True)

    monkeypatch.setattr(ui.next_study, "render_next_study", as_running)
    app.run()
    assert not app.exception
    assert app.button(key=f"next_start_{sid}").disabled
    assert store.get_study(sid).state is StudyState.COMPLETE
