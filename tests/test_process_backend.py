"""Process workers die with the process that started them: after a SIGKILL of the study's process, its worker
processes, the fork server and the resource tracker all exit (before, they lived on, holding the study's data)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CANCER = ROOT / "sample_data" / "breast_cancer.csv"
GONE_WITHIN_S = 20.0  # a bound for liveness, not a speed target: they usually go within a second

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and process trees are POSIX")

#: the child: a process backend of two workers, each in a long trial, then it waits to be killed
BACKEND_CHILD = """
import sys, time
from tests._executor_fns import make_ctx, trial_fn
from tuning.executors import ProcessBackend
from tuning.protocol import Candidate

if __name__ == "__main__":
    backend = ProcessBackend(workers=2)
    backend.start(trial_fn, make_ctx(1.0))
    futures = [backend.submit(Candidate(i, {"sleep": 600, "started": f"{sys.argv[1]}.{i}"})) for i in range(3)]
    time.sleep(600)
"""


def _start_time(pid: int) -> str | None:
    """The process's start time (so that a reused pid is not taken for it), or None when it is gone or a zombie."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            p = psutil.Process(pid)
            return None if p.status() == psutil.STATUS_ZOMBIE else str(p.create_time())
        except psutil.NoSuchProcess:
            return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, ..., starttime is field 22
    return None if fields[0] in ("Z", "X") else fields[19]


def _descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid``, with its start time."""
    try:
        import psutil

        kids = [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except ImportError:
        if not Path("/proc").is_dir():
            pytest.skip("needs psutil or /proc to see a process tree")
        parent: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        kids, frontier = [], [pid]
        while frontier:
            frontier = [c for c, p in parent.items() if p in frontier]
            kids += frontier
    return {k: t for k in kids if (t := _start_time(k)) is not None}


def _alive(procs: dict[int, str]) -> list[int]:
    return [pid for pid, t in procs.items() if _start_time(pid) == t]


def _kill_and_watch(proc: subprocess.Popen, procs: dict[int, str]) -> list[int]:
    """SIGKILL the study's process, reap it, and return what of ``procs`` is still alive after the bound."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    t = time.monotonic()
    while (left := _alive(procs)) and time.monotonic() - t < GONE_WITHIN_S:
        time.sleep(0.1)
    return left


def _leave_nothing(proc: subprocess.Popen, procs: dict[int, str]) -> None:
    """Whatever the outcome, kill what this test started and is still alive."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    for pid in _alive(procs):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _wait(until, what: str, proc: subprocess.Popen, limit: float = 120.0) -> None:
    t = time.monotonic()
    while not until():
        assert proc.poll() is None, f"the child ended before {what}: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() - t < limit, f"never: {what}"
        time.sleep(0.1)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_killed_parent_takes_its_worker_processes_and_fork_server_along(tmp_path):
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-c", BACKEND_CHILD, str(marker)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs: dict[int, str] = {}
    try:
        started = [Path(f"{marker}.{i}") for i in range(2)]
        _wait(lambda: all(p.exists() for p in started), "both workers started a trial", proc)
        workers = {int(p.read_text().rsplit(":", 1)[1]) for p in started}
        procs = _descendants(proc.pid)
        assert workers <= set(procs) and len(procs) >= 3, procs  # two workers, the fork server (and a tracker)
        left = _kill_and_watch(proc, procs)
    finally:
        _leave_nothing(proc, procs)
    assert not left, f"still alive {GONE_WITHIN_S:g} s after their parent was killed: {left}"


def test_killed_cli_study_on_process_workers_leaves_no_process_behind(tmp_path):
    """The case reported: a study run with --executor processes whose process is killed mid-trial."""
    from tuning.store import Store, TrialState

    space = tmp_path / "long.json"
    space.write_text(json.dumps({"n_estimators": {"value": 200_000}, "learning_rate": {"value": 0.001}}))
    db = tmp_path / "k.db"
    Store(db)  # created (and migrated) before the CLI opens it
    argv = ["run", "--data", str(CANCER), "--target", "diagnosis", "--model", "xgboost", "--space", str(space)]
    argv += ["--trials", "2", "--cv", "2", "--workers", "2", "--executor", "processes", "--db", str(db)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuning", *argv],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def running() -> bool:
        return any(len(Store(db).get_trials(s.id, states=(TrialState.RUNNING,))) == 2 for s in Store(db).list_studies())

    procs: dict[int, str] = {}
    try:
        _wait(running, "two trials were running", proc)
        time.sleep(0.5)  # inside the boosting rounds
        procs = _descendants(proc.pid)
        assert len(procs) >= 3, procs  # two workers and the fork server, at least
        left = _kill_and_watch(proc, procs)
    finally:
        _leave_nothing(proc, procs)
    assert not left, f"still alive {GONE_WITHIN_S:g} s after the study's process was killed: {left}"
