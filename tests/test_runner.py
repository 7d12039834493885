from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tuning.config import StudyConfig
from tuning.errors import ConfigError, DataError, StoreError, TuningError
from tuning.runner import StudyRegistry, StudyRunner, create_study, resume, run, start
from tuning.store import Store, StudyState, TrialState
from tuning.study import summary_of as _summary

from .conftest import ROOT, SAMPLES

TREE = {"max_depth": {"type": "int", "low": 1, "high": 12}, "min_samples_leaf": {"type": "int", "low": 1, "high": 20}}


def _wait_for(pred, timeout=120.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_run_with_workers_stores_every_trial(store, add_sample):
    ds = add_sample("moons.csv")
    summary = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="decision_tree",
            strategy="random",
            n_trials=12,
            cv=3,
            space=TREE,
            workers=2,
            seed=1,
        ),
    )
    assert summary["state"] == "complete"
    assert summary["n_trials"] == summary["n_complete"] == 12
    trials = store.get_trials(summary["study_id"])
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE and t.started and t.finished for t in trials)
    assert summary["best_score"] == max(t.score for t in trials)


def test_same_seed_one_worker_same_trials(store, add_sample):
    ds = add_sample("moons.csv")
    cfg = StudyConfig(
        dataset_id=ds, target="label", model="decision_tree", strategy="tpe", n_trials=6, cv=3, space=TREE, seed=5
    )
    a, b = run(store, cfg), run(store, cfg)
    ta = [(t.params, t.score) for t in store.get_trials(a["study_id"])]
    tb = [(t.params, t.score) for t in store.get_trials(b["study_id"])]
    assert ta == tb


def test_failing_candidates_become_failed_trials_and_the_search_goes_on(store, add_sample):
    ds = add_sample("moons.csv")
    space = {"max_depth": {"values": [2, -1, 4]}}  # -1 is invalid for scikit-learn
    summary = run(
        store,
        StudyConfig(
            dataset_id=ds, target="label", model="decision_tree", strategy="grid", n_trials=None, cv=3, space=space
        ),
    )
    assert summary["state"] == "complete"
    assert summary["n_complete"] == 2 and summary["n_failed"] == 1
    failed = [t for t in store.get_trials(summary["study_id"]) if t.state is TrialState.FAILED][0]
    assert "max_depth" in failed.error


def test_all_trials_failing_fails_the_study_with_the_message(store, add_sample):
    ds = add_sample("moons.csv")
    summary = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="decision_tree",
            strategy="grid",
            n_trials=None,
            cv=3,
            space={"max_depth": {"values": [-1, -2]}},
        ),
    )
    assert summary["state"] == "failed"
    assert "Every trial failed" in summary["error"] and "max_depth" in summary["error"]


def test_patience_and_target_score_budgets(store, add_sample):
    ds = add_sample("moons.csv")
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="decision_tree",
            strategy="random",
            n_trials=200,
            cv=3,
            space=TREE,
            patience=3,
        ),
    )
    assert s["state"] == "complete" and s["n_trials"] < 200
    trials = store.get_trials(s["study_id"])
    best_at = max(range(len(trials)), key=lambda i: (trials[i].score, -i))
    assert len(trials) - 1 - best_at == 3  # stopped exactly 3 trials after the last improvement
    s2 = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="decision_tree",
            strategy="random",
            n_trials=200,
            cv=3,
            space=TREE,
            target_score=0.5,
        ),
    )
    assert s2["n_trials"] == 1  # the first trial already beats 0.5


def test_timeout_budget(store, add_sample):
    ds = add_sample("moons.csv")
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="decision_tree",
            strategy="random",
            n_trials=None,
            timeout=1.0,
            cv=3,
            space=TREE,
        ),
    )
    assert s["state"] == "complete" and s["n_trials"] >= 1


def test_held_out_test_score(store, add_sample):
    ds = add_sample("breast_cancer.csv")
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="diagnosis",
            model="logistic_regression",
            strategy="random",
            n_trials=3,
            cv=3,
            test_size=0.25,
        ),
    )
    assert s["test_score"] is not None and 0.5 < s["test_score"] <= 1.0


