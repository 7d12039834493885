"""Trials as CSV (safe to open in a spreadsheet) and JSON; the best parameters as JSON."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from tuning.errors import StoreError
from tuning.store import Store
from tuning.study import open_study

# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralize formula-like text in every text column (and in the header) of ``frame``."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).map(spreadsheet_safe)
    out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out


def trials_csv(store: Store, study_id: int) -> str:
    """The results frame (scikit-learn ``cv_results_`` names) as CSV, safe to open in a spreadsheet."""
    frame = open_study(store, study_id).frame()
    return safe_frame(frame).to_csv(index=False)


def trials_json(store: Store, study_id: int) -> str:
    study = open_study(store, study_id)
    trials = [t.to_summary() for t in study.trials()]
    return json.dumps({**study.summary().to_json(), "config": study.config.to_dict(), "trials": trials}, indent=2)


def best_params_json(store: Store, study_id: int) -> str:
    best = store.best_trial(study_id)
    if best is None:
        raise StoreError(f"Study {study_id} has no complete trial yet.")
    cfg = open_study(store, study_id).config
    return json.dumps(
        {
            "model": cfg.model,
            "task": cfg.task,
            "metric": cfg.metric,
            "score": best.score,
            "trial": best.number,
            "params": best.params,
        },
        indent=2,
    )
