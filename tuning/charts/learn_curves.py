"""Learn-page curves: validation curve with regimes, learning curves, boosting rounds, bias-variance and
overfitting the validation set.

Each chart is a pure function of a lesson dataclass (``tuning.lessons``): ``_get_<x>_info`` turns it into
plain numpy data in display units (losses positive) and ``plot_<x>`` draws it. Train is always blue,
validation orange, test green and dashed; every curve has its ±std band, the train-validation gap is
shaded, and a star marks the validation optimum. The small helpers here are shared by the other
``learn_*`` chart modules.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import (
    TEST,
    TEST_DASH,
    TRAIN,
    VALIDATION,
    apply_layout,
    axis_title,
    empty_figure,
    fmt_number,
    to_display,
)
from tuning.lessons.bias_variance import BiasVariance
from tuning.lessons.boosting import BoostingRounds
from tuning.lessons.learning_curve import LearningCurve, verdict
from tuning.lessons.validation_curve import ValidationCurve
from tuning.lessons.validation_overfit import ValidationOverfit

MAX_PINNED = 4
MAX_VALUE_TICKS = 12  # a log axis with at most this many values gets a tick at each value
# Runs told apart by dash and marker; plain "dash" stays free for test-set lines.
DASHES = ("solid", "dot", "dashdot", "longdash")
PINNED_DASHES = ("dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up")
BASELINE = "#7f7f7f"
GAP_FILL = "rgba(127,127,127,0.12)"
CURRENT = "#444444"
REGIME_COLORS = {
    "underfit": "rgba(148,103,189,0.10)",
    "sweet spot": "rgba(44,160,44,0.12)",
    "overfit": "rgba(214,39,40,0.09)",
}
CLIP_FACTOR = 10.0
WASTED = "rgba(214,39,40,0.10)"
REGIME_TEXT = {"underfit": "#6a4c93", "sweet spot": "#2b7a2b", "overfit": "#b22222"}
BIAS2 = "#9467bd"
VARIANCE = "#e377c2"
NOISE = "#c7c7c7"
STAR = {"symbol": "star", "size": 16, "color": VALIDATION, "line": {"color": "black", "width": 1}}
TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}
BOTTOM_LEGEND = {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"}
BASELINE_REACH = 2.0  # a baseline farther than this many score spans away is left off the axis


# ----------------------------------------------------------------------------------------------
# Shared helpers (also used by learn_regularization and learn_boundary)


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def run_label(model: str, params: dict[str, Any] | None = None) -> str:
    """``"decision_tree max_depth=3"``: a short name for a pinned run."""
    if not params:
        return model
    return model + " " + ", ".join(f"{k}={_fmt_value(v)}" for k, v in params.items())


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return fmt_number(v)
    return str(v)


def is_numeric(values: Sequence[Any]) -> bool:
    return len(values) > 0 and all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(float(v)) for v in values
    )


class XAxis(NamedTuple):
    """Parameter values in plot coordinates.

    ``x`` is what the traces get: floats on a linear or log axis, labels on a category axis. ``pos`` are
    the positions shapes use (the values themselves on linear and log axes; 0..n-1 on a category axis).
    ``edges`` (n+1) are the cell boundaries between neighbouring values: the midpoint on a linear axis,
    the geometric mean on a log axis, ±0.5 on a category axis; the outer ones half a step outside.
    """

    kind: str  # "linear", "log" or "category"
    x: list[Any]
    pos: np.ndarray
    edges: np.ndarray
    labels: list[str]


def x_axis(values: Sequence[Any], log_x: bool | None = None) -> XAxis:
    """Numeric values on a linear axis, or a log axis when all are positive and span more than a
    decade (``log_x`` overrides where it can); anything else as categories in the given order."""
    vals = list(values)
    labels = [_fmt_value(v) for v in vals]
    if not is_numeric(vals):
        pos = np.arange(len(vals), dtype=float)
        return XAxis("category", labels, pos, np.arange(len(vals) + 1) - 0.5, labels)
    arr = np.asarray(vals, dtype=float)
    positive = bool(np.all(arr > 0))
    wide = positive and arr.max() / arr.min() > 10.0
    log = positive and (wide if log_x is None else bool(log_x))
    coords = np.log10(arr) if log else arr
    order = np.argsort(coords, kind="stable")
    c = coords[order]
    if c.size == 1:
        step_lo = step_hi = 0.5
    else:
        steps = np.diff(c)
        step_lo, step_hi = steps[0] / 2, steps[-1] / 2
    inner = (c[1:] + c[:-1]) / 2
    edges = np.concatenate([[c[0] - step_lo], inner, [c[-1] + step_hi]])
    if log:
        edges = 10.0**edges
    return XAxis("log" if log else "linear", [float(v) for v in arr], arr, edges, labels)


def axis_range(ax: XAxis) -> list[float]:
    """The x range in plotly's units (log10 on a log axis) from the outer edges."""
    lo, hi = float(ax.edges[0]), float(ax.edges[-1])
    return [math.log10(lo), math.log10(hi)] if ax.kind == "log" else [lo, hi]


