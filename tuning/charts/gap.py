"""Train against validation score: how far each trial overfits."""

from __future__ import annotations

from typing import NamedTuple

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
    lower_is_better,
    points_trace,
    to_display,
)


class GapInfo(NamedTuple):
    train: np.ndarray  # display scores
    validation: np.ndarray
    gaps: np.ndarray  # positive = overfitting: train - validation, or validation loss - train loss
    numbers: np.ndarray
    best_index: int  # index of the best validation score, -1 when empty


def _get_train_vs_validation_info(frame: pd.DataFrame, *, metric: str) -> GapInfo:
    ok = complete_trials(frame)
    if ok.empty or "mean_train_score" not in ok.columns:
        return GapInfo(np.empty(0), np.empty(0), np.empty(0), np.empty(0, dtype=np.int64), -1)
    tr = pd.to_numeric(ok["mean_train_score"], errors="coerce").to_numpy(dtype=float)
    va = ok["mean_test_score"].to_numpy(dtype=float)
    keep = np.isfinite(tr)
    tr, va = tr[keep], va[keep]
    numbers = ok["number"].to_numpy(dtype=np.int64)[keep]
    # In stored (higher-is-better) units train - validation is the overfitting gap for scores and losses alike:
    # for a loss it equals validation loss - train loss.
    gaps = tr - va
    best = int(np.argmax(va)) if va.size else -1
    return GapInfo(to_display(tr, metric), to_display(va, metric), gaps, numbers, best)


def plot_train_vs_validation(frame: pd.DataFrame, *, metric: str) -> go.Figure:
    """Each trial's train score against its validation score; distance from the diagonal is overfitting."""
    info = _get_train_vs_validation_info(frame, metric=metric)
    title = "Train vs validation"
    if info.train.size == 0:
        no_train = not complete_trials(frame).empty
        return empty_figure("No train scores recorded" if no_train else NO_TRIALS, title=title)
    custom = np.column_stack([info.numbers, info.gaps])
    hover = "trial #%{customdata[0]}<br>train %{x:.5g}<br>validation %{y:.5g}<br>gap %{customdata[1]:+.4g}"
    fig = go.Figure()
    lo = float(min(info.train.min(), info.validation.min()))
    hi = float(max(info.train.max(), info.validation.max()))
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            name="train = validation",
            line={"color": "#888", "dash": "dot", "width": 1},
            hoverinfo="skip",
        )
    )
    marker = {"color": VALIDATION, "size": 6, "opacity": 0.6}
    fig.add_trace(
        points_trace(
            info.train, info.validation, "trial", marker, hover + "<extra></extra>", many=True, customdata=custom
        )
    )
    b = info.best_index
    star = {"color": "#d62728", "size": 14, "symbol": "star", "line": {"color": "white", "width": 1}}
    x, y, name = [info.train[b]], [info.validation[b]], f"best (#{info.numbers[b]})"
    fig.add_trace(points_trace(x, y, name, star, "best " + hover + "<extra></extra>", customdata=custom[b : b + 1]))
    # Overfitting puts validation below train for scores and above it for losses.
    loss = lower_is_better(metric)
    fig.add_annotation(
        text="overfitting side",
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.02 if loss else 0.98,
        y=0.98 if loss else 0.02,
        xanchor="left" if loss else "right",
        yanchor="top" if loss else "bottom",
        font={"color": "#888"},
    )
    return apply_layout(
        fig,
        title=title,
        x_title=axis_title(metric, "train"),
        y_title=axis_title(metric, "validation"),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
