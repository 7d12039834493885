"""The first study a person runs is worth reading (issue 19): a 20-trial TPE + early-cut XGBoost study on
a real 6,000-row table (the bundled hotel_rates sample) ends with at least 8 complete trials and held-out
test rows, and every Results section shows content or one clear message."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tuning.ladder import MIN_COMPLETE

from .conftest import ROOT, SAMPLES

APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def first_study(tmp_path_factory):
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.store import Store

    db = tmp_path_factory.mktemp("first_study") / "first.db"
    store = Store(db)
    ds = store.add_dataset("hotel_rates.csv", (SAMPLES / "hotel_rates.csv").read_bytes())
    config = StudyConfig(
        dataset_id=ds, target="avg_price_per_room", model="xgboost", strategy="tpe", n_trials=20, cv=3,
        pruner="asha", workers=2,
    )  # fmt: skip
    return db, run(store, config)


def test_early_cut_leaves_enough_complete_trials_and_held_out_rows(first_study):
    _, out = first_study
    assert out["state"] == "complete" and out["n_trials"] == 20
    assert out["n_complete"] >= MIN_COMPLETE and out["n_pruned"] >= 1  # the cut worked and left enough
    assert out["test_score"] is not None  # 6,000 rows: 20 % held out by default


def test_every_results_section_shows_content_or_one_message(first_study, monkeypatch):
    db, out = first_study
    monkeypatch.setenv("TUNING_DB", str(db))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["study"] = str(out["study_id"])
    app.run()
    app.switch_page("app_pages/results.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    texts = [str(e.value) for kind in ("warning", "info", "caption", "markdown") for e in getattr(app, kind)]
    joined = "\n".join(texts)
    assert "Held-out test" in " ".join(str(m.label) for m in app.metric)
    assert next(m for m in app.metric if m.label == "Held-out test").value != "-"
    # importance: a chart, and at most one message about how many trials it read
    assert sum("complete trial" in t and "importance" in t.lower() for t in texts) <= 1
    assert not any("No complete trials yet" in t for t in texts)
    assert any(t.startswith("**Question:**") for t in texts)  # the importance chart's question, not a refusal
    assert len(app.get("plotly_chart")) >= 4  # history, parameters, overfitting, trade-offs...
    # the one-standard-error choice and the diagnosis have something to say
    assert "within one standard error" in joined
    assert any(t.startswith("**") for t in texts)  # the diagnosis' findings
