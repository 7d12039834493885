"""Bias-variance decomposition against complexity, and the resampled fits behind it."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import STAR, TEST, TEST_DASH, TRAIN, curve_trace, points_trace, rgba
from tuning.charts.learn._common import (
    BIAS2,
    CLIP_FACTOR,
    CURRENT,
    NOISE,
    TOP_LEGEND,
    TRUTH,
    VARIANCE,
    XAxis,
    _fmt_value,
    axis_layout,
    learn_layout,
    legend_line,
    line_trace,
    shape_x,
    x_axis,
)
from tuning.lessons.bias_variance import BiasVariance


class BiasVarianceInfo(NamedTuple):
    param: str
    axis: XAxis
    bias2: np.ndarray
    variance: np.ndarray
    noise: np.ndarray
    total: np.ndarray
    test_mse: np.ndarray
    train_mse: np.ndarray
    best_index: int  # lowest measured test MSE
    current_x: float | None
    y_max: float  # upper end of the y axis: high-complexity variance is clipped to keep the rest readable
    clipped: bool  # some value lies above y_max


def _get_bias_variance_info(bv: BiasVariance, *, current: Any = None, log_x: bool | None = None) -> BiasVarianceInfo:
    ax = x_axis(bv.values, log_x)
    test = np.asarray(bv.test_mse, dtype=float)
    total = np.asarray(bv.total, dtype=float)
    peak = float(np.nanmax(np.concatenate([total, test])))
    # Test MSE is at least the noise, so ten times its minimum keeps the whole U readable while one
    # exploding high-complexity fit cannot flatten everything else.
    y_max = min(peak, CLIP_FACTOR * float(np.nanmin(test))) * 1.05
    return BiasVarianceInfo(
        param=bv.param,
        axis=ax,
        bias2=np.asarray(bv.bias2, dtype=float),
        variance=np.asarray(bv.variance, dtype=float),
        noise=np.full(len(bv.values), float(bv.noise)),
        total=total,
        test_mse=test,
        train_mse=np.asarray(bv.train_mse, dtype=float),
        best_index=int(np.nanargmin(test)),
        current_x=shape_x(ax, current) if current is not None else None,
        y_max=y_max,
        clipped=peak > y_max,
    )


def plot_bias_variance(bv: BiasVariance, *, current: Any = None, log_x: bool | None = None) -> go.Figure:
    """Noise, bias² and variance stacked against complexity; measured test MSE (green dashed) on top
    tracks their sum, train MSE (blue) keeps falling; a star at the lowest test MSE."""
    info = _get_bias_variance_info(bv, current=current, log_x=log_x)
    ax, x = info.axis, info.axis.x
    fig = go.Figure()
    for name, y, colour in (
        ("noise σ²", info.noise, NOISE),
        ("bias²", info.bias2, BIAS2),
        ("variance", info.variance, VARIANCE),
    ):
        hover = f"{name}<br>{info.param} %{{x}}<br>%{{y:.4g}}<extra></extra>"
        style = {"color": colour, "width": 0.5}
        fig.add_trace(curve_trace(x, y, name, style, hover, stackgroup="mse", fillcolor=rgba(colour, 0.55)))
    fig.add_trace(line_trace(x, info.train_mse, TRAIN, "train MSE", hovertemplate="train MSE %{y:.4g}<extra></extra>"))
    fig.add_trace(
        line_trace(
            x,
            info.test_mse,
            TEST,
            "test MSE (measured)",
            dash=TEST_DASH,
            hovertemplate="test MSE %{y:.4g}<extra></extra>",
        )
    )
    b = info.best_index
    hover = f"lowest test MSE<br>{info.param} %{{x}}<br>%{{y:.4g}}<extra></extra>"
    fig.add_trace(points_trace([x[b]], [info.test_mse[b]], "lowest test MSE", {**STAR, "color": TEST}, hover))
    if info.current_x is not None:
        fig.add_vline(x=info.current_x, line={"color": CURRENT, "width": 1.5, "dash": "dashdot"})
        legend_line(fig, f"current {info.param}", CURRENT, "dashdot")
    fig.update_xaxes(**axis_layout(ax))
    fig.update_yaxes(range=[0, info.y_max])
    if info.clipped:
        fig.add_annotation(
            text="y axis clipped: the largest errors go off the top",
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#666"},
        )
    x_title = info.param + (" (log scale)" if ax.kind == "log" else "")
    return learn_layout(fig, f"Bias-variance: {bv.model}", x_title, "mean squared error (lower is better)", 420)


class BiasVarianceFitsInfo(NamedTuple):
    label: str
    grid: np.ndarray
    truth: np.ndarray
    samples: np.ndarray  # (k, grid_size)
    mean: np.ndarray
    y_range: list[float]


def _get_bias_variance_fits_info(bv: BiasVariance, index: int) -> BiasVarianceFitsInfo:
    if not -len(bv.values) <= index < len(bv.values):
        raise IndexError(f"index {index} is out of range for {len(bv.values)} values of {bv.param}.")
    truth = np.asarray(bv.truth, dtype=float)
    pad = max(0.5 * float(np.ptp(truth)), 3.0 * math.sqrt(bv.noise))
    return BiasVarianceFitsInfo(
        label=f"{bv.param}={_fmt_value(bv.values[index])}",
        grid=np.asarray(bv.grid, dtype=float),
        truth=truth,
        samples=np.asarray(bv.sample_preds[index], dtype=float),
        mean=np.asarray(bv.mean_pred[index], dtype=float),
        y_range=[float(truth.min()) - pad, float(truth.max()) + pad],
    )


def plot_bias_variance_fits(bv: BiasVariance, index: int) -> go.Figure:
    """At one complexity value: fits from resampled training sets (grey: their spread is the variance),
    their mean (purple: its distance to the truth is the bias) and the truth (black dotted)."""
    info = _get_bias_variance_fits_info(bv, index)
    fig = go.Figure()
    grey = {"color": "rgba(110,110,110,0.45)", "width": 1}
    for k, s in enumerate(info.samples):
        fig.add_trace(
            curve_trace(
                info.grid,
                s,
                "fit on one sample",
                grey,
                None,
                legendgroup="samples",
                showlegend=k == 0,
                hoverinfo="skip",
            )
        )
    mean_style = {"color": BIAS2, "width": 3}
    hover = "mean fit %{y:.3f}<extra></extra>"
    fig.add_trace(curve_trace(info.grid, info.mean, f"mean of {bv.n_repeats} fits", mean_style, hover))
    fig.add_trace(curve_trace(info.grid, info.truth, "truth", TRUTH, None))
    fig.update_yaxes(range=info.y_range)
    return learn_layout(fig, f"Resampled fits at {info.label}", "x", "y", 380, TOP_LEGEND)


# ----------------------------------------------------------------------------------------------
# Overfitting the validation set
