"""Learn-page decision-boundary lab (2-D classification) and 1-D fit explorer (noisy sine).

Pure functions of ``tuning.lessons.boundary`` results: ``_get_<x>_info`` gathers plain numpy data,
``plot_<x>`` draws it. Points keep the house convention by marker: training points are circles,
validation points crosses, coloured by class; in the 1-D explorer train is blue and validation orange.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tuning.charts._common import TRAIN, VALIDATION, apply_layout, curve_trace, empty_figure, points_trace
from tuning.charts.learn._common import MAX_PINNED, TOP_LEGEND, TRUTH, bottom_legend, run_label
from tuning.lessons.boundary import DecisionBoundary, Fit1D

# Classes: purple and green (clear of train blue / validation orange); the map uses light tints of the
# same hues, white at p = 0.5, so the dark points stand out on their own side.
CLASS_COLORS = ("#762a83", "#1b7837", "#b35806", "#2166ac", "#b2182b", "#4d4d4d")
CLASS_TINTS = ("#c2a5cf", "#a6dba0", "#fdb863", "#92c5de", "#f4a582", "#bababa")
BINARY_SCALE = [[0.0, CLASS_TINTS[0]], [0.5, "#f7f7f7"], [1.0, CLASS_TINTS[1]]]
FIT_COLORS = ("#d62728", "#9467bd", "#8c564b", "#e377c2")
HEATMAP_OPACITY = 0.9


# ----------------------------------------------------------------------------------------------
# Decision boundary


class ClassPoints(NamedTuple):
    label: str
    colour: str
    train: np.ndarray  # (n, 2)
    val: np.ndarray


class BoundaryInfo(NamedTuple):
    label: str
    grid_x: np.ndarray
    grid_y: np.ndarray
    z: np.ndarray  # two classes: P(class 1) (or a sigmoid of the decision); more: the predicted class
    binary: bool
    proba_kind: str
    points: list[ClassPoints]
    train_accuracy: float
    val_accuracy: float
    gap: float
    feature_names: tuple[str, str]
    colour_title: str


def _get_decision_boundary_info(db: DecisionBoundary, label: str | None = None) -> BoundaryInfo:
    classes = list(db.classes) or [str(c) for c in sorted(set(db.y_train) | set(db.y_val))]
    binary = len(classes) <= 2
    points = []
    for k, name in enumerate(classes):
        points.append(
            ClassPoints(
                label=name,
                colour=CLASS_COLORS[k % len(CLASS_COLORS)],
                train=np.asarray(db.X_train, dtype=float)[np.asarray(db.y_train) == k],
                val=np.asarray(db.X_val, dtype=float)[np.asarray(db.y_val) == k],
            )
        )
    if binary:
        z = np.asarray(db.proba, dtype=float)
        positive = classes[1] if len(classes) > 1 else "1"
        colour_title = f"P({positive})" if db.proba_kind == "probability" else f"score ({positive})"
    else:
        z = np.asarray(db.pred, dtype=float)
        colour_title = "predicted class"
    return BoundaryInfo(
        label=label or run_label(db.model, db.params),
        grid_x=np.asarray(db.grid_x, dtype=float),
        grid_y=np.asarray(db.grid_y, dtype=float),
        z=z,
        binary=binary,
        proba_kind=db.proba_kind,
        points=points,
        train_accuracy=float(db.train_accuracy),
        val_accuracy=float(db.val_accuracy),
        gap=float(db.gap),
        feature_names=(str(db.feature_names[0]), str(db.feature_names[1])),
        colour_title=colour_title,
    )


def _scores(info: BoundaryInfo) -> str:
    return f"accuracy train {info.train_accuracy:.2f}, validation {info.val_accuracy:.2f}, gap {info.gap:+.2f}"


def _discrete_scale(n: int) -> list[list[Any]]:
    """A stepped colour scale: class k gets CLASS_COLORS[k] over [k - 0.5, k + 0.5]."""
    out: list[list[Any]] = []
    for k in range(n):
        c = CLASS_TINTS[k % len(CLASS_TINTS)]
        out += [[k / n, c], [(k + 1) / n, c]]
    return out


def _add_boundary(
    fig: go.Figure, info: BoundaryInfo, *, row: int | None, col: int | None, first: bool, size: int, colorbar_x: float
) -> None:
    where = {"row": row, "col": col} if row is not None else {}
    if info.binary:
        heat: dict[str, Any] = {"colorscale": BINARY_SCALE, "zmin": 0.0, "zmax": 1.0, "zmid": 0.5}
    else:
        n = len(info.points)
        heat = {"colorscale": _discrete_scale(n), "zmin": -0.5, "zmax": n - 0.5}
    fig.add_trace(
        go.Heatmap(
            x=info.grid_x,
            y=info.grid_y,
            z=info.z,
            opacity=HEATMAP_OPACITY,
            showscale=first,
            colorbar={"title": {"text": info.colour_title}, "len": 0.8, "thickness": 12, "x": colorbar_x},
            hovertemplate=f"{info.feature_names[0]} %{{x:.3g}}<br>{info.feature_names[1]} %{{y:.3g}}<br>"
            f"{info.colour_title} %{{z:.2f}}<extra></extra>",
            **heat,
        ),
        **where,
    )
    if info.binary and np.nanmin(info.z) < 0.5 < np.nanmax(info.z):
        fig.add_trace(
            go.Contour(
                x=info.grid_x,
                y=info.grid_y,
                z=info.z,
                contours={"start": 0.5, "end": 0.5, "size": 1.0, "coloring": "lines"},
                colorscale=[[0, "black"], [1, "black"]],
                line={"width": 2},
                showscale=False,
                name="boundary (p = 0.5)",
                showlegend=first,
                legendgroup="boundary",
                hoverinfo="skip",
            ),
            **where,
        )
    for cp in info.points:
        for part, pts, symbol in (("train", cp.train, "circle"), ("validation", cp.val, "x")):
            name = f"{part}, class {cp.label}"
            marker = {
                "symbol": symbol,
                "size": size + (1 if symbol == "x" else 0),
                "color": cp.colour,
                "line": {"color": "white", "width": 1},
            }
            hover = f"{name}<br>%{{x:.3g}}, %{{y:.3g}}<extra></extra>"
            group = f"{part}{cp.label}"
            fig.add_trace(
                points_trace(pts[:, 0], pts[:, 1], name, marker, hover, legendgroup=group, showlegend=first), **where
            )


def plot_decision_boundary(
    db: DecisionBoundary, *, pinned: Sequence[DecisionBoundary] = (), labels: Sequence[str] | None = None
) -> go.Figure:
    """The fitted classifier over the plane: P(class 1) as a purple-white-green map with the p = 0.5
    boundary in black, training points (circles) and validation points (crosses) coloured by class;
    the title gives train and validation accuracy and their gap. With ``pinned`` runs (up to three)
    the current one and the pinned ones are drawn side by side (see :func:`plot_boundaries`)."""
    if pinned:
        return plot_boundaries([db, *pinned], labels)
    info = _get_decision_boundary_info(db, labels[0] if labels else None)
    fig = go.Figure()
    _add_boundary(fig, info, row=None, col=None, first=True, size=8, colorbar_x=1.01)
    fig.update_xaxes(range=[info.grid_x[0], info.grid_x[-1]], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[info.grid_y[0], info.grid_y[-1]], showgrid=False, zeroline=False)
    return apply_layout(
        fig,
        title=f"{info.label}: {_scores(info)}",
        x_title=info.feature_names[0],
        y_title=info.feature_names[1],
        height=460,
        legend=bottom_legend(330),
    )


class BoundariesInfo(NamedTuple):
    panels: list[BoundaryInfo]
    skipped: int  # runs beyond MAX_PINNED


def _get_boundaries_info(boundaries: Sequence[DecisionBoundary], labels: Sequence[str] | None = None) -> BoundariesInfo:
    runs = list(boundaries)
    panels = [
        _get_decision_boundary_info(b, labels[i] if labels is not None and i < len(labels) else None)
        for i, b in enumerate(runs[:MAX_PINNED])
    ]
    return BoundariesInfo(panels, max(0, len(runs) - MAX_PINNED))


def plot_boundaries(boundaries: Sequence[DecisionBoundary], labels: Sequence[str] | None = None) -> go.Figure:
    """Up to four decision boundaries side by side, each titled with its label and accuracies, sharing
    one colour scale and one legend."""
    info = _get_boundaries_info(boundaries, labels)
    title = "Pinned runs"
    if not info.panels:
        return empty_figure("No runs to compare", title=title)
    n = len(info.panels)
    subtitles = [f"{p.label}<br>{_scores(p)}" for p in info.panels]
    fig = make_subplots(rows=1, cols=n, subplot_titles=subtitles, horizontal_spacing=0.04)
    for j, p in enumerate(info.panels, start=1):
        _add_boundary(fig, p, row=1, col=j, first=j == 1, size=5, colorbar_x=1.01)
        fig.update_xaxes(
            range=[p.grid_x[0], p.grid_x[-1]],
            showgrid=False,
            zeroline=False,
            title_text=p.feature_names[0],
            row=1,
            col=j,
        )
        fig.update_yaxes(
            range=[p.grid_y[0], p.grid_y[-1]],
            showgrid=False,
            zeroline=False,
            title_text=p.feature_names[1] if j == 1 else None,
            row=1,
            col=j,
        )
    if info.skipped:
        title += f" (first {n} of {n + info.skipped})"
    fig.update_annotations(font_size=12)
    return apply_layout(
        fig, title=title, height=400, legend=bottom_legend(260), margin={"l": 60, "r": 20, "t": 90, "b": 50}
    )


# ----------------------------------------------------------------------------------------------
# 1-D fit


class FitLine(NamedTuple):
    label: str  # with train/validation RMSE
    pred: np.ndarray
    grid: np.ndarray
    colour: str
    train_rmse: float
    val_rmse: float


class Fit1DInfo(NamedTuple):
    grid: np.ndarray
    truth: np.ndarray | None
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    fits: list[FitLine]
    y_range: list[float]  # the data's range with a margin: wild fits run off the chart, not the points
    same_data: bool  # every fit was made on the points drawn (same seed, same sizes)
    skipped: int


def _get_fit_1d_info(fits: Sequence[Fit1D], labels: Sequence[str] | None = None) -> Fit1DInfo:
    runs = list(fits)[:MAX_PINNED]
    first = runs[0]
    lines = []
    for i, f in enumerate(runs):
        name = labels[i] if labels is not None and i < len(labels) else run_label(f.model, f.params)
        lines.append(
            FitLine(
                label=f"{name} (RMSE train {f.train_rmse:.3f}, validation {f.val_rmse:.3f})",
                pred=np.asarray(f.pred, dtype=float),
                grid=np.asarray(f.grid, dtype=float),
                colour=FIT_COLORS[i % len(FIT_COLORS)],
                train_rmse=float(f.train_rmse),
                val_rmse=float(f.val_rmse),
            )
        )
    ys = np.concatenate([first.y_train, first.y_val] + ([first.truth] if first.truth is not None else []))
    ys = ys[np.isfinite(ys)]
    lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (-1.0, 1.0)
    pad = 0.25 * (hi - lo if hi > lo else 1.0)
    same = all(
        f.seed == first.seed and len(f.x_train) == len(first.x_train) and np.array_equal(f.x_train, first.x_train)
        for f in runs
    )
    return Fit1DInfo(
        grid=np.asarray(first.grid, dtype=float),
        truth=None if first.truth is None else np.asarray(first.truth, dtype=float),
        x_train=np.asarray(first.x_train, dtype=float),
        y_train=np.asarray(first.y_train, dtype=float),
        x_val=np.asarray(first.x_val, dtype=float),
        y_val=np.asarray(first.y_val, dtype=float),
        fits=lines,
        y_range=[lo - pad, hi + pad],
        same_data=same,
        skipped=max(0, len(list(fits)) - MAX_PINNED),
    )


def plot_fit_1d(fits: Fit1D | Sequence[Fit1D], labels: Sequence[str] | None = None) -> go.Figure:
    """The truth (black dotted), training points (blue) and validation points (orange), and the fitted
    curve of each run (up to four pinned overlays) with its train and validation RMSE in the legend."""
    runs = [fits] if isinstance(fits, Fit1D) else list(fits)
    title = "1-D fit"
    if not runs:
        return empty_figure("No fit to show", title=title)
    info = _get_fit_1d_info(runs, labels)
    fig = go.Figure()
    if info.truth is not None:
        fig.add_trace(curve_trace(info.grid, info.truth, "truth", TRUTH, None))
    edge = {"color": "white", "width": 1}
    for part, x, y, marker in (
        ("train", info.x_train, info.y_train, {"color": TRAIN, "size": 7, "line": edge}),
        ("validation", info.x_val, info.y_val, {"color": VALIDATION, "size": 8, "symbol": "diamond", "line": edge}),
    ):
        fig.add_trace(
            points_trace(x, y, f"{part} points", marker, f"{part}<br>x %{{x:.3g}}<br>y %{{y:.3g}}<extra></extra>")
        )
    for line in info.fits:
        style, hover = {"color": line.colour, "width": 2.5}, "x %{x:.3g}<br>fit %{y:.3g}<extra></extra>"
        fig.add_trace(curve_trace(line.grid, line.pred, line.label, style, hover))
    fig.update_yaxes(range=info.y_range)
    if not info.same_data:
        title += " (points of the first run; pinned runs were fitted on other samples)"
    elif info.skipped:
        title += f" (first {len(info.fits)} of {len(info.fits) + info.skipped})"
    n_legend = len(info.fits) + 3
    return apply_layout(
        fig,
        title=title,
        x_title="x",
        y_title="y",
        height=420 + 22 * max(0, n_legend - 4),
        legend=bottom_legend(300) if n_legend > 4 else TOP_LEGEND,
    )
