"""Picklable trial functions and a tiny context for the executor tests (workers import this module)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tuning.protocol import Candidate, TrialOutcome, TrialState, worker_name

#: How many times this process has unpickled a context (the backends must do it once per worker).
UNPICKLED = 0


def _rebuild(blob: bytes, scale: float) -> TinyCtx:
    global UNPICKLED
    UNPICKLED += 1
    return TinyCtx(blob, scale)


class TinyCtx:
    """Stands in for the study's evaluation context: a few MB of data and a number."""

    def __init__(self, blob: bytes, scale: float = 2.0) -> None:
        self.blob, self.scale, self.device = blob, scale, "cpu"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.blob, self.scale))


def make_ctx(mb: float = 2.0) -> TinyCtx:
    return TinyCtx(os.urandom(int(mb * 2**20)))


def trial_fn(ctx: TinyCtx, candidate: Candidate, stop: Any) -> TrialOutcome:
    """params: x (the score is x * scale), sleep (s), spin (s, polling stop), started (a file to touch),
    die_once (a marker file: exit the process unless it exists), die (always exit the process)."""
    p = candidate.params
    t0 = time.perf_counter()
    if p.get("started"):
        Path(p["started"]).write_text(worker_name())
    if p.get("die"):
        os._exit(3)
    if p.get("die_once"):
        marker = Path(p["die_once"])
        if not marker.exists():
            marker.write_text("died")
            os._exit(3)
    if p.get("sleep"):
        time.sleep(p["sleep"])
    if p.get("spin"):
        end = time.monotonic() + p["spin"]
        while time.monotonic() < end:
            if stop.is_set():
                return TrialOutcome(TrialState.STOPPED, p, duration_s=time.perf_counter() - t0, worker=worker_name())
            time.sleep(0.01)
    return TrialOutcome(
        TrialState.COMPLETE,
        p,
        score=float(p.get("x", 0.0)) * ctx.scale,
        duration_s=time.perf_counter() - t0,
        worker=worker_name(),
        note=f"unpickled={UNPICKLED} blob={len(ctx.blob)}",
    )


def ctrl_c_demo(kind: str, started: str) -> None:
    """Run a long trial on ``kind``; on Ctrl-C (KeyboardInterrupt here) ask the backend to stop, print
    the trial's state: the workers must ignore the terminal's SIGINT and end the trial through the flag."""
    from tuning.executors import make_backend

    backend = make_backend(kind, workers=1)
    backend.start(trial_fn, make_ctx(0.01))
    fut = backend.submit(Candidate(0, {"spin": 120, "started": started}))
    try:
        print(fut.result().state.value, flush=True)
    except KeyboardInterrupt:
        backend.request_stop()
        print(fut.result(timeout=60).state.value, flush=True)
    finally:
        backend.close()


def task_resources(dask_scheduler: Any = None) -> dict[str, Any]:
    """Runs on a Dask scheduler: the resource restrictions of the tasks it knows."""
    assert dask_scheduler is not None
    return {str(k): ts.resource_restrictions for k, ts in dask_scheduler.tasks.items()}


if __name__ == "__main__":
    import sys

    ctrl_c_demo(sys.argv[1], sys.argv[2])
