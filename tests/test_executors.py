"""Backends: threads, local processes, Dask. The context reaches each worker once; stop crosses processes;
a worker that dies costs at most its trial; bad addresses and a missing dask give plain errors."""

from __future__ import annotations

import pickle
import socket
import sys
import time
from pathlib import Path

import pytest

from tests._executor_fns import make_ctx, trial_fn
from tuning.errors import ConfigError
from tuning.executors import (
    DaskBackend,
    ProcessBackend,
    ThreadBackend,
    WorkerLost,
    _PolledFlag,
    check_address,
    check_cluster,
    make_backend,
)
from tuning.protocol import Candidate, TrialState
from tuning.study import summary_of as _summary


def _wait_for(path: Path, *, limit: float = 60.0) -> None:
    t = time.monotonic()
    while not path.exists():
        assert time.monotonic() - t < limit, f"{path.name} never appeared"
        time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- choosing a backend -----------------------------------------------------------------------------


def test_make_backend_names_the_three_places_and_refuses_others():
    assert isinstance(make_backend("threads", workers=2), ThreadBackend)
    assert isinstance(make_backend("processes", workers=2), ProcessBackend)
    assert isinstance(make_backend("dask", workers=2), DaskBackend)  # connects only on start()
    with pytest.raises(ConfigError, match="Unknown executor 'gpu'"):
        make_backend("gpu", workers=1)


def test_without_dask_the_dask_backend_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ConfigError) as err:
        make_backend("dask", workers=2)
    assert "'distributed'" in str(err.value) and "pip install" in str(err.value)


@pytest.mark.parametrize(
    ("address", "expected"),
    [("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"), ("node-1:8786", "tcp://node-1:8786"), ("tls://h:1/", "tls://h:1")],
)
def test_scheduler_addresses_are_normalised(address, expected):
    assert check_address(address) == expected


@pytest.mark.parametrize(
    ("address", "words"),
    [("http://host:8787/status", "dashboard"), ("host", "not a Dask scheduler address"), ("tcp://h:99999", "not a")],
)
def test_wrong_scheduler_addresses_get_plain_messages(address, words):
    with pytest.raises(ConfigError, match=words):
        check_address(address)


def test_an_unreachable_scheduler_is_a_plain_error_within_the_timeout():
    port = _free_port()  # nothing listens there
    with pytest.raises(ConfigError, match=rf"Cannot reach a Dask scheduler at tcp://127.0.0.1:{port}"):
        check_cluster(f"tcp://127.0.0.1:{port}", timeout=1.0)


def test_remote_stop_flag_is_polled_at_most_once_per_interval():
    calls = []
    flag = _PolledFlag(lambda: calls.append(1) or False, interval=3600)
    assert not any(flag.is_set() for _ in range(1000))
    assert len(calls) == 1  # the first check is immediate, the rest wait for the interval
    answers = iter([False, True])
    flag = _PolledFlag(lambda: next(answers), interval=0)
    assert (flag.is_set(), flag.is_set(), flag.is_set()) == (False, True, True)  # once set, stays set


# -- local processes ----------------------------------------------------------------------------------


def test_processes_get_the_context_once_and_ship_only_the_candidate():
    ctx = make_ctx(2.0)
    backend = ProcessBackend(workers=2)
    backend.start(trial_fn, ctx)
    try:
        outs = [f.result(timeout=60) for f in [backend.submit(Candidate(i, {"x": i, "sleep": 0.05})) for i in range(8)]]
        before = len(pickle.dumps((trial_fn, ctx, Candidate(1, {"x": 1}))))
        after = len(pickle.dumps(backend.payload(Candidate(1, {"x": 1}))))
    finally:
        backend.close()
    assert [o.score for o in outs] == [2.0 * i for i in range(8)]
    assert all(o.note == f"unpickled=1 blob={2 * 2**20}" for o in outs)  # each worker unpickled the context once
    assert 1 <= len({o.worker for o in outs}) <= 2 and all(o.worker.count(":") == 1 for o in outs)  # host:pid
    assert before > 2 * 2**20 and after < 1000


