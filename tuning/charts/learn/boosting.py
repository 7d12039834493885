"""Boosting-round curves with early stopping: the best and stop rounds, wasted rounds shaded."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import (
    STAR,
    TRAIN,
    VALIDATION,
    apply_layout,
    band_trace,
    empty_figure,
    fmt_number,
    points_trace,
)
from tuning.charts.learn._common import (
    BOTTOM_LEGEND,
    CURRENT,
    WASTED,
    gap_trace,
    legend_line,
    legend_marker,
    mean_trace,
)
from tuning.lessons.boosting import BoostingRounds


class BoostingPanel(NamedTuple):
    learning_rate: float
    rounds: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    best_round: int  # 1-based, the star
    best_value: float
    es_best_round: int  # the round early stopping keeps
    stop_round: int  # where early stopping stops
    wasted: tuple[float, float] | None  # the shaded band (stop_round, last round); None when it never stops


class BoostingInfo(NamedTuple):
    metric: str
    higher_is_better: bool
    patience: int
    panels: list[BoostingPanel]


def _get_boosting_rounds_info(rounds: BoostingRounds) -> BoostingInfo:
    panels = []
    for r in rounds.runs:
        rr = np.asarray(r.rounds)
        last = int(rr[-1]) if rr.size else 0
        panels.append(
            BoostingPanel(
                learning_rate=float(r.learning_rate),
                rounds=rr,
                train_mean=np.asarray(r.train_mean, dtype=float),
                train_std=np.asarray(r.train_std, dtype=float),
                val_mean=np.asarray(r.val_mean, dtype=float),
                val_std=np.asarray(r.val_std, dtype=float),
                best_round=int(r.best_round),
                best_value=float(r.val_mean[r.best_round - 1]),
                es_best_round=int(r.es_best_round),
                stop_round=int(r.stop_round),
                wasted=(float(r.stop_round), float(last)) if r.stop_round < last else None,
            )
        )
    return BoostingInfo(rounds.metric, rounds.higher_is_better, rounds.early_stopping_rounds, panels)


def plot_boosting_rounds(rounds: BoostingRounds) -> go.Figure:
    """One panel per learning rate (shared y): train and validation metric per round (mean ± std over
    folds), the best round starred, early stopping's stop round dotted, the rounds after it shaded."""
    info = _get_boosting_rounds_info(rounds)
    title = "Boosting rounds and early stopping"
    if not info.panels:
        return empty_figure("No boosting runs", title=title)
    n = len(info.panels)
    subtitles = []
    for p in info.panels:
        stop = f"stops at {p.stop_round}" if p.wasted else "never stops"
        subtitles.append(f"learning rate {fmt_number(p.learning_rate)}: best {p.best_round}, {stop}")
    fig = make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=0.03, subplot_titles=subtitles)
    for j, p in enumerate(info.panels, start=1):
        first = j == 1
        x = list(p.rounds)
        fig.add_trace(gap_trace(x, p.train_mean, p.val_mean, showlegend=first, legendgroup="gap"), row=1, col=j)
        for part, mean, std, colour in (
            ("train", p.train_mean, p.train_std, TRAIN),
            ("validation", p.val_mean, p.val_std, VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=part), row=1, col=j)
            hover = f"{part}<br>round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>"
            fig.add_trace(mean_trace(x, mean, part, colour, show=first, hover=hover), row=1, col=j)
        hover = f"best round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>"
        name = "best validation round"
        best = points_trace([p.best_round], [p.best_value], name, STAR, hover, legendgroup="best", showlegend=first)
        fig.add_trace(best, row=1, col=j)
        if p.es_best_round != p.best_round:
            kept = {"symbol": "star-open", "size": 14, "color": VALIDATION, "line": {"width": 2}}
            hover = "kept by early stopping<br>round %{x}<extra></extra>"
            x_kept, y_kept = [p.es_best_round], [p.val_mean[p.es_best_round - 1]]
            fig.add_trace(
                points_trace(x_kept, y_kept, "round early stopping keeps", kept, hover, legendgroup="kept"),
                row=1,
                col=j,
            )
        if p.wasted:  # after the traces: plotly skips shapes on a subplot that has no data yet
            fig.add_vrect(x0=p.wasted[0], x1=p.wasted[1], fillcolor=WASTED, line_width=0, layer="below", row=1, col=j)
            fig.add_vline(x=p.stop_round, line={"color": CURRENT, "dash": "dot", "width": 1.5}, row=1, col=j)
        fig.update_xaxes(title_text="boosting round", row=1, col=j)
    legend_line(fig, f"early stop (patience {info.patience})", CURRENT, "dot")
    legend_marker(fig, "wasted rounds (after the stop)", {"symbol": "square", "size": 14, "color": WASTED})
    fig.update_annotations(font_size=12)
    better = "higher" if info.higher_is_better else "lower"
    fig.update_yaxes(title_text=f"{info.metric} ({better} is better)", row=1, col=1)
    return apply_layout(fig, title=title, height=420, legend=BOTTOM_LEGEND, margin={"l": 60, "r": 20, "t": 80, "b": 50})


# ----------------------------------------------------------------------------------------------
# Bias-variance
