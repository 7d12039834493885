"""The validation curve with regimes: train and validation against one hyperparameter, the best and one-SE points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import (
    STAR,
    TRAIN,
    VALIDATION,
    axis_title,
    band_trace,
    empty_figure,
    points_trace,
    to_display,
)
from tuning.charts.learn._common import (
    CURRENT,
    MAX_PINNED,
    PINNED_DASHES,
    REGIME_COLORS,
    REGIME_TEXT,
    SYMBOLS,
    XAxis,
    _fmt_value,
    add_baseline,
    axis_layout,
    band_edges,
    gap_trace,
    interp_at,
    learn_layout,
    line_trace,
    score_view,
    shape_x,
    x_axis,
)
from tuning.lessons.validation_curve import ValidationCurve


class RegimeBand(NamedTuple):
    regime: str
    first: int  # index of the first and last value (in the curve's order) of a contiguous run
    last: int
    x0: float  # shape coordinates (data values; category positions on a category axis)
    x1: float


class PinnedCurve(NamedTuple):
    label: str
    x: list[Any]
    val_mean: np.ndarray  # display units
    val_std: np.ndarray


class ValidationCurveInfo(NamedTuple):
    param: str
    metric: str
    axis: XAxis
    train_mean: np.ndarray  # display units (losses positive)
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    val_se: np.ndarray
    best_index: int
    one_se_index: int
    regimes: list[RegimeBand]
    dummy: float
    current: Any
    current_x: float | None  # shape coordinate of the current value, None when it is off the axis
    current_val: float  # validation at the current value (interpolated), NaN off the curve
    current_train: float
    pinned: list[PinnedCurve]
    skipped: int  # pinned curves left out (another parameter or metric, or over MAX_PINNED)


def regime_bands(regimes: Sequence[str], ax: XAxis) -> list[RegimeBand]:
    """Contiguous runs of one regime along the axis, as rectangles between the cell edges.

    Values are taken in axis order (sorted on numeric axes); failed values ("" regimes) get no band.
    """
    n = len(regimes)
    order = np.arange(n) if ax.kind == "category" else np.argsort(ax.pos, kind="stable")
    bands: list[RegimeBand] = []
    start = 0
    for k in range(1, n + 1):
        if k == n or regimes[order[k]] != regimes[order[start]]:
            label = regimes[order[start]]
            if label:
                bands.append(
                    RegimeBand(label, int(order[start]), int(order[k - 1]), float(ax.edges[start]), float(ax.edges[k]))
                )
            start = k
    return bands


def band_center(ax: XAxis, band: RegimeBand) -> float:
    """The middle of a band in plotly's annotation units (log10 on a log axis)."""
    if ax.kind == "log":
        return (math.log10(band.x0) + math.log10(band.x1)) / 2
    return (band.x0 + band.x1) / 2


def _get_validation_curve_info(
    curve: ValidationCurve,
    *,
    current: Any = None,
    pinned: Sequence[ValidationCurve] = (),
    pinned_labels: Sequence[str] | None = None,
    log_x: bool | None = None,
) -> ValidationCurveInfo:
    m = curve.metric
    ax = x_axis(curve.values, log_x)
    train, val = to_display(curve.train_mean, m), to_display(curve.val_mean, m)
    pins: list[PinnedCurve] = []
    skipped = 0
    for i, p in enumerate(pinned):
        if p.param != curve.param or p.metric != m or len(pins) >= MAX_PINNED:
            skipped += 1
            continue
        label = (
            pinned_labels[i] if pinned_labels is not None and i < len(pinned_labels) else f"{p.model} (pinned {i + 1})"
        )
        pins.append(
            PinnedCurve(label, x_axis(p.values, ax.kind == "log").x, to_display(p.val_mean, m), np.asarray(p.val_std))
        )
    cx = shape_x(ax, current) if current is not None else None
    return ValidationCurveInfo(
        param=curve.param,
        metric=m,
        axis=ax,
        train_mean=train,
        train_std=np.asarray(curve.train_std, dtype=float),
        val_mean=val,
        val_std=np.asarray(curve.val_std, dtype=float),
        val_se=np.asarray(curve.val_se, dtype=float),
        best_index=int(curve.best_index),
        one_se_index=int(curve.one_se_index),
        regimes=regime_bands(curve.regimes, ax),
        dummy=float(to_display([curve.dummy_score], m)[0]),
        current=current,
        current_x=cx,
        current_val=interp_at(ax, val, current) if cx is not None else float("nan"),
        current_train=interp_at(ax, train, current) if cx is not None else float("nan"),
        pinned=pins,
        skipped=skipped,
    )


