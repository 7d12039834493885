"""Evaluate one candidate: the trial function workers run, and the refit parameters of a finished one.

``run_trial(ctx, candidate, stop)`` is a plain function of picklable inputs, so it runs in a thread, a
process or on a Dask worker; the model family's trainer (``tuning.trainers``) does the fitting. A
failing candidate returns a FAILED outcome with its message; it never raises.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from tuning.context import EvalContext, early_stopping_split, holdout_split, make_folds
from tuning.metrics import (
    CLASSIFICATION_BINARY,
    CLASSIFICATION_MULTI,
    REGRESSION,
    check_metric,
    default_metric,
    secondary_metrics,
)
from tuning.protocol import Candidate, TrialOutcome, TrialState, worker_name
from tuning.trainers import TrialStopped, trainer_for


def final_params(params: dict[str, Any], curves: dict[str, Any] | None, *, early_stopping_rounds: int | None) -> dict:
    """Parameters for a refit on all training rows: with early stopping, the number of rounds the folds
    kept on average (best iteration + 1), as one does after ``xgboost.cv``."""
    if not early_stopping_rounds or not curves or not curves.get("best_iteration"):
        return dict(params)
    rounds = int(round(float(np.mean(curves["best_iteration"])))) + 1
    return {**params, "n_estimators": max(1, rounds)}


#: What older code called the result of an evaluation.
TrialResult = TrialOutcome


class _Never:
    def is_set(self) -> bool:
        return False


class _Deadline:
    """The study's stop flag, also set once the trial has run past its time cap (``ctx.trial_timeout``)."""

    def __init__(self, stop: Any, timeout: float | None) -> None:
        self._stop = stop if stop is not None else _Never()
        self._end = None if timeout is None else time.monotonic() + timeout
        self.expired = False

    def is_set(self) -> bool:
        if self._stop.is_set():
            return True
        if self._end is not None and time.monotonic() > self._end:
            self.expired = True
        return self.expired


def run_trial(ctx: EvalContext, candidate: Candidate, stop: Any = None) -> TrialOutcome:
    """Evaluate one candidate with its family's trainer; never raises (a failure is a FAILED outcome).

    A trial past ``ctx.trial_timeout`` seconds is ended at its next fold or boosting round and FAILED with the
    reason; the search goes on."""
    t0 = time.perf_counter()
    flag = _Deadline(stop, ctx.trial_timeout)
    try:
        out = trainer_for(ctx.model).evaluate(ctx, candidate, flag)
    except TrialStopped:
        if flag.expired:
            why = (
                f"took longer than the trial time cap ({ctx.trial_timeout:g} s) and was ended: raise it "
                "(--trial-timeout, or Trial time cap on the Search page) or narrow the space to cheaper settings"
            )
            out = TrialOutcome(state=TrialState.FAILED, params=candidate.params, error=why)
        else:
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
    "CLASSIFICATION_BINARY",
    "CLASSIFICATION_MULTI",
    "REGRESSION",
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