def test_stop_reaches_a_trial_in_another_process(tmp_path):
    backend = ProcessBackend(workers=1)
    backend.start(trial_fn, make_ctx(0.01))
    try:
        started = tmp_path / "started"
        fut = backend.submit(Candidate(0, {"spin": 600, "started": str(started)}))
        queued = backend.submit(Candidate(1, {"x": 1}))
        _wait_for(started)
        backend.request_stop()
        out = fut.result(timeout=60)  # lenient: the flag is polled every 10 ms
    finally:
        backend.close()
    assert out.state is TrialState.STOPPED
    assert queued.cancelled() or queued.result().state in (TrialState.COMPLETE, TrialState.STOPPED)


def test_a_process_that_dies_is_replaced_and_its_trial_retried_once(tmp_path):
    backend = ProcessBackend(workers=2)
    backend.start(trial_fn, make_ctx(0.01))
    try:
        once = backend.submit(Candidate(0, {"x": 1, "die_once": str(tmp_path / "marker")}))
        assert once.result(timeout=60).score == 2.0  # the retry found the marker and finished
        always = backend.submit(Candidate(1, {"die": True}))
        with pytest.raises(WorkerLost, match="died twice"):
            always.result(timeout=60)
        after = backend.submit(Candidate(2, {"x": 3})).result(timeout=60)  # the backend still works
    finally:
        backend.close()
    assert after.score == 6.0 and backend.restarts >= 2


# -- Dask -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        scheduler_kwargs={"allowed_failures": 1},
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def test_dask_scatters_the_context_once_and_records_worker_addresses(dask_client):
    ctx = make_ctx(2.0)
    backend = DaskBackend(workers=2, client=dask_client, study_id=7)
    backend.start(trial_fn, ctx)
    try:
        outs = [f.result(timeout=60) for f in [backend.submit(Candidate(i, {"x": i, "sleep": 0.05})) for i in range(8)]]
        after = len(pickle.dumps(backend.payload(Candidate(1, {"x": 1}))))
        # a promoted candidate's next rung goes back to the worker that keeps its boosters
        rungs = [backend.submit(Candidate(i, {"x": i}, budget=10, rung=1)) for i in (0, 1, 2, 3)]
        rung_workers = [f.result(timeout=60).worker for f in rungs]
    finally:
        backend.close()
    assert [o.score for o in outs] == [2.0 * i for i in range(8)]
    assert all(o.note == f"unpickled=1 blob={2 * 2**20}" for o in outs)
    assert rung_workers == [outs[i].worker for i in (0, 1, 2, 3)]
    addresses = set(dask_client.scheduler_info()["workers"])
    assert {o.worker for o in outs} <= addresses
    assert after < 1000
    assert backend.info is not None and len(backend.info.workers) == 2 and backend.info.threads == 2


def test_dask_stop_reaches_a_running_trial(dask_client, tmp_path):
    backend = DaskBackend(workers=2, client=dask_client)
    backend.start(trial_fn, make_ctx(0.01))
    try:
        started = tmp_path / "started"
        fut = backend.submit(Candidate(0, {"spin": 600, "started": str(started)}))
        _wait_for(started)
        backend.request_stop()
        out = fut.result(timeout=60)  # lenient: the Event is polled every 0.3 s
        late = backend.submit(Candidate(1, {"spin": 600})).result(timeout=60)  # starts after stop: returns at once
    finally:
        backend.close()
    assert out.state is TrialState.STOPPED and late.state is TrialState.STOPPED


@pytest.mark.slow
def test_dask_retries_a_trial_whose_worker_died_then_gives_up_plainly(dask_client, tmp_path):
    backend = DaskBackend(workers=2, client=dask_client)
    backend.start(trial_fn, make_ctx(0.01))
    try:
        ok = backend.submit(Candidate(0, {"x": 1, "sleep": 0.5}))
        once = backend.submit(Candidate(1, {"x": 2, "die_once": str(tmp_path / "marker")}))
        assert once.result(timeout=120).score == 4.0  # run again on a worker that lived
        assert ok.result(timeout=120).score == 2.0  # a finished trial is not lost
        always = backend.submit(Candidate(2, {"die": True}))
        with pytest.raises(WorkerLost, match="died"):
            always.result(timeout=120)
    finally:
        backend.close()