def test_stop_during_a_long_xgboost_trial_is_prompt_and_keeps_finished_trials(store, add_sample):
    ds = add_sample("breast_cancer.csv")
    # The third grid point takes minutes (2 million rounds); the first two finish quickly.
    space = {"n_estimators": {"values": [5, 10, 2_000_000]}, "max_depth": {"value": 3}}
    runner = start(
        store,
        StudyConfig(
            dataset_id=ds,
            target="diagnosis",
            model="xgboost",
            strategy="grid",
            n_trials=None,
            cv=2,
            space=space,
            record_curves=False,
        ),
    )
    sid = runner.study_id
    assert _wait_for(lambda: store.trial_counts(sid).get("complete", 0) == 2 and store.trial_counts(sid).get("running"))
    time.sleep(1.0)  # well inside the long fit
    t0 = time.monotonic()
    runner.stop(wait=True, timeout=60)
    latency = time.monotonic() - t0
    print(f"stop latency {latency:.3f}s")
    assert not runner.running
    study = store.get_study(sid)
    assert study.state is StudyState.STOPPED
    trials = store.get_trials(sid)
    assert [t.params["n_estimators"] for t in trials] == [5, 10]  # the aborted one is not kept
    assert all(t.state is TrialState.COMPLETE for t in trials)
    # The long trial would need minutes; the stop came back in a small fraction of that.
    assert latency < 30


def test_resume_continues_a_stopped_study_to_its_budget(store, add_sample):
    ds = add_sample("moons.csv")
    runner = start(
        store,
        StudyConfig(
            dataset_id=ds, target="label", model="decision_tree", strategy="tpe", n_trials=15, cv=3, space=TREE
        ),
    )
    assert _wait_for(lambda: store.trial_counts(runner.study_id).get("complete", 0) >= 3)
    runner.stop()
    done = {t.number: t.score for t in store.get_trials(runner.study_id)}
    assert store.get_study(runner.study_id).state is StudyState.STOPPED and len(done) < 15
    again = resume(store, runner.study_id)
    again.join(120)
    s = _summary(store, runner.study_id)
    assert s["state"] == "complete" and s["n_trials"] == 15
    after = {t.number: t.score for t in store.get_trials(runner.study_id)}
    assert all(after[n] == sc for n, sc in done.items())


