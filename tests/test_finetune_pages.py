"""AppTest: the Fine-tune page (a study's model, an uploaded file, a bad file) and the lesson view."""

from __future__ import annotations

import pickle
import time

import pytest
import xgboost as xgb
from streamlit.testing.v1 import AppTest

from tuning.config import StudyConfig
from tuning.runner import run

from .conftest import ROOT, SAMPLES


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "ft.db"))
    import ui.state

    ui.state._store.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    return at


def _no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _run_arms(at, *, stop_after: float | None = None):
    """Click "Run the arms" and wait for the background run to end (Stop pressed after ``stop_after`` s)."""
    at.button(key="ft_run").click().run()
    t0 = time.monotonic()
    while True:
        assert not at.exception, [e.value for e in at.exception]
        try:
            stop = at.button(key="ft_stop")
        except KeyError:
            return at
        assert time.monotonic() - t0 < 240, "the fine-tune never ended"
        if stop_after is not None and time.monotonic() - t0 > stop_after:
            stop.click()
            stop_after = None
        time.sleep(0.3)
        at.run()


def _base_file(tmp_path) -> bytes:
    import pandas as pd

    before = pd.read_csv(SAMPLES / "drift_before.csv")
    b = xgb.train(
        {"objective": "binary:logistic", "eta": 0.1, "max_depth": 3, "nthread": 1},
        xgb.DMatrix(before.drop(columns="label"), label=before["label"]),
        60,
    )
    return bytes(b.save_raw(raw_format="ubj"))


def test_finetune_page_with_a_studys_model(app):
    from ui.state import get_store

    store = get_store()
    ds = store.add_dataset("drift_before.csv", (SAMPLES / "drift_before.csv").read_bytes())
    space = {"n_estimators": {"value": 50}, "max_depth": {"value": 3}, "learning_rate": {"value": 0.1}}
    run(
        store,
        StudyConfig(dataset_id=ds, target="label", model="xgboost", strategy="random", n_trials=1, cv=3, space=space),
    )
    app.switch_page("app_pages/finetune.py").run()
    _no_errors(app)
    assert app.title[0].value == "Fine-tune"
    assert app.selectbox(key="ft_target").value == "label"
    app.text_input(key="ft_rates").set_value("0.03, 0.1")
    app.number_input(key="ft_rounds").set_value(60)
    _run_arms(app)
    _no_errors(app)
    for key in ("ft_curves", "ft_arms"):
        app.get_by_key(key)
    assert "of the gap to retraining" in app.success[0].value
    table = app.dataframe[-1].value
    assert {"continue (lr 0.03)", "continue (lr 0.1)", "refresh", "stack", "retrain (new)"} <= set(table["arm"])
    assert len(store.list_artifacts(kind="model")) == 1  # the study's refit model, kept with its preprocessing
    app.selectbox(key="ft_save_arm").set_value("refresh").run()
    app.button(key="ft_keep").click().run()
    _no_errors(app)
    assert len(store.list_artifacts(kind="adapted_model")) == 1


def test_finetune_page_with_an_uploaded_model_and_a_bad_one(app, tmp_path):
    app.switch_page("app_pages/finetune.py").run()
    assert app.radio(key="ft_base_source").value == "The worked example"  # no finished study yet
    app.radio(key="ft_base_source").set_value("An XGBoost model file (.json / .ubj)").run()
    app.file_uploader(key="ft_base_upload").set_value(("model.json", pickle.dumps({"x": 1}), "application/json")).run()
    assert not app.exception
    assert "not a model XGBoost can read" in app.error[0].value
    hostile = "[x](http://evil.example)_b_.ubj"  # a file name is shown as text, never as a link or emphasis
    app.file_uploader(key="ft_base_upload").set_value((hostile, _base_file(tmp_path), "application/octet-stream"))
    app.run()
    _no_errors(app)
    caption = next(c.value for c in app.caption if "feature columns" in c.value)
    assert r"\[x\]" in caption and r"\_b\_" in caption and "[x](" not in caption
    app.number_input(key="ft_base_lr").set_value(0.1)
    app.number_input(key="ft_rounds").set_value(60)
    _run_arms(app)
    _no_errors(app)
    app.get_by_key("ft_curves")
    table = app.dataframe[-1].value
    assert "continue (lr 0.01)" in set(table["arm"])  # 0.1x the learning rate given for the file
    # new data with a missing column: a plain message, the last result is cleared, nothing crashes
    app.radio(key="ft_new_source").set_value("Upload").run()
    bad = (SAMPLES / "drift_after.csv").read_text().replace("f3,", "g3,", 1).encode()
    app.file_uploader(key="ft_new_upload").set_value(("after.csv", bad, "text/csv")).run()
    _run_arms(app)
    assert not app.exception
    assert "missing 'f3'" in app.error[0].value and "not known to the model 'g3'" in app.error[0].value


def test_learn_fine_tuning_view(app):
    app.switch_page("app_pages/learn_finetuning.py").run()
    t0 = time.monotonic()
    while True:
        _no_errors(app)
        try:
            app.get_by_key("lf_tradeoff")
            break
        except KeyError:
            assert time.monotonic() - t0 < 240, "the lesson never drew"
            time.sleep(0.5)
            app.run()
    app.get_by_key("lf_curves")
    assert app.title[0].value == "Fine-tuning and forgetting"
    assert any("Try this" in i.value for i in app.info)
    assert "Forgetting" in app.success[0].value


