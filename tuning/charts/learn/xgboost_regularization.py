"""Learn-page charts of XGBoost's regularization: the knobs one at a time (train/validation with the model's
size), and feature attributions (gain share and mean |SHAP|) as a knob grows.

Pure functions of the lesson dataclasses in ``tuning.lessons.xgb_regularization``; the linear half (penalty
paths, sparsity) is ``regularization``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import (
    STAR,
    TRAIN,
    VALIDATION,
    apply_layout,
    axis_title,
    band_trace,
    empty_figure,
    fmt_number,
    points_trace,
    to_display,
)
from tuning.charts.learn._common import add_baseline, band_edges, bottom_legend, gap_trace, mean_trace, score_view
from tuning.lessons.xgb_regularization import Attributions, XGBoostKnobs

SIZE_COLOR = "#a8a8a8"
TOP_FEATURES = 10
KNOB_COLS = 4
KNOB_TITLES = {
    "reg_alpha": "L1 on leaf values",
    "reg_lambda": "L2 on leaf values",
    "gamma": "min loss reduction to split",
    "min_child_weight": "min hessian per leaf",
    "max_depth": "tree depth",
    "subsample": "rows sampled per tree",
    "colsample_bytree": "columns sampled per tree",
    "rate_drop": "trees dropped per round",
    "learning_rate": "shrinkage",
    "n_estimators": "rounds",
}


# ----------------------------------------------------------------------------------------------
# XGBoost knobs


class KnobPanel(NamedTuple):
    param: str
    title: str
    labels: list[str]  # the knob's values as categories (grids often hold 0, so no log axis)
    train_mean: np.ndarray  # display units
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    n_leaves: np.ndarray
    best_index: int


class KnobsInfo(NamedTuple):
    metric: str
    panels: list[KnobPanel]
    dummy: float
    y_range: list[float] | None  # shared by every panel's score axis
    baseline_shown: bool


def _get_xgboost_knobs_info(knobs: XGBoostKnobs) -> KnobsInfo:
    m = knobs.metric
    panels = []
    for k in knobs.knobs:
        dart = k.fixed.get("booster") == "dart"
        panels.append(
            KnobPanel(
                param=k.param,
                title=KNOB_TITLES.get(k.param, k.param) + (" (DART)" if dart and k.param != "booster" else ""),
                labels=[fmt_number(v) if isinstance(v, float) else str(v) for v in k.values],
                train_mean=to_display(k.train_mean, m),
                train_std=np.asarray(k.train_std, dtype=float),
                val_mean=to_display(k.val_mean, m),
                val_std=np.asarray(k.val_std, dtype=float),
                n_leaves=np.asarray(k.n_leaves, dtype=float),
                best_index=int(k.best_index),
            )
        )
    dummy = float(to_display([knobs.dummy_score], m)[0])
    edges: list[np.ndarray] = []
    for p in panels:
        edges += band_edges(p.train_mean, p.train_std) + band_edges(p.val_mean, p.val_std)
    view = score_view(edges, dummy)
    return KnobsInfo(m, panels, dummy, view.range, view.baseline_shown)


def plot_xgboost_knobs(knobs: XGBoostKnobs, *, cols: int = KNOB_COLS) -> go.Figure:
    """Small multiples, one per XGBoost knob: train and validation score (shared y) over the knob's
    values with ±std bands and the best value starred; total leaves of the refit model (grey, right axis)."""
    info = _get_xgboost_knobs_info(knobs)
    title = "XGBoost regularization knobs"
    if not info.panels:
        return empty_figure("No knobs to show", title=title)
    n = len(info.panels)
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        specs=[[{"secondary_y": True}] * cols for _ in range(rows)],
        subplot_titles=[p.title for p in info.panels],
        # room between panels for the right-hand leaves axis of one and the score axis of the next
        horizontal_spacing=0.07 if cols > 2 else 0.16,
        vertical_spacing=0.16 if rows > 1 else 0.1,
    )
    for i, p in enumerate(info.panels):
        r, c = i // cols + 1, i % cols + 1
        first = i == 0
        x = p.labels
        fig.add_trace(gap_trace(x, p.train_mean, p.val_mean, legendgroup="gap", showlegend=first), row=r, col=c)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=p.n_leaves,
                mode="lines+markers",
                name="leaves (right axis)",
                legendgroup="leaves",
                showlegend=first,
                line={"color": SIZE_COLOR, "width": 1.2},
                marker={"symbol": "square", "size": 5, "color": SIZE_COLOR},
                hovertemplate=f"{p.param} %{{x}}<br>%{{y:.0f}} leaves<extra></extra>",
            ),
            row=r,
            col=c,
            secondary_y=True,
        )
        for part, mean, std, colour in (
            ("train", p.train_mean, p.train_std, TRAIN),
            ("validation", p.val_mean, p.val_std, VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=part), row=r, col=c, secondary_y=False)
            hover = f"{part}<br>{p.param} %{{x}}<br>%{{y:.4g}} ± %{{customdata:.3g}}<extra></extra>"
            fig.add_trace(
                mean_trace(
                    x,
                    mean,
                    part,
                    colour,
                    show=first,
                    hover=hover,
                    mode="lines+markers",
                    marker={"size": 5},
                    customdata=std,
                ),
                row=r,
                col=c,
                secondary_y=False,
            )
        b = p.best_index
        hover = f"best {p.param} %{{x}}<br>validation %{{y:.4g}}<extra></extra>"
        star = {**STAR, "size": 14}
        best = points_trace(
            [x[b]], [p.val_mean[b]], "best validation", star, hover, legendgroup="best", showlegend=first
        )
        fig.add_trace(best, row=r, col=c, secondary_y=False)
        add_baseline(fig, info.dummy, shown=info.baseline_shown, legend=first, row=r, col=c, secondary_y=False)
        fig.update_xaxes(type="category", title_text=p.param, title_standoff=4, row=r, col=c)
        fig.update_yaxes(range=info.y_range, row=r, col=c, secondary_y=False)
        fig.update_yaxes(
            rangemode="tozero",
            tickmode="auto",
            nticks=5,
            showgrid=False,
            tickfont={"color": SIZE_COLOR, "size": 10},
            title={"text": "leaves" if c == cols or i == n - 1 else "", "font": {"color": SIZE_COLOR, "size": 11}},
            row=r,
            col=c,
            secondary_y=True,
        )
        if c == 1:
            fig.update_yaxes(title_text=axis_title(info.metric), row=r, col=c, secondary_y=False)
    fig.update_annotations(font_size=13)
    return apply_layout(
        fig,
        title=title,
        height=300 * rows + 130,
        legend=bottom_legend(300 * rows),
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
    )


# ----------------------------------------------------------------------------------------------
# Attributions


class AttributionsInfo(NamedTuple):
    param: str
    labels: list[str]  # the regularization values as categories
    features: list[str]  # top features, most important first
    gain: np.ndarray  # (n_features_shown, n_values): share of the total gain at that value (0..1)
    shap: np.ndarray  # mean |SHAP|, in margin units
    n_features_used: np.ndarray
    n_features: int


def _get_attributions_info(attr: Attributions, *, top: int = TOP_FEATURES) -> AttributionsInfo:
    shap = np.asarray(attr.shap, dtype=float)
    gain = np.asarray(attr.gain, dtype=float)
    totals = gain.sum(axis=1, keepdims=True)
    share = np.divide(gain, totals, out=np.zeros_like(gain), where=totals > 0)
    # Rank by mean |SHAP| at its largest over the values, so a feature that matters anywhere is shown.
    score = np.nan_to_num(shap.max(axis=0), nan=0.0) if shap.size else np.zeros(len(attr.feature_names))
    order = np.argsort(-score, kind="stable")[:top]
    return AttributionsInfo(
        param=attr.param,
        labels=[fmt_number(v) for v in np.asarray(attr.values, dtype=float)],
        features=[attr.feature_names[i] for i in order],
        gain=share[:, order].T,
        shap=shap[:, order].T,
        n_features_used=np.asarray(attr.n_features_used),
        n_features=len(attr.feature_names),
    )


def plot_attributions(attr: Attributions, *, top: int = TOP_FEATURES) -> go.Figure:
    """Top features (rows) against the regularization value (columns): XGBoost gain importance and
    mean |SHAP| as two heatmaps; cells marked "–" are features the model no longer uses."""
    info = _get_attributions_info(attr, top=top)
    title = f"Feature attributions as {info.param} grows"
    if not info.features:
        return empty_figure("No features", title=title)
    ticks = [f"{v}<br>{int(u)} used" for v, u in zip(info.labels, info.n_features_used)]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.12,
        subplot_titles=["share of total gain", "mean |SHAP| (margin units)"],
    )
    panels = ((info.gain, 0.44, "gain share", ".0%"), (info.shap, 1.0, "|SHAP|", ".2g"))
    for j, (z, bar_x, label, fmt) in enumerate(panels, start=1):
        text = np.where(z == 0, "–", np.vectorize(lambda v, f=fmt: format(v, f))(z))  # "–": unused
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=ticks,
                y=info.features,
                colorscale="Purples",
                zmin=0.0,
                colorbar={"x": bar_x, "len": 0.9, "thickness": 12, "title": {"text": label}, "tickformat": fmt},
                text=text,
                texttemplate="%{text}",
                textfont={"size": 10},
                hovertemplate=f"%{{y}}<br>{info.param} %{{x}}<br>{label} %{{z:{fmt}}}<extra></extra>",
                xgap=1,
                ygap=1,
            ),
            row=1,
            col=j,
        )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_yaxes(title_text=f"top {len(info.features)} features", row=1, col=1)
    fig.update_xaxes(type="category", title_text=f"{info.param} (features used of {info.n_features})")
    fig.update_annotations(font_size=13)
    height = max(380, 30 * len(info.features) + 160)
    return apply_layout(fig, title=title, height=height, margin={"l": 60, "r": 20, "t": 80, "b": 70})
