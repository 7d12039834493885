"""Learning curves: train and validation against the training-set size, with a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from tuning.charts._common import TRAIN, VALIDATION, axis_title, band_trace, empty_figure, to_display
from tuning.charts.learn._common import (
    DASHES,
    MAX_PINNED,
    SYMBOLS,
    add_baseline,
    band_edges,
    gap_trace,
    learn_layout,
    line_trace,
    run_label,
    score_view,
)
from tuning.lessons.learning_curve import LearningCurve, verdict


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
            name = f"{part}: {run.label}"
            hover = f"{name}<br>%{{x:.0f}} rows<br>%{{y:.4g}} ± %{{customdata:.3g}}<extra></extra>"
            marker = {"symbol": run.symbol, "size": 7, "color": colour}
            fig.add_trace(
                line_trace(
                    x,
                    mean,
                    colour,
                    name,
                    dash=run.dash,
                    legendgroup=run.label,
                    marker=marker,
                    customdata=std,
                    hovertemplate=hover,
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
    return learn_layout(fig, title, "training rows (per fold)", axis_title(info.metric), 420)


# ----------------------------------------------------------------------------------------------
# Boosting rounds
