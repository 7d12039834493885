"""The Dask backend: the study's data reaches each worker once (a worker plugin), trials travel as bytes only
workers unpickle (a plainly started ``dask scheduler`` needs no ``tuning``), and a trial polls the study's stop
flag on the scheduler. Connecting and checking the cluster is ``tuning.dask.cluster``.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from tuning.backend import Backend, TrialFn, WorkerLost, _no_sigint
from tuning.dask.cluster import (
    CONNECT_TIMEOUT_S,
    TRIAL_MODULES,
    ClusterInfo,
    _cluster_info,
    _connect,
    _import_distributed,
    check_address,
    require_workers,
)
from tuning.protocol import Candidate, TrialOutcome, worker_name

log = logging.getLogger(__name__)

#: How often a trial on a Dask worker asks the scheduler whether the study was stopped.
REMOTE_POLL_S = 0.3


class _PolledFlag:
    """A remote flag checked at most every ``interval`` seconds (a trial polls it every boosting round)."""

    def __init__(self, check: Callable[[], bool], interval: float = REMOTE_POLL_S) -> None:
        self._check, self._interval = check, interval
        self._last = float("-inf")
        self._set = False

    def is_set(self) -> bool:
        if self._set:
            return True
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            try:
                self._set = bool(self._check())
            except Exception:  # the scheduler is unreachable: finish the trial rather than lose it
                log.debug("stop flag check failed", exc_info=True)
        return self._set


#: On a Dask worker: the contexts of the studies it serves, by token (installed by a worker plugin).
_WORKER_CONTEXTS: dict[str, Any] = {}


def _context_plugin(token: str, ctx: Any) -> Any:
    """A worker plugin that puts the study's context in each worker's cache, once per worker.

    The scheduler keeps the plugin and gives it to workers that join (or restart) later, so no
    trial ever waits for data and none ships it. (Scattering with ``broadcast=True`` is not enough:
    the scheduler's memory manager drops the extra replicas, then trials fetch the data again.) The
    class is made here so that dask is imported only when used; it travels by value.
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    class StudyContext(WorkerPlugin):
        def __init__(self, token: str, ctx: Any) -> None:
            self.token, self.ctx = token, ctx

        def setup(self, worker: Any) -> None:
            from tuning.dask import backend

            backend._WORKER_CONTEXTS[self.token] = self.ctx

        def teardown(self, worker: Any) -> None:
            from tuning.dask import backend

            backend._WORKER_CONTEXTS.pop(self.token, None)

    return StudyContext(token, ctx)


class _Call:
    """``fn(*args)``, made where this is unpickled (its ``__reduce__`` is the call).

    A trial goes to Dask as ``pickle.loads(blob)``, ``blob`` the pickled ``_Call(_dask_trial, ...)``:
    current Dask unpickles every task on the scheduler, and a scheduler started plainly cannot import
    this project; it unpickles only a builtin and bytes. The worker that runs the task unpickles the
    blob, which imports this project there and runs the trial. (The worker trusts the client as much
    as before: a task is code either way.)"""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.fn, self.args)


def _dask_trial(fn: TrialFn, token: str, candidate: Candidate, stop_event: str) -> TrialOutcome:
    """Runs on a Dask worker: the trial on the cached context, with a throttled view of the study's
    stop Event; records the worker's address."""
    from distributed import Event, get_worker

    ctx = _WORKER_CONTEXTS.get(token)
    if ctx is None:
        raise RuntimeError("This Dask worker has no copy of the study's data (its plugin did not run).")
    event = Event(stop_event)
    out = fn(ctx, candidate, _PolledFlag(event.is_set))
    try:
        where = get_worker().address
    except ValueError:  # not on a worker
        where = out.worker or worker_name()
    return out.with_(worker=where)


