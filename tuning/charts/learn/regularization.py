"""Learn-page charts of linear regularization: penalty paths and L1/L2 sparsity (and what sparsity costs).

Pure functions of the lesson dataclasses in ``tuning.lessons.regularization``: ``_get_<x>_info`` gathers
plain numpy data in display units, ``plot_<x>`` draws it. Scores keep the house colours (train blue,
validation orange, both with ±std bands) and a star at the best validation value.
XGBoost's knobs and attributions are in ``xgboost_regularization``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from tuning.analysis import display_metric_name
from tuning.charts._common import (
    STAR,
    TRAIN,
    VALIDATION,
    apply_layout,
    axis_title,
    band_trace,
    curve_trace,
    empty_figure,
    fmt_number,
    points_trace,
    to_display,
)
from tuning.charts.learn._common import (
    BASELINE,
    TOP_LEGEND,
    add_baseline,
    band_edges,
    bottom_legend,
    gap_trace,
    learn_layout,
    legend_line,
    mean_trace,
    score_view,
)
from tuning.lessons.regularization import NONZERO_TOL, LinearPaths, Sparsity, image_shape

PENALTY_ORDER = ("l1", "elasticnet", "l2")
PENALTY_TITLES = {"l1": "L1 (lasso)", "elasticnet": "elastic net", "l2": "L2 (ridge)", "none": "no penalty"}
FEATURE_COLORS = qualitative.Dark24
NONZERO_COLOR = "#444444"
ZERO_MARK = {"symbol": "x-thin", "size": 7, "color": "#222222", "line": {"width": 1.5, "color": "#222222"}}
# Diverging scale for coefficients: negative red, zero white, positive blue (exactly 0 is also marked).
COEF_SCALE = "RdBu"
NEG, POS = "#d6604d", "#4393c3"
MAX_BARS = 30
# Validation lines of the two penalties in plot_sparsity_cost: told apart by dash and marker.
PENALTY_STYLE = {"l1": ("solid", "circle"), "l2": ("dot", "square")}


def _zeros(x: object, y: object, where: str, show: bool) -> go.Scatter:
    """Crosses on the coefficients that are exactly zero; ``where`` is the hover's first line."""
    hover = f"{where}<br>exactly 0<extra></extra>"
    return points_trace(x, y, "exactly 0", ZERO_MARK, hover, legendgroup="zero", showlegend=show)


def _score_label(metric: str, value: float) -> str:
    return f"{display_metric_name(metric)} {float(to_display([value], metric)[0]):.3f}"


# ----------------------------------------------------------------------------------------------
# Linear paths


class LinearPathsInfo(NamedTuple):
    metric: str
    strengths: np.ndarray
    penalties: list[str]  # the columns, in order L1, elastic net, L2 (those present)
    feature_names: tuple[str, ...]
    output: int
    n_outputs: int
    coefs: dict[str, np.ndarray]  # (n_strengths, n_features) for ``output``
    n_nonzero: dict[str, np.ndarray]  # over all outputs
    train_mean: dict[str, np.ndarray]  # display units
    train_std: dict[str, np.ndarray]
    val_mean: dict[str, np.ndarray]
    val_std: dict[str, np.ndarray]
    best_index: dict[str, int]  # highest validation mean per penalty
    none_val: float  # validation score without a penalty (display), NaN when not computed
    n_coefs: int
    dummy: float
    l1_ratio: float