# -- the command line ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
MOONS = ROOT / "sample_data" / "moons.csv"


def _run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from tuning.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _tiny_run(tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--data", str(MOONS), "--target", "label", "--model", "logistic_regression"] + [
        "--strategy", "grid", "--cv", "2", "--db", str(tmp_path / "t.db"), *extra,
    ]  # fmt: skip


def test_cli_without_dask_exits_2_with_one_line_naming_the_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, _, err = _run_cli(_tiny_run(tmp_path, "--executor", "dask"), capsys)
    assert code == 2 and err.count("\n") == 1 and "'distributed'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--executor", "threads", "--scheduler", "tcp://h:8786"], "Add --executor dask"),
        (["--scheduler", "http://h:8787/status"], "dashboard"),
        (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:{port}"], "Cannot reach a Dask scheduler"),
    ],
)
def test_cli_wrong_scheduler_exits_2_with_one_plain_line(tmp_path, capsys, extra, words):
    extra = [e.format(port=_free_port()) for e in extra]
    code, _, err = _run_cli(_tiny_run(tmp_path, *extra), capsys)
    assert code == 2 and err.count("\n") == 1 and words in err


def test_cli_stores_the_executor_so_resume_uses_it_again(tmp_path, capsys):
    from tuning.store import Store

    code, _, _ = _run_cli(_tiny_run(tmp_path, "--executor", "processes", "--workers", "2", "--json"), capsys)
    assert code == 0
    study = Store(tmp_path / "t.db").list_studies()[-1]
    assert (study.raw_config["executor"], study.raw_config["scheduler"]) == ("processes", None)


# -- the timeline's lanes are the recorded workers ------------------------------------------------------


def test_timeline_lanes_are_the_workers_that_ran_the_trials():
    import pandas as pd

    from tuning.charts.timeline import NOT_RECORDED, _get_timeline_info, plot_timeline

    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    spans = [(0, 4), (1, 3), (4, 6), (2, 5), (3, 9), (5, 7)]
    workers = ["tcp://10.0.0.1:4000", "h:12", "tcp://10.0.0.1:4000", "h:12", "h:12", None]
    frame = pd.DataFrame(
        {
            "number": range(6),
            "state": ["complete"] * 5 + ["running"],
            "started": [t0 + pd.Timedelta(seconds=s) for s, _ in spans],
            "finished": [t0 + pd.Timedelta(seconds=e) for _, e in spans[:5]] + [pd.NaT],
            "worker": workers,
        }
    )
    info = _get_timeline_info(frame, now=t0 + pd.Timedelta(seconds=7))
    # h:12 ran #1 and #3 at once (two threads): two lanes; the running trial has no worker yet
    assert info.lane_names == ("10.0.0.1:4000", "h:12 (1)", "h:12 (2)", NOT_RECORDED)
    assert dict(zip(info.numbers.tolist(), info.lanes.tolist())) == {0: 0, 1: 1, 2: 0, 3: 2, 4: 1, 5: 3}
    fig = plot_timeline(frame, now=t0 + pd.Timedelta(seconds=7))
    assert list(fig.layout.yaxis.ticktext) == list(info.lane_names) and fig.layout.yaxis.title.text == "worker"
    # a trial submitted at 0 that waited in a worker's queue: its bar starts when its own 1 s began
    frame["duration_s"] = [4.0, 2.0, 1.0, 3.0, 6.0, None]
    info = _get_timeline_info(frame, now=t0 + pd.Timedelta(seconds=7))
    starts = dict(zip(info.numbers.tolist(), ((info.start - info.start.min()) / 1e9).astype(float).tolist()))
    assert starts[2] == 5.0 and starts[0] == 0.0  # #2 was submitted at 4 s, ran 5-6 s


