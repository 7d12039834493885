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
    app.button(key="ft_run").click().run()
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
    assert any("No study" in i.value for i in app.info)
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
    app.button(key="ft_run").click().run()
    _no_errors(app)
    app.get_by_key("ft_curves")
    table = app.dataframe[-1].value
    assert "continue (lr 0.01)" in set(table["arm"])  # 0.1x the learning rate given for the file
    # new data with a missing column: a plain message, the last result is cleared, nothing crashes
    app.radio(key="ft_new_source").set_value("Upload").run()
    bad = (SAMPLES / "drift_after.csv").read_text().replace("f3,", "g3,", 1).encode()
    app.file_uploader(key="ft_new_upload").set_value(("after.csv", bad, "text/csv")).run()
    app.button(key="ft_run").click().run()
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
    app.button(key="ft_run").click().run()
    _no_errors(app)
    arms = set(app.dataframe[-1].value["arm"])
    assert arms == {"base", "continue (warm start)", "retrain (new)", "retrain (old + new)"}
    with pytest.raises(KeyError):
        app.get_by_key("ft_save_arm")  # nothing to save as XGBoost JSON for a forest
