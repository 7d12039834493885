"""What a study's trials share: the evaluation context (data, folds, metrics, per-worker cache) and the splits.

Trainers and the trial function both read ``EvalContext``; it lives here, apart from the dispatcher in
``tuning.evaluate``, so that trainers never import the code that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from tuning.metrics import secondary_metrics
from tuning.models import build_pipeline
from tuning.protocol import CURVE_POINTS
from tuning.trainers.base import FoldCache, Scorer


def make_folds(y: np.ndarray, *, task: str, cv: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """StratifiedKFold for classification, KFold for regression, both shuffled with the seed."""
    splitter = (StratifiedKFold if task == "classification" else KFold)(cv, shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y)]


def holdout_split(n: int, y: np.ndarray, *, task: str, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(n)
    strat = y if task == "classification" else None
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)
    return np.sort(tr), np.sort(te)


EARLY_STOPPING_FRACTION = 0.15


def early_stopping_split(y: np.ndarray, *, task: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a training fold to fit on, and rows (15%) whose loss early stopping watches."""
    idx = np.arange(len(y))
    strat = None
    if task == "classification":
        counts = np.bincount(y)
        strat = y if counts[counts > 0].min() >= 2 else None
    fit, es = train_test_split(idx, test_size=EARLY_STOPPING_FRACTION, random_state=seed, stratify=strat)
    return np.sort(fit), np.sort(es)


@dataclass(frozen=True)
class EvalContext:
    """Everything a worker needs to evaluate candidates of one study (picklable).

    ``cache`` holds what is prepared once per study and reused by every trial on this worker (the
    preprocessed folds, XGBoost's matrices); it is not pickled, so each worker builds its own.
    ``dataclasses.replace`` gives a fresh cache (new folds, new data). ``hints`` are plain facts trainers may use (e.g. ``staged_rounds``: a grid's largest n_estimators).
    """

    model: str
    task: str
    X: pd.DataFrame
    y: np.ndarray
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    metric: str
    secondary: tuple[str, ...]
    n_jobs: int = 1
    device: str = "cpu"
    seed: int = 0
    early_stopping_rounds: int | None = None
    record_curves: bool = True
    trial_timeout: float | None = None  # seconds a trial may take (checked between folds and boosting rounds)
    curve_points: int | None = CURVE_POINTS  # points of a learning curve per fold; None: every round (lessons)
    hints: dict[str, Any] = field(default_factory=dict)
    cache: FoldCache = field(default_factory=FoldCache, init=False, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "cache", FoldCache())

    def pipeline(self, params: dict[str, Any]) -> Pipeline:
        return build_pipeline(
            self.model,
            self.task,
            params,
            numeric=self.numeric,
            categorical=self.categorical,
            n_jobs=self.n_jobs,
            device=self.device,
            seed=self.seed,
        )

    def scorer_for(self, estimator: Any) -> Scorer:
        """The study's scorer, told what kind of estimator it scores (cached per study)."""

        def build() -> Scorer:
            n_classes = int(self.y.max()) + 1 if self.task == "classification" and len(self.y) else 0
            return Scorer(
                self.metric, self.secondary, task=self.task, n_classes=n_classes, tags=estimator.__sklearn_tags__()
            )

        return self.cache.shared(("scorer", type(estimator).__name__), build)


__all__ = [
    "EARLY_STOPPING_FRACTION",
    "EvalContext",
    "early_stopping_split",
    "holdout_split",
    "make_folds",
    "secondary_metrics",
]