# -- a real scheduler and worker, started as `dask scheduler` and `dask worker` ---------------------------


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory):
    """`dask scheduler` + `dask worker` (one single-threaded worker) as subprocesses on a free port."""
    pytest.importorskip("distributed")
    import os
    import subprocess

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = tmp_path_factory.mktemp("dask")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + ["--no-dashboard"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"),
        ),
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
            + ["--no-dashboard", "--name", "w1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(logs / "worker.log", "w"),
        ),
    ]  # fmt: skip
    try:
        t = time.monotonic()
        while True:
            try:
                if check_cluster(address, timeout=2.0).workers:
                    break
            except ConfigError:
                pass
            assert time.monotonic() - t < 120, (logs / "worker.log").read_text()[-2000:]
            time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_connect_check_lists_a_real_clusters_workers(real_cluster):
    info = check_cluster(real_cluster)
    assert info.address == real_cluster and len(info.workers) == 1
    (w,) = info.workers
    assert (w.name, w.threads, w.gpus) == ("w1", 1, 0.0) and w.memory_bytes > 0
    assert info.summary().startswith("1 worker, 1 thread, ")


@pytest.mark.parametrize("kind", ["processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_ctrl_c_stops_trials_without_killing_the_workers(kind, tmp_path):
    """The terminal sends SIGINT to the whole process group: workers ignore it, the trial ends as stopped."""
    import os
    import signal
    import subprocess

    started = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests._executor_fns", kind, str(started)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        _wait_for(started, limit=120)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert out.strip().splitlines()[-1:] == ["stopped"], err[-2000:]


# -- GPUs -------------------------------------------------------------------------------------------------


def _info(*workers):
    from tuning.executors import ClusterInfo, WorkerInfo

    return ClusterInfo(
        address="tcp://h:8786",
        dashboard=None,
        workers=tuple(WorkerInfo(f"tcp://h:{i}", str(i), "h", 1, 2**30, g, s) for i, (g, s) in enumerate(workers)),
    )


def test_cuda_studies_need_workers_with_a_usable_gpu():
    from tuning.executors import require_workers

    with pytest.raises(ConfigError, match="has no workers"):
        require_workers(_info())
    require_workers(_info((0, None)))  # a CPU study runs anywhere
    with pytest.raises(ConfigError, match='offers a GPU.*--resources "GPU=1"'):
        require_workers(_info((0, None)), device="cuda")
    with pytest.raises(ConfigError, match="cannot use their GPU: No CUDA"):
        require_workers(_info((1, "No CUDA GPU is visible on this machine.")), device="cuda")
    require_workers(_info((1, "No CUDA GPU is visible."), (1, "CUDA device cuda:0 is usable.")), device="cuda")


def test_cuda_trials_ask_dask_for_one_gpu_and_the_probe_runs_on_the_workers(monkeypatch):
    """No GPU here: in-process workers with a GPU resource and a probe that says yes."""
    distributed = pytest.importorskip("distributed")
    import logging

    import tuning.device
    from tests._executor_fns import task_resources

    monkeypatch.setattr(tuning.device, "cuda_status", lambda: (True, "CUDA device cuda:0 is usable."))
    with (
        distributed.LocalCluster(
            n_workers=1, processes=False, resources={"GPU": 1}, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        backend = DaskBackend(workers=2, client=client, device="cuda")
        backend.start(trial_fn, make_ctx(0.01))
        try:
            futs = [backend.submit(Candidate(i, {"x": i, "sleep": 0.3})) for i in range(2)]
            t = time.monotonic()
            while (
                len(restrictions := {k: r for k, r in client.run_on_scheduler(task_resources).items() if "trial-" in k})
                < 2
            ):
                assert time.monotonic() - t < 30, "the trials never reached the scheduler"
                time.sleep(0.02)
            outs = [f.result(timeout=60) for f in futs]
        finally:
            backend.close()
    assert [o.score for o in outs] == [0.0, 2.0]
    assert list(restrictions.values()) == [{"GPU": 1}, {"GPU": 1}]
    assert backend.info.workers[0].gpu_status == "CUDA device cuda:0 is usable."


# -- end to end: studies run by the runner on each backend ------------------------------------------------

CANCER = ROOT / "sample_data" / "breast_cancer.csv"
XGB_GRID = {
    "n_estimators": {"value": 15},
    "max_depth": {"values": [2, 4]},
    "learning_rate": {"values": [0.1, 0.3]},
}


def _study(store, **overrides):
    from tuning.config import StudyConfig
    from tuning.runner import create_study

    ds = store.add_dataset("breast_cancer.csv", CANCER.read_bytes())
    defaults = {"strategy": "grid", "n_trials": None, "cv": 3, "space": XGB_GRID, "workers": 2, "record_curves": False}
    cfg = StudyConfig(dataset_id=ds, target="diagnosis", model="xgboost", **(defaults | overrides))
    return create_study(store, cfg)[0]


def _run_to_end(store, study_id, timeout=300):
    from tuning.runner import StudyRunner

    runner = StudyRunner(store, study_id).start()
    runner.join(timeout)
    assert not runner.running, "the study did not finish"
    return _summary(store, study_id)


def _scores(store, study_id):
    return {tuple(sorted(t.params.items())): t.score for t in store.get_trials(study_id)}


def _wait_running_trial(store, study_id, limit=120):
    from tuning.store import TrialState

    t = time.monotonic()
    while not store.get_trials(study_id, states=(TrialState.RUNNING,)):
        assert time.monotonic() - t < limit, "no trial started"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_grid_study_on_dask_processes_scores_exactly_as_on_threads(store):
    on_threads = _study(store, executor="threads")
    on_dask = _study(store, executor="dask")
    assert _run_to_end(store, on_threads)["state"] == "complete"
    assert _run_to_end(store, on_dask)["state"] == "complete"
    assert len(_scores(store, on_dask)) == 4 and _scores(store, on_dask) == _scores(store, on_threads)
    assert all(t.worker.startswith("tcp://") for t in store.get_trials(on_dask))  # Dask worker addresses


def test_a_grid_study_on_processes_scores_exactly_as_on_threads_and_records_host_pid(store):
    import os

    on_threads = _study(store, executor="threads")
    on_procs = _study(store, executor="processes")
    assert _run_to_end(store, on_threads)["state"] == "complete"
    assert _run_to_end(store, on_procs)["state"] == "complete"
    assert _scores(store, on_procs) == _scores(store, on_threads)
    pids = {int(t.worker.split(":")[1]) for t in store.get_trials(on_procs)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_stop_during_a_long_xgboost_trial_on_a_process_worker(store):
    from tuning.runner import StudyRunner, resume

    long = {"n_estimators": {"value": 200_000}, "learning_rate": {"value": 0.001}, "max_depth": {"value": 6}}
    study_id = _study(store, executor="processes", workers=1, space=long, strategy="random", n_trials=2)
    runner = StudyRunner(store, study_id).start()
    _wait_running_trial(store, study_id)
    time.sleep(1.0)  # inside the boosting rounds
    runner.stop(wait=True, timeout=60)  # lenient: the flag is polled every round
    assert not runner.running
    summary = _summary(store, study_id)
    assert summary["state"] == "stopped" and summary["n_trials"] == 0  # the cut trial is not kept
    again = resume(store, study_id)
    _wait_running_trial(store, study_id)
    again.stop(wait=True, timeout=60)
    assert not again.running and _summary(store, study_id)["state"] == "stopped"


@pytest.mark.slow
def test_a_worker_closed_mid_study_loses_no_finished_trial(store):
    """A study on a cluster given by address; one of its two workers is closed mid-study."""
    distributed = pytest.importorskip("distributed")
    import logging

    from tuning.runner import StudyRunner
    from tuning.store import TrialState

    space = {
        "n_estimators": {"value": 300},
        "max_depth": {"values": [2, 3, 4, 5]},
        "learning_rate": {"values": [0.05, 0.1]},
    }
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        study_id = _study(store, executor="dask", scheduler=cluster.scheduler_address, space=space)
        runner = StudyRunner(store, study_id).start()
        t = time.monotonic()
        while not (done := store.get_trials(study_id, states=(TrialState.COMPLETE,))):
            assert time.monotonic() - t < 120
            time.sleep(0.05)
        finished_before = {t.number: t.score for t in done}
        victim = next(iter(client.scheduler_info()["workers"]))
        client.retire_workers([victim], close_workers=True)
        runner.join(300)
    assert not runner.running
    summary = _summary(store, study_id)
    assert summary["state"] in ("complete", "failed"), summary
    after = {t.number: t for t in store.get_trials(study_id)}
    assert all(after[n].score == s for n, s in finished_before.items())  # none lost
    assert len(after) == 8 and all(t.state is TrialState.COMPLETE or t.error for t in after.values())


@pytest.mark.slow
def test_cli_runs_a_study_on_a_real_dask_scheduler_and_worker(real_cluster, tmp_path):
    import json
    import os
    import subprocess

    from tuning.store import Store

    db = tmp_path / "t.db"
    proc = subprocess.run(
        [sys.executable, "-m", "tuning", *_tiny_run(tmp_path, "--scheduler", real_cluster, "--json")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["state"] == "complete" and summary["n_complete"] == summary["n_trials"] > 0
    assert f"trials on the Dask cluster at {real_cluster}: 1 worker, 1 thread" in proc.stderr
    workers = {t.worker for t in Store(db).get_trials(summary["study_id"])}
    assert len(workers) == 1 and workers.pop().startswith("tcp://127.0.0.1:")


def test_cli_ctrl_c_stops_a_study_on_process_workers(tmp_path):
    """Ctrl-C reaches the whole process group: the study ends `stopped` (exit 0), workers ignore the signal."""
    import json
    import os
    import signal
    import subprocess

    from tuning.store import Store, TrialState

    space = tmp_path / "long.json"
    space.write_text(json.dumps({"n_estimators": {"value": 200_000}, "learning_rate": {"value": 0.001}}))
    db = tmp_path / "c.db"
    store = Store(db)  # noqa: F841 - created (and migrated) before the CLI opens it
    argv = ["run", "--data", str(CANCER), "--target", "diagnosis", "--model", "xgboost", "--space", str(space)]
    argv += ["--trials", "2", "--cv", "2", "--workers", "1", "--executor", "processes", "--db", str(db), "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuning", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        t = time.monotonic()
        while not (
            db.exists()
            and any(Store(db).get_trials(s.id, states=(TrialState.RUNNING,)) for s in Store(db).list_studies())
        ):
            assert proc.poll() is None and time.monotonic() - t < 120, (
                proc.stderr.read() if proc.poll() is not None else "no trial started"
            )
            time.sleep(0.1)
        time.sleep(1.0)  # inside the boosting rounds
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # lenient: the flag is polled every boosting round
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["state"] == "stopped" and "resume" in err and "Traceback" not in err


def _server(reply: bytes | None):
    """A loopback TCP server that answers every connection with ``reply`` (or never answers), in a thread."""
    import socket as _s
    import threading as _t

    srv = _s.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def serve():
        for _ in range(8):
            try:
                conn, _addr = srv.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                try:
                    conn.sendall(reply)
                except OSError:
                    pass

    _t.Thread(target=serve, daemon=True).start()
    return srv, f"tcp://127.0.0.1:{srv.getsockname()[1]}"


@pytest.mark.parametrize(
    "reply", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None], ids=["a web server", "a silent peer"]
)
def test_the_connect_check_is_bounded_whatever_answers(reply):
    """A port that is not a Dask scheduler (an HTTP server, a peer that never replies): a plain error, never a hang."""
    pytest.importorskip("distributed")
    from tuning.errors import ConfigError
    from tuning.executors import check_cluster

    srv, address = _server(reply)
    try:
        with pytest.raises(ConfigError) as err:
            check_cluster(address, timeout=1.0)
        assert address in str(err.value)
    finally:
        srv.close()
