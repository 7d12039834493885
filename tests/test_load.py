"""Load: three studies on one store at once, ten readers polling it, two app sessions watching.

Not timed: it checks that every study completes its budget, that no reader or writer ever sees
"database is locked", and that no trial is lost or numbered twice.
"""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from tuning.config import StudyConfig
from tuning.runner import start
from tuning.store import Store
from tuning.study import summary_of as _summary

from .conftest import ROOT, SAMPLES

APP = str(ROOT / "app.py")
CONFIGS = [
    dict(model="knn", strategy="random", n_trials=12, workers=2),
    dict(model="decision_tree", strategy="tpe", n_trials=12, workers=2),
    dict(model="logistic_regression", strategy="anneal", n_trials=10, workers=1),
]


def _reader(path, shared, stop, errors, polls, i):
    store = shared if i % 2 else Store(path)  # half share one Store, half open their own connection
    while not stop.is_set():
        try:
            for s in store.list_studies():
                store.get_trials(s.id)
                _summary(store, s.id)
            polls[i] += 1
        except Exception as exc:  # noqa: BLE001 - everything a reader meets is the finding
            errors.append(f"reader {i}: {type(exc).__name__}: {exc}")
        time.sleep(0.005)


def _watch(path, ds, sid):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["dataset"] = ds
    at.query_params["target"] = "label"
    at.query_params["study"] = str(sid)
    at.run()
    at.switch_page("app_pages/search.py").run()
    return at


@pytest.mark.slow
def test_three_studies_ten_readers_two_app_sessions(tmp_path, monkeypatch):
    path = tmp_path / "load.db"
    monkeypatch.setenv("TUNING_DB", str(path))
    import ui.state

    ui.state._store.clear()
    store = Store(path)
    ds = store.add_dataset("moons.csv", (SAMPLES / "moons.csv").read_bytes())
    runners = [
        start(store, StudyConfig(dataset_id=ds, target="label", cv=3, seed=i, name=f"load {i}", **cfg))
        for i, cfg in enumerate(CONFIGS)
    ]
    stop, errors, polls = threading.Event(), [], [0] * 10
    readers = [
        threading.Thread(target=_reader, args=(path, store, stop, errors, polls, i), daemon=True) for i in range(10)
    ]
    for r in readers:
        r.start()
    sessions = [_watch(path, ds, runners[0].study_id), _watch(path, ds, runners[1].study_id)]
    try:
        while any(r.running for r in runners):
            for at in sessions:
                at.run()
                assert not at.exception, [e.value for e in at.exception]
                errors.extend(f"page: {e.value}" for e in at.error)
        for r in runners:
            r.join(600)  # a guard against a hang, not a timing
    finally:
        stop.set()
        for r in readers:
            r.join(10)
    for at, r in zip(sessions, runners):
        at.run()
        assert not at.exception
        shown = {m.label: m.value for m in at.metric}
        assert shown.get("Complete") == str(_summary(store, r.study_id)["n_complete"]), shown
    assert not errors, errors[:5]
    assert min(polls) > 0
    for r, cfg in zip(runners, CONFIGS):
        summary = _summary(store, r.study_id)
        assert summary["state"] == "complete", summary
        assert "locked" not in str(summary.get("error") or "")
        trials = store.get_trials(r.study_id)
        numbers = sorted(t.number for t in trials)
        assert numbers == list(range(numbers[0], numbers[0] + cfg["n_trials"]))  # none lost, none twice
        assert all(t.state.value in ("complete", "failed") for t in trials)
        assert not any("locked" in (t.error or "") for t in trials)
        assert summary["n_trials"] == cfg["n_trials"]
