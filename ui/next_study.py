"""The Results page's "Next study from this one": pick a mode, read the space diff, start it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tuning.iterate import Mode, Proposal, propose
from tuning.runner import start
from tuning.store import Store
from ui.search_form import PRUNERS, STRATEGY_LABELS
from ui.state import set_selection, show_error
from ui.text import esc

SAME = "same as this study"


def _diff_frame(p: Proposal) -> pd.DataFrame:
    return pd.DataFrame(
        [{"parameter": c.param, "before": c.before, "after": c.after, "why": c.why} for c in p.changes],
        columns=["parameter", "before", "after", "why"],
    )


def render_next_study(store: Store, study_id: int, *, n_complete: int, running: bool) -> None:
    """A toggle opens the planner (nothing is computed until then); the proposal shows before Start."""
    st.markdown("### Next study")
    if not st.toggle(
        "Plan the next study from this one",
        key=f"next_open_{study_id}",
        help="Continue, refine, expand or seed a new study from this one's trials; the change to the space is "
        "shown before it starts.",
    ):
        return
    if n_complete == 0:
        st.info("This study has no complete trial yet: the next study learns from complete trials.")
        return
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    mode = (
        c1.radio("Mode", list(Mode), format_func=lambda m: m.label, horizontal=True, key=f"next_mode_{study_id}")
        or Mode.CONTINUE
    )
    c1.caption(mode.help)
    strategies = [SAME, *STRATEGY_LABELS]
    strategy = c2.selectbox(
        "Strategy", strategies, format_func=lambda s: STRATEGY_LABELS.get(s, s), key=f"next_strategy_{study_id}"
    )
    pruners = [SAME, *PRUNERS]
    pruner = c3.selectbox("Early cut", pruners, format_func=lambda s: PRUNERS.get(s, s), key=f"next_pruner_{study_id}")
    trials = c4.number_input("Trials", min_value=1, max_value=10_000, value=30, key=f"next_trials_{study_id}")
    try:
        proposal = propose(
            store,
            study_id,
            mode,
            strategy=None if strategy == SAME else strategy,
            pruner=None if pruner == SAME else pruner,
            n_trials=int(trials),
        )
    except Exception as exc:
        show_error(exc)
        return
    lines = proposal.lines()
    if proposal.changes:
        st.markdown("**The space, before and after**")
        st.dataframe(_diff_frame(proposal), hide_index=True, key=f"next_diff_{study_id}")
    else:
        st.caption("The space is unchanged.")
    for line in lines[1 + max(1, len(proposal.changes)) :]:  # the carried, left-out and seed lines
        st.markdown(f"- {esc(line)}")
    if st.button(
        "Start the next study",
        type="primary",
        key=f"next_start_{study_id}",
        icon=":material/play_arrow:",
        disabled=running,
        help="Stop this study first." if running else None,
    ):
        try:
            child = start(store, proposal.config)
        except Exception as exc:
            show_error(exc)
            return
        set_selection(study=child.study_id)
        st.switch_page("app_pages/search.py")
