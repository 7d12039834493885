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
from functools import partial
from typing import Any

from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning

from tuning.config import ResolvedConfig, StudyConfig
from tuning.context import EvalContext
from tuning.errors import ConfigError, TuningError
from tuning.evaluate import run_trial
from tuning.executors import Backend, ExecutorBackend, make_backend
from tuning.ladder import Job, Move, NoLadder, make_ladder
from tuning.protocol import StopReason, StudyState, TrialOutcome, TrialState
from tuning.store import HEARTBEAT_S, Store, Superseded, TrialRecord, now_iso
from tuning.strategies import Strategy, make_strategy, params_key
from tuning.strategies.pruners import make_pruner, rungs_below
from tuning.study import Study, model_threads, summary_of
from tuning.tally import Tally
from tuning.trainers import Trainer, trainer_for

log = logging.getLogger(__name__)
ProgressFn = Callable[[dict[str, Any]], None]

#: Most studies one process runs at once (each has its workers); more waits for a plain refusal.
MAX_CONCURRENT_STUDIES = 4

__all__ = ["StudyRegistry", "StudyRunner", "create_study", "registry", "resume", "run", "start"]


def create_study(store: Store, config: StudyConfig) -> tuple[int, ResolvedConfig]:
    """Validate and resolve the config against its stored dataset, then record the study (ready to start)."""
    study = Study.create(store, config)
    return study.id, study.config


def _budgets(trainer: Trainer, ctx: EvalContext, params: dict[str, Any], *, eta: int, below: int) -> list[int]:
    return trainer.rung_budgets(ctx, params, eta=eta, min_budget=None, below=below)


