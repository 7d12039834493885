"""What the Learn-page charts share: colours, dashes, x axes (log where natural), gap shading, the CV and
held-out score lines, legends and the layout (points, lines and ± bands are in ``tuning.charts._common``).

Private to ``tuning.charts.learn``; each chart module imports what it draws with.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import TEST, TEST_DASH, VALIDATION, apply_layout, fmt_number

MAX_PINNED = 4
MAX_VALUE_TICKS = 12  # a log axis with at most this many values gets a tick at each value
# Runs told apart by dash and marker; plain "dash" stays free for test-set lines.
DASHES = ("solid", "dot", "dashdot", "longdash")
PINNED_DASHES = ("dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up")
BASELINE = "#7f7f7f"
GAP_FILL = "rgba(127,127,127,0.12)"
CURRENT = "#444444"
TRUTH = {"color": "black", "dash": "dot", "width": 2}  # the true function of a 1-D fit
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
TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"}
BOTTOM_LEGEND = {"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"}
BASELINE_REACH = 2.0  # a baseline farther than this many score spans away is left off the axis


# ----------------------------------------------------------------------------------------------
# Shared helpers (also used by learn_regularization and learn_boundary)


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


def legend_marker(fig: go.Figure, name: str, marker: dict[str, Any]) -> None:
    """A legend-only entry for a marker (what an ✕ or a shaded square on the chart means)."""
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, marker=marker))


def score_line(x: Any, y: Any, name: str, hover: str, *, held_out: bool = False, **kw: Any) -> go.Scatter:
    """A thick line of CV scores (orange), or with ``held_out`` of the same models' held-out scores (green dashed)."""
    line = {"color": TEST, "dash": TEST_DASH, "width": 2.5} if held_out else {"color": VALIDATION, "width": 2.5}
    return go.Scatter(x=x, y=y, mode="lines", name=name, line=line, hovertemplate=hover, **kw)


def learn_layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, height: int, legend: dict[str, Any] = BOTTOM_LEGEND
) -> go.Figure:
    """The Learn charts' layout: titled axes, a fixed height and the legend under the plot unless told."""
    return apply_layout(fig, title=title, x_title=x_title, y_title=y_title, height=height, legend=legend)


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
