"""Widgets of the Search page: model, metric, strategy, budget and the search-space editor."""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd
import streamlit as st

from tuning.config import StudyConfig
from tuning.data import DatasetProfile
from tuning.device import cuda_status
from tuning.evaluate import default_metric, secondary_metrics
from tuning.models import get_model, models_for_task
from tuning.space import SearchSpace
from tuning.space_table import KINDS, rows_to_space, space_to_rows
from tuning.strategies import STRATEGIES
from ui.run_on import run_on_inputs


def model_picker(task: str) -> str:
    families = models_for_task(task)
    names = [m.name for m in families]
    name = st.selectbox("Model", names, format_func=lambda n: get_model(n).label, key="search_model")
    st.caption(get_model(name).description)
    return name


def metric_picker(task: str, n_classes: int | None) -> str:
    options = list(secondary_metrics(task, n_classes))
    default = default_metric(task, n_classes)
    return st.selectbox(
        "Metric",
        options,
        index=options.index(default),
        key=f"search_metric_{task}_{n_classes}",
        help="scikit-learn scorer names; neg_* are losses, shown as positive numbers in charts.",
    )


def strategy_picker() -> str:
    names = list(STRATEGIES)
    name = st.radio(
        "Strategy",
        names,
        index=names.index("tpe"),
        horizontal=True,
        key="search_strategy",
        format_func={"grid": "Grid", "random": "Random", "tpe": "Bayesian (TPE)", "anneal": "Annealing"}.get,
    )
    st.caption(STRATEGIES[name].description)
    return name


def space_editor(model: str) -> dict[str, Any] | None:
    """The model's parameters as an editable table; returns the JSON space, or None after showing the error."""
    family = get_model(model)
    rows = space_to_rows(family)
    st.markdown(
        "**Search space** — tick *use*, pick a kind, edit ranges (*log* spaces a range evenly in log) or "
        "comma-separated *values*; *when* makes a parameter conditional (e.g. `booster=dart`)."
    )
    rows["regularizes"] = rows["regularizes"].map({True: "yes", False: ""})
    edited: pd.DataFrame = st.data_editor(
        rows,
        height=38 + 35 * len(rows),
        key=f"space_editor_{model}",
        hide_index=True,
        disabled=["parameter", "regularizes", "help"],
        column_config={
            "use": st.column_config.CheckboxColumn("use", width="small"),
            "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True, width="small"),
            "low": st.column_config.NumberColumn("low", format="%g", width="small"),
            "high": st.column_config.NumberColumn("high", format="%g", width="small"),
            "log": st.column_config.CheckboxColumn("log", width="small"),
            "values": st.column_config.TextColumn("values / value"),
            "when": st.column_config.TextColumn("when", width="small"),
            "regularizes": st.column_config.TextColumn("regularizes", width="small"),
            "help": st.column_config.TextColumn("what it does", width="large"),
        },
    )
    try:
        spec = rows_to_space(edited)
    except Exception as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    with st.expander("Search space as JSON (the file format of `--space`)"):
        st.code(json.dumps(spec, indent=2), language="json")
    return spec


def budget_inputs(strategy: str, space: dict[str, Any] | None, grid_points: int) -> dict[str, Any]:
    c = st.columns(4)
    grid_size = None
    if strategy == "grid" and space is not None:
        grid_size = SearchSpace.from_dict(space, grid_points=grid_points).grid_size()
    trials = c[0].number_input(
        "Trials",
        min_value=1,
        max_value=100_000,
        value=min(grid_size or 30, 100_000),
        key=f"search_trials_{strategy}",
        help="For grid search, the grid size by default.",
    )
    timeout = c[1].number_input("Timeout (s, 0 = none)", min_value=0, value=0, step=30, key="search_timeout")
    patience = c[2].number_input(
        "Patience (trials, 0 = none)",
        min_value=0,
        value=0,
        key="search_patience",
        help="Stop after this many trials without improvement.",
    )
    target = c[3].text_input(
        "Target score (empty = none)",
        value="",
        key="search_target",
        help="Stop once the best score reaches this (in the scorer's units: neg_* are negative).",
    )
    target_score = None
    if target.strip():
        try:
            target_score = float(target)
        except ValueError:
            st.error(f"The target score must be a number, got {target!r}.")
    return {
        "n_trials": int(trials),
        "timeout": float(timeout) or None,
        "patience": int(patience) or None,
        "target_score": target_score,
        "grid_size": grid_size,
    }


def evaluation_inputs(family_gpu: bool) -> dict[str, Any]:
    c = st.columns(5)
    cv = c[0].number_input("CV folds", min_value=2, max_value=20, value=5, key="search_cv")
    test_pct = c[1].slider(
        "Held-out test (% of rows)",
        0,
        50,
        0,
        5,
        format="%d%%",
        key="search_test_size",
        help="Rows kept aside; the best model is refit and scored on them at the end.",
    )
    cores = os.cpu_count() or 1
    workers = c[2].number_input(
        "Parallel trials",
        min_value=1,
        max_value=max(1, cores * 2),
        value=min(2, cores),
        key="search_workers",
        help=f"{cores} CPU cores; model threads = cores / workers.",
    )
    seed = c[3].number_input("Seed", min_value=0, value=0, key="search_seed")
    usable, reason = cuda_status() if family_gpu else (False, "This model runs on the CPU only.")
    options = ["cpu", "cuda"] if usable else ["cpu", "cuda (unavailable)"]
    device = c[4].selectbox(
        "Device", options, key="search_device", help=("GPU usable: " if usable else "GPU unavailable: ") + reason
    )
    if device == "cuda (unavailable)":
        st.warning(f"The GPU cannot be used: {reason} The search will run on the CPU.", icon=":material/memory:")
        device = "cpu"
    where = run_on_inputs(device=device, workers=int(workers))  # executor + scheduler
    return {
        "cv": int(cv),
        "test_size": test_pct / 100,
        "workers": int(workers),
        "seed": int(seed),
        "device": device,
    } | where


def cost_preview(config: StudyConfig, grid_size: int | None, mean_trial_s: float | None) -> str:
    n = config.n_trials or grid_size or 0
    fits = n * config.cv
    text = f"{n} trials × {config.cv} folds = **{fits:,} fits**"
    if grid_size is not None:
        text += f" (grid of {grid_size:,} combinations)"
    if mean_trial_s:
        eta = mean_trial_s * n / max(1, config.workers)
        text += f"; about {eta / 60:.1f} min at the last study's pace"
    return text


def profile_classes(profile: DatasetProfile) -> int | None:
    return len(profile.class_counts) if profile.class_counts else None
