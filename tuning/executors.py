"""Where trials run: threads in this process, local processes, or a Dask cluster.

The runner hands a backend one picklable trial function and the study's evaluation context once
(``start``), then submits candidates; each ``submit`` returns a ``Future`` of a ``TrialOutcome``.
A backend sends the context to each worker once (not once per trial) and gives running trials a
stop flag they poll between folds and boosting rounds (``request_stop``).

Optional engines (dask) are imported in this module only, with a plain error naming the package.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from tuning.protocol import Candidate, TrialOutcome

EXECUTORS = ("threads", "processes", "dask")


class StopFlag(Protocol):
    """What a running trial polls to learn that the study was asked to stop."""

    def is_set(self) -> bool: ...


TrialFn = Callable[[Any, Candidate, StopFlag], TrialOutcome]


class Backend(ABC):
    """A place to run trials. Thread-safe for one runner thread; not shared between studies."""

    name: str = ""

    def __init__(self, *, workers: int) -> None:
        self.workers = max(1, int(workers))

    @property
    def shares_memory(self) -> bool:
        """Whether trials run in this process (then workers x model threads must fit this machine's cores)."""
        return False

    @abstractmethod
    def start(self, fn: TrialFn, ctx: Any) -> None:
        """Get ready to run ``fn(ctx, candidate, stop)``; ``ctx`` goes to each worker once."""

    @abstractmethod
    def submit(self, candidate: Candidate) -> Future[TrialOutcome]:
        """Run one candidate; the future's exception (a worker that died) is the runner's to record."""

    @abstractmethod
    def request_stop(self) -> None:
        """Tell running trials to stop at their next check (between folds and boosting rounds)."""

    @abstractmethod
    def close(self) -> None:
        """Release workers; cancels what has not started."""

    def describe(self) -> str:
        return f"{self.name} x {self.workers}"


class ThreadBackend(Backend):
    """Trials on threads of this process (XGBoost and most of scikit-learn release the GIL while fitting)."""

    name = "threads"

    def __init__(self, *, workers: int, thread_name_prefix: str = "trial") -> None:
        super().__init__(workers=workers)
        self._prefix = thread_name_prefix
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._fn: TrialFn | None = None
        self._ctx: Any = None

    @property
    def shares_memory(self) -> bool:
        return True

    def start(self, fn: TrialFn, ctx: Any) -> None:
        self._fn, self._ctx = fn, ctx
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self._prefix)

    def submit(self, candidate: Candidate) -> Future[TrialOutcome]:
        assert self._pool is not None and self._fn is not None, "start() first"
        return self._pool.submit(self._fn, self._ctx, candidate, self._stop)

    def request_stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class ExecutorBackend(Backend):
    """Any ``concurrent.futures.Executor`` given by the caller (e.g. ``dask_client.get_executor()``).

    The context travels with every trial and the stop flag cannot cross processes, so a stop takes
    effect between trials only; the named backends do better.
    """

    name = "executor"

    def __init__(self, executor: Any, *, workers: int) -> None:
        super().__init__(workers=workers)
        self._executor = executor
        self._fn: TrialFn | None = None
        self._ctx: Any = None

    def start(self, fn: TrialFn, ctx: Any) -> None:
        self._fn, self._ctx = fn, ctx

    def submit(self, candidate: Candidate) -> Future[TrialOutcome]:
        assert self._fn is not None, "start() first"
        return self._executor.submit(self._fn, self._ctx, candidate, _NEVER)

    def request_stop(self) -> None:
        pass

    def close(self) -> None:
        pass  # the caller owns the executor


class _Never:
    def is_set(self) -> bool:
        return False


_NEVER = _Never()


def make_backend(kind: str, *, workers: int, scheduler: str | None = None, study_id: int | None = None) -> Backend:
    """The backend a study's config names (``executor``: threads | processes | dask)."""
    from tuning.errors import ConfigError

    if kind == "threads":
        return ThreadBackend(workers=workers, thread_name_prefix=f"study-{study_id}-worker")
    raise ConfigError(f"Unknown executor {kind!r}.", fix=f"Choose one of {', '.join(EXECUTORS)}.")