def test_sigkill_loses_no_finished_trial_and_resume_completes(tmp_path):
    db = tmp_path / "k.db"
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"n_estimators": {"value": 150}, "max_depth": {"type": "int", "low": 2, "high": 6}}))
    cmd = [
        sys.executable,
        "-m",
        "tuning",
        "run",
        "--data",
        str(SAMPLES / "breast_cancer.csv"),
        "--target",
        "diagnosis",
        "--model",
        "xgboost",
        "--strategy",
        "random",
        "--trials",
        "20",
        "--cv",
        "3",
        "--space",
        str(space),
        "--db",
        str(db),
        "--json",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        assert _wait_for(lambda: db.exists() and _count(db) >= 3, timeout=180)
        before = {t.number: t.score for t in Store(db).get_trials(1, states=(TrialState.COMPLETE,))}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = Store(db)  # opening the store recovers studies whose process is gone
    assert store.get_study(1).state is StudyState.INTERRUPTED
    kept = {t.number: t.score for t in store.get_trials(1)}
    assert all(kept[n] == s for n, s in before.items())
    assert not any(t.state is TrialState.RUNNING for t in store.get_trials(1))
    out = subprocess.run(
        [sys.executable, "-m", "tuning", "resume", "1", "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["state"] == "complete" and summary["n_trials"] == 20


def _count(db) -> int:
    try:
        return Store(db).trial_counts(1).get("complete", 0)
    except Exception:
        return 0


def test_bad_configs_raise_before_anything_runs(store, add_sample):
    ds = add_sample("moons.csv")
    base = dict(dataset_id=ds, target="label", model="decision_tree")
    cases = [
        (dict(model="lasso"), ConfigError, "does not support classification"),
        (dict(model="boosted_unicorn"), ConfigError, "Unknown model"),
        (dict(metric="r2"), ConfigError, "regression metric"),
        (dict(metric="roc_aucc"), ConfigError, "Unknown metric"),
        (dict(strategy="bayes"), ConfigError, "Unknown strategy"),
        (dict(n_trials=0), ConfigError, "at least 1"),
        (dict(cv=1), ConfigError, "at least 2 folds"),
        (dict(test_size=0.95), ConfigError, "between 0 and 0.9"),
        (dict(device="tpu"), ConfigError, "Unknown device"),
        (dict(device="cuda"), ConfigError, "CPU only"),
        (dict(space={"max_dept": {"values": [1]}}), Exception, "'max_dept'"),
        (dict(target="nope"), DataError, "not in the table"),
        (dict(early_stopping_rounds=5), ConfigError, "no early stopping"),
        (dict(model="svm", metric="neg_log_loss"), ConfigError, "probabilities"),
    ]
    for change, exc, words in cases:
        with pytest.raises(exc) as err:
            create_study(store, StudyConfig(**{**base, **change}))
        assert words in str(err.value), change
    assert store.list_studies() == []


def test_class_smaller_than_folds_is_reported(store):
    ds = store.add_dataset(
        "tiny.csv", b"x,y\n" + b"".join(f"{i % 7},{'a' if i < 20 else 'b'}\n".encode() for i in range(22))
    )
    with pytest.raises(DataError, match="Class 'b' has only 2 row"):
        create_study(store, StudyConfig(dataset_id=ds, target="y", model="decision_tree", cv=5))


def test_unknown_study_and_dataset(store):
    with pytest.raises(StoreError, match="no study 42"):
        store.get_study(42)
    with pytest.raises(StoreError, match="Upload it again"):
        store.dataset_content("deadbeef")


def test_registry_finds_and_stops_a_running_study(store, add_sample):
    ds = add_sample("moons.csv")
    reg = StudyRegistry()
    runner = start(
        store,
        StudyConfig(
            dataset_id=ds, target="label", model="decision_tree", strategy="random", n_trials=10_000, cv=3, space=TREE
        ),
    )
    reg.add(runner)
    assert reg.get(store, runner.study_id) is runner
    assert reg.stop(store, runner.study_id)
    assert reg.get(store, runner.study_id) is None
    assert store.get_study(runner.study_id).state is StudyState.STOPPED


def test_two_studies_at_once_share_a_store(store, add_sample):
    ds = add_sample("moons.csv")
    cfg = StudyConfig(
        dataset_id=ds, target="label", model="decision_tree", strategy="random", n_trials=8, cv=3, space=TREE
    )
    a, b = start(store, cfg), start(store, cfg.replace(seed=3))
    a.join(120)
    b.join(120)
    assert _summary(store, a.study_id)["n_complete"] == 8 and _summary(store, b.study_id)["n_complete"] == 8


def test_store_recover_leaves_live_studies_alone(store, add_sample):
    """A live runner on this host is trusted by its pid even when its heartbeat looks old (loading data,
    refitting the best model): another Store() must not mark it interrupted (issue 8, item 4)."""
    ds = add_sample("moons.csv")
    sid = create_study(
        store, StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=3, cv=3, space=TREE)
    )[0]
    assert store.get_study(sid).state is StudyState.STOPPED  # created, not yet started
    runner = StudyRunner(store, sid)
    store.claim_study(sid, "someone-else")
    with store._conn() as conn:
        conn.execute("UPDATE studies SET heartbeat=0 WHERE id=?", (sid,))
    assert Store(store.path).recover() == []  # this process is alive
    assert store.get_study(sid).state is StudyState.RUNNING
    with pytest.raises(TuningError, match="already running"):
        runner.start()


def test_two_resumes_of_one_study_exactly_one_wins(store, add_sample):
    """Claiming is atomic (issue 8, item 3): of concurrent resumes, one runs and the others are refused."""
    import threading

    ds = add_sample("moons.csv")
    sid = create_study(
        store, StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=6, cv=3, space=TREE)
    )[0]
    barrier = threading.Barrier(4)
    won, refused = [], []

    def go() -> None:
        s = Store(store.path)
        barrier.wait()
        try:
            won.append(resume(s, sid))
        except TuningError:
            refused.append(1)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 3
    won[0].join(120)
    s = _summary(store, sid)
    assert s["state"] == "complete" and s["n_trials"] == 6
    assert [t.number for t in store.get_trials(sid)] == list(range(6))


def test_a_superseded_runner_stops_writing(store, add_sample):
    ds = add_sample("moons.csv")
    sid = create_study(
        store, StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=3, cv=3, space=TREE)
    )[0]
    store.claim_study(sid, "token-a")
    store.mark_interrupted(sid)
    store.claim_study(sid, "token-b")  # a second run took it over
    with pytest.raises(StoreError, match="taken over"):
        store.new_trial(sid, {"max_depth": 2}, token="token-a")
    assert store.new_trial(sid, {"max_depth": 2}, token="token-b") == 0


