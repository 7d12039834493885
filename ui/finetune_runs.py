"""Fine-tunes in the background: one per base model, with progress and Stop, their results kept in the store.

A fine-tune runs on its own thread of the app process (never the page's script thread), so the page stays
responsive, a reload finds the run (by its base model) and shows its progress, and Stop ends it at the next
arm, TPE trial or boosting round. The finished comparison is written to the store (``save_result``) by the
run itself, so it is there after a reload or a restart; the adapted models stay with the run in memory until
the user keeps one. Worker threads never call ``st.*``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from tuning.errors import ConfigError
from tuning.finetune import FinetuneResult

#: Fine-tunes running at once in one app process (each may use a core): one more waits with a plain message.
MAX_RUNNING = 2
#: Finished runs remembered in memory (with their models); older ones are dropped (their results stay stored).
MAX_KEPT = 8


@dataclass
class FinetuneRun:
    key: str
    total: int
    stop: threading.Event = field(default_factory=threading.Event)
    step: str = "starting"
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: FinetuneResult | None = None
    error: Exception | None = None
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.finished is None

    def progress(self, message: str) -> None:
        self.step, self.done = message, self.done + 1

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the end (a short fine-tune is shown at once, without a progress bar)."""
        return self._ended.wait(timeout)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def status(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        return f"{self.step} — step {self.done} of {self.total or '?'} ({now - self.started:.0f} s)"


Job = Callable[[Callable[[str], None], Callable[[], bool]], FinetuneResult]


class FinetuneRuns:
    """The process's fine-tunes, by base model."""

    def __init__(self, *, max_running: int = MAX_RUNNING) -> None:
        self._runs: dict[str, FinetuneRun] = {}
        self._lock = threading.Lock()
        self._max_running = max_running

    def start(self, key: str, job: Job, *, total: int) -> FinetuneRun:
        """Run ``job(progress, stop)`` on a new thread; refused while this base model's run or too many run."""
        with self._lock:
            now = self._runs.get(key)
            if now is not None and now.running:
                raise ConfigError("This base model is already being fine-tuned.", fix="Wait for it, or Stop it.")
            if sum(r.running for r in self._runs.values()) >= self._max_running:
                raise ConfigError(
                    f"{self._max_running} fine-tunes are running in this app already.",
                    fix="Wait for one to finish, or stop one.",
                )
            run = FinetuneRun(key, total)
            self._runs.pop(key, None)
            self._runs[key] = run
            finished = [k for k, r in self._runs.items() if not r.running]
            for k in finished[: max(0, len(self._runs) - MAX_KEPT)]:
                del self._runs[k]
        threading.Thread(target=self._run, args=(run, job), name=f"finetune-{len(key)}", daemon=True).start()
        return run

    @staticmethod
    def _run(run: FinetuneRun, job: Job) -> None:
        try:
            run.result = job(run.progress, run.stop.is_set)
        except Exception as exc:  # shown on the page as a plain message (TuningError) or a generic one
            run.error = exc
        finally:
            run.finished = time.monotonic()
            run._ended.set()

    def get(self, key: str) -> FinetuneRun | None:
        with self._lock:
            return self._runs.get(key)

    def forget(self, key: str) -> None:
        with self._lock:
            run = self._runs.get(key)
            if run is not None and not run.running:
                del self._runs[key]


@st.cache_resource
def get_runs() -> FinetuneRuns:
    return FinetuneRuns()
