"""Learning curve: train and validation score against the number of training rows.

Answers "would more data help?": a wide gap that closes as rows grow says yes; two low curves that
have met say the model lacks capacity. Each training fold is subsampled; the validation folds stay
the same, so every point is scored on the same rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError
from tuning.evaluate import EvalContext, evaluate
from tuning.lessons._common import (
    Progress,
    dummy_score,
    failure_note,
    fold_scores,
    make_context,
    perfect_score,
    quiet,
    raise_if_all_failed,
    score_columns,
    tick,
)
from tuning.protocol import TrialState

DEFAULT_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

# Thresholds of :func:`verdict`, as fractions of the room between the dummy and a perfect score.
WIDE_GAP = 0.05
CLOSING = 0.25
LOW = 0.25

CLOSING_VERDICT = "the gap is closing: more data helps"
WIDE_VERDICT = "the gap stays wide: more data alone will not close it soon; regularize or simplify"
LOW_VERDICT = "both plateau low: add capacity"
CONVERGED_VERDICT = "converged: train and validation agree at a good score; more data will change little"


@dataclass(frozen=True)
class LearningCurve:
    """Scores (higher is better) at each training size; ``train_sizes`` is the mean rows per fold fit.

    ``gap`` is train mean minus validation mean. Sizes whose fits failed (e.g. k-NN with fewer rows
    than neighbours) have NaN scores and a line in ``failures``.
    """

    fractions: np.ndarray
    train_sizes: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    gap: np.ndarray
    fit_time: np.ndarray
    dummy_score: float
    metric: str
    model: str
    params: dict[str, Any]
    failures: tuple[str, ...] = ()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "fraction": self.fractions,
                "train_size": self.train_sizes,
                **score_columns(self, "gap", "fit_time"),
            }
        )


def _nested_order(train_idx: np.ndarray, y: np.ndarray, task: str, rng: np.random.Generator) -> np.ndarray:
    """A random order of the fold's rows whose every prefix is a nested subsample; for classification
    one row of each class comes first, so even the smallest subsample sees every class."""
    order = rng.permutation(train_idx)
    if task != "classification":
        return order
    _, first = np.unique(y[order], return_index=True)
    head = order[np.sort(first)]
    rest = np.delete(order, np.sort(first))
    return np.concatenate([head, rest])


def subsample_contexts(ctx: EvalContext, fractions: Sequence[float], *, seed: int) -> list[EvalContext]:
    """One context per fraction: each training fold cut to ``round(f * len)`` rows (nested across
    fractions, at least 2 rows and one per class), the validation folds unchanged."""
    rng = np.random.default_rng(seed)
    orders = [_nested_order(tr, ctx.y, ctx.task, rng) for tr, _ in ctx.folds]
    n_classes = len(np.unique(ctx.y)) if ctx.task == "classification" else 1
    out = []
    for f in fractions:
        folds = []
        for order, (_, va) in zip(orders, ctx.folds):
            m = int(min(len(order), max(round(f * len(order)), 2, n_classes)))
            folds.append((np.sort(order[:m]), va))
        out.append(dataclasses.replace(ctx, folds=tuple(folds)))
    return out


def learning_curve(
    X: Any,
    y: Any,
    *,
    model: str,
    task: str,
    params: dict[str, Any] | None = None,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    metric: str | None = None,
    cv: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> LearningCurve:
    """Cross-validate ``model`` with ``params`` on growing fractions of each training fold."""
    fr = np.asarray(sorted(float(f) for f in fractions))
    if fr.size == 0 or fr[0] <= 0 or fr[-1] > 1:
        raise ConfigError("Fractions must lie in (0, 1].", fix="Use e.g. 0.1, 0.2, ..., 1.0.")
    params = dict(params or {})
    ctx = make_context(X, y, model=model, task=task, metric=metric, cv=cv, seed=seed)
    contexts = subsample_contexts(ctx, fr, seed=seed)  # type: ignore[arg-type]
    results = []
    with quiet():
        for i, c in enumerate(contexts):
            results.append(evaluate(c, params))
            tick(progress, i + 1, len(contexts))
    raise_if_all_failed(results, f"fit of {model}")
    n = len(fr)
    train_mean, train_std = np.full(n, np.nan), np.full(n, np.nan)
    val_mean, val_std = np.full(n, np.nan), np.full(n, np.nan)
    fit_time = np.full(n, np.nan)
    failures = []
    sizes = np.array([np.mean([len(tr) for tr, _ in c.folds]) for c in contexts])
    for i, r in enumerate(results):
        if r.state is not TrialState.COMPLETE:
            failures.append(failure_note(f"{sizes[i]:.0f} rows", r))
            continue
        tr, va = fold_scores(r, ctx.metric)
        train_mean[i], train_std[i] = tr.mean(), tr.std()
        val_mean[i], val_std[i] = va.mean(), va.std()
        fit_time[i] = float(np.mean(r.fit_time))
    return LearningCurve(
        fractions=fr,
        train_sizes=sizes,
        train_mean=train_mean,
        train_std=train_std,
        val_mean=val_mean,
        val_std=val_std,
        gap=train_mean - val_mean,
        fit_time=fit_time,
        dummy_score=dummy_score(ctx),
        metric=ctx.metric,
        model=model,
        params=params,
        failures=tuple(failures),
    )


def verdict(curve: LearningCurve) -> str:
    """A one-line reading of the curve, computed from its numbers.

    Everything is measured in units of the room to improve, ``scale = |perfect - dummy|`` (perfect is
    1 for accuracy/AUC/R², 0 for neg_* losses), so one set of thresholds serves every metric:

    - the gap at the largest size is wider than ``WIDE_GAP`` (0.05) and a straight line fitted to
      the gap against log(training size) falls by at least ``CLOSING`` (25%) of its starting value
      over the curve -> "the gap is closing: more data helps" (a fit, not two points, so one noisy
      size does not flip the verdict);
    - a gap wider than ``WIDE_GAP`` that has not shrunk that much -> "the gap stays wide ...";
    - otherwise (a narrow gap), a validation score still more than ``LOW`` (0.25) of the room below
      perfect -> "both plateau low: add capacity";
    - otherwise -> "converged ...".
    """
    ok = np.isfinite(curve.gap) & np.isfinite(curve.val_mean)
    if not ok.any():
        return "no verdict: every fit failed"
    gap, val = curve.gap[ok], curve.val_mean[ok]
    perfect = perfect_score(curve.metric)
    base = curve.dummy_score if np.isfinite(curve.dummy_score) else val.min()
    scale = max(abs(perfect - base), 1e-12)
    last_gap = gap[-1] / scale
    if last_gap > WIDE_GAP:
        sizes = np.log(curve.train_sizes[ok])
        if len(gap) >= 2 and np.ptp(sizes) > 0:
            slope, intercept = np.polyfit(sizes, gap, 1)
            start, end = intercept + slope * sizes[0], intercept + slope * sizes[-1]
            if start > 0 and (start - end) / start >= CLOSING:
                return CLOSING_VERDICT
        return WIDE_VERDICT
    if (perfect - val[-1]) / scale > LOW:
        return LOW_VERDICT
    return CONVERGED_VERDICT
