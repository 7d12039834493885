"""Process-wide resources (store, running-study registry) and the selection kept in the URL.

The dataset, target, task and study live in ``st.query_params`` so a browser reload finds them again;
everything else a page shows is read from the store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from tuning.data import parse_table
from tuning.errors import TuningError
from tuning.profile import DatasetProfile, profile_table
from tuning.runner import StudyRegistry, registry
from tuning.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"


def db_path() -> str:
    return os.environ.get("TUNING_DB", str(ROOT / "tuning.db"))


@st.cache_resource
def _store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    return _store(db_path())


@st.cache_resource
def get_registry() -> StudyRegistry:
    return registry()


@st.cache_data
def sample_catalog() -> list[dict[str, Any]]:
    return json.loads((SAMPLES / "catalog.json").read_text(encoding="utf-8"))


def load_dataset(db: str, dataset_id: str) -> tuple[str, pd.DataFrame]:
    """The stored table, parsed once per process; asked of the store first, so a dataset deleted elsewhere
    (another visitor, the CLI) is gone here too instead of living on in the cache (``?dataset=<id>``)."""
    _require_dataset(db, dataset_id)
    return _parsed_dataset(db, dataset_id)


def dataset_profile(db: str, dataset_id: str, target: str | None, task: str | None) -> DatasetProfile:
    _require_dataset(db, dataset_id)
    return _profile(db, dataset_id, target, task)


def forget_datasets() -> None:
    """Drop every cached table and profile (after a deletion: its rows must not stay in this process)."""
    _parsed_dataset.clear()
    _profile.clear()


def _require_dataset(db: str, dataset_id: str) -> None:
    if not _store(db).has_dataset(dataset_id):
        forget_datasets()
        _store(db).dataset_content(dataset_id)  # raises the store's plain "not in the store" message


@st.cache_data(max_entries=8, show_spinner=False)
def _parsed_dataset(db: str, dataset_id: str) -> tuple[str, pd.DataFrame]:
    name, content = _store(db).dataset_content(dataset_id)
    return name, parse_table(content, name=name)


@st.cache_data(max_entries=32, show_spinner=False)
def _profile(db: str, dataset_id: str, target: str | None, task: str | None) -> DatasetProfile:
    _, df = _parsed_dataset(db, dataset_id)
    return profile_table(df, target=target, task=task)


_SEL_KEYS = ("dataset", "target", "task", "study")


def selection() -> dict[str, str | None]:
    """The current dataset/target/task/study: kept in the session (page switches) and mirrored in the URL
    (browser reloads). Call once at the top of each page."""
    sel = st.session_state.setdefault("_selection", {})
    for k in _SEL_KEYS:
        v = st.query_params.get(k)
        if v is not None:
            sel[k] = v
    for k in _SEL_KEYS:
        if sel.get(k) is not None and st.query_params.get(k) != sel[k]:
            st.query_params[k] = sel[k]
    return {k: sel.get(k) for k in _SEL_KEYS}


def set_selection(**values: Any) -> None:
    sel = st.session_state.setdefault("_selection", {})
    for k, v in values.items():
        if v is None:
            sel.pop(k, None)
            st.query_params.pop(k, None)
        else:
            sel[k] = str(v)
            st.query_params[k] = str(v)


def current_study_id() -> int | None:
    raw = selection().get("study")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def show_error(exc: Exception) -> None:
    """A user's mistake as a plain message; anything else as a short internal-error line."""
    from ui.text import esc

    if isinstance(exc, TuningError):
        # The app's wording of the fix (its controls, not the CLI's flags); user strings inside stay literal.
        st.error(esc(exc.for_app()), icon=":material/error:")
    else:
        st.error(esc(f"Something went wrong inside the app: {type(exc).__name__}: {exc}"), icon=":material/bug_report:")