@dataclass
class _Run:
    """The working state of one run of a study's loop."""

    backend: Backend
    ctx: EvalContext
    strategy: Strategy
    ladder: NoLadder
    tally: Tally
    queue: list[Job]
    seeds: list[dict[str, Any]]
    pending: dict[Future[TrialOutcome], Job] = field(default_factory=dict)


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
        study: Study | None = None,
    ) -> None:
        self.store = store
        self.study_id = int(study_id)
        self._study = study if study is not None else Study(store, study_id)
        self.config = self._study.config
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
        self._note: str | None = None
        self._release: Callable[[int], None] = lambda number: None

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
                    stop_note=self._note,
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
        run = self._setup()
        tally, pending, queue = run.tally, run.pending, run.queue
        reason, exhausted = None, False
        run.backend.start(run_trial, run.ctx)
        try:
            while True:
                reason = reason or tally.stop_reason(elapsed=self.elapsed(), stop_requested=self._stop.is_set())
                while reason is None and len(pending) < self.config.workers and (queue or not exhausted):
                    if not queue and tally.n_done + len(pending) >= tally.budget:
                        break
                    job = queue.pop(0) if queue else self._ask(run)
                    if job is None:
                        exhausted = True
                        break
                    pending[run.backend.submit(job.candidate)] = job
                if not pending:
                    why = reason or (StopReason.EXHAUSTED if exhausted else None)
                    return tally.final(why, stop_requested=self._stop.is_set())
                done, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    self._settle(run, job, self._outcome(fut, job), ending=reason is not None)
        finally:
            run.backend.close()
            self._note = tally.note

    def _setup(self) -> _Run:
        """Everything one run of the loop needs, rebuilt from the store (a resume continues where it was)."""
        study, backend, ctx = self._prepare()
        cfg = study.config
        trainer = trainer_for(cfg.model)
        history = study.trials()
        strategy = self._strategy(history)
        ladder = make_ladder(
            make_pruner(cfg.pruner.value),
            partial(_budgets, trainer, ctx, eta=3, below=rungs_below(cfg.pruner.value)),
            unit=trainer.resource,
            history=history,
            n_trials=cfg.n_trials,
        )
        queue = [ladder.resume(t, started=t.started or now_iso()) for t in history if t.state is TrialState.PAUSED]
        for job in queue:
            self.store.reopen_trial(self.study_id, job.candidate.number, token=self._token)
        tried = {params_key(t.params) for t in history}
        seeds = [dict(p) for p in cfg.extra.get("seed") or () if params_key(p) not in tried]
        cheap = trainer.cheap_start(cfg.space) if cfg.cheap_start and not history else None
        if cheap is not None and params_key(cheap) not in tried:
            seeds.insert(0, cheap)
        tally = Tally.of(cfg, history, total=strategy.total)
        return _Run(backend, ctx, strategy, ladder, tally, queue, seeds)

    def _prepare(self) -> tuple[Study, Backend, EvalContext]:
        """The study handle, the backend its config names (or the one given) and the evaluation context."""
        study = self._study or Study(self.store, self.study_id)
        cfg = study.config
        if self._backend is None:
            self._backend = (
                ExecutorBackend(self._executor, workers=cfg.workers)
                if self._executor is not None
                else make_backend(
                    cfg.executor.value, workers=cfg.workers, scheduler=cfg.scheduler, study_id=self.study_id
                )
            )
        backend = self._backend
        n_jobs = model_threads(cfg.workers) if backend.shares_memory else 1
        trainer = trainer_for(cfg.model)
        ctx = study.context(
            n_jobs=n_jobs, hints=trainer.hints(cfg.space, strategy=cfg.strategy.value, pruner=cfg.pruner.value)
        )
        self._release = partial(trainer.release, ctx)
        return study, backend, ctx

    def _strategy(self, history: list[TrialRecord]) -> Strategy:
        """The study's sampler, told every finished trial (warm-start trials of a parent first)."""
        cfg = self.config
        strategy = make_strategy(cfg.strategy.value, cfg.space, seed=cfg.seed, budget=cfg.n_trials)
        warm = [(w["params"], w.get("score")) for w in cfg.extra.get("warm_start") or ()]
        done = [(t.params, t.score if t.state is not TrialState.FAILED else None) for t in history if t.state.finished]
        strategy.replay([*warm, *done])
        for t in history:
            if t.state is TrialState.PAUSED:
                strategy.mark_asked(t.params)
        return strategy

    def _ask(self, run: _Run) -> Job | None:
        """The next new candidate: a seed configuration first, then the strategy's; None when it has none."""
        params = run.seeds.pop(0) if run.seeds else run.strategy.ask()
        if params is None:
            return None
        number = self.store.new_trial(self.study_id, params, token=self._token)
        return run.ladder.first(number, params, started=now_iso())

    def _settle(self, run: _Run, job: Job, out: TrialOutcome, *, ending: bool) -> None:
        """Store what a finished job gave; promote it, keep it paused, or count it and tell the strategy."""
        number, token, tally = job.candidate.number, self._token, run.tally
        if out.state is TrialState.STOPPED:
            self.store.record_outcome(self.study_id, number, out, token=token)
            return
        # candidates not judged yet (in flight at their first rung, or not asked): the early-cut floor counts on them
        undecided = sum(not j.rungs for j in run.pending.values())
        undecided += max(0, tally.budget - self.store.next_trial_number(self.study_id))
        step = run.ladder.step(job, out, ending=ending, undecided=undecided)
        self.store.record_outcome(self.study_id, number, step.outcome, token=token, started=job.started)
        if step.move is Move.PROMOTE and step.next is not None:
            run.pending[run.backend.submit(step.next.candidate)] = step.next
        if step.move is not Move.FINAL:
            return
        self._release(number)
        final = step.outcome
        run.strategy.tell(job.candidate.params, final.score if final.state is not TrialState.FAILED else None)
        tally.add(final)
        self._emit(
            {
                "event": "trial",
                "number": number,
                "state": final.state.value,
                "score": final.score,
                "best": tally.best,
                "n_done": tally.n_done,
                "budget": tally.budget,
                "elapsed": self.elapsed(),
            }
        )

    def _outcome(self, fut: Future[TrialOutcome], job: Job) -> TrialOutcome:
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

    def _test_score(self) -> float | None:
        """The refit best candidate's score on the held-out test rows (None without them)."""
        return self._study.test_score() if self._study is not None else None

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
    study = Study.create(store, config)  # the table is parsed here, once, and the runner reuses it
    runner = StudyRunner(store, study.id, executor=executor, backend=backend, on_progress=on_progress, study=study)
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
    return summary_of(store, runner.study_id)


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
