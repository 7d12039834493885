"""Boosting-round curves: XGBoost's train and validation loss after every round, per learning rate.

Shows that boosting overfits by adding rounds, where the validation loss bottoms out, where early
stopping would stop, and how a smaller learning rate moves the optimum to later rounds. The curves
are the engine's own (``TrialResult.curves``, recorded with ``record_curves=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.evaluate import evaluate
from tuning.lessons._common import Progress, make_context, quiet, score_columns, tick
from tuning.protocol import TrialState

# XGBoost evaluation metrics that grow with quality; every other one (logloss, rmse, error...) is a loss.
HIGHER_IS_BETTER = ("auc", "aucpr", "map", "ndcg", "pre")


@dataclass(frozen=True)
class BoostingRun:
    """One learning rate. Rounds are 1-based: round r is the model with r trees.

    ``best_round``: the round with the lowest mean validation loss over all rounds (argmin; argmax
    for a higher-is-better eval metric such as auc). ``es_best_round`` / ``stop_round``: what early
    stopping with ``patience`` rounds does on the mean curve: it stops at ``stop_round``
    (= ``es_best_round + patience``, capped at ``n_rounds``) and keeps ``es_best_round``, the best
    round seen so far. The two best rounds differ only when the curve improves again after a plateau
    longer than the patience. ``wasted_rounds``: rounds trained after ``best_round`` (they only add
    overfitting); ``saved_rounds``: rounds early stopping avoids training (``n_rounds - stop_round``).
    """

    learning_rate: float
    rounds: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    best_round: int
    best_loss: float
    es_best_round: int
    stop_round: int
    wasted_rounds: int
    saved_rounds: int
    fit_time: float

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "learning_rate": self.learning_rate,
                "round": self.rounds,
                **score_columns(self),
            }
        )


@dataclass(frozen=True)
class BoostingRounds:
    """Per learning rate, the curves of XGBoost's evaluation ``metric`` (e.g. logloss, rmse)."""

    runs: tuple[BoostingRun, ...]
    metric: str
    higher_is_better: bool
    early_stopping_rounds: int
    n_estimators: int
    params: dict[str, Any]

    def frame(self) -> pd.DataFrame:
        """All runs stacked: one row per learning rate and round."""
        return pd.concat([r.frame() for r in self.runs], ignore_index=True)


def early_stop(val: np.ndarray, patience: int, *, higher_is_better: bool = False) -> tuple[int, int]:
    """(kept round, stop round), 1-based, of early stopping with ``patience`` on one curve.

    Like XGBoost's callback: training stops once ``patience`` rounds have passed without a strict
    improvement on the best so far; the best round so far is kept.
    """
    sign = -1.0 if higher_is_better else 1.0
    best_i, best_v = 0, sign * val[0]
    for i in range(1, len(val)):
        v = sign * val[i]
        if v < best_v:
            best_i, best_v = i, v
        elif i - best_i >= patience:
            return best_i + 1, i + 1
    return best_i + 1, len(val)


def boosting_rounds(
    X: Any,
    y: Any,
    *,
    task: str,
    params: dict[str, Any] | None = None,
    n_estimators: int = 300,
    learning_rates: Sequence[float] = (0.3, 0.1, 0.03),
    early_stopping_rounds: int = 20,
    cv: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
) -> BoostingRounds:
    """Train ``n_estimators`` rounds at each learning rate on every fold (no early stopping, so
    the rounds after the optimum are visible) and mark where early stopping would have stopped."""
    if early_stopping_rounds < 1:
        raise ConfigError("Early stopping needs at least 1 round of patience.")
    if n_estimators < 2:
        raise ConfigError(f"Use at least 2 rounds, got {n_estimators}.")
    base = {k: v for k, v in (params or {}).items() if k not in ("n_estimators", "learning_rate")}
    ctx = make_context(X, y, model="xgboost", task=task, cv=cv, seed=seed, record_curves=True)
    runs = []
    metric = ""
    higher = False
    for i, lr in enumerate(learning_rates):
        with quiet():
            res = evaluate(ctx, {**base, "n_estimators": int(n_estimators), "learning_rate": float(lr)})
        if res.state is not TrialState.COMPLETE or not res.curves:
            raise ConfigError(f"XGBoost failed at learning_rate={lr}: {res.error}")
        c = res.curves
        metric = str(c["metric"])
        higher = metric.split("@")[0] in HIGHER_IS_BETTER
        val = np.asarray(c["val_mean"], dtype=float)
        n = len(val)
        best = int(np.argmax(val) if higher else np.argmin(val)) + 1
        es_best, stop = early_stop(val, early_stopping_rounds, higher_is_better=higher)
        runs.append(
            BoostingRun(
                learning_rate=float(lr),
                rounds=np.arange(1, n + 1),
                train_mean=np.asarray(c["train_mean"], dtype=float),
                train_std=np.asarray(c["train_std"], dtype=float),
                val_mean=val,
                val_std=np.asarray(c["val_std"], dtype=float),
                best_round=best,
                best_loss=float(val[best - 1]),
                es_best_round=es_best,
                stop_round=stop,
                wasted_rounds=n - best,
                saved_rounds=n - stop,
                fit_time=float(np.mean(res.fit_time)),
            )
        )
        tick(progress, i + 1, len(learning_rates))
    return BoostingRounds(
        runs=tuple(runs),
        metric=metric,
        higher_is_better=higher,
        early_stopping_rounds=int(early_stopping_rounds),
        n_estimators=int(n_estimators),
        params=base,
    )