def test_finetune_page_with_a_random_forest_study(app):
    from ui.state import get_store

    store = get_store()
    ds = store.add_dataset("drift_before.csv", (SAMPLES / "drift_before.csv").read_bytes())
    space = {"n_estimators": {"value": 20}, "max_depth": {"value": 5}}
    run(
        store,
        StudyConfig(
            dataset_id=ds, target="label", model="random_forest", strategy="random", n_trials=1, cv=3, space=space
        ),
    )
    app.switch_page("app_pages/finetune.py").run()
    _run_arms(app)
    _no_errors(app)
    arms = set(app.dataframe[-1].value["arm"])
    assert arms == {"base", "continue (warm start)", "retrain (new)", "retrain (old + new)"}
    with pytest.raises(KeyError):
        app.get_by_key("ft_save_arm")  # nothing to save as XGBoost JSON for a forest


def _study(store, model="xgboost"):
    ds = store.add_dataset("drift_before.csv", (SAMPLES / "drift_before.csv").read_bytes())
    space = {"n_estimators": {"value": 50}, "max_depth": {"value": 3}, "learning_rate": {"value": 0.1}}
    cfg = StudyConfig(dataset_id=ds, target="label", model=model, strategy="random", n_trials=1, cv=3, space=space)
    return run(store, cfg)["study_id"]


def test_a_fine_tune_runs_in_the_background_stops_and_its_result_outlives_the_process(app):
    """Stop ends a long run with a plain message; a finished comparison is shown again after a restart (the
    process's runs gone), from the store, without its models."""
    import ui.finetune_runs
    from tuning.finetune import RESULT_KIND
    from ui.state import get_store

    store = get_store()
    _study(store)
    app.switch_page("app_pages/finetune.py").run()
    app.number_input(key="ft_rounds").set_value(2000)
    app.number_input(key="ft_patience").set_value(200)
    app.number_input(key="ft_tpe").set_value(100)
    _run_arms(app, stop_after=1.0)
    assert any("stopped" in i.value for i in app.info), [i.value for i in app.info]
    assert store.list_artifacts(kind=RESULT_KIND) == []  # a stopped run keeps nothing
    app.number_input(key="ft_rounds").set_value(40)
    app.number_input(key="ft_tpe").set_value(0)
    _run_arms(app)
    _no_errors(app)
    verdict = app.success[0].value
    assert len(store.list_artifacts(kind=RESULT_KIND)) == 1
    ui.finetune_runs.get_runs.clear()  # a restart: no run in memory
    app.run()
    _no_errors(app)
    assert app.success[0].value == verdict
    assert any("last comparison" in c.value for c in app.caption)
    app.get_by_key("ft_curves")
    with pytest.raises(KeyError):
        app.get_by_key("ft_save_arm")  # its models were not kept


def test_kept_adapted_models_are_listed_and_deleted_on_the_page(app):
    from ui.state import get_store

    store = get_store()
    _study(store)
    app.switch_page("app_pages/finetune.py").run()
    app.number_input(key="ft_rounds").set_value(30)
    _run_arms(app)
    app.selectbox(key="ft_save_arm").set_value("refresh").run()
    for _ in range(3):  # three clicks keep one copy
        app.button(key="ft_keep").click().run()
    kept = store.list_artifacts(kind="adapted_model")
    assert len(kept) == 1
    aid = kept[0]["id"]
    assert any(f"#{aid}" in m.value for m in app.markdown)
    assert app.button(key=f"ft_kept_del_{aid}").disabled  # not before the confirmation
    app.checkbox(key=f"ft_kept_sure_{aid}").check().run()
    app.button(key=f"ft_kept_del_{aid}").click().run()
    _no_errors(app)
    assert store.list_artifacts(kind="adapted_model") == []


def test_the_first_visit_shows_a_worked_comparison_and_defaults_fit_the_base(app):
    """No study yet: the worked example's base, the drift pair as new and old data, and a verdict in one click.
    With a study: its own dataset as the old data, and a running study is not offered."""
    from ui.state import get_store

    app.switch_page("app_pages/finetune.py").run()
    _no_errors(app)
    assert (
        app.radio(key="ft_new_source").value == "Sample"
        and app.selectbox(key="ft_new_sample").value == "drift_after.csv"
    )
    assert app.selectbox(key="ft_old_sample").value == "drift_before.csv"
    app.number_input(key="ft_rounds").set_value(40)
    _run_arms(app)
    _no_errors(app)
    assert "of the gap to retraining" in app.success[0].value
    store = get_store()
    sid = _study(store)
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    fresh.run()
    fresh.switch_page("app_pages/finetune.py").run()
    _no_errors(fresh)
    assert fresh.radio(key="ft_base_source").value == "A study's best model"
    assert fresh.radio(key="ft_old_source").value == "Stored dataset"
    assert fresh.selectbox(key="ft_old_stored").value == store.get_study(sid).dataset_id
    assert fresh.selectbox(key="ft_new_sample").value == "drift_after.csv"
