"""The live view of a running study: progress, best so far, ETA, running trials, history, Stop."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from tuning.analysis import display_metric_name, display_score
from tuning.charts import plot_history
from tuning.estimate import eta_seconds, eta_words
from tuning.models import get_model
from tuning.store import StudyState, TrialState
from tuning.study import open_study
from ui.layout import metric_row
from ui.search_form import PRUNERS, STRATEGY_LABELS, metric_label
from ui.state import get_registry, get_store, show_error
from ui.study_data import study_frame
from ui.text import esc


def _elapsed(started: str | None, now: datetime) -> float:
    """Seconds since a running trial's ISO start (0 when unknown)."""
    try:
        return max(0.0, (now - datetime.fromisoformat(started)).total_seconds()) if started else 0.0
    except (TypeError, ValueError):  # an unreadable or zone-less time from an older store
        return 0.0


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def render_live(study_id: int) -> None:
    store = get_store()
    running = store.get_study(study_id).state is StudyState.RUNNING

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        handle = open_study(store, study_id)
        study, summary, cfg = handle.record, handle.summary(), handle.config
        metric = cfg.metric
        total = cfg.n_trials
        done = summary.n_trials
        is_running = study.state is StudyState.RUNNING
        head, act = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"#### Study {study_id}: {esc(study.name)} · {study.state.value}")
        registry = get_registry()
        with act:
            if is_running:
                if registry.get(store, study_id) is not None:
                    if st.button("Stop", key=f"stop_{study_id}", type="primary", icon=":material/stop_circle:"):
                        registry.stop(store, study_id, wait=True)
                        st.rerun()
                elif store.runs_here(study_id):
                    # its runner lived in this server and is gone (it crashed): recover it, offer Resume
                    store.mark_interrupted(study_id)
                    st.rerun()
            elif study.state in (StudyState.STOPPED, StudyState.INTERRUPTED):
                if st.button("Resume", key=f"resume_{study_id}", icon=":material/play_circle:"):
                    from tuning.runner import resume

                    try:
                        registry.add(resume(store, study_id))
                    except Exception as exc:
                        show_error(exc)
                    else:
                        st.rerun()
        early = PRUNERS.get(cfg.pruner, cfg.pruner) if cfg.pruner and cfg.pruner != "none" else None
        st.caption(
            f"{esc(get_model(cfg.model).label)} · {STRATEGY_LABELS.get(cfg.strategy, cfg.strategy)} · "
            f"{cfg.cv}-fold CV · {esc(metric_label(metric))} · {cfg.workers} parallel trial(s) on {cfg.device}"
            + (f" · {cfg.test_size:.0%} held out for a final test" if cfg.test_size else "")
            + (f" · early cut: {early}" if early else "")
        )
        if is_running and registry.get(store, study_id) is None and not store.runs_here(study_id):
            st.caption("Running in another process (the CLI): stop it there with Ctrl-C.")
        n_pruned = summary.n_pruned
        st.progress(
            min(1.0, done / total) if total else 0.0,
            text=f"{done} / {total or '?'} trials" + (f" ({n_pruned} cut early)" if n_pruned else ""),
        )
        best = display_score(metric, summary.best_score)
        cut = bool(early or n_pruned)
        finished = store.get_trials(study_id, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED))
        durations = [t.duration_s for t in sorted(finished, key=lambda t: t.finished or "") if t.duration_s]
        now = store.get_trials(study_id, states=(TrialState.RUNNING,)) if summary.n_running else []
        clock = datetime.now(UTC)
        left = eta_seconds(
            (total or 0) - done, durations, workers=cfg.workers, running=[_elapsed(t.started, clock) for t in now]
        )
        metric_row(
            [
                (f"Best {display_metric_name(metric)}", "-" if best is None else f"{best:.4g}"),
                ("Complete", summary.n_complete),
                ("Pruned / failed" if cut else "Failed", (f"{n_pruned} / " if cut else "") + str(summary.n_failed)),
                ("Running now", summary.n_running),
                ("Time left", eta_words(left) if is_running and total else "-"),
            ],
            width=120,
        )
        if study.error:
            st.error(esc(study.error))
        # the chart right under the numbers: at 1280x800 it was below the fold, under the parameter lines
        frame = study_frame(study_id)
        st.plotly_chart(plot_history(frame, metric=metric, height=340, n_folds=cfg.cv), key=f"live_history_{study_id}")
        if now:
            st.caption(
                "Running now: "
                + "; ".join(
                    f"#{t.number}"
                    + (f" (rung {t.rung}, budget {t.budget:,})" if t.rung is not None and t.budget else "")
                    + " "
                    + esc(_params(t.params))
                    for t in now
                )
            )
        if summary.best_params:
            label = "Best parameters so far" if is_running else "Best parameters"
            st.caption(f"{label}: {esc(_params(summary.best_params))}")
        if not is_running and running:
            st.rerun()  # the study just ended: redraw the page without the timer

    panel()
