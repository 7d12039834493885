"""Boosting-round curves with early stopping: the best and stop rounds, wasted rounds shaded."""

from __future__ import annotations

from typing import NamedTuple

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
from tuning.lessons.boosting import BoostingRounds, BoostingRun


class BoostingPanel(NamedTuple):
    """One learning rate: the lesson's run as it is, and what the chart adds to it."""

    run: BoostingRun  # rounds, curves, the best round (1-based, the star), early stopping's rounds
    best_value: float
    wasted: tuple[float, float] | None  # the shaded band (stop_round, last round); None when it never stops


class BoostingInfo(NamedTuple):
    metric: str
    higher_is_better: bool
    patience: int
    panels: list[BoostingPanel]


def _get_boosting_rounds_info(rounds: BoostingRounds) -> BoostingInfo:
    panels = []
    for r in rounds.runs:
        last = int(r.rounds[-1]) if len(r.rounds) else 0
        wasted = (float(r.stop_round), float(last)) if r.stop_round < last else None
        panels.append(BoostingPanel(r, float(r.val_mean[r.best_round - 1]), wasted))
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
        stop = f"stops at {p.run.stop_round}" if p.wasted else "never stops"
        subtitles.append(f"learning rate {fmt_number(p.run.learning_rate)}: best {p.run.best_round}, {stop}")
    fig = make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=0.03, subplot_titles=subtitles)
    for j, p in enumerate(info.panels, start=1):
        first = j == 1
        x = list(p.run.rounds)
        fig.add_trace(gap_trace(x, p.run.train_mean, p.run.val_mean, showlegend=first, legendgroup="gap"), row=1, col=j)
        for part, mean, std, colour in (
            ("train", p.run.train_mean, p.run.train_std, TRAIN),
            ("validation", p.run.val_mean, p.run.val_std, VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=part), row=1, col=j)
            hover = f"{part}<br>round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>"
            fig.add_trace(mean_trace(x, mean, part, colour, show=first, hover=hover), row=1, col=j)
        hover = f"best round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>"
        name = "best validation round"
        best = points_trace([p.run.best_round], [p.best_value], name, STAR, hover, legendgroup="best", showlegend=first)
        fig.add_trace(best, row=1, col=j)
        if p.run.es_best_round != p.run.best_round:
            kept = {"symbol": "star-open", "size": 14, "color": VALIDATION, "line": {"width": 2}}
            hover = "kept by early stopping<br>round %{x}<extra></extra>"
            x_kept, y_kept = [p.run.es_best_round], [p.run.val_mean[p.run.es_best_round - 1]]
            fig.add_trace(
                points_trace(x_kept, y_kept, "round early stopping keeps", kept, hover, legendgroup="kept"),
                row=1,
                col=j,
            )
        if p.wasted:  # after the traces: plotly skips shapes on a subplot that has no data yet
            fig.add_vrect(x0=p.wasted[0], x1=p.wasted[1], fillcolor=WASTED, line_width=0, layer="below", row=1, col=j)
            fig.add_vline(x=p.run.stop_round, line={"color": CURRENT, "dash": "dot", "width": 1.5}, row=1, col=j)
        fig.update_xaxes(title_text="boosting round", row=1, col=j)
    legend_line(fig, f"early stop (patience {info.patience})", CURRENT, "dot")
    legend_marker(fig, "wasted rounds (after the stop)", {"symbol": "square", "size": 14, "color": WASTED})
    fig.update_annotations(font_size=12)
    better = "higher" if info.higher_is_better else "lower"
    fig.update_yaxes(title_text=f"{info.metric} ({better} is better)", row=1, col=1)
    return apply_layout(fig, title=title, height=420, legend=BOTTOM_LEGEND, margin={"l": 60, "r": 20, "t": 80, "b": 50})


# ----------------------------------------------------------------------------------------------
# Bias-variance
