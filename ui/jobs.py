"""Slow computations in the background, with progress, cached by their arguments.

A page calls :func:`compute`; the first call starts the job on a worker thread and shows a progress
bar that polls until the result is ready; later calls with the same arguments return it at once.
Worker threads never call ``st.*``: they only update a counter the page reads.

The pool is shared by every session of the process and has two threads. A progress bar that only
counted seconds looked frozen when the job sat in the queue behind others (lessons a user had already
left kept computing): the bar now says when a job waits for a worker and how many jobs are ahead of it,
and a job that nobody has looked at for ``ABANDONED_S`` is skipped when its turn comes (it is submitted
again if a page asks for it later).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui.state import show_error

MAX_JOBS = 48
INLINE_WAIT_S = 1.0  # a job that finishes this fast is shown without a progress bar
POLL_S = 1.0  # how often a waiting page redraws its progress bar
ABANDONED_S = 15.0  # a queued job no page has polled for this long is skipped when a worker frees up


class Abandoned(Exception):
    """A queued job was skipped because no page was waiting for it any more."""


@dataclass
class Job:
    future: Future
    done: int = 0
    total: int = 0
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None  # when a worker picked it up (None while queued)
    polled: float = field(default_factory=time.monotonic)  # the last time a page asked for it

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


class JobRunner:
    """A small process-wide pool (two threads: lessons are CPU-bound and the machine may be small)."""

    def __init__(self, workers: int = 2, *, abandoned_s: float = ABANDONED_S) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lesson")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._abandoned_s = abandoned_s

    def submit(self, key: str, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.future.done() and job.future.exception() is not None):
                job.polled = time.monotonic()
                self._jobs.move_to_end(key)
                return job
            job = Job(Future())
            takes_progress = "progress" in inspect.signature(fn).parameters
            args = {**kwargs, "progress": job.progress} if takes_progress else kwargs
            job.future = self._pool.submit(self._run, job, fn, args)
            self._jobs[key] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
            return job

    def _run(self, job: Job, fn: Callable[..., Any], args: dict[str, Any]) -> Any:
        if time.monotonic() - job.polled > self._abandoned_s:
            raise Abandoned("nobody is waiting for this result any more")
        job.started = time.monotonic()
        return fn(**args)

    def ahead_of(self, job: Job) -> int:
        """How many jobs will start before ``job`` (0 once it runs): queued jobs submitted earlier."""
        if job.started is not None:
            return 0
        with self._lock:
            jobs = list(self._jobs.values())
        return sum(
            1
            for j in jobs
            if j is not job and not j.future.done() and j.started is None and j.submitted < job.submitted
        )

    def busy(self) -> int:
        """Jobs running now."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.started is not None and not j.future.done())


@st.cache_resource
def get_jobs() -> JobRunner:
    return JobRunner()


def status_text(runner: JobRunner, job: Job, label: str, now: float | None = None) -> str:
    """What the progress bar says: queued (and behind how many) or running, with honest times."""
    now = time.monotonic() if now is None else now
    if job.started is None:
        ahead = runner.ahead_of(job)
        busy = runner.busy()
        return (
            f"{label}: waiting for a free worker ({busy} computation{'s' if busy != 1 else ''} running"
            + (f", {ahead} queued ahead" if ahead else "")
            + f"), {now - job.submitted:.0f} s"
        )
    return f"{label}… {job.done}/{job.total or '?'} ({now - job.started:.0f} s)"


def compute(key: str, fn: Callable[..., Any], *, label: str, **kwargs: Any) -> Any | None:
    """The result of ``fn(**kwargs)``, computed once per ``key``; None (with a progress bar) while it runs."""
    runner = get_jobs()
    job = runner.submit(key, fn, kwargs)
    try:
        job.future.result(timeout=INLINE_WAIT_S)
    except FutureTimeout:
        pass
    except Exception as exc:
        show_error(exc)
        return None
    if job.future.done():
        return job.future.result()

    @st.fragment(run_every=POLL_S)
    def waiting() -> None:
        job.polled = time.monotonic()
        if job.future.done():
            st.rerun(scope="app")
        st.progress(job.fraction, text=status_text(runner, job, label))

    waiting()
    return None


def call_key(fn: Callable[..., Any], *parts: object, **kwargs: Any) -> str:
    """A :func:`compute` key for ``fn`` called with ``kwargs``: its qualified name, ``parts``, then every
    argument as ``name=value`` (sorted by name), so equal arguments share one computation."""
    args = (f"{k}={v}" for k, v in sorted(kwargs.items()))
    return "|".join([f"{fn.__module__}.{fn.__qualname__}", *map(str, parts), *args])


def compute_call(fn: Callable[..., Any], *, label: str, **kwargs: Any) -> Any | None:
    """:func:`compute` of ``fn(**kwargs)``, keyed by :func:`call_key`."""
    return compute(call_key(fn, **kwargs), fn, label=label, **kwargs)
