"""Parameter importance: horizontal bars, most important on top, coloured by the direction of the effect."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.charts._common import apply_layout, empty_figure

TOO_FEW = "No complete trials yet, or too few: importance needs at least 4"
# Keyed by the sign of the Spearman correlation with the stored (higher-is-better) score, so "raises the
# score" means "improves it" for losses too.
GROUPS = (
    ("raising it improves the score", "#2a9d8f", 1),
    ("raising it worsens the score", "#e76f51", -1),
    ("no direction (categorical or constant)", "#b0b0b0", 0),
)


class ImportanceInfo(NamedTuple):
    params: list[str]  # most important first
    importance: np.ndarray
    correlation: np.ndarray  # NaN where there is no direction
    sign: np.ndarray  # 1, -1 or 0


def _get_importance_info(importance_df: pd.DataFrame) -> ImportanceInfo:
    if importance_df is None or importance_df.empty or not {"param", "importance"} <= set(importance_df.columns):
        return ImportanceInfo([], np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))
    df = importance_df.sort_values("importance", ascending=False, kind="stable")
    imp = pd.to_numeric(df["importance"], errors="coerce").to_numpy(dtype=float)
    corr = (
        pd.to_numeric(df["correlation"], errors="coerce").to_numpy(dtype=float)
        if "correlation" in df.columns
        else np.full(len(df), np.nan)
    )
    sign = np.where(np.isnan(corr), 0, np.sign(corr)).astype(np.int64)
    return ImportanceInfo([str(p) for p in df["param"]], imp, corr, sign)


def plot_importance(importance_df: pd.DataFrame, *, why_empty: str | None = None) -> go.Figure:
    """How much each parameter explains the score (from ``tuning.analysis.param_importance``); with no
    parameter to draw, the figure says ``why_empty`` (the page's own message) or a generic one."""
    info = _get_importance_info(importance_df)
    title = "Parameter importance"
    if not info.params:
        return empty_figure(why_empty or TOO_FEW, title=title)
    params = np.asarray(info.params, dtype=object)
    corr_text = np.array([f"{c:+.2f}" if np.isfinite(c) else "n/a" for c in info.correlation], dtype=object)
    fig = go.Figure()
    for label, colour, sign in GROUPS:
        m = info.sign == sign
        if not m.any():
            continue
        fig.add_trace(
            go.Bar(
                x=info.importance[m],
                y=params[m],
                orientation="h",
                name=label,
                marker_color=colour,
                customdata=corr_text[m],
                hovertemplate="%{y}<br>importance %{x:.3f}<br>rank correlation with the score %{customdata}"
                "<extra></extra>",
            )
        )
    # Plotly draws the first category at the bottom: reverse so the most important is on top.
    fig.update_yaxes(categoryorder="array", categoryarray=info.params[::-1])
    return apply_layout(
        fig,
        title=title,
        x_title="importance (random-forest impurity, sums to 1)",
        y_title="parameter",
        barmode="relative",
        height=max(300, 60 + 28 * len(info.params)),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
