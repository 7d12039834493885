"""Run a study: a background thread asks the strategy, sends candidates to a backend, stores each outcome.

The thread never touches the UI. Trials run on a backend (threads, local processes, a Dask cluster:
``tuning.executors``). A pruner, when the study has one, moves candidates up rungs of their budget
(boosting rounds or training rows) and cuts the weak ones early; the strategy learns from every
finished candidate. Stopping is cooperative: an Event checked between trials, folds and rounds.

One runner owns a study at a time: it claims the study with a run token, every write checks it,
and a runner whose study was taken over stops. A timer beats the study's heartbeat for the runner's
whole life; ``finished`` is set once the final state is recorded (what the CLI waits on).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any

from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning

from tuning.config import StudyConfig
from tuning.errors import ConfigError, TuningError
from tuning.evaluate import final_params, run_trial
from tuning.executors import Backend, ExecutorBackend, make_backend
from tuning.protocol import Candidate, StopReason, StudyState, TrialOutcome, TrialState
from tuning.store import HEARTBEAT_S, Store, Superseded, now_iso
from tuning.strategies import make_strategy
from tuning.strategies.pruners import make_pruner
from tuning.study import LoadedData, Study, load_study_data, make_context, model_threads, split_rows
from tuning.trainers import trainer_for

log = logging.getLogger(__name__)
ProgressFn = Callable[[dict[str, Any]], None]

#: Most studies one process runs at once (each has its workers); more waits for a plain refusal.
MAX_CONCURRENT_STUDIES = 4

__all__ = [
    "LoadedData",
    "StudyRegistry",
    "StudyRunner",
    "create_study",
    "load_study_data",
    "make_context",
    "model_threads",
    "registry",
    "resume",
    "run",
    "split_rows",
    "start",
]


def create_study(store: Store, config: StudyConfig) -> tuple[int, StudyConfig]:
    """Validate and resolve the config against its stored dataset, then record the study (ready to start)."""
    study = Study.create(store, config)
    return study.id, study.config


@dataclass
class _Job:
    """A candidate in flight: where it is on its rung ladder and the rungs it finished."""

    candidate: Candidate
    started: str
    ladder: list[int] | None = None
    rungs: tuple[tuple[int, int, float], ...] = field(default_factory=tuple)


class StudyRunner:
    """Runs one study in a background thread; ``stop()`` returns promptly and keeps finished trials."""

    def __init__(
        self,
        store: Store,
        study_id: int,
        *,
        executor: Executor | None = None,
        backend: Backend | None = None,
        on_progress: ProgressFn | None = None,
    ) -> None:
        self.store = store
        self.study_id = study_id
        self.config = StudyConfig.from_dict(store.get_study(study_id).config)
        self._executor = executor
        self._backend = backend
        self._on_progress = on_progress
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"study-{study_id}", daemon=True)
        self._token = uuid.uuid4().hex
        self._t0 = time.monotonic()
        self._prior = 0.0
        self.error: str | None = None
        self.state: StudyState | None = None
        self.stop_reason: StopReason | None = None

    # -- control ------------------------------------------------------------------------------

    def start(self) -> StudyRunner:
        self.store.claim_study(self.study_id, self._token)
        self._prior = self.store.get_study(self.study_id).elapsed_s
        self._t0 = time.monotonic()
        threading.Thread(target=self._beat, name=f"study-{self.study_id}-heartbeat", daemon=True).start()
        self._thread.start()
        return self

    def stop(self, *, wait: bool = True, timeout: float | None = 10.0) -> None:
        """Ask the study to stop (running trials stop at their next check); optionally wait for the end."""
        self._stop.set()
        backend = self._backend
        if backend is not None:
            try:
                backend.request_stop()
            except Exception:  # a backend that cannot be reached any more: the loop still ends
                log.exception("could not pass the stop to the backend")
        if wait:
            self.finished.wait(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the final state is recorded (a signal cannot corrupt an Event's wait)."""
        self.finished.wait(timeout)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def elapsed(self) -> float:
        return self._prior + time.monotonic() - self._t0

    # -- the heartbeat --------------------------------------------------------------------------

    def _beat(self) -> None:
        while not self.finished.wait(HEARTBEAT_S):
            try:
                self.store.heartbeat(self.study_id, elapsed_s=self.elapsed(), token=self._token)
            except Superseded:
                self._stop.set()
                return
            except Exception:  # a busy or full disk: try again next beat
                log.exception("heartbeat of study %s failed", self.study_id)

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", category=UndefinedMetricWarning)
        state, reason, error, test_score = StudyState.FAILED, StopReason.FAILED, None, None
        try:
            state, reason, error = self._loop()
            if state in (StudyState.COMPLETE, StudyState.STOPPED):
                test_score = self._test_score()
        except Superseded:
            state, reason = StudyState.STOPPED, StopReason.SUPERSEDED
            self.error = "another run took this study over"
        except TuningError as exc:
            error = self.error = str(exc)
        except Exception as exc:  # a bug: keep the trials, record it, never kill the host process
            log.exception("study %s crashed", self.study_id)
            error = self.error = f"internal error: {type(exc).__name__}: {exc}"
        self.state, self.stop_reason = state, reason
        try:
            if reason is not StopReason.SUPERSEDED:
                self._finish(state, reason, error, test_score)
        finally:
            self.finished.set()
            self._emit({"event": "finished", "state": state.value})

    def _finish(self, state: StudyState, reason: StopReason, error: str | None, test_score: float | None) -> None:
        """Record the final state, retrying: a failure here must not strand the study as 'running'."""
        delay = 0.2
        for attempt in range(6):
            try:
                self.store.finish_study(
                    self.study_id,
                    state,
                    elapsed_s=self.elapsed(),
                    error=error,
                    test_score=test_score,
                    stop_reason=reason,
                    token=self._token,
                )
                return
            except Superseded:
                return
            except Exception as exc:
                log.warning("recording the end of study %s failed (attempt %d): %s", self.study_id, attempt + 1, exc)
                time.sleep(delay)
                delay *= 2
        self.error = self.error or "the final state could not be recorded (is the disk full?)"
        self.state = StudyState.FAILED

    def _loop(self) -> tuple[StudyState, StopReason, str | None]:
        study = Study(self.store, self.study_id)
        cfg = study.config
        trainer = trainer_for(cfg.model)
        space = cfg.search_space()
        workers = cfg.workers
        if self._backend is None:
            self._backend = (
                ExecutorBackend(self._executor, workers=workers)
                if self._executor is not None
                else make_backend(cfg.executor, workers=workers, scheduler=cfg.scheduler, study_id=self.study_id)
            )
        backend = self._backend
        n_jobs = model_threads(workers) if backend.shares_memory else 1
        ctx = study.context(n_jobs=n_jobs, hints=trainer.hints(space, strategy=cfg.strategy, pruner=cfg.pruner))
        strategy = make_strategy(cfg.strategy, space, seed=cfg.seed)
        pruner = make_pruner(cfg.pruner)

        history = study.trials()
        done = [t for t in history if t.state.finished]
        paused = [t for t in history if t.state is TrialState.PAUSED]
        strategy.replay([(t.params, t.score if t.state is not TrialState.FAILED else None) for t in done])
        for t in paused:
            strategy.mark_asked(t.params)
        if pruner is not None:
            for t in history:
                if t.rungs:
                    pruner.replay(t.number, [(r, s) for r, _, s in t.rungs])
        n_done = len(done)
        n_failed = sum(t.state is TrialState.FAILED for t in done)
        first_error = next((t.error for t in done if t.state is TrialState.FAILED), None)
        completed = [t.score for t in done if t.state is TrialState.COMPLETE and t.score is not None]
        best = max(completed, default=None)
        since_best = 0
        for t in done:
            since_best = 0 if (t.state is TrialState.COMPLETE and t.score == best) else since_best + 1
        budget = cfg.n_trials if cfg.n_trials is not None else (strategy.total or 10**9)

        pending: dict[Future[TrialOutcome], _Job] = {}
        queue: list[_Job] = []  # paused candidates to continue first (resume)
        for t in paused:
            self.store.reopen_trial(self.study_id, t.number, token=self._token)
            ladder = trainer.rung_budgets(ctx, t.params, eta=pruner.eta, min_budget=None) if pruner else None
            nxt = (t.rungs[-1][0] + 1) if t.rungs else 0
            if ladder is None or nxt >= len(ladder):
                ladder, nxt = None, None  # type: ignore[assignment]
            cand = Candidate(t.number, t.params, budget=ladder[nxt] if ladder else None, rung=nxt)
            queue.append(_Job(cand, t.started or now_iso(), ladder, t.rungs))
        unit = trainer.resource
        exhausted = False
        reason: StopReason | None = None
        backend.start(run_trial, ctx)
        try:
            while True:
                if reason is None:
                    reason = self._stop_reason(n_done, budget, best, since_best)
                in_flight = len(pending) + len(queue)
                while queue and len(pending) < workers and reason is None:
                    job = queue.pop(0)
                    pending[backend.submit(job.candidate)] = job
                while reason is None and not exhausted and len(pending) < workers and n_done + in_flight < budget:
                    params = strategy.ask()
                    if params is None:
                        exhausted = True
                        break
                    number = self.store.new_trial(self.study_id, params, token=self._token)
                    ladder = trainer.rung_budgets(ctx, params, eta=pruner.eta, min_budget=None) if pruner else None
                    if ladder is not None and len(ladder) > 1:
                        r0 = pruner.start_rung(number, len(ladder))  # type: ignore[union-attr]
                        cand = Candidate(number, params, budget=ladder[r0], rung=r0)
                    else:
                        ladder, cand = None, Candidate(number, params)
                    pending[backend.submit(cand)] = _Job(cand, now_iso(), ladder)
                    in_flight += 1
                if not pending:
                    if exhausted and reason is None:
                        reason = StopReason.EXHAUSTED
                    break
                finished, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = pending.pop(fut)
                    out = self._outcome(fut, job)
                    cand = job.candidate
                    if out.state is TrialState.STOPPED:
                        self.store.record_outcome(self.study_id, cand.number, out, token=self._token)
                        continue
                    if out.state is TrialState.COMPLETE and job.ladder is not None and out.score is not None:
                        rung = int(cand.rung or 0)
                        reached = out.budget or 0
                        rungs = (*job.rungs, (rung, int(reached), float(out.score)))
                        last = rung >= len(job.ladder) - 1 or reached < (cand.budget or 0)
                        decision = pruner.report(  # type: ignore[union-attr]
                            cand.number, rung, out.score, budget=int(reached), unit=unit
                        )
                        if not last and decision.promote and reason is None:
                            self.store.record_outcome(
                                self.study_id,
                                cand.number,
                                out.with_(state=TrialState.RUNNING, rungs=rungs, note=decision.note),
                                token=self._token,
                                started=job.started,
                            )
                            up = Candidate(cand.number, cand.params, budget=job.ladder[rung + 1], rung=rung + 1)
                            pending[backend.submit(up)] = _Job(up, job.started, job.ladder, rungs)
                            continue
                        if not last and decision.promote:  # promoted, but the study is ending: keep it paused
                            self.store.record_outcome(
                                self.study_id,
                                cand.number,
                                out.with_(state=TrialState.RUNNING, rungs=rungs, note=decision.note),
                                token=self._token,
                                started=job.started,
                            )
                            continue
                        out = out.with_(
                            state=TrialState.COMPLETE if last else TrialState.PRUNED,
                            rungs=rungs,
                            note=None if last else decision.note,
                        )
                    trainer.release(ctx, cand.number)
                    self.store.record_outcome(self.study_id, cand.number, out, token=self._token, started=job.started)
                    strategy.tell(cand.params, out.score if out.state is not TrialState.FAILED else None)
                    n_done += 1
                    if out.state is TrialState.FAILED:
                        n_failed += 1
                        first_error = first_error or out.error
                        since_best += 1
                    elif out.state is TrialState.COMPLETE and (best is None or out.score >= best):  # type: ignore[operator]
                        best, since_best = out.score, 0
                    else:
                        since_best += 1
                    self._emit(
                        {
                            "event": "trial",
                            "number": cand.number,
                            "state": out.state.value,
                            "score": out.score,
                            "best": best,
                            "n_done": n_done,
                            "budget": budget,
                            "elapsed": self.elapsed(),
                        }
                    )
        finally:
            backend.close()
        if self._stop.is_set():
            return StudyState.STOPPED, StopReason.USER, None
        if n_done and n_failed == n_done:
            return StudyState.FAILED, StopReason.FAILED, f"Every trial failed; the first error was: {first_error}"
        return StudyState.COMPLETE, reason or StopReason.TRIALS, None

    def _outcome(self, fut: Future[TrialOutcome], job: _Job) -> TrialOutcome:
        """The future's outcome; a worker that died becomes a FAILED trial with a plain reason."""
        try:
            return fut.result()
        except Exception as exc:
            return TrialOutcome(
                state=TrialState.FAILED,
                params=job.candidate.params,
                error=f"the worker running this trial stopped ({type(exc).__name__}: {exc})"[:2000],
                budget=job.candidate.budget,
                rung=job.candidate.rung,
            )

    def _stop_reason(self, n_done: int, budget: int, best: float | None, since_best: int) -> StopReason | None:
        cfg = self.config
        if self._stop.is_set():
            return StopReason.USER
        if n_done >= budget:
            return StopReason.TRIALS
        if cfg.timeout is not None and self.elapsed() >= cfg.timeout:
            return StopReason.TIMEOUT
        if cfg.target_score is not None and best is not None and best >= cfg.target_score:
            return StopReason.TARGET
        if cfg.patience is not None and since_best >= cfg.patience:
            return StopReason.PATIENCE
        return None

    def _test_score(self) -> float | None:
        """Refit the best candidate on all training rows and score the held-out test rows."""
        cfg = self.config
        if not cfg.test_size:
            return None
        best = self.store.best_trial(self.study_id)
        if best is None:
            return None
        from sklearn.metrics import get_scorer

        data = load_study_data(self.store, cfg)
        p = data.prepared
        ctx = make_context(cfg, data, n_jobs=model_threads(1))
        pipe = ctx.pipeline(final_params(best.params, best.curves, early_stopping_rounds=cfg.early_stopping_rounds))
        pipe.fit(p.X.iloc[data.train_idx], p.y[data.train_idx])
        assert data.test_idx is not None
        return float(get_scorer(cfg.metric or "")(pipe, p.X.iloc[data.test_idx], p.y[data.test_idx]))

    def _emit(self, event: dict[str, Any]) -> None:
        if self._on_progress is not None:
            try:
                self._on_progress({"study_id": self.study_id, **event})
            except Exception:  # a progress display must never break a study
                log.exception("progress callback failed")


