"""Run a study: a background thread asks the strategy, evaluates on an executor, stores each result.

The thread never touches the UI. Parallel trials go through a ``concurrent.futures.Executor``, so
threads, processes and a Dask cluster (``Client.get_executor()``) are interchangeable. Stopping is
cooperative: an Event checked between trials, between folds and, for XGBoost, between rounds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning

from tuning.config import StudyConfig, resolve_config
from tuning.data import PreparedData, check_folds, parse_table, prepare_xy, profile_table
from tuning.errors import TuningError
from tuning.evaluate import (
    EvalContext,
    TrialResult,
    evaluate,
    final_params,
    holdout_split,
    make_folds,
    secondary_metrics,
)
from tuning.store import HEARTBEAT_S, Store, StudyState, TrialState, now_iso
from tuning.strategies import make_strategy

log = logging.getLogger(__name__)
ProgressFn = Callable[[dict[str, Any]], None]


def model_threads(workers: int) -> int:
    """Threads per model so that workers x model threads <= cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@dataclass(frozen=True)
class LoadedData:
    prepared: PreparedData
    train_idx: np.ndarray
    test_idx: np.ndarray | None


def load_study_data(store: Store, config: StudyConfig) -> LoadedData:
    """Read the stored copy of the dataset, prepare X/y, split off the held-out test rows."""
    name, content = store.dataset_content(config.dataset_id)
    df = parse_table(content, name=name)
    profile = profile_table(df, target=config.target, task=config.task)
    return _split(prepare_xy(df, profile), config, task=profile.task or "")


def _split(prepared: PreparedData, config: StudyConfig, *, task: str) -> LoadedData:
    """Held-out test rows aside (when asked), then check that every class fills the CV folds."""
    n = len(prepared.y)
    if config.test_size and config.test_size > 0:
        train_idx, test_idx = holdout_split(n, prepared.y, task=task, test_size=config.test_size, seed=config.seed)
    else:
        train_idx, test_idx = np.arange(n), None
    check_folds(prepared.y[train_idx], task=task, cv=config.cv, classes=prepared.classes)
    return LoadedData(prepared, train_idx, test_idx)


def make_context(config: StudyConfig, data: LoadedData, *, n_jobs: int) -> EvalContext:
    p = data.prepared
    X = p.X.iloc[data.train_idx].reset_index(drop=True)
    y = p.y[data.train_idx]
    task = config.task or ""
    folds = make_folds(y, task=task, cv=config.cv, seed=config.seed)
    n_classes = len(p.classes) if p.classes else None
    return EvalContext(
        model=config.model,
        task=task,
        X=X,
        y=y,
        numeric=p.numeric,
        categorical=p.categorical,
        folds=tuple(folds),
        metric=config.metric or "",
        secondary=secondary_metrics(task, n_classes),
        n_jobs=n_jobs,
        device=config.device,
        seed=config.seed,
        early_stopping_rounds=config.early_stopping_rounds,
        record_curves=config.record_curves,
    )


def create_study(store: Store, config: StudyConfig) -> tuple[int, StudyConfig]:
    """Validate and resolve the config against its stored dataset, then record the study."""
    name, content = store.dataset_content(config.dataset_id)
    df = parse_table(content, name=name)
    profile = profile_table(df, target=config.target, task=config.task)
    resolved = resolve_config(config, profile)
    _split(prepare_xy(df, profile), resolved, task=resolved.task or "")  # raises when a class cannot fill the folds
    label = resolved.name or f"{resolved.model} · {resolved.strategy} · {name}"
    study_id = store.create_study(name=label, dataset_id=resolved.dataset_id, config=resolved.to_dict())
    return study_id, resolved.replace(name=label)


