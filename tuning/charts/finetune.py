"""Fine-tuning charts: score against trees added (new and old rows), and the arms side by side.

Two steps each, as in Optuna: ``_get_..._info`` makes plain data from a ``FinetuneResult``; ``plot_...``
draws it. A result without the arms a chart needs gives an empty figure that says so.
"""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import apply_layout, axis_title, curve_trace, empty_figure, points_trace, to_display
from tuning.finetune import ArmKind, FinetuneResult

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
NEW_COLOR, OLD_COLOR = "#1f77b4", "#7f7f7f"
NO_CURVES = "No per-tree curve: the continue arm of an XGBoost model draws one"


class CurveLine(NamedTuple):
    label: str
    rounds: tuple[int, ...]  # trees (rounds) added
    new: tuple[float, ...]  # display scores on new held-out rows
    old: tuple[float, ...] | None  # on old held-out rows
    best_round: int | None
    best_new: float | None  # the new score at the early-stopping point


class AdaptationCurvesInfo(NamedTuple):
    metric: str
    lines: tuple[CurveLine, ...]
    base_new: float | None
    base_old: float | None
    retrain_new: float | None


def _get_adaptation_curves_info(
    result: FinetuneResult, *, kinds: tuple[ArmKind, ...] = (ArmKind.CONTINUE,)
) -> AdaptationCurvesInfo:
    m = result.metric
    lines = []
    for arm in result.arms:
        if arm.kind not in kinds or arm.curve is None:
            continue
        c = arm.curve
        new = tuple(float(v) for v in to_display(list(c.new), m))
        old = tuple(float(v) for v in to_display(list(c.old), m)) if c.old is not None else None
        best_new = new[c.rounds.index(c.best_round)] if c.best_round in c.rounds else None
        lines.append(CurveLine(arm.label, c.rounds, new, old, c.best_round, best_new))
    base, retrain = result.arm(ArmKind.BASE), result.arm(ArmKind.RETRAIN_NEW)

    def disp(v: float | None) -> float | None:
        return None if v is None else float(to_display([v], m)[0])

    return AdaptationCurvesInfo(
        m,
        tuple(lines),
        disp(base.new_score) if base else None,
        disp(base.old_score) if base else None,
        disp(retrain.new_score) if retrain else None,
    )


def plot_adaptation_curves(result: FinetuneResult, *, kinds: tuple[ArmKind, ...] = (ArmKind.CONTINUE,)) -> go.Figure:
    """Score on new held-out rows (solid) and old held-out rows (dashed) against trees added, one colour per
    learning rate; a star marks where early stopping kept the model."""
    info = _get_adaptation_curves_info(result, kinds=kinds)
    title = "Learning the new data, forgetting the old"
    if not info.lines:
        return empty_figure(NO_CURVES, title=title)
    fig = go.Figure()
    for i, line in enumerate(info.lines):
        color = PALETTE[i % len(PALETTE)]
        for rows, values, dashed in (("new", line.new, {}), ("old", line.old, {"dash": "dash"})):
            if values is not None:
                hover = f"%{{x}} trees added<br>{rows} %{{y:.4f}}<extra>" + line.label + "</extra>"
                style = {"color": color, "width": 2, **dashed}
                name = f"{line.label}: {rows}"
                fig.add_trace(curve_trace(line.rounds, values, name, style, hover, legendgroup=line.label))
        if line.best_round is not None and line.best_new is not None:
            star = {"symbol": "star", "size": 14, "color": color, "line": {"color": "white", "width": 1}}
            hover = "early stop at %{x} trees added<br>new %{y:.4f}<extra></extra>"
            name = f"{line.label}: early stop"
            fig.add_trace(
                points_trace(
                    [line.best_round], [line.best_new], name, star, hover, legendgroup=line.label, showlegend=False
                )
            )
    for value, text, dash, where in (
        (info.base_new, "base on new", "dot", "bottom right"),
        (info.base_old, "base on old", "dashdot", "top right"),
        (info.retrain_new, "retrain (new) on new", "dot", "top left"),
    ):
        if value is not None:
            fig.add_hline(
                y=value,
                line={"color": "#2ca02c" if "retrain" in text else "#444", "dash": dash, "width": 1},
                annotation_text=text,
                annotation_position=where,
            )
    return apply_layout(
        fig, title=title, x_title="trees added", y_title=axis_title(info.metric, "held-out"), height=430
    )


class ArmsInfo(NamedTuple):
    metric: str
    labels: tuple[str, ...]
    new: tuple[float, ...]  # display scores
    old: tuple[float | None, ...]
    fit_time_s: tuple[float, ...]
    trees: tuple[int, ...]
    leaves: tuple[int, ...]


def _get_arms_info(result: FinetuneResult) -> ArmsInfo:
    m = result.metric
    arms = result.arms
    return ArmsInfo(
        m,
        tuple(a.label for a in arms),
        tuple(float(to_display([a.new_score], m)[0]) for a in arms),
        tuple(None if a.old_score is None else float(to_display([a.old_score], m)[0]) for a in arms),
        tuple(a.fit_time_s for a in arms),
        tuple(a.trees for a in arms),
        tuple(a.leaves for a in arms),
    )


def plot_arms(result: FinetuneResult) -> go.Figure:
    """Each arm's held-out score (new and old rows), fit time and model size, side by side."""
    info = _get_arms_info(result)
    title = "The arms compared"
    if not info.labels:
        return empty_figure("No arm was run", title=title)
    fig = make_subplots(
        rows=2,
        cols=2,
        specs=[[{"colspan": 2}, None], [{}, {}]],
        subplot_titles=(
            axis_title(info.metric, "held-out"),
            "fit time (CPU s)" if result.time_kind == "cpu" else "fit time (s)",
            "model size (leaves; hover: trees)",
        ),
        vertical_spacing=0.2,
        horizontal_spacing=0.08,
    )
    for heights, name, colour in ((info.new, "new rows", NEW_COLOR), (info.old, "old rows", OLD_COLOR)):
        if any(v is not None for v in heights):
            text = {"texttemplate": "%{y:.3f}", "textposition": "outside"}
            fig.add_trace(go.Bar(x=info.labels, y=heights, name=name, marker_color=colour, **text), row=1, col=1)
    fig.add_trace(
        go.Bar(x=info.labels, y=info.fit_time_s, name="fit time", marker_color="#ff7f0e", showlegend=False),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=info.labels,
            y=info.leaves,
            name="leaves",
            marker_color="#9467bd",
            showlegend=False,
            customdata=info.trees,
            hovertemplate="%{x}<br>%{customdata} trees, %{y} leaves<extra></extra>",
        ),
        row=2,
        col=2,
    )
    scores = [v for v in info.new + info.old if v is not None]
    lo, hi = min(scores), max(scores)
    pad = (hi - lo) * 0.25 or abs(hi) * 0.05 or 0.1
    fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=1)
    fig.update_xaxes(tickangle=-30)
    return apply_layout(fig, title=title, height=700, barmode="group")
