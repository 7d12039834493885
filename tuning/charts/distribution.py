"""Score distribution: the empirical CDF of the complete trials' scores."""

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
    scatter_class,
    to_display,
)


class DistributionInfo(NamedTuple):
    scores: np.ndarray  # display scores, ascending
    fraction: np.ndarray  # share of trials scoring at most each score


def _get_score_distribution_info(frame: pd.DataFrame, *, metric: str) -> DistributionInfo:
    scores = np.sort(to_display(complete_trials(frame)["mean_test_score"], metric))
    return DistributionInfo(scores, np.arange(1, scores.size + 1) / max(scores.size, 1))


def plot_score_distribution(frame: pd.DataFrame, *, metric: str) -> go.Figure:
    """How the scores of all complete trials spread: steep means most trials score alike."""
    info = _get_score_distribution_info(frame, metric=metric)
    title = "Score distribution"
    if info.scores.size == 0:
        return empty_figure(NO_TRIALS, title=title)
    fig = go.Figure(
        scatter_class(info.scores.size)(
            x=info.scores,
            y=info.fraction,
            mode="lines",
            line={"color": VALIDATION, "width": 2, "shape": "hv"},
            name="trials",
            hovertemplate="score %{x:.5g}<br>%{y:.1%} of trials at or below<extra></extra>",
        )
    )
    return apply_layout(
        fig,
        title=title,
        x_title=axis_title(metric, "validation"),
        y_title="fraction of trials at or below",
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
    )
