"""Validation curve: train and validation score against one hyperparameter, with its regimes.

Shows where a model underfits, where it is best, and where it overfits, with the best and the
one-standard-error choices marked: the picture behind "regularization prevents overfitting".
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.evaluate import evaluate
from tuning.lessons._common import (
    Progress,
    Sweep,
    dummy_score,
    failure_note,
    fold_scores,
    make_context,
    quiet,
    raise_if_all_failed,
    score_columns,
    standard_error,
    tick,
)
from tuning.protocol import TrialState

REGIMES = ("underfit", "sweet spot", "overfit")


@dataclass(frozen=True)
class ValidationCurve(Sweep):
    """Scores in the scorer's convention (higher is better), one entry per value of ``param``.

    ``train_folds``/``val_folds`` are (n_values, n_folds); ``gap`` is train mean minus validation
    mean; ``val_se`` the standard error of the validation mean; ``fit_time`` mean seconds per fold fit.
    ``best_index`` has the highest validation mean; ``one_se_index`` is the simplest value whose
    validation mean is within one standard error of the best. ``regimes`` labels each value
    "underfit", "sweet spot" or "overfit" (see :func:`classify_regimes`). Values whose fits failed
    have NaN scores and a line in ``failures``.
    """

    val_se: np.ndarray
    gap: np.ndarray
    train_folds: np.ndarray
    val_folds: np.ndarray
    fit_time: np.ndarray
    best_index: int
    one_se_index: int
    regimes: tuple[str, ...]
    dummy_score: float
    metric: str
    model: str
    simpler: str
    failures: tuple[str, ...] = ()

    def frame(self) -> pd.DataFrame:
        """One row per value: the columns a chart draws."""
        return pd.DataFrame(
            {
                "value": list(self.values),
                **score_columns(self, "val_se", "gap", "fit_time"),
                "regime": list(self.regimes),
            }
        )


def complexity_order(values: Sequence[Any], simpler: str) -> np.ndarray:
    """Rank of each value from simplest (0) to most complex.

    Numeric values are ranked by value (ascending when ``simpler="low"``); otherwise (e.g. a
    ``None`` meaning "unlimited") by their position in the list, first = simplest for "low".
    """
    if simpler not in ("low", "high"):
        raise ConfigError(f"simpler must be 'low' or 'high', got {simpler!r}.")
    n = len(values)
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)
    key = np.asarray(values, dtype=float) if numeric else np.arange(n, dtype=float)
    if simpler == "high":
        key = -key
    order = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    return rank


def classify_regimes(
    train_mean: np.ndarray,
    val_mean: np.ndarray,
    best_index: int,
    best_se: float,
    rank: np.ndarray,
) -> tuple[str, ...]:
    """Label each value from the numbers, with the best value's standard error as the tolerance.

    - "sweet spot": validation mean within one standard error of the best.
    - "overfit": fits the training folds at least as well as the best (train >= train_best - se) but
      the train-validation gap is wider than the best's by more than one standard error.
    - "underfit": fits the training folds worse than the best (train < train_best - se) and the gap
      is no wider than the best's plus one standard error.
    - anything else takes the side of the best: simpler values "underfit", more complex "overfit".
    NaN scores (failed fits) get "".
    """
    tol = max(float(best_se), 1e-12)
    gap = train_mean - val_mean
    tb, vb, gb = train_mean[best_index], val_mean[best_index], gap[best_index]
    out = []
    for i in range(len(val_mean)):
        if not (np.isfinite(val_mean[i]) and np.isfinite(train_mean[i])):
            out.append("")
        elif val_mean[i] >= vb - tol:
            out.append("sweet spot")
        elif gap[i] - gb > tol and train_mean[i] >= tb - tol:
            out.append("overfit")
        elif train_mean[i] < tb - tol and gap[i] - gb <= tol:
            out.append("underfit")
        else:
            out.append("underfit" if rank[i] < rank[best_index] else "overfit")
    return tuple(out)


def validation_curve(
    X: Any,
    y: Any,
    *,
    model: str,
    task: str,
    param: str,
    values: Sequence[Any],
    fixed: dict[str, Any] | None = None,
    metric: str | None = None,
    cv: int = 5,
    seed: int = 0,
    simpler: Literal["low", "high"] = "low",
    progress: Progress | None = None,
) -> ValidationCurve:
    """Cross-validate ``model`` at each value of ``param`` (other settings from ``fixed``).

    ``simpler`` says which end of the range is the simpler model: "low" for max_depth, degree,
    C or n_estimators; "high" for regularization strengths (alpha, reg_lambda, min_child_weight)
    and k in k-NN. The dummy baseline is scored on the same folds.
    """
    values = list(values)
    if not values:
        raise ConfigError("A validation curve needs at least one value.", fix=f"Give values for {param}.")
    rank = complexity_order(values, simpler)
    ctx = make_context(X, y, model=model, task=task, metric=metric, cv=cv, seed=seed)
    fixed = dict(fixed or {})
    results = []
    with quiet():
        for i, v in enumerate(values):
            results.append(evaluate(ctx, {**fixed, param: v}))
            tick(progress, i + 1, len(values))
    raise_if_all_failed(results, f"fit of {model} over {param}")
    k = len(ctx.folds)
    train_f = np.full((len(values), k), np.nan)
    val_f = np.full((len(values), k), np.nan)
    fit_time = np.full(len(values), np.nan)
    failures = []
    for i, (v, r) in enumerate(zip(values, results)):
        if r.state is not TrialState.COMPLETE:
            failures.append(failure_note(f"{param}={v!r}", r))
            continue
        tr, va = fold_scores(r, ctx.metric)
        train_f[i], val_f[i] = tr, va
        fit_time[i] = float(np.mean(r.fit_time))
    train_mean, val_mean = train_f.mean(axis=1), val_f.mean(axis=1)
    se = np.array([standard_error(row) for row in val_f])
    best = int(np.nanargmax(val_mean))
    near = [i for i in range(len(values)) if np.isfinite(val_mean[i]) and val_mean[i] >= val_mean[best] - se[best]]
    one_se = min(near, key=lambda i: rank[i])
    return ValidationCurve(
        param=param,
        values=tuple(values),
        train_mean=train_mean,
        train_std=train_f.std(axis=1),
        val_mean=val_mean,
        val_std=val_f.std(axis=1),
        val_se=se,
        gap=train_mean - val_mean,
        train_folds=train_f,
        val_folds=val_f,
        fit_time=fit_time,
        best_index=best,
        one_se_index=int(one_se),
        regimes=classify_regimes(train_mean, val_mean, best, se[best], rank),
        dummy_score=dummy_score(ctx),
        metric=ctx.metric,
        model=model,
        simpler=simpler,
        failures=tuple(failures),
    )
