"""Compare: several studies side by side (history, score distributions, best parameters)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tuning import charts
from tuning.analysis import display_metric_name, display_score
from tuning.models import get_model
from tuning.protocol import TrialState
from tuning.store import StudyRecord
from tuning.study import open_study
from ui.large_study import chart_sample
from ui.search_form import PRUNERS, STRATEGY_LABELS
from ui.state import current_study_id, get_store, selection
from ui.study_data import study_config, study_frame
from ui.text import esc, esc_html
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


def _parent_id(s: StudyRecord) -> int | None:
    parent = s.config.extra.get("parent")
    sid = parent.get("study_id") if isinstance(parent, dict) else None
    return int(sid) if isinstance(sid, int) else None


# Chart labels stay short (axis ticks and legends); the table below has the full names.
short = {sid: (name if len(name) <= 32 else name[:31] + "…") for sid, name in labels.items()}
metric_of = {s.id: s.config.metric for s in studies}
group_of = {s.id: (s.dataset_id, metric_of[s.id]) for s in studies}


studies_by_id = {s.id: s for s in studies}
parent_of = {s.id: int(s.config.extra["parent"]["study_id"]) for s in studies if _parent_id(s) is not None}


def default_pick() -> list[int]:
    """The chosen study and the one it came from (a next study: continue, refine, expand, seed); else the
    latest studies that share a dataset and a metric (scores compare only then): the newest such group with
    two or more studies, up to four of them; else the two newest studies."""
    chosen = current_study_id()
    if chosen in parent_of and parent_of[chosen] in labels:
        return [parent_of[chosen], chosen]
    for s in reversed(studies):
        same = [t.id for t in studies if group_of[t.id] == group_of[s.id]]
        if len(same) >= 2:
            return same[-4:]
    return [s.id for s in studies[-2:]]


picked = st.multiselect(
    "Studies",
    list(labels),
    default=default_pick(),
    format_func=lambda sid: labels[sid],
    key="cmp_studies",
    help="By default, the latest studies on one dataset with one metric.",
)
if len(picked) < 2:
    st.info("Pick two or more studies.")
    st.stop()
for sid in picked:
    if parent_of.get(sid) in picked:
        mode = studies_by_id[sid].config.extra["parent"].get("mode", "next study")
        st.caption(f"#{sid} is a {esc(str(mode))} of #{parent_of[sid]}.")

# The charts draw one metric: the first picked study's. Studies with another metric are named, not hidden.
metric = metric_of[picked[0]]
same_metric = [sid for sid in picked if metric_of[sid] == metric]
other_metric = [sid for sid in picked if metric_of[sid] != metric]
if other_metric:
    st.warning(
        f"The charts compare {esc(display_metric_name(metric))}; left out of both charts (another metric): "
        + "; ".join(f"{esc(labels[sid])} ({esc(display_metric_name(metric_of[sid]))})" for sid in other_metric)
        + ". They stay in the table below.",
        icon=":material/info:",
    )
datasets = {group_of[sid][0] for sid in same_metric}
if len(datasets) > 1:
    st.info(
        "These studies use different datasets: their scores are on different data, so only the shapes compare.",
        icon=":material/info:",
    )
frames = {esc_html(short[sid]): study_frame(sid) for sid in same_metric}
n_pruned = sum(int((f["state"] == TrialState.PRUNED).sum()) for f in frames.values() if not f.empty)
show_pruned = n_pruned > 0 and st.toggle(
    f"Show pruned trials ({n_pruned} cut early)", value=True, key="cmp_show_pruned"
)
info = charts._get_compare_info(frames, metric=metric)
if info.left_out:
    left = [labels[sid] for sid in same_metric if esc_html(short[sid]) in info.left_out]
    st.caption("Left out of both charts (no complete trial yet): " + "; ".join(esc(n) for n in left) + ".")
drawn = {k: chart_sample(v) for k, v in frames.items()}  # large studies: a sample, said so under the charts
st.plotly_chart(charts.plot_compare_history(drawn, metric=metric), key="cmp_history")
st.plotly_chart(charts.plot_compare_distributions(drawn, metric=metric, show_pruned=show_pruned), key="cmp_dist")
render_compare_tradeoff(
    frames, metric=metric, n_folds={esc_html(short[sid]): study_config(sid).cv for sid in same_metric}
)

rows = []
for sid in picked:
    s = open_study(store, sid).summary()
    m = s.metric
    cfg = study_config(sid)
    counts = store.trial_counts(sid)
    rungs = study_frame(sid)["rung"].dropna() if counts else pd.Series(dtype=float)
    rows.append(
        {
            "study": labels[sid],
            "from": f"{esc(str(cfg.extra['parent'].get('mode', 'next')))} of #{parent_of[sid]}"
            if sid in parent_of
            else "",
            "state": s.state.value,
            "model": get_model(s.model).label if s.model else "",
            "strategy": STRATEGY_LABELS.get(s.strategy, s.strategy),
            "early cut": PRUNERS.get(cfg.pruner, cfg.pruner) if cfg.pruner != "none" else "",
            "metric": display_metric_name(m),
            "best": display_score(m, s.best_score),
            "trials": s.n_trials,
            "pruned": counts.get(TrialState.PRUNED.value, 0),
            "rungs": int(rungs.max()) + 1 if len(rungs) else None,
            "duration (s)": s.duration_s,
            **{f"param {k}": v for k, v in (s.best_params or {}).items()},
        }
    )
st.markdown("**Best parameters**")
table = pd.DataFrame(rows)
if not table["pruned"].any():
    table = table.drop(columns=["pruned", "rungs", "early cut"])
# Parameter columns mix types across models (numbers, strings, lists): show them as text, keep scores numeric.
for col in [c for c in table.columns if c.startswith("param ")]:
    table[col] = table[col].map(lambda v: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v))
st.dataframe(
    table,
    hide_index=True,
    key="cmp_best",
    column_config={
        c: st.column_config.NumberColumn(c, format="%.4g") for c in table.columns if c in ("best", "duration (s)")
    },
)
