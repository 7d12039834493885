"""A study as one typed object: create it, open it, its resolved config, its data loaded once.

Everything that re-assembled a study from the store's dicts (the runner, exports, the held-out test
score, lessons on a finished study) goes through ``Study``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from tuning.config import StudyConfig, resolve_config
from tuning.data import PreparedData, check_folds, parse_table, prepare_xy, profile_table
from tuning.evaluate import EvalContext, holdout_split, make_folds, secondary_metrics
from tuning.store import Store, StudyRecord, TrialRecord


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
    return split_rows(prepare_xy(df, profile), config, task=profile.task or "")


def split_rows(prepared: PreparedData, config: StudyConfig, *, task: str) -> LoadedData:
    """Held-out test rows aside (when asked), then check that every class fills the CV folds."""
    n = len(prepared.y)
    if config.test_size and config.test_size > 0:
        train_idx, test_idx = holdout_split(n, prepared.y, task=task, test_size=config.test_size, seed=config.seed)
    else:
        train_idx, test_idx = np.arange(n), None
    check_folds(prepared.y[train_idx], task=task, cv=config.cv, classes=prepared.classes)
    return LoadedData(prepared, train_idx, test_idx)


def make_context(
    config: StudyConfig, data: LoadedData, *, n_jobs: int, hints: dict[str, Any] | None = None
) -> EvalContext:
    """The evaluation context of a study: its training rows, folds, metrics and trainer hints."""
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
        hints=dict(hints or {}),
    )


class Study:
    """A stored study: its record, its resolved config, and its data (loaded on first use, once)."""

    def __init__(self, store: Store, study_id: int) -> None:
        self.store = store
        self.id = int(study_id)
        self.record: StudyRecord = store.get_study(self.id)
        self.config = StudyConfig.from_dict(self.record.config)

    @classmethod
    def create(cls, store: Store, config: StudyConfig, *, token: str | None = None) -> Study:
        """Validate and resolve ``config`` against its stored dataset, then record the study."""
        name, content = store.dataset_content(config.dataset_id)
        df = parse_table(content, name=name)
        profile = profile_table(df, target=config.target, task=config.task)
        resolved = resolve_config(config, profile)
        split_rows(prepare_xy(df, profile), resolved, task=resolved.task or "")  # a class that cannot fill the folds
        label = resolved.name or f"{resolved.model} · {resolved.strategy} · {name}"
        resolved = resolved.replace(name=label)
        sid = store.create_study(name=label, dataset_id=resolved.dataset_id, config=resolved.to_dict(), token=token)
        return cls(store, sid)

    def refresh(self) -> Study:
        self.record = self.store.get_study(self.id)
        return self

    @cached_property
    def data(self) -> LoadedData:
        return load_study_data(self.store, self.config)

    def context(self, *, n_jobs: int, hints: dict[str, Any] | None = None) -> EvalContext:
        return make_context(self.config, self.data, n_jobs=n_jobs, hints=hints)

    def trials(self, **kwargs: Any) -> list[TrialRecord]:
        return self.store.get_trials(self.id, **kwargs)

    def best(self) -> TrialRecord | None:
        return self.store.best_trial(self.id)

    def summary(self) -> dict[str, Any]:
        return self.store.summary(self.id)