def _get_linear_paths_info(paths: LinearPaths, *, output: int = 0) -> LinearPathsInfo:
    m = paths.metric
    cols = [p for p in PENALTY_ORDER if p in paths.penalties]
    n_out = int(next(iter(paths.coefs.values())).shape[1]) if paths.coefs else 1
    if not 0 <= output < n_out:
        raise IndexError(f"output {output} is out of range: the model has {n_out} output(s).")
    none_val = float(to_display([paths.val_mean["none"][0]], m)[0]) if "none" in paths.penalties else float("nan")
    n_coefs = int(next(iter(paths.coefs.values()))[0].size) if paths.coefs else 0
    return LinearPathsInfo(
        metric=m,
        strengths=np.asarray(paths.strengths, dtype=float),
        penalties=cols,
        feature_names=tuple(paths.feature_names),
        output=output,
        n_outputs=n_out,
        coefs={p: np.asarray(paths.coefs[p][:, output, :], dtype=float) for p in cols},
        n_nonzero={p: np.asarray(paths.n_nonzero[p]) for p in cols},
        train_mean={p: to_display(paths.train_mean[p], m) for p in cols},
        train_std={p: np.asarray(paths.train_std[p], dtype=float) for p in cols},
        val_mean={p: to_display(paths.val_mean[p], m) for p in cols},
        val_std={p: np.asarray(paths.val_std[p], dtype=float) for p in cols},
        best_index={p: int(np.nanargmax(paths.val_mean[p])) for p in cols},
        none_val=none_val,
        n_coefs=n_coefs,
        dummy=float(to_display([paths.dummy_score], m)[0]),
        l1_ratio=float(paths.l1_ratio),
    )


def plot_linear_paths(paths: LinearPaths, *, output: int = 0) -> go.Figure:
    """One column per penalty (L1, elastic net, L2), three rows on one log strength axis: the
    coefficient paths (L1 drives them to exactly zero, L2 shrinks them smoothly), how many stay
    non-zero, and train/validation score with the best strength starred. ``output`` picks the class
    whose coefficients are drawn for a multiclass model."""
    info = _get_linear_paths_info(paths, output=output)
    title = "Regularization paths"
    if not info.penalties:
        return empty_figure("No penalized model to show", title=title)
    k = len(info.penalties)
    titles = [
        PENALTY_TITLES[p] + (f" (l1_ratio {fmt_number(info.l1_ratio)})" if p == "elasticnet" else "")
        for p in info.penalties
    ]
    fig = make_subplots(
        rows=3,
        cols=k,
        shared_xaxes=True,
        shared_yaxes=True,
        vertical_spacing=0.06,
        horizontal_spacing=0.03,
        subplot_titles=titles + [""] * (2 * k),
        row_heights=[0.45, 0.2, 0.35],
    )
    x = list(info.strengths)
    names = info.feature_names
    edges: list[np.ndarray] = [np.array([info.none_val])]
    for p in info.penalties:
        edges += band_edges(info.train_mean[p], info.train_std[p]) + band_edges(info.val_mean[p], info.val_std[p])
    view = score_view(edges, info.dummy)
    for j, p in enumerate(info.penalties, start=1):
        first = j == 1
        c = info.coefs[p]
        for f in range(c.shape[1]):
            name = names[f] if f < len(names) else f"x{f}"
            hover = f"{names[f] if f < len(names) else f}<br>strength %{{x:.3g}}<br>coef %{{y:.4g}}<extra></extra>"
            style = {"color": FEATURE_COLORS[f % len(FEATURE_COLORS)], "width": 1.3}
            path = curve_trace(x, c[:, f], name, style, hover, legendgroup="coefs", showlegend=False)
            fig.add_trace(path, row=1, col=j)
        fig.add_hline(y=0, line={"color": "#999", "width": 1}, row=1, col=j)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=info.n_nonzero[p],
                mode="lines+markers",
                name="non-zero coefficients",
                legendgroup="nz",
                showlegend=first,
                line={"color": NONZERO_COLOR, "width": 2},
                marker={"size": 6},
                hovertemplate="strength %{x:.3g}<br>%{y} non-zero<extra></extra>",
            ),
            row=2,
            col=j,
        )
        fig.add_hline(y=info.n_coefs, line={"color": BASELINE, "dash": "dot", "width": 1}, row=2, col=j)
        fig.add_trace(
            gap_trace(x, info.train_mean[p], info.val_mean[p], legendgroup="gap", showlegend=first), row=3, col=j
        )
        for part, mean, std, colour in (
            ("train", info.train_mean[p], info.train_std[p], TRAIN),
            ("validation", info.val_mean[p], info.val_std[p], VALIDATION),
        ):
            fig.add_trace(band_trace(x, mean, std, colour, group=part), row=3, col=j)
            hover = f"{part}<br>strength %{{x:.3g}}<br>%{{y:.4g}}<extra></extra>"
            fig.add_trace(mean_trace(x, mean, part, colour, show=first, hover=hover), row=3, col=j)
        b = info.best_index[p]
        hover = "best strength %{x:.3g}<br>validation %{y:.4g}<extra></extra>"
        y = [info.val_mean[p][b]]
        best = points_trace([x[b]], y, "best validation", STAR, hover, legendgroup="best", showlegend=first)
        fig.add_trace(best, row=3, col=j)
        add_baseline(fig, info.dummy, shown=view.baseline_shown, legend=first, row=3, col=j)
        if math.isfinite(info.none_val):
            fig.add_hline(y=info.none_val, line={"color": VALIDATION, "dash": "dot", "width": 1}, row=3, col=j)
    if math.isfinite(info.none_val):
        legend_line(fig, "validation without penalty", VALIDATION, "dot")
    legend_line(fig, f"all {info.n_coefs} coefficients", BASELINE, "dot")
    fig.update_xaxes(type="log")
    fig.update_xaxes(title_text="regularization strength (log scale)", row=3)
    coef_title = "coefficient" + (f" (class {info.output})" if info.n_outputs > 1 else "")
    fig.update_yaxes(title_text=coef_title, row=1, col=1)
    fig.update_yaxes(title_text="non-zero", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text=axis_title(info.metric), row=3, col=1)
    fig.update_yaxes(range=view.range, row=3)
    fig.update_annotations(font_size=13)
    return apply_layout(
        fig, title=title, height=680, legend=bottom_legend(560), margin={"l": 70, "r": 20, "t": 70, "b": 60}
    )


