"""Compare: several studies side by side (history, score distributions, best parameters)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tuning import charts
from tuning.analysis import display_metric_name, display_score
from ui.state import get_store, selection
from ui.study_data import study_config, study_frame
from ui.tradeoff_view import render_compare_tradeoff

st.title("Compare")
st.caption("Put studies side by side: grid vs random vs TPE on the same data, or L1 vs L2 settings.")
selection()
store = get_store()
studies = store.list_studies()
if len(studies) < 2:
    st.info("Run at least two studies to compare them.")
    st.stop()

labels = {s.id: f"#{s.id} {s.name}" for s in studies}
default = [s.id for s in studies[-3:]]
picked = st.multiselect("Studies", list(labels), default=default, format_func=labels.get, key="cmp_studies")
if len(picked) < 2:
    st.info("Pick two or more studies.")
    st.stop()

metrics = {sid: study_config(sid).metric or "" for sid in picked}
if len(set(metrics.values())) > 1:
    st.warning(
        "These studies use different metrics (" + ", ".join(sorted(set(metrics.values()))) + "); "
        "comparing their scores is only meaningful within one metric."
    )
metric = metrics[picked[0]]
frames = {labels[sid]: study_frame(sid) for sid in picked if metrics[sid] == metric}
st.plotly_chart(charts.plot_compare_history(frames, metric=metric), key="cmp_history")
st.plotly_chart(charts.plot_compare_distributions(frames, metric=metric), key="cmp_dist")
render_compare_tradeoff(frames, metric=metric, n_folds={labels[s]: study_config(s).cv for s in picked})

rows = []
for sid in picked:
    s = store.summary(sid)
    m = s["metric"] or ""
    rows.append(
        {
            "study": labels[sid],
            "state": s["state"],
            "model": s["model"],
            "strategy": s["strategy"],
            f"best {display_metric_name(m)}": display_score(m, s["best_score"]),
            "trials": s["n_trials"],
            "duration (s)": s["duration_s"],
            **{f"param {k}": v for k, v in (s["best_params"] or {}).items()},
        }
    )
st.markdown("**Best parameters**")
table = pd.DataFrame(rows)
# Parameter columns mix types across models (numbers, strings, lists): show them as text, keep scores numeric.
for col in [c for c in table.columns if c.startswith("param ")]:
    table[col] = table[col].map(lambda v: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v))
st.dataframe(
    table,
    hide_index=True,
    key="cmp_best",
    column_config={
        c: st.column_config.NumberColumn(c, format="%.4g")
        for c in table.columns
        if c.startswith("best ") or c == "duration (s)"
    },
)