def axis_layout(ax: XAxis) -> dict[str, Any]:
    """``update_xaxes`` settings for the axis: its type, range and, for categories, their order."""
    out: dict[str, Any] = {"type": ax.kind, "range": axis_range(ax)}
    if ax.kind == "log" and len(ax.x) <= MAX_VALUE_TICKS:
        out["tickvals"] = ax.x
        out["ticktext"] = ax.labels
    if ax.kind == "category":
        out["categoryorder"] = "array"
        out["categoryarray"] = ax.labels
    return out


def interp_at(ax: XAxis, y: np.ndarray, value: Any) -> float:
    """y at ``value`` (linear interpolation in axis coordinates); NaN outside the values or unknown."""
    if ax.kind == "category":
        label = _fmt_value(value)
        return float(y[ax.labels.index(label)]) if label in ax.labels else float("nan")
    try:
        v = float(value)
    except (TypeError, ValueError):
        return float("nan")
    pos = np.asarray(ax.x, dtype=float)
    ok = np.isfinite(y)
    if ax.kind == "log":
        if v <= 0:
            return float("nan")
        pos, v = np.log10(pos), math.log10(v)
    if not ok.any() or v < pos[ok].min() or v > pos[ok].max():
        return float("nan")
    order = np.argsort(pos[ok])
    return float(np.interp(v, pos[ok][order], y[ok][order]))


def shape_x(ax: XAxis, value: Any) -> float | None:
    """Where a vertical line at ``value`` goes (shapes take data values on log axes, index on categories)."""
    if ax.kind == "category":
        label = _fmt_value(value)
        return float(ax.labels.index(label)) if label in ax.labels else None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v) or (ax.kind == "log" and v <= 0):
        return None
    return v


def band_trace(
    x: Sequence[Any], mean: np.ndarray, std: np.ndarray, colour: str, *, group: str, **kw: Any
) -> go.Scatter:
    """Mean ± std as one filled polygon (points where either is missing are dropped)."""
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    ok = np.isfinite(mean) & np.isfinite(std)
    xs = [v for v, k in zip(x, ok) if k]
    lo, hi = (mean - std)[ok], (mean + std)[ok]
    return go.Scatter(
        x=xs + xs[::-1],
        y=np.concatenate([hi, lo[::-1]]),
        fill="toself",
        fillcolor=rgba(colour, 0.15),
        line={"width": 0},
        mode="lines",
        legendgroup=group,
        showlegend=False,
        hoverinfo="skip",
        **kw,
    )


def mean_trace(
    x: Sequence[Any], mean: np.ndarray, part: str, colour: str, *, show: bool, hover: str, **kw: Any
) -> go.Scatter:
    """The mean line of a train or validation curve; its ± std band is :func:`band_trace`."""
    return go.Scatter(
        x=x,
        y=mean,
        mode=kw.pop("mode", "lines"),
        name=f"{part} (mean ± std)",
        legendgroup=part,
        showlegend=show,
        line={"color": colour, "width": 2},
        hovertemplate=hover,
        **kw,
    )


