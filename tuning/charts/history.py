"""Optimization history: every complete trial's score and the best so far; pruned trials marked apart.

A pruned trial's score was measured at a smaller budget (fewer boosting rounds or rows) than a complete
one, so it never moves the best-so-far line; it is drawn as a grey cross with the rung it reached, on an
axis of its own under the full-budget scores. The best trial is a star drawn over the best-so-far line.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import (
    MARGIN,
    NO_TRIALS,
    PRUNED_MARK,
    VALIDATION,
    apply_layout,
    axis_title,
    complete_trials,
    empty_figure,
    points_trace,
    running_best,
    step_points,
    to_display,
    utc_naive,
)
from tuning.store import TrialState

BEST_LINE = "#a63603"  # darker than the trial dots, so the best-so-far line stands out


EMPTY = np.array([])


class HistoryInfo(NamedTuple):
    x: np.ndarray  # trial numbers, or finish times (UTC datetime64) when x="time"
    y: np.ndarray  # display scores, in x order
    best: np.ndarray  # best display score so far
    numbers: np.ndarray
    pruned_x: np.ndarray = EMPTY  # pruned trials (empty when hidden): x, display score, number, rung, budget
    pruned_y: np.ndarray = EMPTY
    pruned_numbers: np.ndarray = EMPTY
    pruned_rung: np.ndarray = EMPTY
    pruned_budget: np.ndarray = EMPTY
    best_se: np.ndarray = EMPTY  # the standard error of the best-so-far trial's fold scores, in x order


def _xy(rows: pd.DataFrame, metric: str, x: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, display score, trial number and row positions of ``rows`` in x order (rows without a time dropped)."""
    numbers = rows["number"].to_numpy(dtype=np.int64)
    y = to_display(rows["mean_test_score"], metric)
    pos = np.arange(len(rows))
    if x == "time":
        xs = (
            utc_naive(rows["finished"])
            if "finished" in rows.columns
            else np.full(len(rows), np.datetime64("NaT", "ns"))
        )
        keep = ~np.isnat(xs)
        xs, y, numbers, pos = xs[keep], y[keep], numbers[keep], pos[keep]
    else:
        xs = numbers
    order = np.argsort(xs, kind="stable")
    return xs[order], y[order], numbers[order], pos[order]


def _get_history_info(
    frame: pd.DataFrame,
    *,
    metric: str,
    x: Literal["number", "time"] = "number",
    show_pruned: bool = True,
    n_folds: int | None = None,
) -> HistoryInfo:
    if x not in ("number", "time"):
        raise ValueError(f"x must be 'number' or 'time', got {x!r}.")
    ok = complete_trials(frame)
    xs, y, numbers, pos = _xy(ok, metric, x)
    info = HistoryInfo(xs, y, running_best(y, metric), numbers)
    if n_folds and n_folds > 1 and "std_test_score" in ok.columns and y.size:
        # sample standard error of the fold mean (scikit-learn's std is the population one, ddof=0)
        se = pd.to_numeric(ok["std_test_score"], errors="coerce").to_numpy(dtype=float)[pos] / np.sqrt(n_folds - 1)
        raw = pd.to_numeric(ok["mean_test_score"], errors="coerce").to_numpy(dtype=float)[pos]
        holder = np.maximum.accumulate(np.where(raw == np.maximum.accumulate(raw), np.arange(raw.size), 0))
        info = info._replace(best_se=se[holder])
    if not show_pruned or frame is None or "state" not in frame.columns or frame.empty:
        return info
    scores = pd.to_numeric(frame["mean_test_score"], errors="coerce").to_numpy(dtype=float)
    pruned = frame.loc[(frame["state"] == TrialState.PRUNED.value).to_numpy(dtype=bool) & np.isfinite(scores)]
    if pruned.empty:
        return info
    px, py, pn, pos = _xy(pruned, metric, x)

    def column(name: str) -> np.ndarray:
        if name not in pruned.columns:
            return np.full(len(pos), np.nan)
        return pd.to_numeric(pruned[name], errors="coerce").to_numpy(dtype=float)[pos]

    return info._replace(
        pruned_x=px, pruned_y=py, pruned_numbers=pn, pruned_rung=column("rung"), pruned_budget=column("budget")
    )


