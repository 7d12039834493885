"""Score against cost (fit time or model size): the Pareto front, the best trial and the one-SE pick.

One study (a results frame) or several (a mapping of name -> frame, as on the Compare page), drawn on one
chart. Above ``max_points`` trials a fixed-seed sample is drawn and the title says how many; the front, the
best trial and the pick are always drawn, computed on every trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.charts._common import apply_layout, axis_title, empty_figure, points_trace, to_display
from tuning.tradeoff import Cost, complete, describe, one_standard_error, pareto_front, size_unit

MAX_POINTS = 4000
NO_COST = {
    Cost.FIT_TIME: "No complete trial has a fit time yet",
    Cost.MODEL_SIZE: "No complete trial has a model size (studies run before sizes were recorded have none)",
}
FRONT = "#222222"  # dark: study colours (Compare) start with blue and red
BEST = "#ff7f0e"
PICK = "#2ca02c"
POINTS = "#1f77b4"
# plotly's default sequence, pinned to the study's place in the legend (the Compare page's other charts use it)
STUDY_COLORS = ("#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880")


class TradeoffMarker(NamedTuple):
    study: str
    number: int
    x: float  # cost
    y: float  # display score


class TradeoffInfo(NamedTuple):
    cost: Cost
    x_title: str
    log_x: bool
    studies: list[str]  # one group of points per study ("" for a single study)
    numbers: list[np.ndarray]  # drawn trials per study
    x: list[np.ndarray]
    y: list[np.ndarray]  # display scores
    front: list[TradeoffMarker]  # the Pareto front over every trial, by increasing cost
    best: TradeoffMarker | None
    pick: TradeoffMarker | None  # the simplest trial within one standard error of the best
    sentence: str
    n_points: int  # trials with a score and this cost
    n_drawn: int
    left_out: list[str]  # studies without this cost, or with another size unit


def _pooled(frames: pd.DataFrame | Mapping[str, pd.DataFrame], n_folds: int | Mapping[str, int] | None) -> pd.DataFrame:
    if isinstance(frames, pd.DataFrame):
        ok = complete(frames)
        return ok.assign(study="", n_folds=n_folds if isinstance(n_folds, int) else np.nan)
    parts = []
    for name, frame in frames.items():
        k = n_folds.get(name) if isinstance(n_folds, Mapping) else n_folds
        parts.append(complete(frame).assign(study=str(name), n_folds=np.nan if k is None else k))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else complete(pd.DataFrame())


def _wide(values: np.ndarray) -> bool:
    v = values[np.isfinite(values) & (values > 0)]
    return bool(v.size) and float(v.max()) / float(v.min()) >= 20


def _sample(study_col: np.ndarray, studies: list[str], max_points: int, seed: int) -> np.ndarray:
    """A fixed-seed sample of ``max_points`` rows, shared equally between studies (a small study next to a
    100,000-trial one keeps all its points), the rest drawn from what is left."""
    rng = np.random.default_rng(seed)
    keep = np.zeros(study_col.size, dtype=bool)
    quota = max_points // max(1, len(studies))
    for s in studies:
        idx = np.flatnonzero(study_col == s)
        keep[idx if idx.size <= quota else rng.choice(idx, size=quota, replace=False)] = True
    rest = np.flatnonzero(~keep)
    need = max_points - int(keep.sum())
    if need > 0 and rest.size:
        keep[rng.choice(rest, size=min(need, rest.size), replace=False)] = True
    return keep


def _get_tradeoff_info(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    metric: str,
    cost: Cost,
    n_folds: int | Mapping[str, int] | None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> TradeoffInfo:
    pooled = _pooled(frames, n_folds)
    # the choice is made on every complete trial, so both panels (time, size) mark the same trials
    choice = one_standard_error(pooled, n_folds=n_folds if isinstance(n_folds, int) else None)
    studies_all = list(dict.fromkeys(pooled["study"])) if not pooled.empty else []
    x_title = cost.label
    if cost is Cost.MODEL_SIZE:
        unit = size_unit(pooled)
        if unit is not None:
            pooled = pooled[pooled["model_size_unit"] == unit]
            x_title = f"model size ({unit})"
    x_all = (
        pd.to_numeric(pooled[cost.value], errors="coerce").to_numpy(dtype=float) if not pooled.empty else np.empty(0)
    )
    has = np.isfinite(x_all)
    if cost is not Cost.FIT_TIME:
        has &= x_all >= 0
    pooled, x_all = pooled.loc[has], x_all[has]
    studies = list(dict.fromkeys(pooled["study"]))
    left_out = [s for s in studies_all if s not in studies]
    if pooled.empty:
        return TradeoffInfo(cost, x_title, False, [], [], [], [], [], None, None, "", 0, 0, left_out)
    y_all = pooled["mean_test_score"].to_numpy(dtype=float)
    front_pos = pareto_front(y_all, x_all)
    rows = pooled.reset_index(drop=True)
    key = list(zip(rows["study"], rows["number"].astype(int), strict=True))
    where = {k: i for i, k in enumerate(key)}

    def marker(pos: int) -> TradeoffMarker:
        return TradeoffMarker(key[pos][0], key[pos][1], float(x_all[pos]), float(to_display([y_all[pos]], metric)[0]))

    best = pick = None
    if choice is not None:
        ib, ip = (
            where.get((choice.best.study, choice.best.number)),
            where.get((choice.simplest.study, choice.simplest.number)),
        )
        best = None if ib is None else marker(ib)
        pick = None if ip is None or choice.same else marker(ip)
    keep = np.ones(len(rows), dtype=bool)
    study_col = rows["study"].to_numpy()
    if len(rows) > max_points:
        keep = _sample(study_col, studies, max_points, seed)
        keep[front_pos] = True
    numbers, xs, ys = [], [], []
    for s in studies:
        m = keep & (study_col == s)
        numbers.append(rows["number"].to_numpy(dtype=np.int64)[m])
        xs.append(x_all[m])
        ys.append(to_display(y_all[m], metric))
    return TradeoffInfo(
        cost=cost,
        x_title=x_title,
        log_x=_wide(x_all),
        studies=studies,
        numbers=numbers,
        x=xs,
        y=ys,
        front=[marker(int(i)) for i in front_pos],
        best=best,
        pick=pick,
        sentence="" if choice is None else describe(choice, metric=metric),
        n_points=len(rows),
        n_drawn=int(keep.sum()),
        left_out=left_out,
    )


def plot_tradeoff(
    frames: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    metric: str,
    cost: Cost = Cost.FIT_TIME,
    n_folds: int | Mapping[str, int] | None = None,
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """Validation score against fit time or model size, the Pareto front, the best trial and the one-SE pick."""
    info = _get_tradeoff_info(frames, metric=metric, cost=cost, n_folds=n_folds, max_points=max_points)
    return draw_tradeoff(info, metric=metric)


def draw_tradeoff(info: TradeoffInfo, *, metric: str) -> go.Figure:
    """The figure of an info (pages that also list the front compute the info once)."""
    cost = info.cost
    title = f"Score against {'fit time' if cost is Cost.FIT_TIME else 'model size'}"
    if not info.n_points:
        return empty_figure(NO_COST[cost], title=title)
    if info.n_drawn < info.n_points:
        title += f"<br><sup>{info.n_drawn:,} of {info.n_points:,} trials drawn; the front is from all</sup>"
    fig = go.Figure()
    single = info.studies == [""]
    groups = list(zip(info.studies, info.numbers, info.x, info.y, strict=True))
    # the largest study first, so a small one beside it is drawn on top; the legend keeps the given order
    for rank, (name, nums, x, y) in sorted(enumerate(groups), key=lambda g: -len(g[1][2])):
        marker = {"size": 6, "opacity": 0.55, "color": POINTS if single else STUDY_COLORS[rank % len(STUDY_COLORS)]}
        hover = f"{name + ' ' if name else ''}trial %{{customdata}}<br>%{{x:.4g}}<br>score %{{y:.5g}}<extra></extra>"
        label = "trials" if single else name
        fig.add_trace(points_trace(x, y, label, marker, hover, many=True, legendrank=rank, customdata=nums))
    fx = [m.x for m in info.front]
    fy = [m.y for m in info.front]
    fig.add_trace(
        go.Scatter(
            x=fx,
            y=fy,
            mode="lines+markers",
            name="Pareto front",
            line={"color": FRONT, "shape": "hv", "width": 2},
            marker={"color": FRONT, "size": 8},
            customdata=[f"{m.study + ' ' if m.study else ''}#{m.number}" for m in info.front],
            hovertemplate="front: %{customdata}<br>%{x:.4g}<br>score %{y:.5g}<extra></extra>",
        )
    )
    for m, label, colour, symbol in (
        (info.best, "best", BEST, "star"),
        (info.pick, "simplest within 1 SE", PICK, "diamond"),
    ):
        if m is None:
            continue
        marker = {"color": colour, "size": 16, "symbol": symbol, "line": {"color": "black", "width": 1}}
        hover = (
            f"{label}: {m.study + ' ' if m.study else ''}#{m.number}<br>%{{x:.4g}}<br>score %{{y:.5g}}<extra></extra>"
        )
        fig.add_trace(points_trace([m.x], [m.y], f"{label} (#{m.number})", marker, hover))
    if info.log_x:
        fig.update_xaxes(type="log")
    return apply_layout(
        fig,
        title=title,
        x_title=info.x_title + (" (log scale)" if info.log_x else ""),
        y_title=axis_title(metric, "validation"),
        legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0},
    )


__all__ = ["TradeoffInfo", "TradeoffMarker", "_get_tradeoff_info", "draw_tradeoff", "plot_tradeoff"]
