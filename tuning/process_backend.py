"""Trials in worker processes of this machine (forkserver where it exists), which end with the study's process."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tuning.backend import Backend, StopFlag, TrialFn, WorkerLost, _no_sigint
from tuning.protocol import Candidate, TrialOutcome, TrialState, worker_name

log = logging.getLogger(__name__)


# -- local processes --------------------------------------------------------------------------------

#: Each worker process holds one study's (trial function, context, stop flag), set once by the initializer.
_PROCESS_STATE: tuple[TrialFn, Any, StopFlag] | None = None
#: How a worker process ends itself when the process that started it is gone (any code but 0 or 1 would do).
_ORPHAN_EXIT = 75


def _process_init(fn: TrialFn, ctx: Any, stop: StopFlag, lifeline: Any = None) -> None:
    """Runs once in each worker process: keep the context, ignore Ctrl-C (the parent turns it into a stop),
    and end this process when the parent dies (``_watch_lifeline``)."""
    global _PROCESS_STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if lifeline is not None:
        _watch_lifeline(lifeline)
    _PROCESS_STATE = (fn, ctx, stop)


def _watch_lifeline(lifeline: Any) -> None:
    """End this worker as soon as the study's process is gone, even in the middle of a trial.

    ``lifeline`` is the read end of a pipe whose only write end the study's process holds and never
    writes to: the kernel closes it when that process dies in any way (SIGKILL and out-of-memory
    included), and then the read end is at end-of-file. Neither the parent's pid nor ``getppid()``
    would do: with forkserver a worker's parent is the fork server, which lives as long as any
    worker does (each holds its "alive" pipe), so before this, both outlived a killed app, holding
    the study's data. Once the workers are gone the fork server and the resource tracker see their
    pipes close and exit too."""

    def watch() -> None:
        try:
            lifeline.poll(None)  # nothing is ever sent: this returns at end-of-file
        except (OSError, EOFError):
            pass
        os._exit(_ORPHAN_EXIT)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _process_trial(candidate: Candidate) -> TrialOutcome:
    assert _PROCESS_STATE is not None, "worker process not initialised"
    fn, ctx, stop = _PROCESS_STATE
    out = fn(ctx, candidate, stop)
    return out if out.worker else out.with_(worker=worker_name())


def _warm() -> None:
    """A no-op task: submitting one starts a worker process (which runs the initializer)."""


def _mp_context() -> multiprocessing.context.BaseContext:
    """forkserver where it exists: fork is unsafe in a process with threads (Streamlit, the runner,
    OpenMP pools of XGBoost); spawn would import everything again for every worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # The server imports the engine once and every worker forks from it; this also hands it sys.path.
        ctx.set_forkserver_preload(["tuning.evaluate", "tuning.process_backend"])
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessBackend(Backend):
    """Trials in worker processes of this machine (a ``ProcessPoolExecutor``).

    The context reaches each worker once, through the pool's initializer; a submit ships only the
    candidate. The stop flag is a ``multiprocessing.Event`` (shared memory: cheap to poll). A worker
    that dies breaks the pool: a fresh pool takes over and the trials that were in the broken one run
    once more; a trial that breaks a pool twice raises ``WorkerLost`` (while the study is stopping,
    such trials come back STOPPED). Workers start with Ctrl-C blocked.
    """

    name = "processes"

    def __init__(self, *, workers: int) -> None:
        super().__init__(workers=workers)
        self._mp = _mp_context()
        self._stop = self._mp.Event()
        self._lifeline: Any = None  # (read end, write end), see _watch_lifeline
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._fn: TrialFn | None = None
        self._ctx: Any = None
        self.restarts = 0

    def start(self, fn: TrialFn, ctx: Any) -> None:
        self._fn, self._ctx = fn, ctx
        # the workers watch the read end; the write end stays here, never written to, until close() or our death
        self._lifeline = self._mp.Pipe(duplex=False)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """A pool whose worker processes are all started now, with Ctrl-C blocked (see ``_no_sigint``)."""
        assert self._fn is not None, "start() first"
        init: Callable[..., None] = _process_init  # typeshed's initializer takes no arguments
        with _no_sigint():
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._mp,
                initializer=init,
                initargs=(self._fn, self._ctx, self._stop, self._lifeline[0]),  # type: ignore[arg-type]
            )
            for _ in range(self.workers):  # each submit with no idle worker starts one process
                pool.submit(_warm)
        return pool

    def payload(self, candidate: Candidate) -> tuple[Any, ...]:
        """What one submit sends to a worker (for measuring bytes per trial)."""
        return (_process_trial, candidate)

    def submit(self, candidate: Candidate) -> Future[TrialOutcome]:
        assert self._fn is not None, "start() first"
        out: Future[TrialOutcome] = Future()
        self._send(candidate, out, attempt=1)
        return out

    def _send(self, candidate: Candidate, out: Future[TrialOutcome], *, attempt: int) -> None:
        with self._lock:
            pool = self._pool
            if pool is None:
                out.cancel()
                out.set_running_or_notify_cancel()
                return
            try:
                inner = pool.submit(_process_trial, candidate)
            except (BrokenProcessPool, OSError):  # a dead worker, or a process that could not start
                try:
                    pool = self._replace_locked(pool)
                    inner = pool.submit(_process_trial, candidate)
                except (BrokenProcessPool, OSError) as exc:
                    self._finish(out, candidate, WorkerLost(f"Could not start a worker process: {exc}"))
                    return
        out.add_done_callback(lambda f: inner.cancel() if f.cancelled() else None)
        inner.add_done_callback(lambda f: self._settle(f, candidate, out, attempt, pool))

    def _replace_locked(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        if self._pool is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            self.restarts += 1
        assert self._pool is not None
        return self._pool

    def _settle(
        self, f: Future[TrialOutcome], candidate: Candidate, out: Future[TrialOutcome], attempt: int, pool: Any
    ) -> None:
        if out.done():
            return
        if f.cancelled():
            out.cancel()
            out.set_running_or_notify_cancel()
            return
        exc = f.exception()
        if isinstance(exc, BrokenProcessPool) and self._stop.is_set():
            self._finish(out, candidate, None)  # the pool broke while the study was stopping: stopped, not lost
            return
        if isinstance(exc, BrokenProcessPool):
            with self._lock:
                again = attempt == 1 and self._pool is not None and not self._stop.is_set()
                if again:
                    self._replace_locked(pool)
            if again:
                self._send(candidate, out, attempt=2)
                return
            exc = WorkerLost(
                "The worker process running this trial died"
                + (" twice (it may run out of memory with these parameters)." if attempt > 1 else ".")
            )
        if out.set_running_or_notify_cancel():
            if exc is not None:
                out.set_exception(exc)
            else:
                out.set_result(f.result())

    def _finish(self, out: Future[TrialOutcome], candidate: Candidate, exc: BaseException | None) -> None:
        """End ``out`` without a result from a worker: stopped when the study is stopping, else ``exc``."""
        if not out.set_running_or_notify_cancel():
            return
        if self._stop.is_set() or exc is None:
            out.set_result(TrialOutcome(TrialState.STOPPED, candidate.params, error="stopped before it finished"))
        else:
            out.set_exception(exc)

    def request_stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        lifeline, self._lifeline = self._lifeline, None
        for end in lifeline or ():  # after the shutdown: the workers have ended
            end.close()
