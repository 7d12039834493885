"""A study as one typed object: create it, open it, its resolved config, its data loaded once, its summary.

Everything that needs a stored study (the runner, exports, the held-out test score, fine-tuning, lessons on a
finished study, the pages and the CLI) opens it with ``open_study`` and reads it through ``Study``: the
config is parsed once, the table is parsed once per handle, and there is one refit of the best candidate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from tuning.config import ResolvedConfig, StudyConfig, resolve_config
from tuning.context import EvalContext, holdout_split, make_folds, secondary_metrics
from tuning.data import PreparedData, check_folds, parse_table, prepare_xy
from tuning.errors import StoreError
from tuning.profile import DatasetProfile, profile_table
from tuning.protocol import StopReason, StudyState, TrialState
from tuning.store import Store, StudyRecord, TrialRecord


def model_threads(workers: int) -> int:
    """Threads per model so that workers x model threads <= cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@dataclass(frozen=True)
class Table:
    """A stored dataset parsed once: the frame as read and its profile for the study's target."""

    name: str
    content: bytes
    frame: pd.DataFrame
    profile: DatasetProfile


@dataclass(frozen=True)
class LoadedData:
    prepared: PreparedData
    train_idx: np.ndarray
    test_idx: np.ndarray | None


def read_table(store: Store, dataset_id: str, *, target: str | None, task: str | None) -> Table:
    name, content = store.dataset_content(dataset_id)
    df = parse_table(content, name=name)
    return Table(name, content, df, profile_table(df, target=target, task=task))


def split_rows(prepared: PreparedData, config: ResolvedConfig, *, task: str) -> LoadedData:
    """Held-out test rows aside (when asked), then check that every class fills the CV folds."""
    n = len(prepared.y)
    if config.test_size and config.test_size > 0:
        train_idx, test_idx = holdout_split(n, prepared.y, task=task, test_size=config.test_size, seed=config.seed)
    else:
        train_idx, test_idx = np.arange(n), None
    check_folds(prepared.y[train_idx], task=task, cv=config.cv, classes=prepared.classes)
    return LoadedData(prepared, train_idx, test_idx)


def load_study_data(store: Store, config: ResolvedConfig) -> LoadedData:
    """Read the stored copy of the dataset, prepare X/y, split off the held-out test rows."""
    table = read_table(store, config.dataset_id, target=config.target, task=config.task)
    return split_rows(prepare_xy(table.frame, table.profile), config, task=table.profile.task or "")


def make_context(
    config: ResolvedConfig, data: LoadedData, *, n_jobs: int, hints: dict[str, Any] | None = None
) -> EvalContext:
    """The evaluation context of a study: its training rows, folds, metrics and trainer hints."""
    p = data.prepared
    X = p.X.iloc[data.train_idx].reset_index(drop=True)
    y = p.y[data.train_idx]
    task = str(config.task or "")
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
        metric=config.metric,
        secondary=secondary_metrics(task, n_classes),
        n_jobs=n_jobs,
        device=str(config.device),
        seed=config.seed,
        early_stopping_rounds=config.early_stopping_rounds,
        record_curves=config.record_curves,
        trial_timeout=config.trial_timeout,
        hints=dict(hints or {}),
    )


@dataclass(frozen=True)
class StudySummary:
    """What ``run/resume/list/show --json`` print: ``to_json()`` is DESIGN.md's CLI contract, key for key."""

    study_id: int
    name: str
    state: StudyState
    n_trials: int
    n_complete: int
    n_failed: int
    n_pruned: int
    n_running: int
    metric: str
    best_score: float | None
    best_params: dict[str, Any] | None
    duration_s: float
    model: str
    strategy: str
    dataset_id: str
    created: str
    test_score: float | None
    error: str | None
    stop_reason: StopReason | None
    pruner: str
    parent: dict[str, Any] | None = None
    stop_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {  # the contract's keys first, in its order; extensions after
            "study_id": self.study_id,
            "state": self.state.value,
            "n_trials": self.n_trials,
            "n_complete": self.n_complete,
            "n_failed": self.n_failed,
            "metric": self.metric,
            "best_score": self.best_score,
            "best_params": self.best_params,
            "duration_s": round(self.duration_s, 3),
            "name": self.name,
            "n_pruned": self.n_pruned,
            "n_running": self.n_running,
            "model": self.model,
            "strategy": self.strategy,
            "dataset_id": self.dataset_id,
            "created": self.created,
            "test_score": self.test_score,
            "error": self.error,
            "stop_reason": self.stop_reason.value if self.stop_reason else None,
            "pruner": self.pruner,
        }
        if self.stop_note:
            out["stop_note"] = self.stop_note
        if self.parent is not None:
            out["parent"] = self.parent
        return out