def plot_validation_curve(
    curve: ValidationCurve,
    *,
    current: Any = None,
    pinned: Sequence[ValidationCurve] = (),
    pinned_labels: Sequence[str] | None = None,
    log_x: bool | None = None,
) -> go.Figure:
    """Train and validation score against one hyperparameter, with underfit / sweet spot / overfit
    bands, the best (star, ± one standard error) and the one-standard-error choice (diamond), the
    dummy baseline, a line at the ``current`` slider value and up to four ``pinned`` validation curves."""
    info = _get_validation_curve_info(curve, current=current, pinned=pinned, pinned_labels=pinned_labels, log_x=log_x)
    title = f"Validation curve: {info.param}"
    if not np.isfinite(info.val_mean).any():
        return empty_figure("Every fit failed", title=title)
    ax, x = info.axis, info.axis.x
    fig = go.Figure()
    for band in info.regimes:
        fig.add_vrect(
            x0=band.x0,
            x1=band.x1,
            fillcolor=REGIME_COLORS.get(band.regime, "rgba(0,0,0,0.05)"),
            line_width=0,
            layer="below",
        )
        fig.add_annotation(
            x=band_center(ax, band),
            y=1,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=band.regime,
            showarrow=False,
            font={"size": 12, "color": REGIME_TEXT.get(band.regime, "#555")},
        )
    fig.add_trace(gap_trace(x, info.train_mean, info.val_mean))
    hover = f"{info.param} %{{x}}<br>%{{y:.4g}} ± %{{customdata:.3g}}"
    for part, mean, std, colour in (
        ("train", info.train_mean, info.train_std, TRAIN),
        ("validation", info.val_mean, info.val_std, VALIDATION),
    ):
        fig.add_trace(band_trace(x, mean, std, colour, group=part))
        fig.add_trace(
            line_trace(
                x,
                mean,
                colour,
                f"{part} (mean ± std)",
                legendgroup=part,
                customdata=std,
                hovertemplate=f"{part}<br>{hover}<extra></extra>",
            )
        )
    for k, pin in enumerate(info.pinned):
        fig.add_trace(
            go.Scatter(
                x=pin.x,
                y=pin.val_mean,
                mode="lines+markers",
                name=f"validation: {pin.label}",
                line={"color": VALIDATION, "dash": PINNED_DASHES[k % len(PINNED_DASHES)], "width": 1.2},
                marker={"symbol": SYMBOLS[(k + 1) % len(SYMBOLS)], "size": 6, "color": VALIDATION},
                opacity=0.8,
                customdata=pin.val_std,
                hovertemplate=f"{pin.label}<br>{hover}<extra></extra>",
            )
        )
    b, s = info.best_index, info.one_se_index
    diamond = {
        "symbol": "diamond",
        "size": 20,
        "color": "rgba(255,255,255,0.6)",
        "line": {"color": VALIDATION, "width": 2.5},
    }
    hover = f"one-SE choice {info.param} %{{x}}<br>validation %{{y:.4g}}<extra></extra>"
    fig.add_trace(points_trace([x[s]], [info.val_mean[s]], "one-SE choice (simplest within 1 SE)", diamond, hover))
    se_bar = {"type": "data", "array": [info.val_se[b]], "color": VALIDATION, "thickness": 1.5, "width": 6}
    hover = f"best {info.param} %{{x}}<br>validation %{{y:.4g}}<extra></extra>"
    fig.add_trace(points_trace([x[b]], [info.val_mean[b]], "best validation (± 1 SE)", STAR, hover, error_y=se_bar))
    view = score_view(
        band_edges(info.train_mean, info.train_std)
        + band_edges(info.val_mean, info.val_std)
        + [p.val_mean for p in info.pinned],
        info.dummy,
    )
    add_baseline(fig, info.dummy, shown=view.baseline_shown)
    _add_current(fig, info)
    fig.update_yaxes(range=view.range)
    if info.skipped:
        title += f" ({info.skipped} pinned not shown)"
    fig.update_xaxes(**axis_layout(ax))
    x_title = info.param + (" (log scale)" if ax.kind == "log" else "")
    return learn_layout(fig, title, x_title, axis_title(info.metric), 440)


def _add_current(fig: go.Figure, info: ValidationCurveInfo) -> None:
    if info.current_x is None:
        return
    fig.add_vline(x=info.current_x, line={"color": CURRENT, "width": 1.5, "dash": "dashdot"})
    label = f"current {info.param}={_fmt_value(info.current)}"
    ys = [info.current_train, info.current_val]
    xs = [info.axis.x[int(info.current_x)]] * 2 if info.axis.kind == "category" else [info.current_x] * 2
    marker = {"symbol": "circle", "size": 11, "color": [TRAIN, VALIDATION], "line": {"color": CURRENT, "width": 2}}
    fig.add_trace(points_trace(xs, ys, label, marker, f"{label}<br>%{{y:.4g}}<extra></extra>"))


# ----------------------------------------------------------------------------------------------
# Learning curve
