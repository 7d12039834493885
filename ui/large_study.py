"""Large studies (100,000 trials) on the Results page: a paged trials table and a sample for the charts.

- ``paged_trials_table``: small studies keep the whole-table view of ``ui.results_view.trials_table``; above
  ``PAGED_ABOVE`` trials the filter, sort and page happen here in pandas and only ``PAGE_SIZE`` rows are sent.
- ``chart_sample``: above ``SAMPLE_ABOVE`` trials the per-trial charts get a fixed sample (every trial that set
  a new best, the best ones, the failed and pruned ones up to a share, and a random rest), and the page says so.
  The diagnosis, the trade-off view and the table keep every trial.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from tuning.analysis import display_metric_name, display_score
from tuning.config import ResolvedConfig
from ui.results_view import select_trial, trials_table

PAGED_ABOVE = 2000
PAGE_SIZE = 100
SAMPLE_ABOVE = 5000
SAMPLE_SIZE = 5000
SORTS = {
    "rank (best first)": ("mean_test_score", False),
    "trial number": ("number", True),
    "fit time (fastest first)": ("mean_fit_time", True),
    "model size (smallest first)": ("model_size", True),
}


def sample_rows(frame: pd.DataFrame, *, size: int = SAMPLE_SIZE, seed: int = 0) -> np.ndarray:
    """Positions of a chart sample: record-setting trials (so best-so-far lines stay exact), the best 1 %
    (up to a tenth of ``size``), then a fixed-seed random rest; sorted, at most ``size`` (plus records)."""
    n = len(frame)
    if n <= size:
        return np.arange(n)
    score = pd.to_numeric(frame["mean_test_score"], errors="coerce").to_numpy(dtype=float)
    order = np.argsort(frame["number"].to_numpy(), kind="stable")
    s = np.where(np.isfinite(score[order]), score[order], -np.inf)
    prev = np.maximum.accumulate(np.r_[-np.inf, s[:-1]])
    keep = np.zeros(n, dtype=bool)
    keep[order[(s > prev) & np.isfinite(s)]] = True
    top = min(max(1, n // 100), size // 10)
    keep[np.argsort(-np.where(np.isfinite(score), score, -np.inf), kind="stable")[:top]] = True
    rest = np.flatnonzero(~keep)
    need = max(0, size - int(keep.sum()))
    keep[np.random.default_rng(seed).choice(rest, size=min(need, rest.size), replace=False)] = True
    return np.flatnonzero(keep)


def chart_sample(frame: pd.DataFrame, *, size: int = SAMPLE_SIZE) -> pd.DataFrame:
    """The frame the per-trial charts draw: all of it up to ``SAMPLE_ABOVE`` trials, else a sample (said so)."""
    if len(frame) <= SAMPLE_ABOVE:
        return frame
    rows = sample_rows(frame, size=size)
    st.caption(
        f"The charts below draw {len(rows):,} of {len(frame):,} trials: every trial that set a new best, the best "
        "ones and a fixed random sample. The diagnosis, the Pareto fronts and the trials table use every trial; "
        "importance (three ways, below) up to 10,000."
    )
    return frame.iloc[rows]


def page_of(
    frame: pd.DataFrame, *, states: list[str], sort: str, page: int, page_size: int = PAGE_SIZE
) -> pd.DataFrame:
    """One page of the filtered, sorted trials (1-based ``page``, clipped to the last page)."""
    view = frame[frame["state"].isin(states)] if states else frame.iloc[0:0]
    col, ascending = SORTS[sort]
    if col in view.columns:
        order = np.argsort(view[col].to_numpy(dtype=float) * (1 if ascending else -1), kind="stable")
        nan_last = np.isnan(view[col].to_numpy(dtype=float)[order])
        order = np.r_[order[~nan_last], order[nan_last]]
    else:
        order = np.arange(len(view))
    pages = max(1, math.ceil(len(view) / page_size))
    page = min(max(1, page), pages)
    return view.iloc[order[(page - 1) * page_size : page * page_size]]


def paged_trials_table(frame: pd.DataFrame, cfg: ResolvedConfig) -> int | None:
    """The trial table (paged above ``PAGED_ABOVE`` trials); returns the number of the selected trial."""
    if len(frame) <= PAGED_ABOVE:
        return trials_table(frame, cfg)
    metric = cfg.metric or ""
    c = st.columns([3, 2, 1])
    states = c[0].multiselect(
        "States",
        ["complete", "pruned", "failed", "running"],
        default=["complete", "pruned", "failed", "running"],
        key="res_pg_states",
    )
    sort = c[1].selectbox("Sort by", list(SORTS), key="res_pg_sort")
    n = int(frame["state"].isin(states).sum()) if states else 0
    pages = max(1, math.ceil(n / PAGE_SIZE))
    page = int(c[2].number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, key="res_pg_page"))
    view = page_of(frame, states=states, sort=sort, page=page)
    cols = ["number", "state", *[c for c in view.columns if c.startswith("param_")]]
    shown = view[cols].copy()
    for c_ in [c for c in shown.columns if c.startswith("param_")]:
        shown[c_] = shown[c_].map(
            lambda v: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v)
        )
    shown[f"validation {display_metric_name(metric)}"] = [display_score(metric, v) for v in view["mean_test_score"]]
    shown["std"] = view["std_test_score"].to_numpy()
    if "rung" in view.columns and (view["rung"].notna().any() or view["budget"].notna().any()):
        shown["budget"] = view["budget"].to_numpy()  # multi-fidelity: rounds or rows reached, and the rung
        shown["rung"] = view["rung"].to_numpy()
    shown["fit time (s)"] = view["mean_fit_time"].to_numpy()
    if "model_size" in view.columns:
        shown["model size"] = view["model_size"].to_numpy()
    shown["rank"] = view["rank_test_score"].to_numpy()
    shown.columns = [c.removeprefix("param_") for c in shown.columns]
    st.caption(
        f"{n:,} trials match; showing {len(shown)} ({(page - 1) * PAGE_SIZE + 1:,}-{(page - 1) * PAGE_SIZE + len(shown):,})."
    )
    return select_trial(shown, key="res_pg_trials")


__all__ = ["PAGED_ABOVE", "SAMPLE_ABOVE", "chart_sample", "page_of", "paged_trials_table", "sample_rows"]
