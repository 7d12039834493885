"""What every chart shares: colours, the empty figure, display units, parameter axes, the layout and the
traces drawn the same way everywhere (points, a ± band around a line)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.analysis import LOWER_IS_BETTER_PREFIX, display_metric_name
from tuning.space import CategoricalParam, FixedParam, Param, SearchSpace
from tuning.store import TrialState

TRAIN = "#1f77b4"
VALIDATION = "#ff7f0e"
TEST = "#2ca02c"
TEST_DASH = "dash"
STATE_COLORS = {
    TrialState.COMPLETE.value: "#17becf",
    TrialState.FAILED.value: "#d62728",
    TrialState.PRUNED.value: "#7f7f7f",
    TrialState.RUNNING.value: "#9467bd",
}
# the best point of a curve or a study
STAR = {"symbol": "star", "size": 16, "color": VALIDATION, "line": {"color": "black", "width": 1}}
# pruned trials: grey crosses
PRUNED_MARK = {"color": STATE_COLORS[TrialState.PRUNED.value], "symbol": "x"}
NO_TRIALS = "No complete trials yet"
INACTIVE = "inactive"
# Above this many points a scatter trace is drawn with WebGL; below it SVG keeps browsers' few WebGL contexts free.
WEBGL_MIN_POINTS = 1000
MARGIN = {"l": 60, "r": 20, "t": 50, "b": 50}


def lower_is_better(metric: str) -> bool:
    return metric.startswith(LOWER_IS_BETTER_PREFIX)


def to_display(values: np.ndarray | pd.Series | list[float], metric: str) -> np.ndarray:
    """Stored (higher-is-better) scores as users read them: losses as positive numbers."""
    a = np.asarray(values, dtype=float)
    return -a if lower_is_better(metric) else a


def axis_title(metric: str, prefix: str = "") -> str:
    """``"validation log_loss (lower is better)"`` for ``neg_log_loss``."""
    direction = "lower" if lower_is_better(metric) else "higher"
    return f"{prefix} {display_metric_name(metric)} ({direction} is better)".strip()


def score_colorscale(metric: str) -> dict[str, Any]:
    """A colour scale on display scores where the best end is always the bright one."""
    return {"colorscale": "Viridis", "reversescale": lower_is_better(metric)}


def scatter_class(n_points: int) -> type[go.Scatter] | type[go.Scattergl]:
    return go.Scattergl if n_points > WEBGL_MIN_POINTS else go.Scatter


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def points_trace(
    x: Any, y: Any, name: str, marker: dict[str, Any], hover: str, *, many: bool = False, **kw: Any
) -> go.Scatter | go.Scattergl:
    """Markers at (x, y): trials, a best point, a stop (``kw``: legend group, customdata...). ``many``: points
    that can number thousands (every trial of a study), drawn with WebGL above ``WEBGL_MIN_POINTS``."""
    cls = scatter_class(len(x)) if many else go.Scatter
    return cls(x=x, y=y, mode="markers", name=name, marker=marker, hovertemplate=hover, **kw)


def curve_trace(x: Any, y: Any, name: str, line: dict[str, Any], hover: str | None, **kw: Any) -> go.Scatter:
    """A line through (x, y) in the given style (colour, dash, width, shape)."""
    return go.Scatter(x=x, y=y, mode="lines", name=name, line=line, hovertemplate=hover, **kw)


def band_trace(x: Sequence[Any], mean: Any, std: Any, colour: str, *, group: str, **kw: Any) -> go.Scatter:
    """Mean ± std as one filled polygon, no legend entry (points where either is missing are dropped)."""
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


def empty_figure(message: str = NO_TRIALS, *, title: str | None = None) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font={"size": 15, "color": "#666"}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_layout(fig, title=title)


def apply_layout(
    fig: go.Figure,
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int | None = None,
    **layout: Any,
) -> go.Figure:
    """The house look: white template, tight margins, titled axes."""
    fig.update_layout(**{"template": "plotly_white", "margin": MARGIN, **layout})
    if title:
        fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"})
    if height:
        fig.update_layout(height=height)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def complete_trials(frame: pd.DataFrame, column: str = "mean_test_score") -> pd.DataFrame:
    """Complete trials with a finite ``column`` (an empty frame when the frame lacks the columns)."""
    if frame is None or "state" not in frame.columns or column not in frame.columns or frame.empty:
        return pd.DataFrame(columns=["number", "state", column])
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    mask = (frame["state"] == TrialState.COMPLETE.value).to_numpy(dtype=bool) & np.isfinite(values)
    return frame.loc[mask]


def running_best(display: np.ndarray, metric: str) -> np.ndarray:
    """Best-so-far of display scores: running minimum for losses, running maximum otherwise."""
    if display.size == 0:
        return display.copy()
    return np.minimum.accumulate(display) if lower_is_better(metric) else np.maximum.accumulate(display)


def step_points(x: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points where a best-so-far step line changes, plus its last point: the same drawing, fewer points."""
    if best.size == 0:
        return x, best
    keep = np.empty(best.size, dtype=bool)
    keep[0] = True
    keep[1:] = best[1:] != best[:-1]
    keep[-1] = True
    return x[keep], best[keep]


