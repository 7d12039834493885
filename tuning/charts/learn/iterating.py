"""Why iterate, and when to stop: the winner's curse as N grows, the top-k's CV against held-out scores,
and the best-so-far curves of a cold, a refined and a seeded search with their noise and plateau stops.

Pure functions of the lesson dataclasses (``tuning.lessons.iterating``): ``_get_<x>_info`` makes plain data
in display units, ``plot_<x>`` draws it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import (
    TEST,
    TEST_DASH,
    VALIDATION,
    axis_title,
    band_trace,
    curve_trace,
    empty_figure,
    points_trace,
    rgba,
    to_display,
)
from tuning.charts.learn._common import (
    CURRENT,
    band_edges,
    gap_trace,
    learn_layout,
    legend_marker,
    score_line,
    score_view,
)
from tuning.charts.learn.validation_overfit import steps
from tuning.lessons.iterating import IterateLesson, WinnersCurse
from tuning.stoprule import MIN_TRIALS

RUN_COLOURS = {"cold": "#7f7f7f", "refined": "#9467bd", "seeded": "#8c564b"}
RUN_DASHES = {"cold": "dot", "refined": "solid", "seeded": "dashdot"}  # searches often share a best: keep each visible
RUN_LABELS = {"cold": "cold search", "refined": "refined box", "seeded": "seeded with the cold best"}


# ----------------------------------------------------------------------------------------------
# The winner's curse


class WinnersCurseInfo(NamedTuple):
    metric: str
    n: np.ndarray  # 1..M
    best_mean: np.ndarray  # display units, mean over repeats
    best_std: np.ndarray
    held_mean: np.ndarray
    held_std: np.ndarray
    current: int
    optimism: float  # stored units (positive: CV flatters) at ``current``


def _mean_std(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nanmean(a, axis=0), np.nanstd(a, axis=0)


def _get_winners_curse_info(w: WinnersCurse, n: int | None = None) -> WinnersCurseInfo:
    m = w.metric
    current = w._n(n if n is not None else w.n_candidates)
    bm, bs = _mean_std(to_display(w.best_cv, m))
    hm, hs = _mean_std(to_display(w.winner_held, m))
    return WinnersCurseInfo(m, np.arange(1, w.n_candidates + 1), bm, bs, hm, hs, current, w.optimism_at(current))


def plot_winners_curse(w: WinnersCurse, n: int | None = None) -> go.Figure:
    """The winner's CV score (orange) and the same models' held-out score (green dashed) as the number of
    candidates grows, each a mean ± std band over the splits; the optimism between them shaded."""
    info = _get_winners_curse_info(w, n)
    title = "The best of N: its CV score against its held-out score"
    if info.n.size == 0:
        return empty_figure("No candidates", title=title)
    x = list(info.n)
    fig = go.Figure()
    fig.add_trace(gap_trace(x, info.best_mean, info.held_mean, name="optimism (CV − held-out)"))
    fig.add_trace(band_trace(x, info.best_mean, info.best_std, VALIDATION, group="cv", name="CV band"))
    fig.add_trace(band_trace(x, info.held_mean, info.held_std, TEST, group="held", name="held-out band"))
    cv_name, hover = "winner's CV score (mean ± std over splits)", "best of %{x}<br>CV %{y:.4g}<extra></extra>"
    fig.add_trace(score_line(x, info.best_mean, cv_name, hover, legendgroup="cv"))
    hover = "best of %{x}<br>held-out %{y:.4g}<extra></extra>"
    fig.add_trace(
        score_line(x, info.held_mean, "same models on held-out rows", hover, held_out=True, legendgroup="held")
    )
    i = info.current - 1
    fig.add_vline(x=info.current, line={"color": CURRENT, "dash": "dot", "width": 1.5})
    fig.add_annotation(
        x=info.current,
        y=float(max(info.best_mean[i], info.held_mean[i])),
        text=f"best of {info.current}: optimism {info.optimism:+.3g}",
        showarrow=True,
        arrowhead=0,
        ax=-10,
        ay=-30,
        xanchor="right",
        font={"color": "#333"},
        bgcolor="rgba(255,255,255,0.8)",
    )
    return learn_layout(fig, title, "candidates searched (N)", axis_title(info.metric), 420)


class TopKInfo(NamedTuple):
    metric: str
    ranks: np.ndarray  # 1..k
    cv: np.ndarray  # (repeats, k) display units
    held: np.ndarray  # (repeats, k)
    n: int


def _get_top_k_info(w: WinnersCurse, n: int, k: int = 10) -> TopKInfo:
    idx = w.top(n, k)
    rows = np.arange(w.repeats)[:, None]
    cv = to_display(w.cv_score[rows, idx], w.metric)
    held = to_display(w.held_score[rows, idx], w.metric)
    return TopKInfo(w.metric, np.arange(1, idx.shape[1] + 1), cv, held, w._n(n))


def plot_top_k(w: WinnersCurse, n: int, k: int = 10) -> go.Figure:
    """The k best of N by CV, each as a pair: its CV score (orange) above its held-out score (green), one
    faint pair per split and the mean over splits joined; the top rank falls furthest."""
    info = _get_top_k_info(w, n, k)
    title = f"The top {info.ranks.size} of {info.n}: CV against held-out, by CV rank"
    fig = go.Figure()
    R = info.cv.shape[0]
    for r in range(R):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for j, rank in enumerate(info.ranks):
            xs += [float(rank), float(rank), None]
            ys += [float(info.cv[r, j]), float(info.held[r, j]), None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "rgba(120,120,120,0.25)", "width": 1},
                showlegend=False,
                hoverinfo="skip",
                legendgroup="pairs",
            )
        )
    jitter = np.linspace(-0.12, 0.12, R) if R > 1 else np.zeros(1)
    for part, values, colour, symbol in (
        ("CV score", info.cv, VALIDATION, "circle"),
        ("held-out score", info.held, TEST, "diamond"),
    ):
        x = (info.ranks[None, :] + jitter[:, None]).ravel()
        marker = {"color": rgba(colour, 0.45), "size": 7, "symbol": symbol}
        hover = f"rank %{{x:.0f}}<br>{part} %{{y:.4g}}<extra></extra>"
        fig.add_trace(points_trace(x, values.ravel(), f"{part}, one split", marker, hover))
        fig.add_trace(
            go.Scatter(
                x=info.ranks,
                y=np.nanmean(values, axis=0),
                mode="lines+markers",
                name=f"{part}, mean of {R} splits",
                line={"color": colour, "width": 2.5, "dash": TEST_DASH if colour == TEST else "solid"},
                marker={"color": colour, "size": 9, "symbol": symbol},
                hovertemplate=f"rank %{{x}}<br>mean {part} %{{y:.4g}}<extra></extra>",
            )
        )
    fig.update_xaxes(tickmode="array", tickvals=list(info.ranks))
    return learn_layout(fig, title, "rank by CV score (1 = the winner)", axis_title(info.metric), 380)


# ----------------------------------------------------------------------------------------------
# Cold vs refined vs seeded, and the plateau stop


class RunInfo(NamedTuple):
    name: str
    x: np.ndarray  # each trial's x: its number, or the seconds spent by its end
    scores: np.ndarray  # display units
    step_x: np.ndarray
    best_steps: np.ndarray
    se_steps: np.ndarray
    stop: int | None
    stop_x: float  # the stop's x; NaN without a stop
    stop_best: float  # display units; NaN without a stop
    n_seeded: int


class IterateInfo(NamedTuple):
    metric: str
    runs: tuple[RunInfo, ...]
    min_trials: int
    band: str | None  # the search whose noise band is drawn
    x_axis: str  # "trials" or "seconds"
    target: float  # display units: the cold search's final best less its noise (NaN without a cold search)
    y_range: list[float] | None  # the best-so-far lines from trial SETTLE on, and the drawn band


SETTLE = 5  # a search's first few bests (and its failed or one-leaf trials) would squash the curves that matter
X_AXES = ("trials", "seconds")


def _get_iterate_info(
    lesson: IterateLesson, min_trials: int = MIN_TRIALS, *, band: str | None = "cold", x_axis: str = "trials"
) -> IterateInfo:
    m = lesson.metric
    seconds = x_axis == "seconds"
    runs = []
    for r in lesson.runs:
        t = np.arange(1, r.scores.size + 1)
        x = r.elapsed if seconds else t.astype(float)
        best = to_display(r.best, m)
        # Each best holds from its trial on: trial i spans [i - 0.5, i + 0.5], or [elapsed[i-1], elapsed[i]].
        edges = np.append(x, x[-1]) if seconds else np.append(t, t[-1] + 1) - 0.5
        sx, sb, ss = steps(edges, np.append(best, best[-1]), np.append(r.best_se, r.best_se[-1]))
        stop, _ = r.stop(min_trials)
        stop_best = float(to_display([r.best_at(stop)], m)[0]) if stop is not None else float("nan")
        stop_x = float(x[stop - 1]) if stop is not None else float("nan")
        runs.append(RunInfo(r.name, x, to_display(r.scores, m), sx, sb, ss, stop, stop_x, stop_best, r.n_seeded))
    names = [r.name for r in runs]
    band = band if band in names else None
    target = float("nan")
    if "cold" in names:
        cold = lesson.run("cold")  # as the lesson's sentences: the stored best less its noise (worse side)
        target = float(to_display([cold.final_best - float(cold.best_se[-1])], m)[0])
    values = [r.best_steps[2 * (SETTLE - 1) :] for r in runs]
    values += [e[2 * (SETTLE - 1) :] for r in runs if r.name == band for e in band_edges(r.best_steps, r.se_steps)]
    return IterateInfo(m, tuple(runs), int(min_trials), band, x_axis, target, score_view(values).range)


def plot_iterate_search(
    lesson: IterateLesson, min_trials: int = MIN_TRIALS, *, band: str | None = "cold", x_axis: str = "trials"
) -> go.Figure:
    """Each search's best-so-far score as a step line, its trials as faint dots and an ✕ where the plateau rule
    stops it; one search (``band``) with a band of ± the standard error of its best trial's fold scores (its
    CV noise), and a dotted line where the cold search's final best less that noise lies. ``x_axis``: the
    trial number or the seconds spent fitting."""
    info = _get_iterate_info(lesson, min_trials, band=band, x_axis=x_axis)
    title = "Best so far: cold, refined and seeded searches"
    if not info.runs:
        return empty_figure("No searches", title=title)
    seconds = info.x_axis == "seconds"
    xfmt = "%{x:.2f} s" if seconds else "trial %{x:.0f}"
    fig = go.Figure()
    for r in info.runs:
        colour, label = RUN_COLOURS.get(r.name, "#333333"), RUN_LABELS.get(r.name, r.name)
        if r.name == info.band:
            trace = band_trace(
                list(r.step_x), r.best_steps, r.se_steps, colour, group=r.name, name=f"{label} noise band"
            )
            trace.update(fillcolor=rgba(colour, 0.08), line={"width": 1, "color": rgba(colour, 0.45)})
            fig.add_trace(trace)
        hover = f"{label}<br>{xfmt}<br>CV %{{y:.4g}}<extra></extra>"
        dots = {"color": rgba(colour, 0.35), "size": 5}
        fig.add_trace(
            points_trace(r.x, r.scores, f"{label}: trials", dots, hover, legendgroup=r.name, showlegend=False)
        )
        noise = " ± noise" if r.name == info.band else ""
        style = {"color": colour, "width": 3 if r.name == "cold" else 2, "dash": RUN_DASHES.get(r.name, "solid")}
        hover = f"{label}<br>{xfmt}<br>best %{{y:.4g}}<extra></extra>"
        name = f"{label} (best so far{noise})"
        fig.add_trace(curve_trace(r.step_x, r.best_steps, name, style, hover, legendgroup=r.name))
        if r.stop is not None:
            cross = {"symbol": "x", "size": 13, "color": colour, "line": {"color": "black", "width": 1}}
            hover = f"{label}<br>the plateau rule stops after trial {r.stop}<extra></extra>"
            name = f"{label}: plateau stop"
            fig.add_trace(
                points_trace([r.stop_x], [r.stop_best], name, cross, hover, legendgroup=r.name, showlegend=False)
            )
    if np.isfinite(info.target):
        fig.add_hline(y=info.target, line={"color": RUN_COLOURS["cold"], "dash": "dot", "width": 1})
        fig.add_annotation(
            x=0.01,
            xref="paper",
            y=info.target,
            text="cold search's final best, less its noise",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            bgcolor="rgba(255,255,255,0.7)",
            font={"color": "#555", "size": 11},
        )
    cross = {"symbol": "x", "size": 11, "color": "#555", "line": {"color": "black", "width": 1}}
    legend_marker(fig, f"✕ plateau stop (after ≥ {info.min_trials} trials)", cross)
    if info.y_range is not None:
        fig.update_yaxes(range=info.y_range)
    x_title = (
        "seconds spent fitting each trial's 5 folds (measured: varies with the machine's load)" if seconds else "trial"
    )
    return learn_layout(fig, title, x_title, axis_title(info.metric, "CV"), 440)
