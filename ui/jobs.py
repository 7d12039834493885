"""Slow computations in the background, with progress, cached by their arguments.

A page calls :func:`compute`; the first call starts the job on a worker thread and shows a progress
bar that polls until the result is ready; later calls with the same arguments return it at once.
Worker threads never call ``st.*``: they only update a counter the page reads.
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


@dataclass
class Job:
    future: Future
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


class JobRunner:
    """A small process-wide pool (two threads: lessons are CPU-bound and the machine may be small)."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lesson")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, key: str, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.future.done() and job.future.exception() is not None):
                self._jobs.move_to_end(key)
                return job
            job = Job(Future())
            takes_progress = "progress" in inspect.signature(fn).parameters
            args = {**kwargs, "progress": job.progress} if takes_progress else kwargs
            job.future = self._pool.submit(fn, **args)
            self._jobs[key] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
            return job


@st.cache_resource
def get_jobs() -> JobRunner:
    return JobRunner()


def compute(key: str, fn: Callable[..., Any], *, label: str, **kwargs: Any) -> Any | None:
    """The result of ``fn(**kwargs)``, computed once per ``key``; None (with a progress bar) while it runs."""
    job = get_jobs().submit(key, fn, kwargs)
    try:
        job.future.result(timeout=INLINE_WAIT_S)
    except FutureTimeout:
        pass
    except Exception as exc:
        show_error(exc)
        return None
    if job.future.done():
        return job.future.result()

    @st.fragment(run_every=0.5)
    def waiting() -> None:
        if job.future.done():
            st.rerun(scope="app")
        elapsed = time.monotonic() - job.started
        st.progress(job.fraction, text=f"{label}… {job.done}/{job.total or '?'} ({elapsed:.0f} s)")

    waiting()
    return None
