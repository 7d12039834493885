"""Several studies side by side: best so far on one axis, and their score distributions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.charts._common import (
    NO_TRIALS,
    PRUNED_MARK,
    apply_layout,
    axis_title,
    complete_trials,
    curve_trace,
    empty_figure,
    points_trace,
    running_best,
    step_points,
    to_display,
)
from tuning.store import TrialState


class CompareInfo(NamedTuple):
    studies: list[str]  # studies with at least one complete trial, in the given order
    x: list[np.ndarray]  # trial numbers
    scores: list[np.ndarray]  # display scores, by trial number
    best: list[np.ndarray]  # best so far
    pruned: list[np.ndarray]  # display scores of each study's pruned trials (measured at a smaller budget)
    left_out: list[str]  # studies without a complete trial (not drawn)


def _get_compare_info(frames: Mapping[str, pd.DataFrame], *, metric: str) -> CompareInfo:
    out = CompareInfo([], [], [], [], [], [])
    for name, frame in frames.items():
        ok = complete_trials(frame)
        if ok.empty:
            out.left_out.append(str(name))
            continue
        ok = ok.sort_values("number", kind="stable")
        y = to_display(ok["mean_test_score"], metric)
        out.studies.append(str(name))
        out.x.append(ok["number"].to_numpy(dtype=np.int64))
        out.scores.append(y)
        out.best.append(running_best(y, metric))
        scores = pd.to_numeric(frame["mean_test_score"], errors="coerce")
        cut = frame.loc[(frame["state"] == TrialState.PRUNED.value) & np.isfinite(scores)]
        out.pruned.append(to_display(cut["mean_test_score"], metric))
    return out


def plot_compare_history(frames: Mapping[str, pd.DataFrame], *, metric: str) -> go.Figure:
    """Best score so far of each study by trial number: which search got there first."""
    info = _get_compare_info(frames, metric=metric)
    title = "Best so far by study"
    if not info.studies:
        return empty_figure(NO_TRIALS, title=title)
    fig = go.Figure()
    for name, x, best in zip(info.studies, info.x, info.best, strict=True):
        sx, sy = step_points(x, best)
        hover = f"{name}<br>trial %{{x}}<br>best so far %{{y:.5g}}<extra></extra>"
        fig.add_trace(curve_trace(sx, sy, name, {"shape": "hv", "width": 2}, hover))
    return apply_layout(
        fig,
        title=title,
        x_title="trial number",
        y_title=axis_title(metric, "best"),
        # under the plot: on the right, long study names squeeze the plot in a narrow window
        legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={"l": 60, "r": 20, "t": 50, "b": 100},
    )


def plot_compare_distributions(
    frames: Mapping[str, pd.DataFrame], *, metric: str, show_pruned: bool = False
) -> go.Figure:
    """Box plots of each study's complete-trial scores: spread and typical score, not just the best; with
    ``show_pruned``, each study's pruned trials as grey crosses beside its box."""
    info = _get_compare_info(frames, metric=metric)
    title = "Scores by study"
    if not info.studies:
        return empty_figure(NO_TRIALS, title=title)
    fig = go.Figure()
    for name, scores in zip(info.studies, info.scores, strict=True):
        fig.add_trace(
            go.Box(
                y=scores,
                name=name,
                boxpoints="outliers",
                boxmean=True,
                hovertemplate=f"{name}<br>%{{y:.5g}}<extra></extra>",
            )
        )
    if show_pruned:
        for name, cut in zip(info.studies, info.pruned, strict=True):
            if cut.size:
                hover = f"{name}<br>pruned trial %{{y:.5g}}<extra></extra>"
                fig.add_trace(
                    points_trace([name] * cut.size, cut, f"{name} (pruned)", {**PRUNED_MARK, "size": 6}, hover)
                )
    return apply_layout(fig, title=title, x_title="study", y_title=axis_title(metric, "validation"), showlegend=False)