class DaskBackend(Backend):
    """Trials on a Dask cluster: the scheduler at ``scheduler``, or a ``LocalCluster`` of ``workers``
    single-threaded worker processes started here (and closed at the end).

    The context reaches each worker once through a worker plugin (workers that join later get it
    when they join) and waits there in a cache keyed by a token; a submit ships the token and the
    candidate (a few hundred bytes). Stop is a ``distributed.Event`` polled every 0.3 s. A worker
    that dies mid-trial: the scheduler runs the trial once more elsewhere (``allowed_failures=1`` on a
    local cluster; a remote scheduler applies its own setting), then the future raises ``WorkerLost``.
    """

    name = "dask"

    def __init__(
        self,
        *,
        workers: int,
        scheduler: str | None = None,
        study_id: int | None = None,
        device: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        client: Any = None,
    ) -> None:
        super().__init__(workers=workers)
        self._dist = _import_distributed()
        self._given = client  # a caller's Client: used, never closed
        self.scheduler = check_address(scheduler) if scheduler else None
        self._study = study_id
        self._device = device
        self._timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None
        self._stop: Any = None
        self._token = uuid.uuid4().hex
        self._plugin: str | None = None
        self._fn: TrialFn | None = None
        self._resources: dict[str, float] | None = None
        self._futures: set[Any] = set()
        self._where: dict[int, str] = {}  # trial number -> the worker that ran its last rung
        self._lock = threading.Lock()
        self.info: ClusterInfo | None = None

    @property
    def client(self) -> Any:
        return self._client

    @property
    def dashboard(self) -> str | None:
        return self.info.dashboard if self.info else None

    def start(self, fn: TrialFn, ctx: Any) -> None:
        device = str(self._device or getattr(ctx, "device", None) or "cpu")
        if self._given is not None:
            self._client = self._given
        elif self.scheduler:
            self._client = _connect(self.scheduler, timeout=self._timeout)
        else:
            with _no_sigint():  # the workers (and dask's threads started here) leave Ctrl-C to the study
                self._cluster = self._dist.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address="127.0.0.1:0",  # a free port on loopback only (logs, stacks): needs bokeh
                    silence_logs=logging.ERROR,
                    scheduler_kwargs={"allowed_failures": 1},
                    resources={"GPU": 1} if device == "cuda" else None,
                    preload=["tuning.dask.cluster"],  # its dask_setup: the workers ignore Ctrl-C
                )
            self._client = self._dist.Client(self._cluster, set_as_default=False)
        try:
            self._check_workers(device, fn)
            self._stop = self._dist.Event(f"tuning-stop-{self._study}-{self._token}", client=self._client)
            self._fn = fn
            name = f"tuning-study-{self._study}-{self._token}"
            self._client.register_plugin(_context_plugin(self._token, ctx), name=name)
            self._plugin = name
        except BaseException:
            self.close()
            raise

    def _check_workers(self, device: str, fn: TrialFn) -> None:
        modules = tuple(dict.fromkeys([*TRIAL_MODULES, getattr(fn, "__module__", None) or TRIAL_MODULES[0]]))
        self.info = _cluster_info(self._client, self.scheduler or "local", probe_gpu=device == "cuda", modules=modules)
        require_workers(self.info, device=device)
        if device == "cuda":
            self._resources = {"GPU": 1}

    def payload(self, candidate: Candidate) -> tuple[Any, ...]:
        """What one submit sends (for measuring bytes per trial): the context goes as a token, not as data;
        the trial as bytes that only the worker unpickles (``_Call``)."""
        from distributed.protocol.pickle import dumps

        call = _Call(_dask_trial, self._fn, self._token, candidate, self._stop.name if self._stop else "")
        return (pickle.loads, dumps(call))

    def submit(self, candidate: Candidate) -> Future[TrialOutcome]:
        assert self._client is not None and self._fn is not None, "start() first"
        out: Future[TrialOutcome] = Future()
        # A promoted candidate (its next rung) goes back to the worker that keeps its boosters, if it can.
        where = self._where.get(candidate.number) if candidate.rung else None
        fut = self._client.submit(
            *self.payload(candidate),
            key=f"trial-{self._study}-{candidate.number}-{uuid.uuid4().hex[:6]}",
            pure=False,
            retries=1,
            resources=self._resources,
            workers=[where] if where else None,
            allow_other_workers=bool(where),
        )
        with self._lock:
            self._futures.add(fut)
        out.add_done_callback(lambda f: fut.cancel() if f.cancelled() else None)
        fut.add_done_callback(lambda f: self._settle(f, out, candidate.number))
        return out

    def _settle(self, f: Any, out: Future[TrialOutcome], number: int) -> None:
        with self._lock:
            self._futures.discard(f)
        if out.done():
            return
        if f.status == "cancelled":
            out.cancel()
            out.set_running_or_notify_cancel()
            return
        try:
            result = f.result()
            f.release()  # the result is here now: a worker lost later must not make the scheduler recompute it
        except self._dist.KilledWorker as exc:
            self._fail(
                out, WorkerLost(f"The Dask worker running this trial died, and so did the one that retried it ({exc}).")
            )
        except self._dist.client.FutureCancelledError as exc:
            self._fail(out, WorkerLost(f"The Dask scheduler gave up this trial: {exc}"))
        except BaseException as exc:
            self._fail(out, exc)
        else:
            if result.worker:
                with self._lock:
                    self._where[number] = result.worker
            if out.set_running_or_notify_cancel():
                out.set_result(result)

    @staticmethod
    def _fail(out: Future[TrialOutcome], exc: BaseException) -> None:
        if out.set_running_or_notify_cancel():
            out.set_exception(exc)

    def request_stop(self) -> None:
        if self._stop is not None:
            try:
                self._stop.set()
            except Exception:  # the cluster is gone: nothing is running there any more
                log.warning("could not reach the Dask scheduler to stop the trials", exc_info=True)

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        with self._lock:
            futures, self._futures = list(self._futures), set()
        try:
            if client is not None:
                if futures:  # trials still out: end the running ones at their next check, drop the others
                    if self._stop is not None:
                        self._stop.set()
                    client.cancel(futures)
                elif self._stop is not None:
                    self._stop.clear()  # frees the Event on the scheduler
                if self._plugin is not None:
                    client.unregister_worker_plugin(self._plugin)
                    self._plugin = None
                if client is not self._given:
                    client.close()
        except Exception:
            log.debug("closing the Dask client failed", exc_info=True)
        finally:
            if cluster is not None:
                cluster.close()

    def describe(self) -> str:
        where = f"the Dask cluster at {self.scheduler}" if self.scheduler else f"a local Dask cluster of {self.workers}"
        return f"dask: {where}" + (f" (dashboard {self.dashboard})" if self.dashboard else "")
