"""The Search page's time estimate: one probe when the user asks ("Estimate time"), then words that follow
every later change of the budget without probing again.

The probe (tuning/estimate.py) depends on the data, the model, the space, the folds, the rows kept aside,
the workers and where trials run; it is cached per those (``st.cache_data``) and remembered for the
session, so a widget change redraws the estimate from the remembered measurement at once.
"""

from __future__ import annotations

import json

import streamlit as st

from tuning.config import StudyConfig, resolve_config
from tuning.data import prepare_xy
from tuning.estimate import Estimate, Probe, duration_words, predict, probe
from tuning.study import read_table, split_rows
from ui.state import dataset_profile, get_store, show_error
from ui.text import esc

_PROBES = "_search_probes"  # session key: probe key -> Probe


def probe_key(config: StudyConfig) -> str:
    """What a probe's measurement depends on (the trials, strategy, pruner and stop rules do not change it)."""
    parts = {
        k: getattr(config, k)
        for k in ("dataset_id", "target", "task", "model", "space", "grid_points", "cv", "test_size", "seed")
    }
    parts |= {k: getattr(config, k) for k in ("workers", "device", "executor", "early_stopping_rounds")}
    return json.dumps(parts, sort_keys=True, default=str)


@st.cache_data(max_entries=32, show_spinner="Timing one small fit on your data (a few seconds at most)…")
def _probe(db: str, key: str, _config: StudyConfig) -> Probe:
    """The probe of a config, cached by ``key`` (what it depends on: other budget settings share the entry)."""
    config = _config
    store = get_store()
    table = read_table(store, config.dataset_id, target=config.target, task=config.task)
    resolved = resolve_config(config, table.profile)
    data = split_rows(
        prepare_xy(table.frame, table.profile), resolved, task=resolved.task.value if resolved.task else ""
    )
    return probe(resolved, data)


def current_estimate(config: StudyConfig, db: str) -> Estimate | None:
    """The estimate of ``config`` from this session's probe of it, or None before one was asked for."""
    measured = st.session_state.get(_PROBES, {}).get(probe_key(config))
    if measured is None:
        return None
    profile = dataset_profile(db, config.dataset_id, config.target, config.task)
    return predict(resolve_config(config, profile), measured)


def estimate_panel(config: StudyConfig, db: str) -> Estimate | None:
    """A button "Estimate time" and, once it was pressed for this data, model and space, the estimate in words.

    Never raises: a config the search would refuse shows its plain message (Start would show the same)."""
    key = probe_key(config)
    c1, c2 = st.columns([1, 4], vertical_alignment="center")
    asked = c1.button(
        "Estimate time",
        key="search_estimate",
        icon=":material/timer:",
        help="Times one small fit of this model on your data (a few seconds at most) and works out the search.",
    )
    try:
        if asked:
            measured = _probe(db, key, config)
            st.session_state.setdefault(_PROBES, {})[key] = measured
        est = current_estimate(config, db)
    except Exception as exc:  # a user's mistake in its words; a bug in the estimate must not take the page down
        with c2:
            show_error(exc)
        return None
    if est is None:
        c2.caption("How long will it take? One small timed fit tells.")
        return None
    per = f"{est.per_trial_s:.1f} s" if est.per_trial_s < 10 else duration_words(est.per_trial_s)
    text = f"**Time:** {esc(est.words())}; {per} a trial."
    if est.assumed:
        text += "  \n" + esc("Assumes " + "; ".join(est.assumed) + ".")
    c2.markdown(text)
    return est
