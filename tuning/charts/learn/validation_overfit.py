"""Overfitting the validation set: best-so-far CV score against the test score of the chosen setting.

A pure function of a lesson dataclass (``tuning.lessons``): ``_get_<x>_info`` makes plain data, ``plot_<x>`` draws it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import (
    TEST,
    TEST_DASH,
    VALIDATION,
    apply_layout,
    axis_title,
    empty_figure,
    to_display,
)
from tuning.charts.learn._common import (
    BOTTOM_LEGEND,
    gap_trace,
    rgba,
)
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
    fig.add_trace(
        go.Scatter(
            x=info.numbers,
            y=info.cv_score,
            mode="markers",
            name="trial CV score",
            marker={"color": rgba(VALIDATION, 0.35), "size": 5},
            hovertemplate="trial #%{x}<br>CV %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=info.step_x,
            y=info.best_cv_steps,
            mode="lines",
            name="best CV score so far",
            line={"color": VALIDATION, "width": 2.5},
            hovertemplate="after trial %{x:.0f}<br>best CV %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=info.step_x,
            y=info.test_steps,
            mode="lines",
            name="test score of that choice",
            line={"color": TEST, "dash": TEST_DASH, "width": 2.5},
            hovertemplate="after trial %{x:.0f}<br>test %{y:.4g}<extra></extra>",
        )
    )
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
    return apply_layout(
        fig, title=title, x_title="trial number", y_title=axis_title(info.metric), height=420, legend=BOTTOM_LEGEND
    )
