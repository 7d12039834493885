"""The backend interface and the in-process backends (threads, any executor); the others have their own files."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from tuning.backend import ExecutorBackend, ThreadBackend, _no_sigint
from tuning.protocol import Candidate, TrialOutcome, TrialState


def _trial(ctx, candidate, stop):
    if candidate.params.get("wait"):
        ctx["started"].set()
        while not stop.is_set():
            ctx["tick"].wait(0.01)
        return TrialOutcome(state=TrialState.STOPPED, params=candidate.params)
    return TrialOutcome(state=TrialState.COMPLETE, params=candidate.params, score=ctx["k"] * candidate.params["x"])


def test_a_thread_backend_gets_the_context_once_and_its_stop_reaches_a_running_trial():
    backend = ThreadBackend(workers=2)
    ctx = {"k": 3.0, "started": threading.Event(), "tick": threading.Event()}
    backend.start(_trial, ctx)
    assert backend.shares_memory
    assert backend.submit(Candidate(number=0, params={"x": 2.0})).result(10).score == 6.0
    waiting = backend.submit(Candidate(number=1, params={"wait": True}))
    assert ctx["started"].wait(10)
    backend.request_stop()
    assert waiting.result(10).state is TrialState.STOPPED
    backend.close()


def test_any_executor_can_run_trials():
    with ThreadPoolExecutor(2) as pool:
        backend = ExecutorBackend(pool, workers=2)
        backend.start(_trial, {"k": 2.0})
        assert [backend.submit(Candidate(number=i, params={"x": i})).result(10).score for i in range(3)] == [0, 2, 4]


def test_no_sigint_blocks_ctrl_c_in_this_thread_only_while_it_starts_processes():
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    with _no_sigint():
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
