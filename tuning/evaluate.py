"""Evaluate one candidate: K-fold train and validation scores, timings, XGBoost round curves.

``evaluate`` is a plain function of picklable inputs, so it runs in a thread, a process or on a
Dask worker. A failing candidate returns a FAILED result with its message; it never raises.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from tuning.errors import ConfigError
from tuning.metrics import fold_metrics
from tuning.models import build_pipeline, get_model

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


class TrialStopped(Exception):
    """Raised inside a fit when the study is asked to stop."""


def _xgb_stop_callback(stop: threading.Event) -> Any:
    from xgboost.callback import TrainingCallback

    class StopCallback(TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            return stop.is_set()

    return StopCallback()


@dataclass(frozen=True)
class EvalContext:
    """Everything a worker needs to evaluate candidates of one study (picklable)."""

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


@dataclass
class TrialResult:
    params: dict[str, Any]
    state: str  # "complete" | "failed" | "stopped"
    score: float | None = None
    train_score: float | None = None
    fold_scores: dict[str, list[float]] = field(default_factory=dict)
    fold_train_scores: dict[str, list[float]] = field(default_factory=dict)
    fit_time: list[float] = field(default_factory=list)
    score_time: list[float] = field(default_factory=list)
    curves: dict[str, Any] | None = None
    error: str | None = None
    duration_s: float = 0.0
    worker: str | None = None


def _to_float(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _usable_metrics(names: tuple[str, ...], est: Any) -> tuple[str, ...]:
    """Drop the secondary metrics this estimator cannot give (log loss without predict_proba)."""
    return tuple(n for n in names if n not in _PROBA_METRICS or hasattr(est, "predict_proba"))


def evaluate(ctx: EvalContext, params: dict[str, Any], *, stop: threading.Event | None = None) -> TrialResult:
    """Cross-validate one candidate; never raises (a failure is a FAILED result)."""
    t0 = time.perf_counter()
    try:
        res = _evaluate(ctx, params, stop)
    except TrialStopped:
        res = TrialResult(params=params, state="stopped", error="stopped before it finished")
    except Exception as exc:  # the candidate's own failure: record it, keep searching
        msg = f"{type(exc).__name__}: {exc}".strip()
        res = TrialResult(params=params, state="failed", error=msg[:2000] or traceback.format_exc(limit=2))
    res.duration_s = time.perf_counter() - t0
    res.worker = threading.current_thread().name
    return res


def _evaluate(ctx: EvalContext, params: dict[str, Any], stop: threading.Event | None) -> TrialResult:
    names = tuple(dict.fromkeys((ctx.metric, *ctx.secondary)))
    base = ctx.pipeline(params)
    names = (ctx.metric, *(n for n in _usable_metrics(names, base) if n != ctx.metric))
    primary = get_scorer(ctx.metric)  # scikit-learn's own scorer: the study's score equals GridSearchCV's
    others = names[1:]
    n_classes = int(ctx.y.max()) + 1 if ctx.task == "classification" and len(ctx.y) else 0

    def score(est: Any, X: Any, y: np.ndarray) -> dict[str, float]:
        out = {ctx.metric: primary(est, X, y)}
        if others:
            out.update(fold_metrics(est, X, y, task=ctx.task, n_classes=n_classes, names=others))
        return out

    is_xgb = ctx.model == "xgboost"
    fold_val: dict[str, list[float]] = {n: [] for n in names}
    fold_train: dict[str, list[float]] = {n: [] for n in names}
    fit_times: list[float] = []
    score_times: list[float] = []
    curves_tr: list[list[float]] = []
    curves_va: list[list[float]] = []
    best_iters: list[int] = []
    curve_metric = ""
    for train_idx, val_idx in ctx.folds:
        if stop is not None and stop.is_set():
            raise TrialStopped
        X_tr, X_va = ctx.X.iloc[train_idx], ctx.X.iloc[val_idx]
        y_tr, y_va = ctx.y[train_idx], ctx.y[val_idx]
        pipe = clone(base)
        t = time.perf_counter()
        if is_xgb:
            prep, model = pipe.named_steps["prep"], pipe.named_steps["model"]
            Xt_tr = prep.fit_transform(X_tr, y_tr)
            Xt_va = prep.transform(X_va)
            extra: dict[str, Any] = {}
            if stop is not None:
                model.set_params(callbacks=[_xgb_stop_callback(stop)])
            if ctx.early_stopping_rounds:
                # Early stopping watches rows carved out of the training fold (XGBoost stops on the last
                # eval set), never the validation fold it is scored on: that would make the score optimistic.
                fit_idx, es_idx = early_stopping_split(y_tr, task=ctx.task, seed=ctx.seed)
                Xt_es, y_es = Xt_tr[es_idx], y_tr[es_idx]
                Xt_tr, y_tr = Xt_tr[fit_idx], y_tr[fit_idx]
                model.set_params(early_stopping_rounds=ctx.early_stopping_rounds)
                extra["eval_set"] = [(Xt_tr, y_tr), (Xt_va, y_va), (Xt_es, y_es)]
            elif ctx.record_curves:
                extra["eval_set"] = [(Xt_tr, y_tr), (Xt_va, y_va)]
            if extra:
                extra["verbose"] = False
            model.fit(Xt_tr, y_tr, **extra)
            if stop is not None and stop.is_set():
                raise TrialStopped
            if extra:
                ev = model.evals_result()
                curve_metric = next(iter(ev["validation_1"]))
                curves_tr.append(ev["validation_0"][curve_metric])
                curves_va.append(ev["validation_1"][curve_metric])
                best_iters.append(int(getattr(model, "best_iteration", len(curves_va[-1]) - 1) or 0))
            fit_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            sv, st = score(model, Xt_va, y_va), score(model, Xt_tr, y_tr)
        else:
            pipe.fit(X_tr, y_tr)
            fit_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            sv, st = score(pipe, X_va, y_va), score(pipe, X_tr, y_tr)
        score_times.append(time.perf_counter() - t)
        for n in names:
            fold_val[n].append(_to_float(sv.get(n)))
            fold_train[n].append(_to_float(st.get(n)))
    scores = fold_val[ctx.metric]
    if not all(math.isfinite(s) for s in scores):
        raise ValueError(f"the {ctx.metric} score is not a number in some folds (the model may have diverged)")
    curves = None
    if curves_va:
        curves = _summarize_curves(curve_metric, curves_tr, curves_va, best_iters, ctx.early_stopping_rounds)
    return TrialResult(
        params=params,
        state="complete",
        score=float(np.mean(scores)),
        train_score=float(np.nanmean(fold_train[ctx.metric])),
        fold_scores=fold_val,
        fold_train_scores=fold_train,
        fit_time=fit_times,
        score_time=score_times,
        curves=curves,
    )


def _summarize_curves(
    metric: str, tr: list[list[float]], va: list[list[float]], best: list[int], es: int | None
) -> dict[str, Any]:
    """Mean and spread over folds per boosting round (folds stopped early are padded with NaN)."""
    n = max(len(c) for c in va)

    def pad(curves: list[list[float]]) -> np.ndarray:
        return np.array([list(c) + [np.nan] * (n - len(c)) for c in curves], dtype=float)

    A, B = pad(tr), pad(va)
    # Every column has at least one finite value (the longest fold), so nanmean never sees an empty slice.
    out = {
        "train_mean": np.nanmean(A, axis=0),
        "train_std": np.nanstd(A, axis=0),
        "val_mean": np.nanmean(B, axis=0),
        "val_std": np.nanstd(B, axis=0),
    }
    rounded = {k: [float(f"{x:.6g}") for x in v] for k, v in out.items()}
    return {"metric": metric, **rounded, "best_iteration": best, "early_stopping_rounds": es}
