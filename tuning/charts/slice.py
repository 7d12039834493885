"""Slice plots: the score against each searched parameter on its own, coloured by trial number."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.analysis import display_metric_name
from tuning.charts._common import (
    NO_TRIALS,
    apply_layout,
    axis_title,
    complete_trials,
    empty_figure,
    param_axis,
    scatter_class,
    searched_params,
    to_display,
)
from tuning.space import SearchSpace

COLUMNS = 3


class SliceSubplot(NamedTuple):
    param: str
    x: np.ndarray  # natural units; category labels (object array) for categorical parameters
    y: np.ndarray  # display scores
    numbers: np.ndarray
    log: bool
    categories: list[str] | None


class SliceInfo(NamedTuple):
    subplots: list[SliceSubplot]


def _get_slices_info(frame: pd.DataFrame, space: SearchSpace, *, metric: str) -> SliceInfo:
    """One subplot per searched parameter; trials where it was inactive are left out of its subplot."""
    ok = complete_trials(frame)
    if ok.empty:
        return SliceInfo([])
    y = to_display(ok["mean_test_score"], metric)
    numbers = ok["number"].to_numpy(dtype=np.int64)
    out = []
    for p in searched_params(space, ok):
        axis = param_axis(ok, p)
        active = ~np.isnan(axis.values)
        v = axis.values[active]
        if axis.categories is not None:
            x = np.asarray(axis.categories, dtype=object)[v.astype(np.int64)]
        else:
            x = 10**v if axis.log else v
        out.append(SliceSubplot(p.name, x, y[active], numbers[active], axis.log, axis.categories))
    return SliceInfo(out)


def plot_slices(frame: pd.DataFrame, space: SearchSpace, *, metric: str) -> go.Figure:
    """How the score varies with each parameter; later trials are darker."""
    info = _get_slices_info(frame, space, metric=metric)
    title = "Slices"
    if not info.subplots:
        return empty_figure(NO_TRIALS, title=title)
    n = len(info.subplots)
    cols = min(n, COLUMNS)
    rows = math.ceil(n / cols)
    specs: list[list[dict[str, Any] | None]] = [
        [{} if r * cols + c < n else None for c in range(cols)] for r in range(rows)
    ]  # no empty axes
    fig = make_subplots(
        rows=rows, cols=cols, specs=specs, horizontal_spacing=0.08, vertical_spacing=0.18 if rows > 1 else 0.1
    )
    y_title, short_title = axis_title(metric), display_metric_name(metric)
    for i, s in enumerate(info.subplots):
        row, col = i // cols + 1, i % cols + 1
        fig.add_trace(
            scatter_class(s.y.size)(
                x=s.x,
                y=s.y,
                mode="markers",
                name=s.param,
                showlegend=False,
                marker={"color": s.numbers, "coloraxis": "coloraxis", "size": 6, "opacity": 0.8},
                customdata=s.numbers,
                hovertemplate=f"trial #%{{customdata}}<br>{s.param} %{{x}}<br>score %{{y:.5g}}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        if s.categories is not None:
            fig.update_xaxes(type="category", categoryorder="array", categoryarray=s.categories, row=row, col=col)
        elif s.log:
            fig.update_xaxes(type="log", dtick=1, row=row, col=col)  # decades only: minor labels crowd small panels
        fig.update_xaxes(title_text=s.param, row=row, col=col)
        fig.update_yaxes(title_text=y_title if col == 1 else short_title, row=row, col=col)
    apply_layout(
        fig,
        title=title,
        height=max(350, 300 * rows),
        coloraxis={"colorscale": [[0, "#c6dbef"], [1, "#08306b"]], "colorbar": {"title": {"text": "trial"}}},
    )
    return fig
