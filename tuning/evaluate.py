"""Evaluate one candidate: the study's folds, metrics and context, and the trial function workers run.

``run_trial(ctx, candidate, stop)`` is a plain function of picklable inputs, so it runs in a thread, a
process or on a Dask worker; the model family's trainer (``tuning.trainers``) does the fitting. A
failing candidate returns a FAILED outcome with its message; it never raises.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from tuning.errors import ConfigError
from tuning.models import build_pipeline, get_model
from tuning.protocol import Candidate, TrialOutcome, TrialState, worker_name
from tuning.trainers import FoldCache, Scorer, TrialStopped, trainer_for

CLASSIFICATION_BINARY = ("accuracy", "f1", "roc_auc", "neg_log_loss", "precision", "recall")
CLASSIFICATION_MULTI = ("accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss", "precision_macro", "recall_macro")
REGRESSION = ("neg_root_mean_squared_error", "neg_mean_absolute_error", "r2")
_PROBA_METRICS = {
    "neg_log_loss",
    "neg_brier_score",
    "roc_auc_ovr",
    "roc_auc_ovo",
    "roc_auc_ovr_weighted",
    "roc_auc_ovo_weighted",
}


def secondary_metrics(task: str, n_classes: int | None) -> tuple[str, ...]:
    if task == "regression":
        return REGRESSION
    return CLASSIFICATION_BINARY if (n_classes or 2) <= 2 else CLASSIFICATION_MULTI


def default_metric(task: str, n_classes: int | None) -> str:
    if task == "regression":
        return "neg_root_mean_squared_error"
    return "roc_auc" if (n_classes or 2) <= 2 else "accuracy"


def check_metric(metric: str, *, task: str, n_classes: int | None, model: str) -> None:
    """Raise a plain error when the scorer does not exist or cannot score this model/task."""
    if metric not in get_scorer_names():
        near = [m for m in get_scorer_names() if metric.split("_")[-1] in m][:5]
        raise ConfigError(
            f"Unknown metric {metric!r}.",
            fix=f"Use a scikit-learn scorer name, e.g. {', '.join(near or secondary_metrics(task, n_classes))}.",
        )
    regression_only = metric.startswith(("neg_mean", "neg_root", "neg_median", "r2", "explained", "max_error", "d2"))
    if task == "classification" and regression_only:
        raise ConfigError(
            f"{metric!r} is a regression metric but the task is classification.", fix="Use e.g. roc_auc or accuracy."
        )
    if task == "regression" and not regression_only:
        raise ConfigError(
            f"{metric!r} is a classification metric but the task is regression.",
            fix="Use e.g. r2 or neg_root_mean_squared_error.",
        )
    if (
        task == "classification"
        and (n_classes or 2) > 2
        and metric in ("roc_auc", "f1", "precision", "recall", "average_precision")
    ):
        raise ConfigError(
            f"{metric!r} is for two classes, but the target has {n_classes}.",
            fix=f"Use {metric}_ovr" if metric == "roc_auc" else f"Use {metric}_macro or accuracy.",
        )
    family = get_model(model)
    if metric in _PROBA_METRICS and task == "classification":
        est = family.factory(task)()
        if not hasattr(est, "predict_proba"):
            raise ConfigError(
                f"{metric!r} needs predicted probabilities, which {family.label} does not give.",
                fix="Use accuracy or roc_auc.",
            )


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


def final_params(params: dict[str, Any], curves: dict[str, Any] | None, *, early_stopping_rounds: int | None) -> dict:
    """Parameters for a refit on all training rows: with early stopping, the number of rounds the folds
    kept on average (best iteration + 1), as one does after ``xgboost.cv``."""
    if not early_stopping_rounds or not curves or not curves.get("best_iteration"):
        return dict(params)
    rounds = int(round(float(np.mean(curves["best_iteration"])))) + 1
    return {**params, "n_estimators": max(1, rounds)}


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


#: What older code called the result of an evaluation.
TrialResult = TrialOutcome


class _Never:
    def is_set(self) -> bool:
        return False


def run_trial(ctx: EvalContext, candidate: Candidate, stop: Any = None) -> TrialOutcome:
    """Evaluate one candidate with its family's trainer; never raises (a failure is a FAILED outcome)."""
    t0 = time.perf_counter()
    try:
        out = trainer_for(ctx.model).evaluate(ctx, candidate, stop if stop is not None else _Never())
    except TrialStopped:
        out = TrialOutcome(state=TrialState.STOPPED, params=candidate.params, error="stopped before it finished")
    except Exception as exc:  # the candidate's own failure: record it, keep searching
        msg = f"{type(exc).__name__}: {exc}".strip()
        out = TrialOutcome(state=TrialState.FAILED, params=candidate.params, error=msg[:2000])
    return out.with_(
        duration_s=time.perf_counter() - t0,
        worker=out.worker or worker_name(),
        budget=out.budget if out.budget is not None else candidate.budget,
        rung=candidate.rung,
    )


def evaluate(ctx: EvalContext, params: dict[str, Any], *, stop: threading.Event | None = None) -> TrialOutcome:
    """Cross-validate one parameter set at its full budget (lessons and scripts)."""
    return run_trial(ctx, Candidate(number=0, params=params), stop)


__all__ = [
    "EvalContext",
    "TrialResult",
    "TrialStopped",
    "check_metric",
    "default_metric",
    "early_stopping_split",
    "evaluate",
    "final_params",
    "holdout_split",
    "make_folds",
    "run_trial",
    "secondary_metrics",
]
