"""The one trial protocol: a ``Candidate`` goes out to a worker, a frozen ``TrialOutcome`` comes back.

Strategies, pruners, trainers, the runner, executors and the store all speak these types; no record
is copied field by field and no state is a bare string.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, NamedTuple

#: Seconds one trial may take (all its folds) before it is recorded as failed and the search goes on: a trial
#: past ten minutes on one worker is not a search step any more. ``trial_timeout=None`` lifts the cap. It is
#: checked between folds and, for XGBoost, every boosting round.
DEFAULT_TRIAL_TIMEOUT = 600.0


class StudyState(str, Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class TrialState(str, Enum):
    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAILED = "failed"
    #: between rungs when its study stopped: kept with the rungs it finished; resume continues it
    PAUSED = "paused"
    #: never stored: a trial cut short because the study was asked to stop (its row is dropped)
    STOPPED = "stopped"

    @property
    def finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)


class StopReason(str, Enum):
    """Why a study ended (stored with the study, shown in summaries)."""

    TRIALS = "trials"  # the trial budget was spent
    EXHAUSTED = "exhausted"  # the strategy had nothing left (a grid is done)
    TIMEOUT = "timeout"
    TARGET = "target"  # the target score was reached
    PATIENCE = "patience"  # no improvement for `patience` trials
    PLATEAU = "plateau"  # the search had no more to give (tuning/stoprule.py; the study's note says why)
    USER = "stopped"  # stop was asked (button, Ctrl-C, API)
    FAILED = "failed"  # every trial failed, or the study could not run
    SUPERSEDED = "superseded"  # another runner took the study over


def worker_name() -> str:
    """Where a trial ran: host:pid, plus the thread when it is not the main one."""
    t = threading.current_thread()
    base = f"{socket.gethostname()}:{os.getpid()}"
    return base if t is threading.main_thread() else f"{base}:{t.name}"


class Rung(NamedTuple):
    """One rung a candidate finished: its index on the ladder, the budget it reached there, its score."""

    rung: int
    budget: int
    score: float


@dataclass(frozen=True)
class Candidate:
    """A parameter set to evaluate, and how much of the resource it gets.

    ``budget`` is boosting rounds (XGBoost) or training rows (other families); ``None`` is the full
    budget. ``rung`` is the pruner's rung (0 first), ``None`` without a pruner.
    """

    number: int
    params: dict[str, Any]
    budget: int | None = None
    rung: int | None = None

    def at(self, *, budget: int | None, rung: int | None) -> Candidate:
        return replace(self, budget=budget, rung=rung)


#: Points a trial's learning curve keeps per fold: every round up to ``CURVE_FULL_ROUNDS``, then evenly spaced
#: rounds and the last one. Evaluating every round cost a third of a real table's trial (cps1988, 28k rows:
#: 1.36x a trial without curves; each evaluation call costs about a millisecond whatever it adds); the
#: curve's shape needs a few dozen points (benchmarks/bench_trial.py measures the ratio). The spacing rounds
#: up, so a fit of 33-64 rounds is evaluated every other round after the first ones (not every round): at most
#: ``CURVE_FULL_ROUNDS + CURVE_POINTS + 1`` points whatever the budget.
CURVE_POINTS = 32
CURVE_FULL_ROUNDS = 8


def curve_round(r: int, budget: int, points: int | None = CURVE_POINTS) -> bool:
    """Whether round ``r`` (0-based) of a fit of ``budget`` rounds is a point of its curve."""
    if points is None or r < CURVE_FULL_ROUNDS or r >= budget - 1:
        return True
    return (r + 1) % max(1, -(-budget // points)) == 0


@dataclass(frozen=True)
class Curves:
    """A trial's learning curve: the metric, mean and spread over folds, at the boosting ``rounds`` it was
    evaluated (0-based), and each fold's best round. Stored as the dict :meth:`to_dict` gives (JSON); a
    stored dict of an earlier release (one point per round, no ``rounds``) reads as rounds 0, 1, 2..."""

    metric: str
    rounds: tuple[int, ...]
    train_mean: tuple[float, ...]
    train_std: tuple[float, ...]
    val_mean: tuple[float, ...]
    val_std: tuple[float, ...]
    best_iteration: tuple[int, ...] = ()
    early_stopping_rounds: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Curves | None:
        if not d or not d.get("val_mean"):
            return None
        val = tuple(_num(v) for v in d["val_mean"])
        n = len(val)

        def col(key: str) -> tuple[float, ...]:
            vs = [_num(v) for v in (d.get(key) or [])][:n]
            return tuple(vs + [float("nan")] * (n - len(vs)))

        rounds = tuple(int(r) for r in d.get("rounds") or range(n))[:n]
        if len(rounds) < n:
            rounds = tuple(range(n))
        return cls(
            metric=str(d.get("metric") or ""),
            rounds=rounds,
            train_mean=col("train_mean"),
            train_std=col("train_std"),
            val_mean=val,
            val_std=col("val_std"),
            best_iteration=tuple(int(b) for b in d.get("best_iteration") or ()),
            early_stopping_rounds=d.get("early_stopping_rounds"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "rounds": list(self.rounds),
            **{k: list(getattr(self, k)) for k in ("train_mean", "train_std", "val_mean", "val_std")},
            "best_iteration": list(self.best_iteration),
            "early_stopping_rounds": self.early_stopping_rounds,
        }


def _num(v: Any) -> float:
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class TrialOutcome:
    """What evaluating a candidate gave; stored whole.

    Scores are fold means of the study's metric (higher is better); ``fold_scores`` and
    ``fold_train_scores`` map every metric to its per-fold values. ``model_size`` is a per-family
    complexity measure in ``model_size_unit`` (leaves, non-zero coefficients, support vectors...).
    """

    state: TrialState
    params: dict[str, Any]
    score: float | None = None
    train_score: float | None = None
    fold_scores: dict[str, list[float]] = field(default_factory=dict)
    fold_train_scores: dict[str, list[float]] = field(default_factory=dict)
    fit_time: tuple[float, ...] = ()
    score_time: tuple[float, ...] = ()
    curves: dict[str, Any] | None = None
    budget: int | None = None
    rung: int | None = None
    model_size: float | None = None
    model_size_unit: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    worker: str | None = None
    note: str | None = None  # why a pruned trial stopped, in words
    rungs: tuple[Rung, ...] = ()  # each rung it finished

    def with_(self, **changes: Any) -> TrialOutcome:
        return replace(self, **changes)

    @property
    def mean_fit_time(self) -> float | None:
        return float(sum(self.fit_time) / len(self.fit_time)) if self.fit_time else None