class Study:
    """A stored study: its record, its resolved config, and its data (parsed on first use, once)."""

    def __init__(self, store: Store, study_id: int, *, table: Table | None = None) -> None:
        self.store = store
        self.id = int(study_id)
        self.record: StudyRecord = store.get_study(self.id)
        self.config: ResolvedConfig = self.record.config
        if table is not None:
            self.__dict__["table"] = table

    @classmethod
    def create(cls, store: Store, config: StudyConfig, *, token: str | None = None) -> Study:
        """Validate and resolve ``config`` against its stored dataset, then record the study (table parsed once)."""
        table = read_table(store, config.dataset_id, target=config.target, task=config.task)
        resolved = resolve_config(config, table.profile)
        task = resolved.task.value if resolved.task else ""
        data = split_rows(prepare_xy(table.frame, table.profile), resolved, task=task)  # classes that fill the folds
        label = resolved.name or f"{resolved.model} · {resolved.strategy.value} · {table.name}"
        resolved = resolved.replace(name=label)
        sid = store.create_study(name=label, dataset_id=resolved.dataset_id, config=resolved, token=token)
        study = cls(store, sid, table=table)
        study.__dict__["data"] = data
        return study

    def refresh(self) -> Study:
        self.record = self.store.get_study(self.id)
        return self

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def state(self) -> StudyState:
        return self.record.state

    @cached_property
    def table(self) -> Table:
        return read_table(self.store, self.config.dataset_id, target=self.config.target, task=self.config.task)

    @cached_property
    def data(self) -> LoadedData:
        t = self.table
        return split_rows(prepare_xy(t.frame, t.profile), self.config, task=t.profile.task or "")

    def context(self, *, n_jobs: int, hints: dict[str, Any] | None = None) -> EvalContext:
        return make_context(self.config, self.data, n_jobs=n_jobs, hints=hints)

    def trials(self, **kwargs: Any) -> list[TrialRecord]:
        return self.store.get_trials(self.id, **kwargs)

    def best(self) -> TrialRecord | None:
        return self.store.best_trial(self.id)

    def frame(self, *, with_curves: bool = False) -> pd.DataFrame:
        """The results frame (scikit-learn ``cv_results_`` names) of every trial."""
        from tuning.analysis import results_frame

        return results_frame(
            self.trials(with_curves=with_curves), metric=self.config.metric, param_names=self.config.space.names
        )

    def summary(self) -> StudySummary:
        record, cfg = self.record, self.config
        counts = self.store.trial_counts(self.id)
        best = self.best()
        return StudySummary(
            study_id=record.id,
            name=record.name,
            state=record.state,
            n_trials=sum(n for s, n in counts.items() if TrialState(s).finished),
            n_complete=counts.get(TrialState.COMPLETE.value, 0),
            n_failed=counts.get(TrialState.FAILED.value, 0),
            n_pruned=counts.get(TrialState.PRUNED.value, 0),
            n_running=counts.get(TrialState.RUNNING.value, 0),
            metric=cfg.metric,
            best_score=None if best is None else best.score,
            best_params=None if best is None else best.params,
            duration_s=record.elapsed_s,
            model=cfg.model,
            strategy=cfg.strategy.value,
            dataset_id=record.dataset_id,
            created=record.created,
            test_score=record.test_score,
            error=record.error,
            stop_reason=record.stop_reason,
            pruner=cfg.pruner.value,
            parent=cfg.extra.get("parent"),
            stop_note=record.stop_note,
        )

    def best_or_raise(self) -> TrialRecord:
        best = self.best()
        if best is None:
            raise StoreError(
                f"Study {self.id} has no complete trial yet.", fix="Run it, or wait for a trial to finish."
            )
        return best

    def refit_best(self, *, n_jobs: int | None = None) -> Any:
        """The one refit: the best candidate fitted on all the study's training rows (held-out rows kept out).

        With early stopping, it boosts the rounds the folds kept on average, as one does after ``xgboost.cv``."""
        from tuning.evaluate import final_params

        best = self.best_or_raise()
        ctx = self.context(n_jobs=n_jobs or model_threads(1))
        pipe = ctx.pipeline(
            final_params(best.params, best.curves, early_stopping_rounds=self.config.early_stopping_rounds)
        )
        pipe.fit(ctx.X, ctx.y)
        return pipe

    def test_score(self, pipe: Any | None = None) -> float | None:
        """The refit best model's score on the held-out test rows (None without them)."""
        if not self.config.test_size or self.best() is None:
            return None
        from sklearn.metrics import get_scorer

        pipe = pipe if pipe is not None else self.refit_best()
        p, test_idx = self.data.prepared, self.data.test_idx
        assert test_idx is not None
        return float(get_scorer(self.config.metric)(pipe, p.X.iloc[test_idx], p.y[test_idx]))

    def artifacts(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        return self.store.list_artifacts(study_id=self.id, kind=kind)


def open_study(store: Store, study_id: int) -> Study:
    """The handle of a stored study (a plain StoreError when there is none)."""
    return Study(store, study_id)


def list_studies(store: Store) -> list[Study]:
    """Every stored study, oldest first."""
    return [Study(store, r.id) for r in store.list_studies()]


def summaries(store: Store) -> list[StudySummary]:
    return [s.summary() for s in list_studies(store)]


def summary_of(store: Store, study_id: int) -> dict[str, Any]:
    """One study's summary as the CLI's JSON object (what ``run`` returns from Python)."""
    return open_study(store, study_id).summary().to_json()
