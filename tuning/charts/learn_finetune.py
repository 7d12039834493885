"""The lesson's chart: what each arm learned (new rows) against what it kept (old rows)."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go

from tuning.charts._common import apply_layout, axis_title, empty_figure, to_display
from tuning.finetune import ArmKind, FinetuneResult

ARM_COLORS = {
    ArmKind.BASE: "#444444",
    ArmKind.CONTINUE: "#1f77b4",
    ArmKind.REFRESH: "#ff7f0e",
    ArmKind.STACK: "#9467bd",
    ArmKind.RETRAIN_NEW: "#d62728",
    ArmKind.RETRAIN_ALL: "#2ca02c",
    ArmKind.TUNED: "#17becf",
}


SYMBOLS = ("circle", "square", "triangle-up", "x")


class TradeoffInfo(NamedTuple):
    metric: str
    labels: tuple[str, ...]
    kinds: tuple[ArmKind, ...]
    old: tuple[float, ...]  # display scores on old held-out rows
    new: tuple[float, ...]  # on new held-out rows


def _get_tradeoff_info(result: FinetuneResult) -> TradeoffInfo:
    m = result.metric
    arms = [a for a in result.arms if a.old_score is not None]
    return TradeoffInfo(
        m,
        tuple(a.label for a in arms),
        tuple(a.kind for a in arms),
        tuple(float(to_display([a.old_score], m)[0]) for a in arms),  # type: ignore[list-item]
        tuple(float(to_display([a.new_score], m)[0]) for a in arms),
    )


def plot_tradeoff(result: FinetuneResult) -> go.Figure:
    """Each arm as a point: x = score on the old rows (memory), y = score on the new rows (adaptation)."""
    info = _get_tradeoff_info(result)
    title = "Learning against forgetting"
    if not info.labels:
        return empty_figure("Give old data to see forgetting", title=title)
    fig = go.Figure()
    cont = [(x, y) for k, x, y in zip(info.kinds, info.old, info.new, strict=True) if k == ArmKind.CONTINUE]
    if len(cont) > 1:  # the continue arms in learning-rate order: the path from remembering to adapting
        fig.add_trace(
            go.Scatter(
                x=[c[0] for c in cont],
                y=[c[1] for c in cont],
                mode="lines",
                line={"color": ARM_COLORS[ArmKind.CONTINUE], "width": 1, "dash": "dot"},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    seen: dict[ArmKind, int] = {}
    for label, kind, x, y in zip(info.labels, info.kinds, info.old, info.new, strict=True):
        n = seen[kind] = seen.get(kind, -1) + 1
        symbol = "diamond" if kind == ArmKind.BASE else SYMBOLS[n % len(SYMBOLS)]
        fig.add_trace(
            go.Scatter(
                x=[x],
                y=[y],
                mode="markers",
                name=label,
                marker={"size": 13, "color": ARM_COLORS[kind], "symbol": symbol},
                hovertemplate=f"{label}<br>old %{{x:.4f}}<br>new %{{y:.4f}}<extra></extra>",
            )
        )
    return apply_layout(
        fig,
        title=title,
        x_title=axis_title(info.metric, "old rows:"),
        y_title=axis_title(info.metric, "new rows:"),
        height=430,
        showlegend=True,
    )