def searched_params(space: SearchSpace, frame: pd.DataFrame) -> list[Param]:
    """Searched parameters that have a column in the frame."""
    return [p for p in space.searched if f"param_{p.name}" in frame.columns]


def param_by_name(space: SearchSpace, name: str) -> Param:
    try:
        p = space[name]
    except KeyError:
        raise ValueError(f"'{name}' is not a parameter of the search space ({', '.join(space.names)}).") from None
    if isinstance(p, FixedParam):
        raise ValueError(f"'{name}' is fixed to {p.value!r}: it has no range to plot.")
    return p


class ParamAxis(NamedTuple):
    """One parameter in plot coordinates.

    ``values`` are log10 for log-scale parameters, category codes (0..k-1) for categorical ones and NaN where
    the parameter was inactive; ``low``/``high`` are the space bounds in the same coordinates, widened to the
    data; ``categories`` are the labels of the codes (None for numeric parameters).
    """

    name: str
    values: np.ndarray
    low: float
    high: float
    log: bool
    categories: list[str] | None


def param_axis(frame: pd.DataFrame, p: Param) -> ParamAxis:
    col = frame[f"param_{p.name}"]
    if isinstance(p, CategoricalParam):
        codes = category_codes(col, p)
        return ParamAxis(p.name, codes, 0.0, float(len(p.values) - 1), False, [str(v) for v in p.values])
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    log = bool(getattr(p, "log", False))
    low, high = float(p.low), float(p.high)  # type: ignore[union-attr]  # fixed params have no axis
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(x > 0, np.log10(np.where(x > 0, x, 1.0)), np.nan)
        low, high = math.log10(low), math.log10(high)
    finite = x[np.isfinite(x)]
    if finite.size:
        low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return ParamAxis(p.name, x, low, high, log, None)


def category_codes(col: pd.Series, p: CategoricalParam) -> np.ndarray:
    """Index of each value among ``p.values`` (NaN when inactive or unknown), vectorized per category.

    Numbers compare as numbers (a column with NaN turns 3 into 3.0), lists compare by their text (the frame
    stores them as ``str``), and a missing value is the ``None`` choice when ``None`` is one of the values,
    since the frame cannot tell a ``None`` choice from an inactive parameter.
    """
    codes = np.full(len(col), np.nan)
    numeric = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    text = col.astype(str).to_numpy()
    missing = col.isna().to_numpy(dtype=bool)
    for i, v in enumerate(p.values):
        if v is None:
            mask = missing
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            mask = numeric == float(v)
        else:
            mask = text == str(v)
        codes = np.where(np.isnan(codes) & mask, float(i), codes)
    return codes


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks for an axis in log10 units, labelled in natural units (1, 2, 5 per decade when they fit)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    decades = range(math.floor(low) - 1, math.ceil(high) + 1)
    eps = 1e-9
    for mantissas in ((1, 2, 5), (1,)):
        vals = [math.log10(m) + d for d in decades for m in mantissas]
        vals = [v for v in vals if low - eps <= v <= high + eps]
        if len(vals) <= 8:
            break
    if len(vals) > 8:  # many decades: every other one
        vals = vals[:: math.ceil(len(vals) / 8)]
    if len(vals) < 2:
        vals = sorted(set(vals) | {low, high})
    return vals, [fmt_number(10**v) for v in vals]


def linear_ticks(low: float, high: float, n: int = 5) -> tuple[list[float], list[str]]:
    vals = [float(v) for v in np.unique(np.linspace(low, high, n))]
    return vals, [fmt_number(v) for v in vals]


def fmt_number(v: float) -> str:
    return f"{v:.3g}"


def inactive_position(low: float, high: float) -> float:
    """Where inactive (NaN) values of a parameter are drawn: a tenth of the span below the range."""
    span = high - low
    return low - (0.1 * span if span > 0 else 1.0)


def axis_ticks(axis: ParamAxis) -> tuple[list[float], list[str]] | None:
    """Tick values and labels for a parameter axis, or None where plotly's own ticks read correctly."""
    if axis.categories is not None:
        return [float(i) for i in range(len(axis.categories))], list(axis.categories)
    if axis.log:
        return log_ticks(axis.low, axis.high)
    return None


def param_title(axis: ParamAxis) -> str:
    return f"{axis.name} (log scale)" if axis.log else axis.name


def utc_naive(values: pd.Series) -> np.ndarray:
    """Timestamps as UTC ``datetime64[ns]`` (NaT where missing), the form plotly draws on a date axis."""
    s = pd.to_datetime(values, utc=True, errors="coerce")
    return s.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
