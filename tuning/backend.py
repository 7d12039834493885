"""The backend interface (where trials run) and the in-process ones: threads, or any ``concurrent.futures``
executor. Local processes are ``tuning.process_backend``, Dask ``tuning.dask``; ``tuning.executors``
chooses among them.

The runner hands a backend one picklable trial function and the study's evaluation context once
(``start``), then submits candidates; each ``submit`` returns a ``Future`` of a ``TrialOutcome``.
A backend sends the context to each worker once (not once per trial) and gives running trials a
stop flag they poll between folds and boosting rounds (``request_stop``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from tuning.protocol import Candidate, TrialOutcome

EXECUTORS = ("threads", "processes", "dask")
log = logging.getLogger(__name__)


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


class WorkerLost(RuntimeError):
    """The process or machine running a trial went away (killed, out of memory, disconnected).

    The future of that trial raises it; its message is plain, so the runner can store it as the
    failed trial's reason and go on with the study.
    """


@contextlib.contextmanager
def _no_sigint() -> Iterator[None]:
    """Block Ctrl-C in this thread while it starts processes: the mask is inherited through fork and
    exec, so the workers (and multiprocessing's fork server) never get the terminal's SIGINT, which
    goes to the whole process group; the study turns it into a stop instead. Other threads, the main
    one included, still receive it."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not on POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