def test_any_executor_plugs_in_even_a_process_pool(store, add_sample):
    """Trials travel to other processes (as they would to Dask's Client.get_executor()): the evaluation
    context and results pickle, and the store is written only by the study's own thread."""
    from concurrent.futures import ProcessPoolExecutor

    ds = add_sample("moons.csv")
    with ProcessPoolExecutor(max_workers=2) as pool:
        runner = start(
            store,
            StudyConfig(
                dataset_id=ds,
                target="label",
                model="decision_tree",
                strategy="random",
                n_trials=4,
                cv=3,
                space=TREE,
                workers=2,
            ),
            executor=pool,
        )
        runner.join(180)
    s = _summary(store, runner.study_id)
    assert s["state"] == "complete" and s["n_complete"] == 4
    assert {t.worker for t in store.get_trials(runner.study_id)} != {None}


XGB_SPACE = {  # every candidate has a rung below its full budget (the first rung is at learning_rate x rounds 9)
    "n_estimators": {"value": 60},
    "max_depth": {"type": "int", "low": 2, "high": 5},
    "learning_rate": {"type": "float", "low": 0.2, "high": 0.5, "log": True},
}


def test_a_pruned_study_stores_budgets_rungs_and_why(store, add_sample):
    ds = add_sample("breast_cancer.csv")
    cfg = StudyConfig(
        dataset_id=ds,
        target="diagnosis",
        model="xgboost",
        strategy="random",
        n_trials=12,
        cv=3,
        space=XGB_SPACE,
        pruner="asha",
        record_curves=False,
        workers=2,
    )
    summary = run(store, cfg)
    assert summary["state"] == "complete" and summary["n_trials"] == 12 and summary["n_pruned"] >= 1
    trials = store.get_trials(summary["study_id"])
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert complete and pruned
    for t in pruned:
        assert t.budget < 60 and t.rung is not None and t.note.startswith("cut at rung")
        assert [r for r, _, _ in t.rungs] == list(range(t.rungs[0][0], t.rung + 1))
    for t in complete:
        assert t.budget == 60 and t.rungs[-1][1] == 60
    assert summary["best_score"] == max(t.score for t in complete)