def start(
    store: Store,
    config: StudyConfig,
    *,
    executor: Executor | None = None,
    backend: Backend | None = None,
    on_progress: ProgressFn | None = None,
) -> StudyRunner:
    """Create the study and run it in the background; returns the runner (``.study_id``, ``.stop()``)."""
    _check_capacity()
    study_id, _ = create_study(store, config)
    runner = StudyRunner(store, study_id, executor=executor, backend=backend, on_progress=on_progress)
    return _REGISTRY.add(runner.start())


def resume(
    store: Store,
    study_id: int,
    *,
    executor: Executor | None = None,
    backend: Backend | None = None,
    on_progress: ProgressFn | None = None,
) -> StudyRunner:
    """Continue a study that is not running up to its budget (claimed atomically: one resume wins)."""
    _check_capacity()
    runner = StudyRunner(store, study_id, executor=executor, backend=backend, on_progress=on_progress)
    return _REGISTRY.add(runner.start())


def run(store: Store, config: StudyConfig, **kwargs: Any) -> dict[str, Any]:
    """Run a study to the end in the foreground; returns its summary."""
    runner = start(store, config, **kwargs)
    runner.join()
    return store.summary(runner.study_id)


class StudyRegistry:
    """Process-wide map of running studies, so a page can find and stop one after a reload."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runners: dict[tuple[str, int], StudyRunner] = {}

    def add(self, runner: StudyRunner) -> StudyRunner:
        with self._lock:
            self._runners[(runner.store.path, runner.study_id)] = runner
        return runner

    def get(self, store: Store, study_id: int) -> StudyRunner | None:
        with self._lock:
            r = self._runners.get((store.path, int(study_id)))
        return r if r is not None and r.running else None

    def stop(self, store: Store, study_id: int, *, wait: bool = True) -> bool:
        r = self.get(store, study_id)
        if r is None:
            return False
        r.stop(wait=wait)
        return True

    def running(self) -> list[StudyRunner]:
        with self._lock:
            return [r for r in self._runners.values() if r.running]


_REGISTRY = StudyRegistry()


def registry() -> StudyRegistry:
    """The process-wide registry that ``start`` and ``resume`` add their runners to."""
    return _REGISTRY


def _check_capacity() -> None:
    if len(_REGISTRY.running()) >= MAX_CONCURRENT_STUDIES:
        raise ConfigError(
            f"{MAX_CONCURRENT_STUDIES} studies are already running in this process.",
            fix="Stop one, or wait for one to finish, before starting another.",
        )
