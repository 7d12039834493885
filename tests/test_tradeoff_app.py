"""AppTest: the trade-off view, importance three ways, interop buttons and the paged table on Results and Compare."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tuning.demo import fill_study
from tuning.study import summary_of as _summary

from .conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def app_with(tmp_path, monkeypatch):
    """An app on a store filled by ``fill(store)``; the Results page opened."""

    def make(fill):
        from tuning.store import Store

        db = tmp_path / "app.db"
        monkeypatch.setenv("TUNING_DB", str(db))
        import ui.state

        ui.state._store.clear()
        fill(Store(db))
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.switch_page("app_pages/results.py").run()
        _ok(at)
        return at

    return make


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_results_trade_off_view_marks_the_front_and_the_one_se_pick(app_with):
    at = app_with(lambda s: fill_study(s, 120, seed=2))
    assert any(m.value == "Trade-offs and importance" or "Trade-offs and importance" in m.value for m in at.markdown)
    sentences = [i.value for i in at.info if "standard error" in i.value]
    assert any("simplest trial within one standard error" in s or "also the simplest" in s for s in sentences)
    # the diagnosis says it too, when the simpler model is much simpler
    assert any(s.startswith("**Simpler**") and "within one standard error" in s for s in sentences)
    fronts = [d for d in at.dataframe if "number" in d.value.columns and "model size" in d.value.columns]
    assert fronts and len(fronts[0].value) >= 2
    assert (fronts[0].value["model size"].diff().dropna() > 0).all()  # cheapest first
    figs = [c for c in at.get("plotly_chart")]
    titles = " ".join(str(c.proto.spec) for c in figs)
    assert "Pareto front" in titles and "simplest within 1 SE" in titles and "Score against model size" in titles


def test_importance_three_ways_with_their_questions(app_with):
    at = app_with(lambda s: fill_study(s, 80, seed=2))
    radio = at.radio(key="tr_imp_method")
    assert radio.options == ["Random forest", "PED-ANOVA (Optuna's default)", "fANOVA"]
    for value, words in (
        ("forest", "in which direction"),
        ("ped_anova", "best trials from the rest"),
        ("fanova", "variance"),
    ):
        at.radio(key="tr_imp_method").set_value(value).run()
        _ok(at)
        assert any(words in c.value for c in at.caption), value
        spec = " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))
        assert "learning_rate" in spec and ("fANOVA" in spec if value == "fanova" else True)
    assert any("rate_drop" in w.value and "left out" in w.value for w in at.warning)  # fANOVA and the conditional


def test_few_trials_warn_and_an_empty_size_chart_says_why(app_with):
    def fill(store):
        sid = fill_study(store, 20, seed=2)
        store._conn().execute("UPDATE trials SET model_size=NULL, model_size_unit=NULL WHERE study_id=?", (sid,))
        store._conn().commit()

    at = app_with(fill)
    assert any("rough guess" in w.value for w in at.warning)
    spec = " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    assert "No complete trial has a model size" in spec


def test_export_buttons_and_optuna_upload_round_trip(app_with, tmp_path):
    at = app_with(lambda s: fill_study(s, 30, seed=2))
    at.button(key="exp_optuna").click().run()
    _ok(at)
    dl = [b for b in at.get("download_button") if "optuna.db" in str(b.proto.label)]
    assert dl, [b.proto.label for b in at.get("download_button")]
    assert any(b.proto.label == "W&B sweep (YAML)" for b in at.get("download_button"))
    from tuning.export.optuna import export_study
    from tuning.store import Store
    from ui.state import db_path

    store = Store(db_path())
    path = tmp_path / "up.db"
    export_study(store, 1, f"sqlite:///{path}", study_name="uploaded")
    at.file_uploader(key="imp_optuna_file").set_value(("up.db", path.read_bytes(), "application/octet-stream")).run()
    _ok(at)
    assert at.selectbox(key="imp_optuna_study").value == "uploaded"
    at.button(key="imp_optuna_go").click().run()
    _ok(at)
    assert any("Imported as study 2" in s.value for s in at.success)
    assert "(from Optuna)" in at.subheader[0].value
    assert _summary(store, 2)["best_score"] == _summary(store, 1)["best_score"]


def test_compare_shows_one_trade_off_across_studies(app_with):
    def fill(store):
        fill_study(store, 40, seed=1, name="gbtree-ish")
        fill_study(store, 40, seed=2, name="dart-ish")

    at = app_with(fill)
    at.switch_page("app_pages/compare.py").run()
    _ok(at)
    spec = " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    assert "#1 gbtree-ish" in spec and "#2 dart-ish" in spec and "Pareto front" in spec
    assert any("Trade-offs across studies" in m.value for m in at.markdown)


def test_large_studies_page_the_trials_table(app_with):
    at = app_with(lambda s: fill_study(s, 2500, seed=2))
    table = at.dataframe(key="res_pg_trials")
    assert len(table.value) == 100
    assert any("2,500 trials match" in c.value or "trials match" in c.value for c in at.caption)
    at.selectbox(key="res_pg_sort").set_value("model size (smallest first)").run()
    sizes = at.dataframe(key="res_pg_trials").value["model size"]
    assert sizes.is_monotonic_increasing
    at.number_input(key="res_pg_page").set_value(25).run()
    _ok(at)
    assert 0 < len(at.dataframe(key="res_pg_trials").value) <= 100


def test_fanova_on_hundreds_of_trials_runs_in_the_background(app_with):
    from tuning.importance import FANOVA_BACKGROUND_ABOVE

    at = app_with(lambda s: fill_study(s, FANOVA_BACKGROUND_ABOVE + 100, seed=2))
    at.radio(key="tr_imp_method").set_value("fanova").run()
    _ok(at)
    assert any("in the background" in i.value for i in at.info)  # the page did not wait for it
    from ui.tradeoff_view import _jobs

    for job in list(_jobs().values()):
        job.result(timeout=120)
    at.run()
    _ok(at)
    assert not any("in the background" in i.value for i in at.info)
    assert "Parameter importance: fANOVA" in " ".join(str(c.proto.spec) for c in at.get("plotly_chart"))


def test_missing_optional_packages_give_the_plain_message_on_the_page(app_with, monkeypatch):
    import sys

    at = app_with(lambda s: fill_study(s, 60, seed=2))
    monkeypatch.setitem(sys.modules, "optuna", None)
    monkeypatch.setitem(sys.modules, "mlflow", None)
    at.radio(key="tr_imp_method").set_value("ped_anova").run()
    assert not at.exception
    assert any("needs the package 'optuna'" in e.value and "pip install optuna" in e.value for e in at.error)
    at.button(key="exp_mlflow").click().run()
    assert not at.exception
    assert any("needs the package 'mlflow'" in e.value and "pip install mlflow" in e.value for e in at.error)