def gap_trace(
    x: Sequence[Any], a: np.ndarray, b: np.ndarray, *, name: str = "train–validation gap", **kw: Any
) -> go.Scatter:
    """The area between two curves, hatched grey."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    xs = [v for v, k in zip(x, ok) if k]
    return go.Scatter(
        x=xs + xs[::-1],
        y=np.concatenate([a[ok], b[ok][::-1]]),
        fill="toself",
        fillcolor=GAP_FILL,
        fillpattern={"shape": "/", "fgcolor": "rgba(90,90,90,0.28)", "size": 8, "solidity": 0.15},
        line={"width": 0},
        mode="lines",
        name=name,
        hoverinfo="skip",
        **kw,
    )


def line_trace(
    x: Sequence[Any], y: np.ndarray, colour: str, name: str, *, dash: str = "solid", **kw: Any
) -> go.Scatter:
    return go.Scatter(
        x=list(x), y=y, mode="lines+markers", name=name, line={"color": colour, "dash": dash, "width": 2}, **kw
    )


def legend_line(fig: go.Figure, name: str, colour: str, dash: str, **kw: Any) -> None:
    """A legend-only entry for a line drawn as a shape (baseline, current value, stop round)."""
    fig.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="lines", name=name, line={"color": colour, "dash": dash, "width": 1.5}, **kw
        )
    )


def add_baseline(
    fig: go.Figure, y: float, *, shown: bool = True, name: str = "dummy baseline", legend: bool = True, **kw: Any
) -> None:
    """The no-skill score as a grey dotted horizontal line (``kw``: row/col), with a legend entry.

    With ``shown=False`` (the baseline lies far outside the scores, see :func:`score_view`) only the
    legend entry is drawn, and it gives the value.
    """
    if not math.isfinite(y):
        return
    if shown:
        fig.add_hline(y=y, line={"color": BASELINE, "dash": "dot", "width": 1.5}, layer="below", **kw)
    if legend:
        legend_line(fig, name if shown else f"{name} {fmt_number(y)} (off the chart)", BASELINE, "dot")


def finite(a: Any) -> np.ndarray:
    a = np.atleast_1d(np.asarray(a, dtype=float))
    return a[np.isfinite(a)]


def band_edges(mean: np.ndarray, std: np.ndarray) -> list[np.ndarray]:
    """mean - std and mean + std: what a ±std band needs the axis to cover."""
    mean, std = np.asarray(mean, dtype=float), np.nan_to_num(np.asarray(std, dtype=float))
    return [mean - std, mean + std]


class ScoreView(NamedTuple):
    range: list[float] | None  # y range with a little padding; None without finite values
    baseline_shown: bool  # whether the baseline lies inside it


def score_view(values: Sequence[Any], baseline: float = float("nan"), *, pad: float = 0.06) -> ScoreView:
    """A y range over every finite number in ``values`` that also takes in the baseline when it lies
    within ``BASELINE_REACH`` data spans of the scores; a baseline farther off would squash the curves
    into a line, so it is left out (``baseline_shown`` False)."""
    v = np.concatenate([finite(a) for a in values]) if values else np.empty(0)
    if v.size == 0:
        return ScoreView(None, math.isfinite(baseline))
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    shown = math.isfinite(baseline) and lo - BASELINE_REACH * span <= baseline <= hi + BASELINE_REACH * span
    if shown:
        lo, hi = min(lo, baseline), max(hi, baseline)
        span = hi - lo if hi > lo else span
    return ScoreView([lo - pad * span, hi + pad * span], shown)


def bottom_legend(plot_px: float, below_px: float = 62.0) -> dict[str, Any]:
    """A horizontal legend ``below_px`` under the plot area (clear of the x-axis title) for a plot area
    about ``plot_px`` high."""
    return {"orientation": "h", "y": -below_px / max(plot_px, 1.0), "yanchor": "top", "x": 0, "xanchor": "left"}


# ----------------------------------------------------------------------------------------------
# Validation curve


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
    fig.add_trace(
        go.Scatter(
            x=[x[s]],
            y=[info.val_mean[s]],
            mode="markers",
            name="one-SE choice (simplest within 1 SE)",
            marker={
                "symbol": "diamond",
                "size": 20,
                "color": "rgba(255,255,255,0.6)",
                "line": {"color": VALIDATION, "width": 2.5},
            },
            hovertemplate=f"one-SE choice {info.param} %{{x}}<br>validation %{{y:.4g}}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[x[b]],
            y=[info.val_mean[b]],
            mode="markers",
            name="best validation (± 1 SE)",
            marker=STAR,
            error_y={"type": "data", "array": [info.val_se[b]], "color": VALIDATION, "thickness": 1.5, "width": 6},
            hovertemplate=f"best {info.param} %{{x}}<br>validation %{{y:.4g}}<extra></extra>",
        )
    )
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
    return apply_layout(
        fig, title=title, x_title=x_title, y_title=axis_title(info.metric), height=440, legend=BOTTOM_LEGEND
    )


def _add_current(fig: go.Figure, info: ValidationCurveInfo) -> None:
    if info.current_x is None:
        return
    fig.add_vline(x=info.current_x, line={"color": CURRENT, "width": 1.5, "dash": "dashdot"})
    label = f"current {info.param}={_fmt_value(info.current)}"
    ys = [info.current_train, info.current_val]
    xs = [info.axis.x[int(info.current_x)]] * 2 if info.axis.kind == "category" else [info.current_x] * 2
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            name=label,
            marker={
                "symbol": "circle",
                "size": 11,
                "color": [TRAIN, VALIDATION],
                "line": {"color": CURRENT, "width": 2},
            },
            hovertemplate=f"{label}<br>%{{y:.4g}}<extra></extra>",
        )
    )


# ----------------------------------------------------------------------------------------------
# Learning curve


class LearningRun(NamedTuple):
    label: str
    sizes: np.ndarray
    train_mean: np.ndarray  # display units
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    dash: str
    symbol: str
    verdict: str


class LearningCurveInfo(NamedTuple):
    metric: str
    runs: list[LearningRun]
    dummy: float
    skipped: int  # curves left out: another metric, or over MAX_PINNED


def _get_learning_curve_info(curves: Sequence[LearningCurve], labels: Sequence[str] | None = None) -> LearningCurveInfo:
    curves = list(curves)
    if not curves:
        return LearningCurveInfo("", [], float("nan"), 0)
    m = curves[0].metric
    runs: list[LearningRun] = []
    skipped = 0
    for i, c in enumerate(curves):
        if c.metric != m or len(runs) >= MAX_PINNED:
            skipped += 1
            continue
        k = len(runs)
        label = labels[i] if labels is not None and i < len(labels) else run_label(c.model, c.params)
        runs.append(
            LearningRun(
                label=label,
                sizes=np.asarray(c.train_sizes, dtype=float),
                train_mean=to_display(c.train_mean, m),
                train_std=np.asarray(c.train_std, dtype=float),
                val_mean=to_display(c.val_mean, m),
                val_std=np.asarray(c.val_std, dtype=float),
                dash=DASHES[k],
                symbol=SYMBOLS[k],
                verdict=verdict(c),
            )
        )
    return LearningCurveInfo(m, runs, float(to_display([curves[0].dummy_score], m)[0]), skipped)


def plot_learning_curve(
    curves: Sequence[LearningCurve] | LearningCurve, labels: Sequence[str] | None = None
) -> go.Figure:
    """Train (blue) and validation (orange) score against training rows for up to four settings, told
    apart by dash and marker; bands for every run, the gap shaded for the first, the dummy baseline."""
    if isinstance(curves, LearningCurve):
        curves = [curves]
    info = _get_learning_curve_info(curves, labels)
    title = "Learning curve"
    if not info.runs:
        return empty_figure("No learning curve to show", title=title)
    fig = go.Figure()
    first = info.runs[0]
    fig.add_trace(gap_trace(list(first.sizes), first.train_mean, first.val_mean, name=f"gap ({first.label})"))
    for run in info.runs:
        x = list(run.sizes)
        for part, mean, std, colour in (
            ("train", run.train_mean, run.train_std, TRAIN),
            ("validation", run.val_mean, run.val_std, VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=run.label))
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=mean,
                    mode="lines+markers",
                    name=f"{part}: {run.label}",
                    legendgroup=run.label,
                    line={"color": colour, "dash": run.dash, "width": 2},
                    marker={"symbol": run.symbol, "size": 7, "color": colour},
                    customdata=std,
                    hovertemplate=f"{part}: {run.label}<br>%{{x:.0f}} rows<br>%{{y:.4g}} ± %{{customdata:.3g}}<extra></extra>",
                )
            )
    edges: list[np.ndarray] = []
    for run in info.runs:
        edges += band_edges(run.train_mean, run.train_std) + band_edges(run.val_mean, run.val_std)
    view = score_view(edges, info.dummy)
    add_baseline(fig, info.dummy, shown=view.baseline_shown)
    fig.update_yaxes(range=view.range)
    if info.skipped:
        title += f" ({info.skipped} not shown)"
    return apply_layout(
        fig,
        title=title,
        x_title="training rows (per fold)",
        y_title=axis_title(info.metric),
        height=420,
        legend=BOTTOM_LEGEND,
    )


# ----------------------------------------------------------------------------------------------
# Boosting rounds


class BoostingPanel(NamedTuple):
    learning_rate: float
    rounds: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    val_mean: np.ndarray
    val_std: np.ndarray
    best_round: int  # 1-based, the star
    best_value: float
    es_best_round: int  # the round early stopping keeps
    stop_round: int  # where early stopping stops
    wasted: tuple[float, float] | None  # the shaded band (stop_round, last round); None when it never stops


class BoostingInfo(NamedTuple):
    metric: str
    higher_is_better: bool
    patience: int
    panels: list[BoostingPanel]


def _get_boosting_rounds_info(rounds: BoostingRounds) -> BoostingInfo:
    panels = []
    for r in rounds.runs:
        rr = np.asarray(r.rounds)
        last = int(rr[-1]) if rr.size else 0
        panels.append(
            BoostingPanel(
                learning_rate=float(r.learning_rate),
                rounds=rr,
                train_mean=np.asarray(r.train_mean, dtype=float),
                train_std=np.asarray(r.train_std, dtype=float),
                val_mean=np.asarray(r.val_mean, dtype=float),
                val_std=np.asarray(r.val_std, dtype=float),
                best_round=int(r.best_round),
                best_value=float(r.val_mean[r.best_round - 1]),
                es_best_round=int(r.es_best_round),
                stop_round=int(r.stop_round),
                wasted=(float(r.stop_round), float(last)) if r.stop_round < last else None,
            )
        )
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
        stop = f"stops at {p.stop_round}" if p.wasted else "never stops"
        subtitles.append(f"learning rate {fmt_number(p.learning_rate)}: best {p.best_round}, {stop}")
    fig = make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=0.03, subplot_titles=subtitles)
    for j, p in enumerate(info.panels, start=1):
        first = j == 1
        x = list(p.rounds)
        fig.add_trace(gap_trace(x, p.train_mean, p.val_mean, showlegend=first, legendgroup="gap"), row=1, col=j)
        for part, mean, std, colour in (
            ("train", p.train_mean, p.train_std, TRAIN),
            ("validation", p.val_mean, p.val_std, VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=part), row=1, col=j)
            hover = f"{part}<br>round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>"
            fig.add_trace(mean_trace(x, mean, part, colour, show=first, hover=hover), row=1, col=j)
        fig.add_trace(
            go.Scatter(
                x=[p.best_round],
                y=[p.best_value],
                mode="markers",
                name="best validation round",
                legendgroup="best",
                showlegend=first,
                marker=STAR,
                hovertemplate=f"best round %{{x}}<br>{info.metric} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=j,
        )
        if p.es_best_round != p.best_round:
            fig.add_trace(
                go.Scatter(
                    x=[p.es_best_round],
                    y=[p.val_mean[p.es_best_round - 1]],
                    mode="markers",
                    name="round early stopping keeps",
                    legendgroup="kept",
                    marker={"symbol": "star-open", "size": 14, "color": VALIDATION, "line": {"width": 2}},
                    hovertemplate="kept by early stopping<br>round %{x}<extra></extra>",
                ),
                row=1,
                col=j,
            )
        if p.wasted:  # after the traces: plotly skips shapes on a subplot that has no data yet
            fig.add_vrect(x0=p.wasted[0], x1=p.wasted[1], fillcolor=WASTED, line_width=0, layer="below", row=1, col=j)
            fig.add_vline(x=p.stop_round, line={"color": CURRENT, "dash": "dot", "width": 1.5}, row=1, col=j)
        fig.update_xaxes(title_text="boosting round", row=1, col=j)
    legend_line(fig, f"early stop (patience {info.patience})", CURRENT, "dot")
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name="wasted rounds (after the stop)",
            marker={"symbol": "square", "size": 14, "color": WASTED},
        )
    )
    fig.update_annotations(font_size=12)
    better = "higher" if info.higher_is_better else "lower"
    fig.update_yaxes(title_text=f"{info.metric} ({better} is better)", row=1, col=1)
    return apply_layout(fig, title=title, height=420, legend=BOTTOM_LEGEND, margin={"l": 60, "r": 20, "t": 80, "b": 50})


# ----------------------------------------------------------------------------------------------
# Bias-variance


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
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=name,
                stackgroup="mse",
                line={"color": colour, "width": 0.5},
                fillcolor=rgba(colour, 0.55),
                hovertemplate=f"{name}<br>{info.param} %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        )
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
    fig.add_trace(
        go.Scatter(
            x=[x[b]],
            y=[info.test_mse[b]],
            mode="markers",
            name="lowest test MSE",
            marker={**STAR, "color": TEST},
            hovertemplate=f"lowest test MSE<br>{info.param} %{{x}}<br>%{{y:.4g}}<extra></extra>",
        )
    )
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
    return apply_layout(
        fig,
        title=f"Bias-variance: {bv.model}",
        x_title=x_title,
        y_title="mean squared error (lower is better)",
        height=420,
        legend=BOTTOM_LEGEND,
    )


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
    for k, s in enumerate(info.samples):
        fig.add_trace(
            go.Scatter(
                x=info.grid,
                y=s,
                mode="lines",
                name="fit on one sample",
                legendgroup="samples",
                showlegend=k == 0,
                line={"color": "rgba(110,110,110,0.45)", "width": 1},
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=info.grid,
            y=info.mean,
            mode="lines",
            name=f"mean of {bv.n_repeats} fits",
            line={"color": BIAS2, "width": 3},
            hovertemplate="mean fit %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=info.grid, y=info.truth, mode="lines", name="truth", line={"color": "black", "dash": "dot", "width": 2}
        )
    )
    fig.update_yaxes(range=info.y_range)
    return apply_layout(
        fig, title=f"Resampled fits at {info.label}", x_title="x", y_title="y", height=380, legend=TOP_LEGEND
    )


# ----------------------------------------------------------------------------------------------
# Overfitting the validation set


class ValidationOverfitInfo(NamedTuple):
    metric: str
    numbers: np.ndarray
    cv_score: np.ndarray  # display units
    step_x: np.ndarray  # the two step lines, drawn as explicit steps so the shaded gap matches them
    best_cv_steps: np.ndarray
    test_steps: np.ndarray
    final_optimism: float  # display: how much better the CV score looks than the test score, last trial
    n_refits: int


def steps(x: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Horizontal-then-vertical step coordinates: each value held until the next x, then the last one."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return (x, *(np.asarray(y, dtype=float) for y in ys))
    sx = np.repeat(x, 2)[1:]
    out = [np.repeat(np.asarray(y, dtype=float), 2)[:-1] for y in ys]
    return (sx, *out)


def _get_validation_overfit_info(vo: ValidationOverfit) -> ValidationOverfitInfo:
    m = vo.metric
    best, test = to_display(vo.best_cv, m), to_display(vo.test_score, m)
    sx, sb, st = steps(np.asarray(vo.numbers), best, test)
    # Optimism in stored units (best_cv - test) is positive when the CV score flatters, for losses too.
    final = float(vo.optimism[-1]) if len(vo.optimism) else float("nan")
    return ValidationOverfitInfo(
        m, np.asarray(vo.numbers), to_display(vo.cv_score, m), sx, sb, st, final, int(vo.n_refits)
    )


def plot_validation_overfit(vo: ValidationOverfit) -> go.Figure:
    """Best-so-far CV score (orange) against the held-out test score of the setting chosen at that
    point (green dashed), both as steps over trials; the optimism between them shaded."""
    info = _get_validation_overfit_info(vo)
    title = "Overfitting the validation set"
    if info.numbers.size == 0:
        return empty_figure("No complete trials", title=title)
    fig = go.Figure()
    fig.add_trace(gap_trace(list(info.step_x), info.best_cv_steps, info.test_steps, name="optimism (CV − test)"))
    fig.add_trace(
        go.Scatter(
            x=info.numbers,
            y=info.cv_score,
            mode="markers",
            name="trial CV score",
            marker={"color": rgba(VALIDATION, 0.35), "size": 5},
            hovertemplate="trial #%{x}<br>CV %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=info.step_x,
            y=info.best_cv_steps,
            mode="lines",
            name="best CV score so far",
            line={"color": VALIDATION, "width": 2.5},
            hovertemplate="after trial %{x:.0f}<br>best CV %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=info.step_x,
            y=info.test_steps,
            mode="lines",
            name="test score of that choice",
            line={"color": TEST, "dash": TEST_DASH, "width": 2.5},
            hovertemplate="after trial %{x:.0f}<br>test %{y:.4g}<extra></extra>",
        )
    )
    if math.isfinite(info.final_optimism):
        fig.add_annotation(
            x=float(info.step_x[-1]),
            y=float((info.best_cv_steps[-1] + info.test_steps[-1]) / 2),
            text=f"optimism {info.final_optimism:+.3g}",
            showarrow=False,
            xanchor="right",
            font={"color": "#555"},
            bgcolor="rgba(255,255,255,0.7)",
        )
    return apply_layout(
        fig, title=title, x_title="trial number", y_title=axis_title(info.metric), height=420, legend=BOTTOM_LEGEND
    )