def plot_history(
    frame: pd.DataFrame,
    *,
    metric: str,
    x: Literal["number", "time"] = "number",
    show_pruned: bool = True,
    height: int | None = None,
    n_folds: int | None = None,
) -> go.Figure:
    """Each complete trial's validation score and the best-so-far step line, by trial number or finish time;
    pruned trials (when shown) as grey crosses at the score of the rung where they were cut. With ``n_folds``,
    a band of one standard error of the best trial's fold scores around the best-so-far line: a new best
    inside the band is within the folds' noise."""
    info = _get_history_info(frame, metric=metric, x=x, show_pruned=show_pruned, n_folds=n_folds)
    title = "Optimization history"
    if info.y.size == 0 and info.pruned_y.size == 0:
        return empty_figure(NO_TRIALS, title=title)
    # Pruned trials were scored at a smaller budget: their own axis below, so they neither stretch the axis of
    # the full-budget scores nor sit among them.
    two = bool(info.pruned_y.size)
    fig = (
        make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.08)
        if two
        else go.Figure()
    )
    at = {"row": 1, "col": 1} if two else {}
    sx, sy = step_points(info.x, info.best)
    if info.best_se.size and np.isfinite(info.best_se).any():
        se = np.nan_to_num(info.best_se)
        for k, (edge, name) in enumerate(((info.best - se, "noise band"), (info.best + se, "noise band"))):
            fig.add_trace(
                go.Scatter(
                    x=info.x,
                    y=edge,
                    mode="lines",
                    line={"width": 0, "shape": "hv"},
                    fill="tonexty" if k else None,
                    fillcolor="rgba(166, 54, 3, 0.15)",
                    name="best ± 1 standard error of its folds (noise)",
                    legendgroup=name,
                    showlegend=bool(k),
                    hoverinfo="skip",
                ),
                **at,
            )
    fig.add_trace(  # under the trials: the best trial is never hidden by the line
        go.Scatter(
            x=sx,
            y=sy,
            mode="lines",
            line={"color": BEST_LINE, "width": 2.5, "shape": "hv"},
            name="best so far",
            hovertemplate="best so far %{y:.5g}<extra></extra>",
        ),
        **at,
    )
    marker = {"color": VALIDATION, "size": 8, "opacity": 0.9, "line": {"width": 0.5, "color": "white"}}
    hover = "trial #%{customdata}<br>score %{y:.5g}<extra></extra>"
    fig.add_trace(points_trace(info.x, info.y, "trial", marker, hover, many=True, customdata=info.numbers), **at)
    if info.y.size:
        i = int(np.flatnonzero(info.y == info.best[-1])[0])
        star = {"color": BEST_LINE, "size": 15, "symbol": "star", "line": {"width": 1, "color": "white"}}
        hover = f"best trial #{int(info.numbers[i])}<br>score %{{y:.5g}}<extra></extra>"
        fig.add_trace(points_trace([info.x[i]], [info.y[i]], f"best: #{int(info.numbers[i])}", star, hover), **at)
    if two:
        rung = ["?" if np.isnan(r) else f"{int(r)}" for r in info.pruned_rung]
        budget = ["?" if np.isnan(b) else f"{int(b):,}" for b in info.pruned_budget]
        marker = {**PRUNED_MARK, "size": 7, "opacity": 0.8}
        hover = (
            "trial #%{customdata[0]} pruned at rung %{customdata[1]}<br>budget %{customdata[2]}<br>score %{y:.5g}"
            "<extra></extra>"
        )
        custom = np.column_stack([info.pruned_numbers, rung, budget])
        pruned = points_trace(
            info.pruned_x, info.pruned_y, "pruned (cut early)", marker, hover, many=True, customdata=custom
        )
        fig.add_trace(pruned, row=2, col=1)
    if x == "number":
        last = max(info.x.max() if info.x.size else 0, info.pruned_x.max() if info.pruned_x.size else 0)
        fig.update_xaxes(tickformat="d", rangemode="tozero", **({"dtick": 1} if last < 15 else {}))
    fig.update_yaxes(tickformat=".4~g")
    fig = apply_layout(
        fig,
        title=title,
        x_title="finished (UTC)" if x == "time" else "trial number",
        y_title=axis_title(metric, "validation"),
        height=height,
        # Under the plot: above it, plotly's toolbar covers the legend.
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={**MARGIN, "b": 90},
    )
    if two:  # the x title belongs under the lower axis, the score's title to the upper one
        fig.update_xaxes(title_text=None, row=1, col=1)
        fig.update_xaxes(title_text="finished (UTC)" if x == "time" else "trial number", row=2, col=1)
        fig.update_yaxes(title_text=axis_title(metric, "validation"), row=1, col=1)
        fig.update_yaxes(title_text="cut early", row=2, col=1)  # the legend and the hover say at what budget
    return fig
