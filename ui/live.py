"""The live view of a running study: progress, best so far, ETA, running trials, history, Stop."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from tuning.analysis import display_metric_name, display_score
from tuning.charts import plot_history
from tuning.store import StudyState, TrialState
from ui.state import get_registry, get_store
from ui.study_data import study_config, study_frame


def _eta(done: int, total: int | None, elapsed: float) -> str:
    if not total or not done or done >= total:
        return "-"
    s = elapsed / done * (total - done)
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def render_live(study_id: int) -> None:
    store = get_store()
    running = store.get_study(study_id).state is StudyState.RUNNING

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        study = store.get_study(study_id)
        summary = store.summary(study_id)
        cfg = study_config(study_id)
        metric = cfg.metric or ""
        total = cfg.n_trials
        done = summary["n_trials"]
        elapsed = study.elapsed_s
        if study.state is StudyState.RUNNING:
            started = datetime.fromisoformat(study.created.replace("Z", "+00:00"))
            elapsed = max(elapsed, (datetime.now(UTC) - started).total_seconds()) if not elapsed else elapsed
        st.markdown(f"#### Study {study_id}: {study.name} — `{study.state.value}`")
        st.caption(
            f"{cfg.model} · {cfg.strategy} · {cfg.cv}-fold CV · {display_metric_name(metric)} · "
            f"{cfg.workers} parallel trial(s) on {cfg.device}"
            + (f" · {cfg.test_size:.0%} held out for a final test" if cfg.test_size else "")
        )
        st.progress(min(1.0, done / total) if total else 0.0, text=f"{done} / {total or '?'} trials")
        c = st.columns(5)
        best = display_score(metric, summary["best_score"])
        c[0].metric(f"Best {display_metric_name(metric)}", "-" if best is None else f"{best:.4g}")
        c[1].metric("Complete", summary["n_complete"])
        c[2].metric("Failed", summary["n_failed"])
        c[3].metric("Running now", summary["n_running"])
        c[4].metric("ETA", _eta(done, total, elapsed) if study.state is StudyState.RUNNING else "-")
        if study.error:
            st.error(study.error)
        registry = get_registry()
        if study.state is StudyState.RUNNING:
            if registry.get(store, study_id) is not None:
                if st.button("Stop", key=f"stop_{study_id}", type="primary", icon=":material/stop_circle:"):
                    registry.stop(store, study_id, wait=True)
                    st.rerun()
            elif store.runs_here(study_id):
                # its runner lived in this server and is gone (it crashed): recover it, offer Resume
                store.mark_interrupted(study_id)
                st.rerun()
            else:
                st.caption("Running in another process (CLI): stop it there with Ctrl-C.")
        elif study.state in (StudyState.STOPPED, StudyState.INTERRUPTED):
            if st.button("Resume", key=f"resume_{study_id}", icon=":material/play_circle:"):
                from tuning.runner import resume

                registry.add(resume(store, study_id))
                st.rerun()
        if summary["n_running"]:
            now = store.get_trials(study_id, states=(TrialState.RUNNING,))
            st.caption(
                "Running now: "
                + "; ".join(
                    f"#{t.number} "
                    + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items())
                    for t in now
                )
            )
        if summary["best_params"]:
            st.caption(
                "Best parameters so far: `"
                + ", ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary["best_params"].items()
                )
                + "`"
            )
        frame = study_frame(study_id)
        st.plotly_chart(plot_history(frame, metric=metric), key=f"live_history_{study_id}")
        if study.state is not StudyState.RUNNING and running:
            st.rerun()  # the study just ended: redraw the page without the timer

    panel()
