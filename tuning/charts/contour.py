"""Contour: the mean score over a 2-D grid of two parameters, with the trials on top.

Binned with numpy (``np.histogram2d`` of score sums over counts), so it stays linear in the number of trials.
Log-scale parameters are binned and drawn in log10 with ticks in natural units; categorical ones get one bin
per value. Trials where either parameter was inactive are left out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.analysis import display_metric_name
from tuning.charts._common import (
    NO_TRIALS,
    ParamAxis,
    apply_layout,
    axis_ticks,
    axis_title,
    complete_trials,
    empty_figure,
    param_axis,
    param_by_name,
    param_title,
    points_trace,
    score_colorscale,
    to_display,
)
from tuning.space import IntParam, Param, SearchSpace

MIN_TRIALS = 10  # below this the binned map is a few isolated cells that read as a broken chart


class ContourInfo(NamedTuple):
    x_edges: np.ndarray  # bin edges in plot coordinates (log10 for log params, codes for categorical)
    y_edges: np.ndarray
    z: np.ndarray  # mean display score per bin, shape (len(y_edges) - 1, len(x_edges) - 1); NaN where empty
    counts: np.ndarray  # trials per bin, same shape
    x: np.ndarray  # trial points in plot coordinates
    y: np.ndarray
    scores: np.ndarray  # display scores of the points
    numbers: np.ndarray
    x_axis: ParamAxis
    y_axis: ParamAxis


def _get_contour_info(
    frame: pd.DataFrame, space: SearchSpace, x_param: str, y_param: str, *, metric: str, bins: int = 20
) -> ContourInfo:
    if x_param == y_param:
        raise ValueError("Choose two different parameters for the contour plot.")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}.")
    px, py = param_by_name(space, x_param), param_by_name(space, y_param)
    ok = complete_trials(frame)
    if ok.empty or f"param_{x_param}" not in ok.columns or f"param_{y_param}" not in ok.columns:
        empty = np.empty(0)
        blank = ParamAxis("", empty, 0.0, 1.0, False, None)
        return ContourInfo(empty, empty, np.empty((0, 0)), np.empty((0, 0)), empty, empty, empty, empty, blank, blank)
    ax, ay = param_axis(ok, px), param_axis(ok, py)
    active = ~(np.isnan(ax.values) | np.isnan(ay.values))
    x, y = ax.values[active], ay.values[active]
    scores = to_display(ok["mean_test_score"], metric)[active]
    numbers = ok["number"].to_numpy(dtype=np.int64)[active]
    xe, ye = _edges(ax, px, bins), _edges(ay, py, bins)
    counts, _, _ = np.histogram2d(x, y, bins=[xe, ye])
    sums, _, _ = np.histogram2d(x, y, bins=[xe, ye], weights=scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(counts > 0, sums / counts, np.nan)
    # histogram2d indexes [x, y]; a heatmap wants rows = y.
    return ContourInfo(xe, ye, z.T, counts.T, x, y, scores, numbers, ax, ay)


def _edges(axis: ParamAxis, p: Param, bins: int) -> np.ndarray:
    if axis.categories is not None:
        return np.arange(len(axis.categories) + 1) - 0.5
    low, high = axis.low, axis.high
    if isinstance(p, IntParam) and not axis.log and high - low + 1 <= bins:
        return np.arange(low, high + 2) - 0.5  # one bin per integer: no empty stripes between them
    if high <= low:
        return np.array([low - 0.5, high + 0.5])
    return np.linspace(low, high, bins + 1)


def plot_contour(
    frame: pd.DataFrame, space: SearchSpace, x_param: str, y_param: str, *, metric: str, bins: int = 20
) -> go.Figure:
    """Where in the plane of two parameters the good scores are."""
    info = _get_contour_info(frame, space, x_param, y_param, metric=metric, bins=bins)
    title = f"Mean {display_metric_name(metric)} by {x_param} and {y_param}"
    if info.scores.size == 0:
        msg = NO_TRIALS if complete_trials(frame).empty else f"No complete trial has both {x_param} and {y_param}"
        return empty_figure(msg, title=title)
    if info.scores.size < MIN_TRIALS:
        return empty_figure(
            f"A map needs at least {MIN_TRIALS} trials with both parameters ({info.scores.size} so far)", title=title
        )
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            x=info.x_edges,
            y=info.y_edges,
            z=info.z,
            customdata=info.counts,
            **score_colorscale(metric),
            colorbar={"title": {"text": axis_title(metric).replace(" (", "<br>(")}},
            hovertemplate="mean score %{z:.5g}<br>%{customdata} trial(s)<extra></extra>",
            hoverongaps=False,
        )
    )
    marker = {"color": "black", "size": 4, "opacity": 0.5}
    hover = "trial #%{customdata[0]}<br>score %{customdata[1]:.5g}<extra></extra>"
    custom = np.column_stack([info.numbers, info.scores])
    fig.add_trace(points_trace(info.x, info.y, "trial", marker, hover, many=True, showlegend=False, customdata=custom))
    for axis, update in ((info.x_axis, fig.update_xaxes), (info.y_axis, fig.update_yaxes)):
        ticks = axis_ticks(axis)
        update(title_text=param_title(axis), showgrid=False, zeroline=False)
        if ticks is not None:
            update(tickmode="array", tickvals=ticks[0], ticktext=ticks[1])
    return apply_layout(fig, title=title)
