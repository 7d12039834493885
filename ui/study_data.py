"""Cached reads of a study from the store (invalidated as soon as a trial finishes)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tuning.analysis import results_frame
from tuning.config import ResolvedConfig
from tuning.protocol import TrialState
from tuning.store import Store
from tuning.study import open_study
from ui.state import get_store


def study_version(store: Store, study_id: int) -> tuple[int, str, float]:
    """Changes whenever a trial starts/finishes or the study changes state: the cache key."""
    counts = store.trial_counts(study_id)
    s = store.get_study(study_id)
    return (
        sum(counts.values()) * 1000 + counts.get(TrialState.COMPLETE.value, 0),
        s.state.value,
        s.elapsed_s if s.finished else 0.0,
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _frame(db: str, study_id: int, version: tuple) -> pd.DataFrame:
    study = open_study(get_store(), study_id)
    trials = study.trials()
    frame = results_frame(trials, metric=study.config.metric, param_names=study.config.space.names)
    return with_fidelity(frame, trials)


def with_fidelity(frame: pd.DataFrame, trials: list) -> pd.DataFrame:
    """Add ``budget``, ``rung`` and ``note`` (multi-fidelity search: how far each trial got and why it stopped)
    when the results frame does not carry them yet."""
    extra = {
        "budget": [t.budget for t in trials],
        "rung": [t.rung for t in trials],
        "note": [t.note for t in trials],
    }
    for name, values in extra.items():
        if name not in frame.columns:
            frame[name] = pd.array(values, dtype="Int64") if name != "note" else values
    return frame


def study_frame(study_id: int) -> pd.DataFrame:
    store = get_store()
    return _frame(store.path, study_id, study_version(store, study_id))


def study_config(study_id: int) -> ResolvedConfig:
    return open_study(get_store(), study_id).config