# ----------------------------------------------------------------------------------------------
# Sparsity


class SparsityInfo(NamedTuple):
    kind: str  # "image" (heatmaps) or "bars"
    metric: str
    index: int  # type: ignore[assignment]  # a field, not tuple.index  # strength shown
    strength: float
    class_index: int
    n_outputs: int
    features: list[str]  # bars: the features drawn, top to bottom; image: all pixels
    l1: np.ndarray  # image: (rows, cols); bars: (n_shown,)
    l2: np.ndarray
    l1_zero: np.ndarray  # True where the coefficient is exactly 0
    l2_zero: np.ndarray
    l1_nonzero: int  # non-zero coefficients of the shown class (all features, not only the drawn bars)
    l2_nonzero: int
    n_coefs: int
    l1_score: float  # validation score (display units)
    l2_score: float
    zmax: float  # symmetric colour range ±zmax
    n_hidden: int  # bars left out (beyond MAX_BARS)


def default_strength_index(sp: Sparsity) -> int:
    """The strongest L1 penalty whose validation score keeps at least half of its best lift over the
    dummy: the most zeros that are still worth having."""
    val = np.asarray(sp.l1_val_mean, dtype=float)
    if not np.isfinite(val).any():
        return len(val) // 2
    best = float(np.nanmax(val))
    base = sp.dummy_score if math.isfinite(sp.dummy_score) else float(np.nanmin(val))
    ok = np.where(np.isfinite(val) & (val >= base + 0.5 * (best - base)))[0]
    order = np.argsort(sp.strengths)
    ranked = [int(i) for i in order if i in set(ok.tolist())]
    return ranked[-1] if ranked else int(np.nanargmax(val))


