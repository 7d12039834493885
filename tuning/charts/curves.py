"""Learning curves of boosted trees: train and validation metric per boosting round, mean ± std over folds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import (
    STAR,
    TRAIN,
    VALIDATION,
    apply_layout,
    band_trace,
    curve_trace,
    empty_figure,
    points_trace,
)
from tuning.protocol import Curves
from tuning.store import TrialRecord

NO_CURVES = "No learning curves recorded for these trials (XGBoost records them)"
# XGBoost eval metrics where higher is better; the rest (logloss, rmse, error, mae...) are losses.
HIGHER_IS_BETTER = ("auc", "aucpr", "map", "ndcg", "pre")
MAX_TRIALS = 10
# Trials after the first are told apart by their dash; "dash" itself stays free for test-set lines.
DASHES = ("solid", "dot", "dashdot", "longdashdot", "longdash")


class TrialCurves(NamedTuple):
    number: int
    metric: str
    rounds: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    best_round: int  # round of the best mean validation value
    best_value: float


class CurvesInfo(NamedTuple):
    trials: list[TrialCurves]
    n_with_curves: int


def curve_higher_is_better(metric: str) -> bool:
    return metric.split("@")[0] in HIGHER_IS_BETTER


def _get_learning_curves_info(trials: Sequence[TrialRecord], *, max_trials: int = MAX_TRIALS) -> CurvesInfo:
    """Trials without curves are skipped; past ``max_trials`` only the best-scoring ones are kept."""
    usable = [(t, c) for t in trials if (c := Curves.from_dict(t.curves)) is not None]
    n = len(usable)
    if n > max_trials:
        ranked = sorted(usable, key=lambda tc: -tc[0].score if tc[0].score is not None else np.inf)[:max_trials]
        keep = {id(t) for t, _ in ranked}
        usable = [(t, c) for t, c in usable if id(t) in keep]
    out = []
    for t, c in usable:
        metric = c.metric or "metric"
        val = np.asarray(c.val_mean, dtype=float)
        if not np.isfinite(val).any():
            continue
        best = int(np.nanargmax(val) if curve_higher_is_better(metric) else np.nanargmin(val))
        rounds = np.asarray(c.rounds, dtype=int)  # the rounds evaluated (a few dozen points, not every round)
        out.append(
            TrialCurves(
                number=t.number,
                metric=metric,
                rounds=rounds,
                train_mean=np.asarray(c.train_mean, dtype=float),
                train_std=np.asarray(c.train_std, dtype=float),
                val_mean=val,
                val_std=np.asarray(c.val_std, dtype=float),
                best_round=int(rounds[best]),
                best_value=float(val[best]),
            )
        )
    return CurvesInfo(out, n)


def plot_learning_curves(trials: Sequence[TrialRecord], *, max_trials: int = MAX_TRIALS) -> go.Figure:
    """Per boosting round, train (blue) and validation (orange) mean ± std; a star at the best validation round."""
    info = _get_learning_curves_info(trials, max_trials=max_trials)
    title = "Learning curves"
    if not info.trials:
        return empty_figure(NO_CURVES, title=title)
    if info.n_with_curves > len(info.trials):
        title += f" (best {len(info.trials)} of {info.n_with_curves} trials)"
    fig = go.Figure()
    for i, tc in enumerate(info.trials):
        label, dash = f"#{tc.number}", DASHES[i % len(DASHES)]
        for part, mean, std, colour in (
            ("train", tc.train_mean, tc.train_std, TRAIN),
            ("validation", tc.val_mean, tc.val_std, VALIDATION),
        ):
            if (np.isfinite(mean) & np.isfinite(std)).any():
                fig.add_trace(band_trace(list(tc.rounds), mean, std, colour, group=label))
            hover = f"{label} {part}<br>round %{{x}}<br>{tc.metric} %{{y:.5g}}<extra></extra>"
            style = {"color": colour, "dash": dash, "width": 2}
            fig.add_trace(curve_trace(tc.rounds, mean, f"{label} {part}", style, hover, legendgroup=label))
        hover = f"{label} best validation<br>round %{{x}}<br>{tc.metric} %{{y:.5g}}<extra></extra>"
        star = {**STAR, "size": 15}
        fig.add_trace(
            points_trace(
                [tc.best_round],
                [tc.best_value],
                f"{label} best round",
                star,
                hover,
                legendgroup=label,
                showlegend=False,
            )
        )
    metrics = sorted({tc.metric for tc in info.trials})
    better = {"higher" if curve_higher_is_better(m) else "lower" for m in metrics}
    y_title = ", ".join(metrics) + (f" ({better.pop()} is better)" if len(better) == 1 else "")
    return apply_layout(fig, title=title, x_title="boosting round", y_title=y_title)
