"""Shared plumbing for the lessons: an EvalContext from plain X/y, fold scores, the dummy baseline.

Every CV score a lesson shows goes through :func:`tuning.evaluate.evaluate`, so a lesson uses the
same folds, preprocessing and scorers as a tuning study on the same data.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning
from sklearn.metrics import get_scorer

from tuning.errors import ConfigError
from tuning.evaluate import EvalContext, TrialResult, check_metric, default_metric, make_folds
from tuning.protocol import TrialState

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each unit of work, from the computing thread."""

TASKS = ("classification", "regression")

SCORE_COLUMNS = ("train_mean", "train_std", "val_mean", "val_std")
"""The CV score fields every curve lesson has, in the order its ``frame()`` lists them (:func:`score_columns`)."""


@dataclass(frozen=True)
class Sweep:
    """One hyperparameter ``param`` over ``values``: the CV score means and stds at each (higher is better).
    The first fields of the lessons that sweep one setting (validation curve, XGBoost knob)."""

    param: str
    values: tuple[Any, ...]
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings a lesson provokes on purpose (unconverged weak penalties, empty classes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", message=".*l1_ratio.*")
        warnings.filterwarnings("ignore", message=".*Falling back to prediction using DMatrix.*")
        yield


def as_frame(X: Any, names: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame view of X (arrays get columns x1, x2, ...), index reset so folds index by position."""
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    cols = list(names) if names is not None else [f"x{i + 1}" for i in range(arr.shape[1])]
    return pd.DataFrame(arr, columns=cols)


def encode_target(y: Any, task: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Classes as 0..k-1 (XGBoost needs that) with their labels; regression targets as floats."""
    if task not in TASKS:
        raise ConfigError(f"Unknown task {task!r}.", fix="Use 'classification' or 'regression'.")
    arr = np.asarray(y)
    if task == "regression":
        return arr.astype(float), None
    uniq = np.unique(arr)
    return np.searchsorted(uniq, arr).astype(np.int64), tuple(str(u) for u in uniq)


def split_columns(X: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Numeric (and boolean) columns as floats, everything else as string categories (NaN kept)."""
    out = pd.DataFrame(index=X.index)
    numeric: list[str] = []
    categorical: list[str] = []
    for c in X.columns:
        s = X[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[str(c)] = s.astype(float)
            numeric.append(str(c))
        else:
            out[str(c)] = np.array([np.nan if pd.isna(v) else str(v) for v in s], dtype=object)
            categorical.append(str(c))
    return out, tuple(numeric), tuple(categorical)


def make_context(
    X: Any,
    y: Any,
    *,
    model: str,
    task: str,
    metric: str | None = None,
    cv: int = 5,
    seed: int = 0,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    record_curves: bool = False,
    early_stopping_rounds: int | None = None,
    n_jobs: int = 1,
) -> EvalContext:
    """An EvalContext over all rows of X/y with the study's fold rule (stratified for classification).

    ``metric`` defaults to the engine's default for the task (roc_auc for two classes, accuracy for
    more, neg_root_mean_squared_error for regression). No secondary metrics: a lesson shows one score,
    and scoring fewer metrics keeps it fast. Pass ``numeric``/``categorical`` when X comes from
    :func:`tuning.data.prepare_xy`; otherwise columns are split by dtype.
    """
    frame = as_frame(X)
    if numeric is None or categorical is None:
        frame, numeric, categorical = split_columns(frame)
    yy, classes = encode_target(y, task)
    if len(yy) != len(frame):
        raise ConfigError(f"X has {len(frame)} rows but y has {len(yy)}.", fix="Pass matching X and y.")
    n_classes = len(classes) if classes else None
    if task == "classification" and (n_classes or 0) < 2:
        raise ConfigError("The target has a single class, so there is nothing to classify.")
    if cv < 2:
        raise ConfigError(f"Cross-validation needs at least 2 folds, got {cv}.", fix="Use cv=2 or more.")
    if task == "classification" and int(np.bincount(yy).min()) < cv:
        raise ConfigError(
            f"The smallest class has {int(np.bincount(yy).min())} rows, fewer than the {cv} folds.",
            fix="Use fewer folds or more rows.",
        )
    metric = metric or default_metric(task, n_classes)
    check_metric(metric, task=task, n_classes=n_classes, model=model)
    return EvalContext(
        model=model,
        task=task,
        X=frame,
        y=yy,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        folds=tuple(make_folds(yy, task=task, cv=cv, seed=seed)),
        metric=metric,
        secondary=(),
        n_jobs=n_jobs,
        seed=seed,
        early_stopping_rounds=early_stopping_rounds,
        record_curves=record_curves,
        curve_points=None,  # a lesson reads its curves round by round (where early stopping would stop)
    )


def fold_scores(result: TrialResult, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-fold (train, validation) scores of a complete result; NaN arrays for a failed one."""
    if result.state is not TrialState.COMPLETE:
        return np.array([np.nan]), np.array([np.nan])
    return (
        np.asarray(result.fold_train_scores.get(metric, [np.nan]), dtype=float),
        np.asarray(result.fold_scores.get(metric, [np.nan]), dtype=float),
    )


def summarize(values: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (ddof=0, like ``cv_results_``) per row of fold scores."""
    mean = np.array([float(np.mean(v)) for v in values])
    std = np.array([float(np.std(v)) for v in values])
    return mean, std


def standard_error(folds: np.ndarray) -> float:
    """Standard error of the mean fold score: std (ddof=1) / sqrt(K); 0 with one fold."""
    f = np.asarray(folds, dtype=float)
    if f.size < 2 or not np.all(np.isfinite(f)):
        return 0.0
    return float(np.std(f, ddof=1) / np.sqrt(f.size))


def failure_note(label: str, result: TrialResult) -> str:
    return f"{label}: {result.error or result.state}"


def raise_if_all_failed(results: Sequence[TrialResult], what: str) -> None:
    if results and all(r.state is not TrialState.COMPLETE for r in results):
        raise ConfigError(f"Every {what} failed; the first error was: {results[0].error}")


def dummy_score(ctx: EvalContext) -> float:
    """Mean validation score of the no-skill model (most frequent class / mean) on the context's folds."""
    scorer = get_scorer(ctx.metric)
    scores = []
    with quiet():
        for tr, va in ctx.folds:
            est = (
                DummyClassifier(strategy="most_frequent")
                if ctx.task == "classification"
                else DummyRegressor(strategy="mean")
            )
            est.fit(ctx.X.iloc[tr], ctx.y[tr])
            try:
                scores.append(float(scorer(est, ctx.X.iloc[va], ctx.y[va])))
            except ValueError:  # e.g. a fold whose validation rows lack a class the metric needs
                scores.append(np.nan)
    return float(np.nanmean(scores)) if np.any(np.isfinite(scores)) else float("nan")


def perfect_score(metric: str) -> float:
    """The best value a scorer can reach: 0 for losses (neg_*), 1 for accuracy/AUC/R²/F1."""
    return 0.0 if metric.startswith("neg_") else 1.0


def field_columns(obj: Any, *names: str) -> dict[str, Any]:
    """``obj``'s fields ``names`` as frame columns of the same names, in that order."""
    return {n: getattr(obj, n) for n in names}


def score_columns(obj: Any, *names: str) -> dict[str, Any]:
    """A curve's :data:`SCORE_COLUMNS` then its fields ``names``, as frame columns."""
    return field_columns(obj, *SCORE_COLUMNS, *names)


def tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)