def _get_sparsity_info(sp: Sparsity, *, index: int | None = None, class_index: int = 0) -> SparsityInfo:
    m = sp.metric
    S, n_out, n_feat = sp.l1_coefs.shape
    i = default_strength_index(sp) if index is None else int(index)
    if not -S <= i < S:
        raise IndexError(f"index {i} is out of range for {S} strengths.")
    i %= S
    if not 0 <= class_index < n_out:
        raise IndexError(f"class_index {class_index} is out of range: the model has {n_out} output(s).")
    a = np.asarray(sp.l1_coefs[i, class_index], dtype=float)
    b = np.asarray(sp.l2_coefs[i, class_index], dtype=float)
    shape = sp.image_shape or image_shape(sp.feature_names)
    names = list(sp.feature_names)
    zmax = float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))) or 1.0
    hidden = 0
    if shape is not None:
        kind = "image"
        a2, b2 = a.reshape(shape), b.reshape(shape)
    else:
        kind = "bars"
        order = np.argsort(-np.maximum(np.abs(a), np.abs(b)), kind="stable")
        hidden = max(0, len(order) - MAX_BARS)
        keep = order[:MAX_BARS]
        keep = keep[np.argsort(-np.abs(b[keep]), kind="stable")]  # by L2 size: L1 zeroes the small ones
        a2, b2, names = a[keep], b[keep], [names[j] for j in keep]
    return SparsityInfo(
        kind=kind,
        metric=m,
        index=i,
        strength=float(sp.strengths[i]),
        class_index=class_index,
        n_outputs=n_out,
        features=names,
        l1=a2,
        l2=b2,
        l1_zero=a2 == 0.0,
        l2_zero=b2 == 0.0,
        l1_nonzero=int(np.sum(np.abs(a) > NONZERO_TOL)),
        l2_nonzero=int(np.sum(np.abs(b) > NONZERO_TOL)),
        n_coefs=int(n_feat),
        l1_score=float(to_display([sp.l1_val_mean[i]], m)[0]),
        l2_score=float(to_display([sp.l2_val_mean[i]], m)[0]),
        zmax=zmax,
        n_hidden=hidden,
    )


def plot_sparsity(sp: Sparsity, *, index: int | None = None, class_index: int = 0) -> go.Figure:
    """L1 against L2 coefficients at one strength (``index``; by default the strongest L1 that keeps
    half its score): 8x8 heatmaps for pixel features (diverging, white at 0, exact zeros crossed),
    horizontal bars otherwise; subplot titles give each penalty's validation score and non-zero count."""
    info = _get_sparsity_info(sp, index=index, class_index=class_index)
    titles = [
        # two lines: on one, the two titles ran into each other in a narrow window
        f"{pen}: {display_metric_name(info.metric)} {score:.3f},<br>{nz}/{info.n_coefs} non-zero"
        for pen, score, nz in (("L1", info.l1_score, info.l1_nonzero), ("L2", info.l2_score, info.l2_nonzero))
    ]
    cls = f", class {info.class_index}" if info.n_outputs > 1 else ""
    title = f"L1 vs L2 coefficients at strength {fmt_number(info.strength)}{cls}"
    if info.kind == "image":
        fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
        for j, (z, zero) in enumerate(((info.l1, info.l1_zero), (info.l2, info.l2_zero)), start=1):
            rows, cols = z.shape
            fig.add_trace(
                go.Heatmap(
                    z=z,
                    x=np.arange(cols),
                    y=np.arange(rows),
                    colorscale=COEF_SCALE,
                    zmid=0.0,
                    zmin=-info.zmax,
                    zmax=info.zmax,
                    showscale=j == 2,
                    colorbar={"title": {"text": "coef"}, "len": 0.9},
                    hovertemplate="row %{y}, col %{x}<br>coef %{z:.4g}<extra></extra>",
                ),
                row=1,
                col=j,
            )
            zr, zc = np.nonzero(zero)
            fig.add_trace(_zeros(zc, zr, "row %{y}, col %{x}", j == 1), row=1, col=j)
            axis = "" if j == 1 else str(j)
            fig.update_yaxes(autorange="reversed", scaleanchor=f"x{axis}", constrain="domain", row=1, col=j)
            fig.update_xaxes(constrain="domain", row=1, col=j)
        fig.update_xaxes(title_text="pixel column", showgrid=False, zeroline=False)
        fig.update_yaxes(title_text="pixel row", showgrid=False, zeroline=False)
        fig.update_annotations(font_size=13)
        return apply_layout(
            fig, title=title, height=440, legend=TOP_LEGEND, margin={"l": 60, "r": 20, "t": 80, "b": 50}
        )
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, shared_yaxes=True, horizontal_spacing=0.04)
    for j, (v, zero) in enumerate(((info.l1, info.l1_zero), (info.l2, info.l2_zero)), start=1):
        fig.add_trace(
            go.Bar(
                x=v,
                y=info.features,
                orientation="h",
                marker={"color": [POS if c > 0 else NEG for c in v]},
                showlegend=False,
                hovertemplate="%{y}<br>coef %{x:.4g}<extra></extra>",
            ),
            row=1,
            col=j,
        )
        zero_features = [f for f, z in zip(info.features, zero) if z]
        fig.add_trace(_zeros(np.zeros(int(zero.sum())), zero_features, "%{y}", j == 1), row=1, col=j)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=info.features)
    fig.update_yaxes(title_text="feature", row=1, col=1)
    fig.update_xaxes(
        title_text="coefficient (standardized features)",
        zeroline=True,
        zerolinecolor="#999",
        range=[-1.08 * info.zmax, 1.08 * info.zmax],
    )
    if info.n_hidden:
        title += f" (top {len(info.features)} of {len(info.features) + info.n_hidden} features)"
    fig.update_annotations(font_size=13)
    height = max(380, 18 * len(info.features) + 140)
    return apply_layout(fig, title=title, height=height, legend=TOP_LEGEND, margin={"l": 60, "r": 20, "t": 80, "b": 50})


