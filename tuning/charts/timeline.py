"""Timeline: each trial as a bar from its start to its finish, one lane per worker.

The lanes are the workers the trials recorded (host:pid, a thread, a Dask worker address); for
trials without one, lanes are inferred (as few as possible, no two overlapping trials in one).
"""

from __future__ import annotations

import heapq
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tuning.charts._common import STATE_COLORS, apply_layout, empty_figure, scatter_class, utc_naive

NO_TIMES = "No trials with a start time yet"


class TimelineInfo(NamedTuple):
    numbers: np.ndarray
    start: np.ndarray  # UTC datetime64[ns]
    end: np.ndarray  # running trials end at ``now``
    lanes: np.ndarray  # lane per trial: no two trials in one lane overlap, and as few lanes as possible
    states: np.ndarray
    lane_names: tuple[str, ...] = ()  # the worker of each lane, when the trials recorded one


NOT_RECORDED = "(worker not recorded yet)"


def _get_timeline_info(frame: pd.DataFrame, *, now: pd.Timestamp | None = None) -> TimelineInfo:
    if frame is None or frame.empty or "started" not in frame.columns or "state" not in frame.columns:
        nat = np.empty(0, dtype="datetime64[ns]")
        return TimelineInfo(np.empty(0, dtype=np.int64), nat, nat, np.empty(0, dtype=np.int64), np.empty(0, object))
    start = utc_naive(frame["started"])
    end = utc_naive(frame["finished"]) if "finished" in frame.columns else np.full(len(frame), np.datetime64("NaT"))
    busy = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")  # finish minus the trial's own time
    if "duration_s" in frame.columns:  # a trial with a finish and a duration but no recorded start
        dur = pd.to_numeric(frame["duration_s"], errors="coerce").to_numpy(dtype=float)
        guess = end - (np.nan_to_num(dur) * 1e9).astype("timedelta64[ns]")
        busy = np.where(~np.isnat(end) & np.isfinite(dur), guess, busy)
        start = np.where(np.isnat(start) & ~np.isnat(end) & np.isfinite(dur), guess, start)
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    now_ts = now_ts.tz_localize("UTC") if now_ts.tzinfo is None else now_ts.tz_convert("UTC")
    end = np.where(np.isnat(end), now_ts.tz_convert(None).to_datetime64().astype("datetime64[ns]"), end)
    end = np.maximum(end, start)
    keep = ~np.isnat(start)
    start, end, busy = start[keep], end[keep], busy[keep]
    numbers = frame["number"].to_numpy(dtype=np.int64)[keep]
    states = frame["state"].astype(str).to_numpy(dtype=object)[keep]
    workers = frame["worker"].to_numpy(dtype=object)[keep] if "worker" in frame.columns else None
    by_worker = workers is not None and any(isinstance(w, str) and w for w in workers)
    if by_worker:  # a worker's lane shows when it was busy: a trial queued on it waited, it did not run
        start = np.where(np.isnat(busy), start, np.maximum(start, busy))
    order = np.lexsort((numbers, start))
    start, end, numbers, states = start[order], end[order], numbers[order], states[order]
    s_ns, e_ns = start.view(np.int64), end.view(np.int64)
    if by_worker:
        assert workers is not None
        lanes, names = _worker_lanes(s_ns, e_ns, workers[order])
        return TimelineInfo(numbers, start, end, lanes, states, names)
    return TimelineInfo(numbers, start, end, _assign_lanes(s_ns, e_ns), states)


def _worker_lanes(start: np.ndarray, end: np.ndarray, workers: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """A lane per worker in order of first use (trials without one last); a worker that ran trials at
    once (several threads) gets as many lanes as it needed, so no bar hides another."""
    keys = [w if isinstance(w, str) and w else NOT_RECORDED for w in workers.tolist()]
    groups = sorted(dict.fromkeys(keys), key=lambda k: k == NOT_RECORDED)  # stable: first use, then unrecorded
    lanes = np.empty(len(keys), dtype=np.int64)
    names: list[str] = []
    key_arr = np.array(keys, dtype=object)
    for g in groups:
        m = key_arr == g
        sub = _assign_lanes(start[m], end[m])
        lanes[m] = sub + len(names)
        n_sub = int(sub.max()) + 1
        label = g.removeprefix("tcp://")
        names += [label] if n_sub == 1 else [f"{label} ({k + 1})" for k in range(n_sub)]
    return lanes, tuple(names)


def _assign_lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Interval partitioning over intervals sorted by start: reuse the lane that freed earliest, else open one.

    A trial may start in the lane of one that finished at the same instant. O(n log n) with a heap.
    """
    lanes = np.empty(start.size, dtype=np.int64)
    free_at: list[tuple[int, int]] = []  # (end, lane)
    for i, (s, e) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        if free_at and free_at[0][0] <= s:
            _, lane = heapq.heapreplace(free_at, (e, free_at[0][1]))
        else:
            lane = len(free_at)
            heapq.heappush(free_at, (e, lane))
        lanes[i] = lane
    return lanes


def plot_timeline(frame: pd.DataFrame, *, now: pd.Timestamp | None = None) -> go.Figure:
    """When each trial ran and how many ran at once; colour by state."""
    info = _get_timeline_info(frame, now=now)
    title = "Timeline"
    if info.numbers.size == 0:
        return empty_figure(NO_TIMES, title=title)
    fig = go.Figure()
    n_lanes = int(info.lanes.max()) + 1
    width = max(2, min(14, 240 // n_lanes))
    for state, colour in STATE_COLORS.items():
        m = info.states == state
        if m.any():
            _add_segments(fig, info, m, state, colour, width)
    other = ~np.isin(info.states, list(STATE_COLORS))
    if other.any():
        _add_segments(fig, info, other, "other", "#bcbd22", width)
    ticks: dict[str, object] = (
        {"tickmode": "array", "tickvals": list(range(n_lanes)), "ticktext": [f"slot {i + 1}" for i in range(n_lanes)]}
        if n_lanes <= 20
        else {}
    )
    if info.lane_names:
        ticks = {"tickmode": "array", "tickvals": list(range(n_lanes)), "ticktext": list(info.lane_names)}
    return apply_layout(
        fig,
        title=title,
        x_title="time (UTC)",
        y_title="worker" if info.lane_names else ("trials at once" if n_lanes > 1 else ""),
        # A lane is one worker or trial slot; the plot grows with the lanes instead of one thin bar in a tall box.
        height=max(220, min(600, 140 + 36 * n_lanes)),
        yaxis={"range": [n_lanes - 0.5, -0.5], "automargin": True, **ticks},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )


def _add_segments(fig: go.Figure, info: TimelineInfo, m: np.ndarray, name: str, colour: str, width: int) -> None:
    """One trace of line segments (start, end, gap) for all trials in ``m``: linear, and WebGL when large."""
    n = int(m.sum())
    x = np.empty(3 * n, dtype="datetime64[ns]")
    x[0::3], x[1::3], x[2::3] = info.start[m], info.end[m], np.datetime64("NaT")
    y = np.full(3 * n, np.nan)
    y[0::3] = y[1::3] = info.lanes[m]
    seconds = (info.end[m] - info.start[m]) / np.timedelta64(1, "s")
    custom = np.repeat(np.column_stack([info.numbers[m], seconds]), 3, axis=0)
    fig.add_trace(
        scatter_class(3 * n)(
            x=x,
            y=y,
            mode="lines",
            name=name,
            line={"color": colour, "width": width},
            customdata=custom,
            hovertemplate=f"trial #%{{customdata[0]}} ({name})<br>%{{customdata[1]:.1f}} s<extra></extra>",
        )
    )
