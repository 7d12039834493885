"""AppTest of the first-hour fixes (issue 9) and the app side of issues 7 and 8: pruned trials on the pages,
the Early cut choice, deleting studies and datasets, app-worded messages, the baseline beside a low verdict,
and user strings kept literal in markdown."""

from __future__ import annotations

import os
import re
import socket
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui.text import esc, esc_html

from .app_studies import add_pruned, make_studies
from .conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    db = tmp_path_factory.mktemp("first_hour") / "app.db"
    return db, make_studies(db)


@pytest.fixture
def at(made, monkeypatch):
    db, _ = made
    monkeypatch.setenv("TUNING_DB", str(db))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    return app


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An app over an empty store of its own (for tests that upload or delete)."""
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "fresh.db"))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    return app


def _texts(app) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "success", "warning", "error", "info", "subheader", "title", "header"):
        out += [str(e.value) for e in getattr(app, kind)]
    return out


def _open_study(app, page: str, study_id: int) -> None:
    app.query_params["study"] = str(study_id)
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]


# -- pruned trials (issue 7) ------------------------------------------------------------------------------


def test_results_show_pruned_trials_budget_rung_and_why(at, made):
    _, m = made
    _open_study(at, "app_pages/results.py", m.b)
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["Pruned / failed"] == "3 / 0"
    assert at.toggle(key="res_show_pruned").value is True
    assert "pruned" in at.multiselect(key="res_states").value
    table = at.dataframe(key="res_trials").value
    pruned = table[table["state"] == "pruned"]
    assert len(pruned) == 3 and set(pruned["rung"].dropna().astype(int)) == {0, 1}
    assert set(pruned["budget"].dropna().astype(int)) == {9, 27}
    assert pruned["why it stopped"].str.startswith("cut at rung").all()
    first = int(pruned["number"].iloc[0])
    at.number_input(key="res_open_trial").set_value(first).run()
    assert any("cut at rung 0" in i.value and "Budget reached: 9" in i.value for i in at.info)
    at.toggle(key="res_show_pruned").set_value(False).run()
    assert not at.exception


def test_live_panel_and_compare_show_pruned(at, made):
    _, m = made
    _open_study(at, "app_pages/search.py", m.b)
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["Pruned / failed"] == "3 / 0"
    assert any("early cut: ASHA" in c.value for c in at.caption)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    best = at.dataframe[-1].value
    assert "pruned" in best.columns and int(best["pruned"].max()) == 3 and "rungs" in best.columns
    assert at.toggle(key="cmp_show_pruned").value is True


def test_early_cut_select_writes_the_pruner_into_the_study(fresh):
    from ui.state import get_store

    app = fresh
    app.switch_page("app_pages/search.py").run()
    app.selectbox(key="search_model").set_value("decision_tree").run()
    assert any("Stops unpromising candidates early" in c.value for c in app.caption)
    app.selectbox(key="search_pruner").set_value("asha").run()
    app.number_input(key="search_trials_tpe").set_value(2)
    app.number_input(key="search_cv").set_value(2)
    app.button(key="search_start").click().run()
    assert not app.exception, [e.value for e in app.exception]
    sid = int(
        app.query_params["study"][0] if isinstance(app.query_params["study"], list) else app.query_params["study"]
    )
    assert get_store().get_study(sid).raw_config["pruner"] == "asha"
    assert get_store().get_study(sid).name.startswith("Decision tree · Bayesian (TPE) · ")


# -- deleting (issue 8 item 7) ------------------------------------------------------------------------------


def test_delete_a_study_needs_a_confirmation(fresh):
    from tests.app_studies import make_studies as mk
    from ui.state import db_path, get_store

    m = mk(db_path())
    app = fresh
    _open_study(app, "app_pages/results.py", m.a)
    assert app.button(key=f"del_study_{m.a}").disabled  # not confirmed yet
    app.checkbox(key=f"del_study_sure_{m.a}").check().run()
    app.button(key=f"del_study_{m.a}").click().run()
    assert not app.exception
    assert m.a not in [s.id for s in get_store().list_studies()]
    assert not get_store().get_trials(m.a)


def test_a_running_study_must_be_stopped_before_it_is_deleted(fresh):
    from tests.app_studies import make_studies as mk
    from ui.state import db_path, get_store

    m = mk(db_path())
    with get_store()._conn() as conn:
        conn.execute(
            "UPDATE studies SET state='running', pid=?, host=?, heartbeat=? WHERE id=?",
            (os.getpid(), socket.gethostname(), time.time(), m.c),
        )
    app = fresh
    _open_study(app, "app_pages/results.py", m.c)
    assert any("stop it first" in w.value and "Stop" in w.value for w in app.warning)
    assert not [b for b in app.button if b.key == f"del_study_{m.c}"]
    app.switch_page("app_pages/data.py").run()
    app.radio(key="data_source").set_value("Stored dataset").run()
    app.selectbox(key="data_stored").set_value(m.diabetes).run()
    assert any("running" in w.value for w in app.warning)
    assert not [b for b in app.button if b.key == f"del_ds_{m.diabetes}"]


def test_delete_a_dataset_with_its_studies(fresh):
    from tests.app_studies import make_studies as mk
    from ui.state import db_path, get_store

    m = mk(db_path())
    app = fresh
    app.radio(key="data_source").set_value("Stored dataset").run()
    app.selectbox(key="data_stored").set_value(m.breast).run()
    assert any("2 studies" in md.value for md in app.markdown)
    app.checkbox(key=f"del_ds_sure_{m.breast}").check().run()
    app.button(key=f"del_ds_{m.breast}").click().run()
    assert not app.exception, [e.value for e in app.exception]
    store = get_store()
    assert m.breast not in [d["id"] for d in store.list_datasets()]
    assert [s.id for s in store.list_studies()] == [m.c]


def test_a_dataset_deleted_elsewhere_is_gone_from_the_pages_too(fresh):
    """The app caches parsed tables; a deletion by the CLI or another visitor must not live on in that cache."""
    from tests.app_studies import make_studies as mk
    from ui.state import db_path, get_store

    m = mk(db_path())
    app = fresh
    app.query_params["dataset"] = m.breast
    app.switch_page("app_pages/data.py").run()
    assert not app.exception and not app.error
    assert any("breast" in str(h.value) for h in app.subheader)
    get_store().delete_dataset(m.breast)  # as `python -m tuning delete-dataset` would, outside this session
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not any("breast" in str(h.value) for h in app.subheader)
    assert any("not in" in e.value for e in app.error), [e.value for e in app.error]


# -- messages in the app name the app's controls (item 6) -----------------------------------------------------


def test_rare_class_error_in_the_app_names_the_app_controls(fresh, tmp_path):
    rng = np.random.default_rng(0)
    rows = ["x1,x2,label"] + [f"{rng.normal():.3f},{rng.normal():.3f},{'a' if i < 40 else 'b'}" for i in range(43)]
    app = fresh
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value(("rare.csv", "\n".join(rows).encode(), "text/csv")).run()
    app.switch_page("app_pages/search.py").run()
    app.selectbox(key="search_model").set_value("decision_tree").run()
    app.button(key="search_start").click().run()
    errors = [e.value for e in app.error]
    assert errors, "no error shown"
    text = errors[0]
    assert "only 3 rows" in text and "CV folds" in text and "--cv" not in text
    assert "at most" not in text


# -- the baseline beside a "low" verdict (item 10) -----------------------------------------------------------------


def test_low_verdict_quotes_the_majority_class_baseline(fresh):
    from tuning.config import StudyConfig
    from tuning.runner import run
    from ui.state import db_path, get_store

    rng = np.random.default_rng(1)
    n = 300
    x = rng.normal(size=(n, 2))
    y = np.where(rng.random(n) < 0.7, "no", "yes")  # labels unrelated to the features: 70% "no"
    content = "a,b,y\n" + "\n".join(f"{r[0]:.4f},{r[1]:.4f},{v}" for r, v in zip(x, y, strict=True))
    store = get_store()
    ds = store.add_dataset("weak.csv", content.encode())
    cfg = StudyConfig(
        dataset_id=ds,
        target="y",
        model="decision_tree",
        strategy="grid",
        metric="accuracy",
        cv=3,
        space={"max_depth": {"values": [1]}, "min_samples_leaf": {"values": [60, 80]}},
    )
    sid = run(store, cfg)["study_id"]
    assert db_path()
    app = fresh
    _open_study(app, "app_pages/results.py", sid)
    low = [w.value for w in app.warning if "Underfitting" in w.value]
    assert low, [w.value for w in app.warning]
    assert re.search(r"always predicting the most frequent class scores 0\.6\d", low[0]), low[0]


# -- markdown injection (issue 8 item 11) ------------------------------------------------------------------------

HOSTILE = "[click](http://evil.example) **bold** :red[x] $x^2$ <b>hi</b> # h"


def test_esc_keeps_hostile_strings_literal():
    out = esc(HOSTILE)
    for raw in ("[click](", "**bold**", ":red["):
        assert raw not in out
    specials = "[]*:$<>`_"
    assert all(out[i - 1] == "\\" for i, ch in enumerate(out) if ch in specials), out
    assert esc("a\nb") == "a b"
    assert "http://" not in esc("see http://evil.example") and "://\u2060" in esc("http://x")  # no autolink
    assert "<b>" not in esc_html(HOSTILE) and "%{x}" not in esc_html("%{x}")


def test_hostile_file_and_column_names_stay_literal_on_the_pages(fresh):
    app = fresh
    name = "[click](http://evil.example) **x**.csv"
    col = "[t](javascript:alert(1))"
    rows = [f"a,b,{col}"] + [f"{i % 7},{i % 3},{i % 2}" for i in range(60)]
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value((name, "\n".join(rows).encode(), "text/csv")).run()
    assert not app.exception, [e.value for e in app.exception]
    texts = _texts(app)
    assert any("\\[click\\](http" in t for t in texts)  # the heading, escaped
    for t in texts:
        assert "[click](" not in t and "[t](" not in t and "**x**" not in t, t
    app.switch_page("app_pages/search.py").run()
    for t in _texts(app):
        assert "[t](" not in t, t
    # a hostile ?target= value never reaches markdown raw either
    app.query_params["target"] = "[evil](http://x)"
    app.switch_page("app_pages/data.py").run()
    for t in _texts(app):
        assert "[evil](" not in t, t


def test_a_second_hostile_study_name_stays_literal_on_results_and_compare(at, made):
    from ui.state import get_store

    _, m = made
    get_store().rename_study(m.a, "[pwn](http://evil.example) *x*")
    try:
        _open_study(at, "app_pages/results.py", m.a)
        assert any("\\[pwn\\]" in t for t in _texts(at))
        assert all("[pwn](" not in t for t in _texts(at))
        at.switch_page("app_pages/compare.py").run()
        assert not at.exception
        assert all("[pwn](" not in t for t in _texts(at))
    finally:
        get_store().rename_study(m.a, "study a")


def test_add_pruned_helper_is_what_the_pages_read(made):
    from tuning.store import Store

    db, m = made
    trials = Store(db).get_trials(m.b)
    assert [t.state.value for t in trials].count("pruned") == 3
    assert add_pruned  # used by the e2e store too


def test_mixed_type_parameters_display_as_text():
    import pandas as pd

    from ui.text import mixed_as_text

    frame = pd.DataFrame({"max_features": ["sqrt", 0.5, 1.0, None], "n": [1, 2, 3, 4], "s": ["a", "b", None, "c"]})
    shown = mixed_as_text(frame)
    assert list(shown["max_features"]) == ["sqrt", "0.5", "1", ""]
    assert shown["n"].dtype != object and shown["s"].equals(frame["s"])  # untouched
    import pyarrow as pa

    pa.Table.from_pandas(shown)  # Arrow takes it (the raw frame raised ArrowTypeError)
    with pytest.raises(pa.ArrowTypeError):
        pa.Table.from_pandas(frame)