class SparsityCostInfo(NamedTuple):
    metric: str
    strengths: np.ndarray
    zero_fraction: dict[str, np.ndarray]
    val_mean: dict[str, np.ndarray]  # display units
    val_std: dict[str, np.ndarray]
    dummy: float


def _get_sparsity_cost_info(sp: Sparsity) -> SparsityCostInfo:
    m = sp.metric
    return SparsityCostInfo(
        metric=m,
        strengths=np.asarray(sp.strengths, dtype=float),
        zero_fraction={
            "l1": np.asarray(sp.l1_zero_fraction, dtype=float),
            "l2": np.asarray(sp.l2_zero_fraction, dtype=float),
        },
        val_mean={"l1": to_display(sp.l1_val_mean, m), "l2": to_display(sp.l2_val_mean, m)},
        val_std={"l1": np.asarray(sp.l1_val_std, dtype=float), "l2": np.asarray(sp.l2_val_std, dtype=float)},
        dummy=float(to_display([sp.dummy_score], m)[0]),
    )


def plot_sparsity_cost(sp: Sparsity) -> go.Figure:
    """The accuracy cost of sparsity: validation score (± std) against the share of coefficients that
    are exactly zero, one point per strength, L1 (solid) and L2 (dotted)."""
    info = _get_sparsity_cost_info(sp)
    fig = go.Figure()
    for pen in ("l1", "l2"):
        dash, symbol = PENALTY_STYLE[pen]
        fig.add_trace(
            go.Scatter(
                x=info.zero_fraction[pen],
                y=info.val_mean[pen],
                mode="lines+markers+text",
                name=f"validation, {pen.upper()}",
                line={"color": VALIDATION, "dash": dash, "width": 2},
                marker={"symbol": symbol, "size": 8, "color": VALIDATION},
                error_y={"type": "data", "array": info.val_std[pen], "color": VALIDATION, "thickness": 1},
                text=[fmt_number(s) for s in info.strengths] if pen == "l1" else None,
                textposition="top right",
                textfont={"size": 10, "color": "#666"},
                customdata=info.strengths,
                hovertemplate=f"{pen.upper()} strength %{{customdata:.3g}}<br>%{{x:.0%}} zero<br>validation %{{y:.4g}}<extra></extra>",
            )
        )
    view = score_view(
        band_edges(info.val_mean["l1"], info.val_std["l1"]) + band_edges(info.val_mean["l2"], info.val_std["l2"]),
        info.dummy,
    )
    add_baseline(fig, info.dummy, shown=view.baseline_shown)
    fig.update_yaxes(range=view.range)
    fig.update_xaxes(tickformat=".0%", range=[-0.03, 1.03])
    x_title = "coefficients exactly zero (labels: strength)"
    return learn_layout(fig, "The cost of sparsity", x_title, axis_title(info.metric), 400, TOP_LEGEND)