class StudyRunner:
    """Runs one study in a background thread; ``stop()`` returns promptly and keeps finished trials."""

    def __init__(
        self,
        store: Store,
        study_id: int,
        *,
        executor: Executor | None = None,
        on_progress: ProgressFn | None = None,
    ) -> None:
        self.store = store
        self.study_id = study_id
        self.config = StudyConfig.from_dict(store.get_study(study_id).config)
        self._executor = executor
        self._on_progress = on_progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"study-{study_id}", daemon=True)
        self.error: str | None = None

    # -- control ------------------------------------------------------------------------------

    def start(self) -> StudyRunner:
        self.store.claim_study(self.study_id)
        self._thread.start()
        return self

    def stop(self, *, wait: bool = True, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if wait:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", category=UndefinedMetricWarning)
        prior = self.store.get_study(self.study_id).elapsed_s
        t0 = time.monotonic()
        elapsed = lambda: prior + time.monotonic() - t0  # noqa: E731
        try:
            state, error = self._loop(elapsed)
            test_score = self._test_score() if state in (StudyState.COMPLETE, StudyState.STOPPED) else None
            self.store.finish_study(self.study_id, state, elapsed_s=elapsed(), error=error, test_score=test_score)
        except TuningError as exc:
            self.error = str(exc)
            self.store.finish_study(self.study_id, StudyState.FAILED, elapsed_s=elapsed(), error=self.error)
        except Exception as exc:  # a bug: keep the trials, record it, never kill the host process
            log.exception("study %s crashed", self.study_id)
            self.error = f"internal error: {type(exc).__name__}: {exc}"
            self.store.finish_study(self.study_id, StudyState.FAILED, elapsed_s=elapsed(), error=self.error)
        self._emit({"event": "finished"})

    def _loop(self, elapsed: Callable[[], float]) -> tuple[StudyState, str | None]:
        cfg = self.config
        data = load_study_data(self.store, cfg)
        workers = cfg.workers
        shared_memory = self._executor is None or isinstance(self._executor, ThreadPoolExecutor)
        ctx = make_context(cfg, data, n_jobs=model_threads(workers) if shared_memory else 1)
        strategy = make_strategy(cfg.strategy, cfg.search_space(), seed=cfg.seed)

        history = self.store.get_trials(
            self.study_id, states=(TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)
        )
        strategy.replay([(t.params, t.score if t.state is TrialState.COMPLETE else None) for t in history])
        n_done = len(history)
        n_failed = sum(t.state is TrialState.FAILED for t in history)
        first_error = next((t.error for t in history if t.state is TrialState.FAILED), None)
        best = max((t.score for t in history if t.score is not None), default=None)
        since_best = 0
        for t in history:
            since_best = 0 if (t.score is not None and t.score == best) else since_best + 1
        number = self.store.next_trial_number(self.study_id)
        budget = cfg.n_trials if cfg.n_trials is not None else (strategy.total or 10**9)

        own = self._executor is None
        executor = self._executor or ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"study-{self.study_id}-worker"
        )
        pending: dict[Future[TrialResult], tuple[int, dict[str, Any], str]] = {}
        exhausted = False
        last_beat = 0.0
        reason = ""
        try:
            while True:
                if not reason:
                    reason = self._stop_reason(n_done, budget, elapsed(), best, since_best)
                while not reason and not exhausted and len(pending) < workers and n_done + len(pending) < budget:
                    params = strategy.ask()
                    if params is None:
                        exhausted = True
                        break
                    started = now_iso()
                    self.store.add_running_trial(self.study_id, number, params)
                    fut = executor.submit(evaluate, ctx, params, stop=self._stop if shared_memory else None)
                    pending[fut] = (number, params, started)
                    number += 1
                if not pending:
                    break
                done, _ = wait(list(pending), timeout=0.25, return_when=FIRST_COMPLETED)
                if time.monotonic() - last_beat > HEARTBEAT_S:
                    self.store.heartbeat(self.study_id, elapsed_s=elapsed())
                    last_beat = time.monotonic()
                for fut in done:
                    num, params, started = pending.pop(fut)
                    res = fut.result()
                    if res.state == "stopped":
                        self.store.delete_trial(self.study_id, num)
                        continue
                    state = TrialState.COMPLETE if res.state == "complete" else TrialState.FAILED
                    self.store.finish_trial(
                        self.study_id,
                        num,
                        state=state,
                        params=params,
                        score=res.score,
                        train_score=res.train_score,
                        fold_scores=res.fold_scores,
                        fold_train_scores=res.fold_train_scores,
                        fit_time=res.fit_time,
                        score_time=res.score_time,
                        curves=res.curves,
                        error=res.error,
                        duration_s=res.duration_s,
                        started=started,
                        worker=res.worker,
                    )
                    strategy.tell(params, res.score if state is TrialState.COMPLETE else None)
                    n_done += 1
                    if state is TrialState.FAILED:
                        n_failed += 1
                        first_error = first_error or res.error
                    elif best is None or (res.score is not None and res.score > best):
                        best, since_best = res.score, 0
                    else:
                        since_best += 1
                    if state is TrialState.COMPLETE and best is not None and res.score == best:
                        since_best = 0
                    self._emit(
                        {
                            "event": "trial",
                            "number": num,
                            "state": state.value,
                            "score": res.score,
                            "best": best,
                            "n_done": n_done,
                            "budget": budget,
                            "elapsed": elapsed(),
                        }
                    )
        finally:
            if own:
                executor.shutdown(wait=True, cancel_futures=True)
        if self._stop.is_set():
            return StudyState.STOPPED, None
        if n_done and n_failed == n_done:
            return StudyState.FAILED, f"Every trial failed; the first error was: {first_error}"
        return StudyState.COMPLETE, None

    def _stop_reason(self, n_done: int, budget: int, elapsed: float, best: float | None, since_best: int) -> str:
        cfg = self.config
        if self._stop.is_set():
            return "stopped"
        if n_done >= budget:
            return "trials"
        if cfg.timeout is not None and elapsed >= cfg.timeout:
            return "timeout"
        if cfg.target_score is not None and best is not None and best >= cfg.target_score:
            return "target"
        if cfg.patience is not None and since_best >= cfg.patience:
            return "patience"
        return ""

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
    store: Store, config: StudyConfig, *, executor: Executor | None = None, on_progress: ProgressFn | None = None
) -> StudyRunner:
    """Create the study and run it in the background; returns the runner (``.study_id``, ``.stop()``)."""
    study_id, _ = create_study(store, config)
    return StudyRunner(store, study_id, executor=executor, on_progress=on_progress).start()


def resume(
    store: Store, study_id: int, *, executor: Executor | None = None, on_progress: ProgressFn | None = None
) -> StudyRunner:
    """Continue a stopped or interrupted study up to its budget."""
    store.recover()
    study = store.get_study(study_id)
    if study.state is StudyState.RUNNING:
        raise TuningError(f"Study {study_id} is already running.", fix="Stop it first, or wait for it to finish.")
    return StudyRunner(store, study_id, executor=executor, on_progress=on_progress).start()


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

    def add(self, runner: StudyRunner) -> None:
        with self._lock:
            self._runners[(runner.store.path, runner.study_id)] = runner

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
