"""Parallel coordinates: one axis per searched parameter and a last one for the score.

Log-scale parameters are drawn in log10 with ticks in natural units, categorical ones as integer codes with
their values as ticks. A conditional parameter that was inactive in a trial is drawn at a separate tick
labelled "inactive" just below its range, so those trials keep their lines across every axis.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.analysis import display_metric_name
from tuning.charts._common import (
    INACTIVE,
    NO_TRIALS,
    apply_layout,
    axis_ticks,
    axis_title,
    complete_trials,
    empty_figure,
    inactive_position,
    linear_ticks,
    param_axis,
    param_title,
    score_colorscale,
    searched_params,
    to_display,
)
from tuning.space import Param, SearchSpace


class Dimension(NamedTuple):
    label: str
    values: np.ndarray
    range: tuple[float, float]
    tickvals: list[float] | None
    ticktext: list[str] | None


class ParallelInfo(NamedTuple):
    dimensions: list[Dimension]  # one per searched parameter, then the score
    score: np.ndarray  # display scores (the line colour)
    numbers: np.ndarray
    n_complete: int


def _get_parallel_coordinates_info(
    frame: pd.DataFrame, space: SearchSpace, *, metric: str, top_fraction: float = 1.0
) -> ParallelInfo:
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction}.")
    ok = complete_trials(frame)
    n_complete = len(ok)
    if n_complete and top_fraction < 1:
        keep = max(1, math.ceil(top_fraction * n_complete))
        stored = ok["mean_test_score"].to_numpy(dtype=float)
        best = np.sort(np.argsort(-stored, kind="stable")[:keep])
        ok = ok.iloc[best]
    dims = [_dimension(ok, p) for p in searched_params(space, ok)] if len(ok) else []
    score = to_display(ok["mean_test_score"], metric)
    if score.size:
        lo, hi = float(score.min()), float(score.max())
        dims.append(Dimension(axis_title(metric), score, _widen(lo, hi), None, None))
    return ParallelInfo(dims, score, ok["number"].to_numpy(dtype=np.int64), n_complete)


def _dimension(ok: pd.DataFrame, p: Param) -> Dimension:
    axis = param_axis(ok, p)
    ticks = axis_ticks(axis)
    values = axis.values
    low, high = axis.low, axis.high
    inactive = np.isnan(values)
    if inactive.any():
        pos = -1.0 if axis.categories is not None else inactive_position(low, high)
        values = np.where(inactive, pos, values)
        tickvals, ticktext = ticks if ticks is not None else linear_ticks(low, high)
        ticks = ([pos, *tickvals], [INACTIVE, *ticktext])
        low = pos
    tickvals, ticktext = ticks if ticks is not None else (None, None)  # type: ignore[assignment]
    return Dimension(param_title(axis), values, _widen(low, high), tickvals, ticktext)


def _widen(low: float, high: float) -> tuple[float, float]:
    """A range plotly can draw even when every value is the same."""
    return (low - 0.5, high + 0.5) if high <= low else (low, high)


def plot_parallel_coordinates(
    frame: pd.DataFrame, space: SearchSpace, *, metric: str, top_fraction: float = 1.0
) -> go.Figure:
    """Which parameter combinations give good scores; ``top_fraction`` keeps only the best trials."""
    info = _get_parallel_coordinates_info(frame, space, metric=metric, top_fraction=top_fraction)
    title = "Parallel coordinates"
    if top_fraction < 1:
        title += f" (best {info.score.size} of {info.n_complete} trials)"
    if info.score.size == 0:
        return empty_figure(NO_TRIALS, title=title)
    dims = []
    for d in info.dimensions:
        # Slanted labels, and "(log)" rather than "(log scale)": long names no longer run into each other.
        dim = {"label": d.label.replace(" (log scale)", " (log)"), "values": d.values, "range": list(d.range)}
        if d.tickvals is not None:
            dim["tickvals"], dim["ticktext"] = d.tickvals, d.ticktext  # type: ignore[assignment]
        else:
            dim["tickformat"] = ".4~g"
        dims.append(dim)
    fig = go.Figure(
        go.Parcoords(
            dimensions=dims,
            labelangle=-20,
            labelside="top",
            line={
                "color": info.score,
                **score_colorscale(metric),
                "showscale": True,
                "colorbar": {"title": {"text": display_metric_name(metric)}, "tickformat": ".4~g"},
            },
        )
    )
    return apply_layout(fig, title=title, margin={"l": 80, "r": 60, "t": 130, "b": 40})
