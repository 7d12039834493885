"""Overfitting the validation set: best-so-far CV score against the test score of the chosen setting."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import VALIDATION, axis_title, empty_figure, points_trace, rgba, to_display
from tuning.charts.learn._common import gap_trace, learn_layout, score_line
from tuning.lessons.validation_overfit import ValidationOverfit


class ValidationOverfitInfo(NamedTuple):
    metric: str
    numbers: np.ndarray
    cv_score: np.ndarray  # display units
    step_x: np.ndarray  # the two step lines, drawn as explicit steps so the shaded gap matches them
    best_cv_steps: np.ndarray
    test_steps: np.ndarray
    final_optimism: float  # display: how much better the CV score looks than the test score, last trial
    n_refits: int


def steps(x: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Horizontal-then-vertical step coordinates: each value held until the next x, then the last one."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return (x, *(np.asarray(y, dtype=float) for y in ys))
    sx = np.repeat(x, 2)[1:]
    out = [np.repeat(np.asarray(y, dtype=float), 2)[:-1] for y in ys]
    return (sx, *out)


def _get_validation_overfit_info(vo: ValidationOverfit) -> ValidationOverfitInfo:
    m = vo.metric
    best, test = to_display(vo.best_cv, m), to_display(vo.test_score, m)
    sx, sb, st = steps(np.asarray(vo.numbers), best, test)
    # Optimism in stored units (best_cv - test) is positive when the CV score flatters, for losses too.
    final = float(vo.optimism[-1]) if len(vo.optimism) else float("nan")
    return ValidationOverfitInfo(
        m, np.asarray(vo.numbers), to_display(vo.cv_score, m), sx, sb, st, final, int(vo.n_refits)
    )


def plot_validation_overfit(vo: ValidationOverfit) -> go.Figure:
    """Best-so-far CV score (orange) against the held-out test score of the setting chosen at that
    point (green dashed), both as steps over trials; the optimism between them shaded."""
    info = _get_validation_overfit_info(vo)
    title = "Overfitting the validation set"
    if info.numbers.size == 0:
        return empty_figure("No complete trials", title=title)
    fig = go.Figure()
    fig.add_trace(gap_trace(list(info.step_x), info.best_cv_steps, info.test_steps, name="optimism (CV − test)"))
    dots, hover = {"color": rgba(VALIDATION, 0.35), "size": 5}, "trial #%{x}<br>CV %{y:.4g}<extra></extra>"
    fig.add_trace(points_trace(info.numbers, info.cv_score, "trial CV score", dots, hover))
    hover = "after trial %{x:.0f}<br>best CV %{y:.4g}<extra></extra>"
    fig.add_trace(score_line(info.step_x, info.best_cv_steps, "best CV score so far", hover))
    hover = "after trial %{x:.0f}<br>test %{y:.4g}<extra></extra>"
    fig.add_trace(score_line(info.step_x, info.test_steps, "test score of that choice", hover, held_out=True))
    if math.isfinite(info.final_optimism):
        fig.add_annotation(
            x=float(info.step_x[-1]),
            y=float((info.best_cv_steps[-1] + info.test_steps[-1]) / 2),
            text=f"optimism {info.final_optimism:+.3g}",
            showarrow=False,
            xanchor="right",
            font={"color": "#555"},
            bgcolor="rgba(255,255,255,0.7)",
        )
    return learn_layout(fig, title, "trial number", axis_title(info.metric), 420)