def test_stopped_mid_rung_keeps_finished_rungs_and_resume_continues(store, add_sample):
    ds = add_sample("breast_cancer.csv")
    space = {**XGB_SPACE, "n_estimators": {"value": 3000}, "learning_rate": {"value": 0.01}}
    cfg = StudyConfig(
        dataset_id=ds,
        target="diagnosis",
        model="xgboost",
        strategy="random",
        n_trials=3,
        cv=2,
        space=space,
        pruner="asha",
        record_curves=False,
    )
    runner = start(store, cfg)
    sid = runner.study_id
    # rung 0 is 900 rounds (progress 9 at lr 0.01); wait until a candidate is promoted and boosting rung 1
    assert _wait_for(lambda: any(t.rungs for t in store.get_trials(sid, states=(TrialState.RUNNING,))))
    runner.stop(wait=True, timeout=60)
    (paused,) = store.get_trials(sid, states=(TrialState.PAUSED,))
    assert store.get_study(sid).state is StudyState.STOPPED and paused.rungs[0][:2] == (0, 900)
    space_small = {**space, "n_estimators": {"value": 1200}}  # the same study, finished quickly this time
    with store._conn() as conn:
        conn.execute(
            "UPDATE studies SET config=json_set(config, '$.space', json(?)) WHERE id=?", (json.dumps(space_small), sid)
        )
        conn.execute("UPDATE trials SET params=json_set(params, '$.n_estimators', 1200) WHERE study_id=?", (sid,))
    resume(store, sid).join(300)
    again = store.get_trial(sid, paused.number)
    assert again.state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert again.rungs[0][:2] == (0, 900) and len(again.rungs) >= 2  # the finished rung was kept
    assert _summary(store, sid)["state"] == "complete"


def test_a_failure_while_recording_the_end_is_retried(store, add_sample, monkeypatch):
    """Recording the final state is retried (a busy or full disk): the study does not stay 'running'."""
    import sqlite3

    ds = add_sample("moons.csv")
    calls = {"n": 0}
    real = Store.finish_study

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "finish_study", flaky)
    cfg = StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=3, cv=3, space=TREE)
    runner = start(store, cfg)
    runner.join(120)
    assert calls["n"] == 3 and store.get_study(runner.study_id).state is StudyState.COMPLETE


def test_a_study_whose_end_cannot_be_recorded_is_never_stranded(store, add_sample, monkeypatch, capsys):
    """When the end can never be written, the runner still finishes, the CLI exits non-zero, and the app
    (same process, no live runner) recovers the study as interrupted, resumable (issue 8, item 5)."""
    import sqlite3

    from tuning.cli.studies import Progress, run_study

    ds = add_sample("moons.csv")

    def broken(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    cfg = StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=2, cv=3, space=TREE)
    with monkeypatch.context() as m:
        m.setattr(Store, "finish_study", broken)
        m.setattr("tuning.runner.time.sleep", lambda s: None)
        runner = start(store, cfg)
        assert runner.finished.wait(120)
        assert runner.state is StudyState.FAILED and "could not be recorded" in runner.error
        # the summary still says 'running': not a success
        assert run_study(store, runner, True, Progress(2, "accuracy")) == 1
    sid = runner.study_id
    assert store.get_study(sid).state is StudyState.RUNNING and store.runs_here(sid)
    assert store.mark_interrupted(sid)
    resume(store, sid).join(120)
    assert _summary(store, sid)["state"] == "complete"


def test_a_cheap_start_runs_the_cheapest_corner_first(store, add_sample):
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.trainers import trainer_for

    space = {
        "n_estimators": {"type": "int", "low": 20, "high": 300},
        "max_depth": {"type": "int", "low": 2, "high": 8},
        "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
        "booster": {"values": ["gbtree", "dart"]},
    }
    ds = add_sample("moons.csv")
    cfg = StudyConfig(
        dataset_id=ds,
        target="label",
        model="xgboost",
        strategy="random",
        n_trials=3,
        cv=3,
        space=space,
        cheap_start=True,
    )
    sid = run(store, cfg)["study_id"]
    first = store.get_trials(sid)[0].params
    assert (first["n_estimators"], first["max_depth"], first["booster"]) == (20, 2, "gbtree")
    assert abs(first["learning_rate"] - (0.01 * 0.3) ** 0.5) < 1e-9  # the log range's centre
    assert len({str(t.params) for t in store.get_trials(sid)}) == 3
    knn = trainer_for("knn").cheap_start(None)  # families without a cost parameter: no cheap start
    assert knn is None
