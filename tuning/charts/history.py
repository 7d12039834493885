"""Optimization history: every complete trial's score and the best so far."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.charts._common import (
    NO_TRIALS,
    VALIDATION,
    apply_layout,
    axis_title,
    complete_trials,
    empty_figure,
    running_best,
    scatter_class,
    step_points,
    to_display,
    utc_naive,
)

BEST_LINE = "#a63603"  # darker than the trial dots, so the best-so-far line stands out


class HistoryInfo(NamedTuple):
    x: np.ndarray  # trial numbers, or finish times (UTC datetime64) when x="time"
    y: np.ndarray  # display scores, in x order
    best: np.ndarray  # best display score so far
    numbers: np.ndarray


def _get_history_info(frame: pd.DataFrame, *, metric: str, x: Literal["number", "time"] = "number") -> HistoryInfo:
    if x not in ("number", "time"):
        raise ValueError(f"x must be 'number' or 'time', got {x!r}.")
    ok = complete_trials(frame)
    numbers = ok["number"].to_numpy(dtype=np.int64)
    y = to_display(ok["mean_test_score"], metric)
    if x == "time":
        xs = utc_naive(ok["finished"]) if "finished" in ok.columns else np.full(len(ok), np.datetime64("NaT", "ns"))
        keep = ~np.isnat(xs)
        xs, y, numbers = xs[keep], y[keep], numbers[keep]
    else:
        xs = numbers
    order = np.argsort(xs, kind="stable")
    xs, y, numbers = xs[order], y[order], numbers[order]
    return HistoryInfo(xs, y, running_best(y, metric), numbers)


def plot_history(frame: pd.DataFrame, *, metric: str, x: Literal["number", "time"] = "number") -> go.Figure:
    """Each complete trial's validation score and the best-so-far step line, by trial number or finish time."""
    info = _get_history_info(frame, metric=metric, x=x)
    title = "Optimization history"
    if info.y.size == 0:
        return empty_figure(NO_TRIALS, title=title)
    trace = scatter_class(info.y.size)
    fig = go.Figure()
    fig.add_trace(
        trace(
            x=info.x,
            y=info.y,
            mode="markers",
            name="trial",
            marker={"color": VALIDATION, "size": 8, "opacity": 0.55, "line": {"width": 0}},
            customdata=info.numbers,
            hovertemplate="trial #%{customdata}<br>score %{y:.5g}<extra></extra>",
        )
    )
    sx, sy = step_points(info.x, info.best)
    fig.add_trace(
        go.Scatter(
            x=sx,
            y=sy,
            mode="lines",
            line={"color": BEST_LINE, "width": 2.5, "shape": "hv"},
            name="best so far",
            hovertemplate="best so far %{y:.5g}<extra></extra>",
        )
    )
    if x == "number":
        fig.update_xaxes(tickformat="d", rangemode="tozero", **({"dtick": 1} if info.x.max() < 15 else {}))
    fig.update_yaxes(tickformat=".4~g")
    return apply_layout(
        fig,
        title=title,
        x_title="finished (UTC)" if x == "time" else "trial number",
        y_title=axis_title(metric, "validation"),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
