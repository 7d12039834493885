"""The store: schema versions and migrations, deletion, artifacts."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tuning.errors import StoreError
from tuning.store import SCHEMA_VERSION, Store, StudyState, TrialState
from tuning.study import summary_of as _summary

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.db"


def test_store_from_the_first_release_opens_and_keeps_its_studies(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0
    store = Store(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (study,) = store.list_studies()
    assert study.state is StudyState.COMPLETE and study.stop_reason is None
    trials = store.get_trials(study.id)
    assert len(trials) == 3 and all(t.state is TrialState.COMPLETE for t in trials)
    assert trials[0].budget is None and trials[0].model_size is None
    assert _summary(store, study.id)["best_score"] == pytest.approx(0.9556919158166651)
    Store(path)  # opening again is a no-op


def test_newer_schema_is_refused_plainly(tmp_path):
    path = tmp_path / "new.db"
    Store(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    with pytest.raises(StoreError, match="newer release"):
        Store(path)


def test_delete_dataset_takes_its_studies_and_artifacts(store, add_sample):
    ds = add_sample("moons.csv")
    sid = store.create_study(name="s", dataset_id=ds, config={})
    store.finish_study(sid, StudyState.STOPPED, elapsed_s=1.0)
    aid = store.save_artifact(kind="model", name="m.json", content=b"{}", meta={"a": 1}, study_id=sid)
    assert store.load_artifact(aid)[0]["meta"] == {"a": 1}
    assert store.delete_dataset(ds) == [sid]
    assert store.list_studies() == [] and store.list_datasets() == [] and store.list_artifacts() == []
    with pytest.raises(StoreError):
        store.delete_dataset(ds)


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    import sqlite3

    from tuning.errors import StoreError

    path = tmp_path / "optuna.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE studies(study_id INTEGER PRIMARY KEY, study_name TEXT)")
    conn.execute("CREATE TABLE trials(trial_id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a workbench store"):
        Store(path)
    assert path.read_bytes() == before


def test_a_negative_schema_version_is_refused_plainly(tmp_path):
    import sqlite3

    from tuning.errors import StoreError

    path = tmp_path / "odd.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=-3")
    conn.close()
    with pytest.raises(StoreError, match="not a workbench store"):
        Store(path)


def test_a_deleted_dataset_leaves_no_bytes_in_the_file(tmp_path):
    store = Store(tmp_path / "s.db")
    marker = b"x,y\n" + b"".join(b"SECRETROW%05d,1\n" % i for i in range(2000))
    ds = store.add_dataset("secret.csv", marker)
    store.delete_dataset(ds)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db"))
    assert b"SECRETROW00042" not in raw
