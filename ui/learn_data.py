"""The data a Learn view runs on: a bundled sample or the dataset chosen on the Data page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from tuning.data import parse_table, prepare_xy
from tuning.profile import profile_table
from ui.jobs import call_key, compute
from ui.state import SAMPLES, db_path, load_dataset, sample_catalog, selection

MAX_ROWS = 2000  # lessons refit many models: larger tables are subsampled (stratified by seed)


@dataclass(frozen=True)
class LessonData:
    label: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    classes: tuple[str, ...] | None


@st.cache_data(max_entries=16, show_spinner=False)
def _sample(file: str, target: str) -> LessonData:
    df = parse_table((SAMPLES / file).read_bytes(), name=file)
    return _prepare(file, df, target, None)


@st.cache_data(max_entries=8, show_spinner=False)
def _stored(db: str, dataset_id: str, target: str, task: str | None) -> LessonData:
    name, df = load_dataset(db, dataset_id)
    return _prepare(name, df, target, task)


def _prepare(label: str, df: pd.DataFrame, target: str, task: str | None) -> LessonData:
    p = profile_table(df, target=target, task=task)
    d = prepare_xy(df, p)
    X, y = d.X, d.y
    if len(y) > MAX_ROWS:
        idx = np.sort(np.random.default_rng(0).choice(len(y), MAX_ROWS, replace=False))
        X, y = X.iloc[idx].reset_index(drop=True), y[idx]
        label += f" (random {MAX_ROWS} of {len(d.y)} rows)"
    return LessonData(label, X, y, p.task or "classification", d.classes)


def pick_data(key: str, *, default_file: str, task: str | None = None) -> LessonData | None:
    """A selectbox of the samples (optionally of one task) plus the dataset chosen on the Data page."""
    catalog = [e for e in sample_catalog() if task is None or e["task"] == task]
    options = [e["file"] for e in catalog]
    sel = selection()
    if sel["dataset"] and sel["target"]:
        options.append("__current__")
    labels = {e["file"]: e["name"] for e in catalog} | {"__current__": "Your dataset (chosen on the Data page)"}
    idx = options.index(default_file) if default_file in options else 0
    choice = st.selectbox("Data", options, index=idx, format_func=labels.get, key=key)
    try:
        if choice == "__current__":
            data = _stored(db_path(), sel["dataset"], sel["target"], sel["task"])
            if task is not None and data.task != task:
                st.warning(f"This view needs a {task} target; your dataset's task is {data.task}.")
                return None
            return data
        entry = next(e for e in catalog if e["file"] == choice)
        return _sample(entry["file"], entry["target"])
    except Exception as exc:
        from ui.state import show_error

        show_error(exc)
        return None


def compute_on(data: LessonData, fn: Callable[..., Any], *, label: str, **kwargs: Any) -> Any | None:
    """:func:`ui.jobs.compute` of ``fn(X=, y=, task=, **kwargs)`` on ``data``, keyed by the function, the data's
    label and ``kwargs`` (:func:`ui.jobs.call_key`)."""
    key = call_key(fn, data.label, **kwargs)
    return compute(key, fn, label=label, X=data.X, y=data.y, task=data.task, **kwargs)
