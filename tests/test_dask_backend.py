"""The README's Dask recipe, followed as written: `dask scheduler` started plainly (it cannot import this
project), `dask worker` started from the checkout with it on PYTHONPATH. Studies run there through the
engine's public API; a worker killed mid-study loses nothing; a worker that cannot import `tuning` is
named by the connect check before any trial is sent."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from tuning.config import StudyConfig  # noqa: E402
from tuning.dask.cluster import _import_probe, preflight  # noqa: E402
from tuning.errors import ConfigError  # noqa: E402
from tuning.runner import run  # noqa: E402
from tuning.store import TrialState  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MOONS = ROOT / "sample_data" / "moons.csv"

pytestmark = [
    pytest.mark.slow,  # each test starts a scheduler and its workers (a few seconds each)
    pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGKILL are POSIX"),
]


def _dask() -> list[str]:
    """The `dask` command of this environment. Its console script does not put the working directory on
    sys.path (`python -m dask` would, hiding what the README must say), so `-P` stands in for it."""
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-P", "-m", "dask"]


def _plain_env() -> dict[str, str]:
    """This environment without the checkout on the path."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` started plainly in an empty folder, and `dask worker`s started as the caller says."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.procs: dict[str, subprocess.Popen] = {}
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], self._dir("s"))

    def _dir(self, name: str) -> Path:
        d = self.tmp / name
        d.mkdir(exist_ok=True)
        return d

    def _start(self, name: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.procs[name] = subprocess.Popen(
            [*_dask(), *args],
            cwd=cwd,
            env=env or _plain_env(),
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / f"{name}.log", "w"),  # noqa: SIM115 - the process writes it until it ends
            start_new_session=True,  # its own process group: a kill takes the nanny and its worker
        )

    def worker(self, name: str, *, from_checkout: bool = True) -> None:
        """As the README says (cd CHECKOUT && PYTHONPATH=$PWD dask worker ...), or from elsewhere without it."""
        args = ["worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name", name]
        args += ["--local-directory", str(self._dir(f"{name}-scratch"))]
        if from_checkout:
            self._start(name, args, ROOT, {**_plain_env(), "PYTHONPATH": str(ROOT)})
        else:
            self._start(name, args, self._dir(name))

    def client(self) -> distributed.Client:
        t = time.monotonic()
        while True:
            try:
                return distributed.Client(self.address, timeout="5s", set_as_default=False)
            except OSError:
                assert self.procs["scheduler"].poll() is None, self.log("scheduler")
                assert time.monotonic() - t < 60, "the scheduler never answered"
                time.sleep(0.3)

    def wait_for(self, client: distributed.Client, n: int) -> dict[str, str]:
        """Wait until ``n`` workers joined; their addresses by name."""
        t = time.monotonic()
        while len(workers := client.scheduler_info(n_workers=-1)["workers"]) < n:
            assert time.monotonic() - t < 120, "\n".join(self.log(k) for k in self.procs)
            time.sleep(0.2)
        return {w["name"]: addr for addr, w in workers.items()}

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def log(self, name: str) -> str:
        return f"--- {name}\n" + (self.tmp / f"{name}.log").read_text()[-3000:]

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.close()


def _config(store, address: str, **overrides) -> StudyConfig:
    ds = store.add_dataset("moons.csv", MOONS.read_bytes())
    base = {"strategy": "random", "n_trials": 6, "cv": 2, "workers": 1, "model": "decision_tree"}
    return StudyConfig(dataset_id=ds, target="label", executor="dask", scheduler=address, **(base | overrides))


def test_a_study_runs_on_a_plain_scheduler_and_workers_started_from_the_checkout(cluster, store):
    cluster.worker("w1")
    with contextlib.closing(cluster.client()) as client:
        cluster.wait_for(client, 1)
        # as in the report: the scheduler cannot import this project (it used to unpickle every trial)
        assert client.run_on_scheduler(_import_probe(("tuning",))) == "cannot import tuning"
        assert preflight("dask", scheduler=cluster.address).summary().startswith("1 worker, 1 thread")
    summary = run(store, _config(store, cluster.address))
    assert (summary["state"], summary["n_trials"], summary["n_complete"]) == ("complete", 6, 6), summary
    trials = store.get_trials(summary["study_id"])
    assert all(t.worker.startswith("tcp://127.0.0.1:") for t in trials)
    assert "deserializ" not in cluster.log("scheduler")


def test_a_worker_killed_mid_study_loses_no_trial(cluster, store):
    from tuning.runner import StudyRunner, create_study

    cluster.worker("w1")
    cluster.worker("w2")
    space = {"n_estimators": {"value": 100}, "max_depth": {"type": "int", "low": 2, "high": 8}}
    cfg = _config(store, cluster.address, model="random_forest", space=space, n_trials=8, cv=3, workers=2)
    with contextlib.closing(cluster.client()) as client:
        victim = cluster.wait_for(client, 2)["w1"]
        study_id = create_study(store, cfg)[0]
        runner = StudyRunner(store, study_id).start()
        t = time.monotonic()
        # once a trial has finished and the victim is in the middle of one (as far as the scheduler knows)
        while not (
            (done := store.get_trials(study_id, states=(TrialState.COMPLETE,)))
            and any(k.startswith("trial-") for k in client.processing([victim]).get(victim, ()))
        ):
            assert runner.running and time.monotonic() - t < 120, "no trial finished / started on the victim"
            time.sleep(0.02)
        finished_before = {t.number: t.score for t in done}
        cluster.kill("w1")  # the nanny and its worker, as a machine that goes away
        runner.join(300)
    assert not runner.running, "the study did not finish"
    trials = {t.number: t for t in store.get_trials(study_id)}
    assert len(trials) == 8 and all(t.state is TrialState.COMPLETE for t in trials.values()), {
        n: (t.state, t.error) for n, t in trials.items()
    }
    assert all(trials[n].score == s for n, s in finished_before.items())  # none lost, none run again
    assert store.get_study(study_id).state.value == "complete"


def test_a_worker_that_cannot_import_tuning_is_named_before_the_study_starts(cluster, store):
    cluster.worker("good")
    cluster.worker("lost", from_checkout=False)  # an empty folder, no PYTHONPATH
    with contextlib.closing(cluster.client()) as client:
        lost = cluster.wait_for(client, 2)["lost"]
    with pytest.raises(ConfigError) as err:
        preflight("dask", scheduler=cluster.address)
    message = str(err.value)
    assert f"{lost}: cannot import tuning" in message and "1 of the 2 workers" in message, message
    assert "PYTHONPATH" in message and "requirements" in message
    # the runner checks again before it sends a trial: the study fails with that message, no trial ran
    summary = run(store, _config(store, cluster.address))
    assert summary["state"] == "failed" and summary["n_trials"] == 0, summary
    assert f"{lost}: cannot import tuning" in (summary.get("error") or ""), summary
