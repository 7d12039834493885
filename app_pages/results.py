"""Results: every study in the store; for the chosen one, charts, diagnosis, trials and exports."""

from __future__ import annotations

import streamlit as st

from tuning.analysis import display_metric_name, display_score
from tuning.protocol import TrialState
from tuning.store import StudyState
from tuning.study import open_study
from ui.interop_view import render_import, render_interop_export
from ui.large_study import chart_sample, paged_trials_table
from ui.layout import metric_row
from ui.manage import delete_study_box, flash
from ui.next_study import render_next_study
from ui.results_view import render_charts, render_diagnosis, render_export, render_trial, studies_table
from ui.state import current_study_id, get_store, selection, set_selection, show_error
from ui.study_data import study_config, study_frame
from ui.text import esc
from ui.tradeoff_view import render_tradeoff_section

st.title("Results")
selection()
store = get_store()
flash()
table = studies_table(store)
render_import(store)
if table.empty:
    st.info("No study yet: start one on the Search page (or from the CLI with the same database).")
    st.page_link("app_pages/search.py", label="Go to Search", icon=":material/travel_explore:")
    st.stop()

event = st.dataframe(
    table,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="res_studies",
    height=min(300, 38 + 35 * len(table)),
    column_config={"best": st.column_config.NumberColumn("best", format="%.4g")},
)
picked = event.selection.rows if event is not None else []
study_id = int(table.iloc[picked[0]]["id"]) if picked else current_study_id()
if study_id is None or study_id not in set(table["id"]):
    study_id = int(table["id"].iloc[-1])
if study_id != current_study_id():
    set_selection(study=study_id)

try:
    cfg = study_config(study_id)
    frame = study_frame(study_id)
except Exception as exc:
    show_error(exc)
    st.stop()

summary = open_study(store, study_id).summary()
metric = cfg.metric
st.subheader(f"Study {study_id}: {esc(summary.name)}")
n_pruned = int((frame["state"] == TrialState.PRUNED).sum()) if not frame.empty else 0
best = display_score(metric, summary.best_score)
test = display_score(metric, summary.test_score)
metric_row(
    [
        ("State", summary.state.value, 170),
        (f"Best {display_metric_name(metric)}", "-" if best is None else f"{best:.4g}"),
        ("Held-out test", "-" if test is None else f"{test:.4g}"),
        ("Complete", summary.n_complete),
        (
            "Pruned / failed" if n_pruned else "Failed",
            (f"{n_pruned} / " if n_pruned else "") + str(summary.n_failed),
        ),
        ("Duration", f"{summary.duration_s:.0f} s"),
    ],
    width=120,
)
if summary.error:
    st.error(esc(summary.error))

render_diagnosis(frame, cfg, store, study_id)
render_next_study(store, study_id, n_complete=summary.n_complete, running=summary.state is StudyState.RUNNING)
render_charts(chart_sample(frame), cfg, store, study_id)
render_tradeoff_section(frame, cfg, study_id, db=store.path)

st.markdown("### Trials")
number = paged_trials_table(frame, cfg)
if number is None and not frame.empty:
    best_n = int(frame.loc[frame["mean_test_score"].idxmax(), "number"]) if summary.best_score is not None else 0
    number = int(
        st.number_input(
            f"Open trial number (or click a row above; the best is #{best_n})",
            min_value=0,
            max_value=int(frame["number"].max()),
            value=best_n,
            key="res_open_trial",
        )
    )
    if number not in set(frame["number"]):
        number = None
if number is not None:
    try:
        render_trial(store, study_id, number, cfg)
    except Exception as exc:
        show_error(exc)

st.markdown("### Export")
try:
    render_export(store, study_id)
    render_interop_export(store, study_id)
except Exception as exc:
    show_error(exc)
delete_study_box(study_id, summary.name)
