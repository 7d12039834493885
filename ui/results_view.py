"""Rendering helpers for the Results page: the study list, chart tabs, trial detail and exports."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from tuning import charts
from tuning.analysis import diagnose, display_metric_name, display_score
from tuning.baseline import baseline_label
from tuning.config import ResolvedConfig
from tuning.errors import TuningError
from tuning.export import best_params_json, export_model, standalone_script, trials_csv
from tuning.models import get_model
from tuning.store import Store, TrialState
from tuning.study import list_studies
from ui.search_form import STRATEGY_LABELS
from ui.state import get_store
from ui.text import esc, local_time, mixed_as_text


def studies_table(store: Store) -> pd.DataFrame:
    rows = []
    names = {d["id"]: d["name"] for d in store.list_datasets()}
    for study in list_studies(store):
        s, summ = study.record, study.summary()
        metric = summ.metric
        rows.append(
            {
                "id": s.id,
                "name": s.name,
                "state": s.state.value,
                "dataset": names.get(s.dataset_id, s.dataset_id),
                "model": _model_label(summ.model),
                "strategy": STRATEGY_LABELS.get(summ.strategy, summ.strategy),
                "metric": display_metric_name(metric),
                "best": display_score(metric, summ.best_score),
                "trials": summ.n_trials,
                "started": local_time(s.created),
            }
        )
    return pd.DataFrame(rows)


def _model_label(name: str | None) -> str:
    try:
        return get_model(name or "").label
    except Exception:  # a model this version does not know: its stored name
        return str(name)


def render_diagnosis(frame: pd.DataFrame, cfg: ResolvedConfig, store: Store, study_id: int) -> None:
    family = get_model(cfg.model)
    regularizers = [k for k, d in family.params.items() if d.regularizes]
    args = dict(metric=cfg.metric or "", regularizers=regularizers, n_folds=cfg.cv)
    findings = diagnose(frame, cfg.search_space(), **args)
    if any(f.kind == "underfitting" for f in findings):
        # A "low" verdict quotes the no-skill baseline; computed only then (it refits a constant model per fold).
        try:
            base = _baseline(store.path, study_id, cfg)
        except Exception:  # the verdict stands without its reference rather than failing the page
            base = None
        findings = diagnose(frame, cfg.search_space(), **args, baseline=base, baseline_label=baseline_label(cfg.task))
    if not findings:
        st.success("No warning signs: no large train/validation gap, no optimum at the edge of a range.")
    for f in findings:
        knobs = f" Knobs: {', '.join(esc(k) for k in f.knobs)}." if f.knobs else ""
        (st.warning if f.kind in ("overfitting", "underfitting", "edge", "failures") else st.info)(
            f"**{f.kind.capitalize()}** — {esc(f.message)}{knobs}"
        )


@st.cache_data(max_entries=32, show_spinner="Scoring the no-skill baseline...")
def _baseline(db: str, study_id: int, _cfg: ResolvedConfig) -> float | None:
    from tuning.baseline import study_baseline

    return study_baseline(get_store(), _cfg)


def render_charts(frame: pd.DataFrame, cfg: ResolvedConfig, store: Store, study_id: int) -> None:
    metric = cfg.metric or ""
    space = cfg.search_space()
    searched = [p.name for p in space.searched]
    n_pruned = int((frame["state"] == TrialState.PRUNED.value).sum()) if not frame.empty else 0
    show_pruned = True
    if n_pruned:
        show_pruned = st.toggle(
            f"Show pruned trials ({n_pruned} cut early)",
            value=True,
            key="res_show_pruned",
            help="Pruned trials were scored at a smaller budget (fewer boosting rounds or rows) before being cut.",
        )
    if not show_pruned:
        frame = frame[frame["state"] != TrialState.PRUNED.value]
    # importance lives in the trade-offs section (three methods, slow ones in the background)
    tabs = st.tabs(["History", "Parameters", "Overfitting", "Distribution & timeline"])
    with tabs[0]:
        by_time = st.toggle("x axis: time", key="res_hist_time")
        st.plotly_chart(
            charts.plot_history(
                frame, metric=metric, x="time" if by_time else "number", show_pruned=show_pruned, n_folds=cfg.cv
            ),
            key="res_hist",
        )
    with tabs[1]:
        top = st.slider("Show the best % of trials", 5, 100, 100, 5, key="res_top") / 100
        st.plotly_chart(
            charts.plot_parallel_coordinates(frame, space, metric=metric, top_fraction=top), key="res_parallel"
        )
        st.plotly_chart(charts.plot_slices(frame, space, metric=metric), key="res_slices")
        if len(searched) >= 2:
            c1, c2 = st.columns(2)
            xp = c1.selectbox("Contour x", searched, index=0, key="res_cx")
            yp = c2.selectbox("Contour y", searched, index=1, key="res_cy")
            if xp != yp:
                st.plotly_chart(charts.plot_contour(frame, space, xp, yp, metric=metric), key="res_contour")
    with tabs[2]:
        st.plotly_chart(charts.plot_train_vs_validation(frame, metric=metric), key="res_gap")
        st.caption(
            "Each point is a trial. The further below the diagonal, the larger the train-validation gap: overfitting."
        )
        if get_model(cfg.model).curves:
            ok = frame[frame["state"] == TrialState.COMPLETE].sort_values("mean_test_score", ascending=False)
            picks = st.multiselect(
                "Learning curves of trials",
                ok["number"].tolist(),
                default=ok["number"].head(3).tolist(),
                key="res_curve_trials",
            )
            trials = [store.get_trial(study_id, int(n)) for n in picks[:8]]
            st.plotly_chart(charts.plot_learning_curves(trials), key="res_curves")
    with tabs[3]:
        st.plotly_chart(charts.plot_score_distribution(frame, metric=metric), key="res_dist")
        st.plotly_chart(charts.plot_timeline(frame), key="res_timeline")


def trials_table(frame: pd.DataFrame, cfg: ResolvedConfig) -> int | None:
    """The trial table with a state filter; returns the number of the selected trial."""
    metric = cfg.metric or ""
    present = set(frame["state"]) if not frame.empty else set()
    options = ["complete", "pruned", "failed", "running"]
    states = st.multiselect(
        "States",
        options,
        default=[o for o in options if o in present or o in ("complete", "failed")],
        key="res_states",
    )
    view = frame[frame["state"].isin(states)]
    cols = ["number", "state", *[c for c in view.columns if c.startswith("param_")]]
    shown = view[cols].copy()
    shown[f"validation {display_metric_name(metric)}"] = [display_score(metric, v) for v in view["mean_test_score"]]
    shown[f"train {display_metric_name(metric)}"] = [display_score(metric, v) for v in view["mean_train_score"]]
    shown["std"] = view["std_test_score"].to_numpy()
    if "rung" in view.columns and (view["rung"].notna().any() or view["budget"].notna().any()):
        # multi-fidelity search: how far each trial got (boosting rounds or rows) and at which rung it stopped
        shown["budget"] = view["budget"].to_numpy()
        shown["rung"] = view["rung"].to_numpy()
    shown["fit time (s)"] = view["mean_fit_time"].to_numpy()
    shown["rank"] = view["rank_test_score"].to_numpy()
    shown["why it stopped" if "note" in view.columns and view["note"].notna().any() else "error"] = [
        n if isinstance(n, str) and n else e
        for n, e in zip(view.get("note", view["error"]), view["error"], strict=True)
    ]
    shown.columns = [c.removeprefix("param_") for c in shown.columns]
    column_config = {
        "state": st.column_config.TextColumn("state", width="small"),
        "budget": st.column_config.NumberColumn("budget", format="%d", help="boosting rounds or training rows"),
    }
    return select_trial(shown, key="res_trials", column_config=column_config)


def select_trial(shown: pd.DataFrame, *, key: str, column_config: dict[str, Any] | None = None) -> int | None:
    """``shown`` (one trial a row) as a table with single-row selection: the selected trial's number, or None."""
    event = st.dataframe(
        mixed_as_text(shown),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        height=320,
        column_config=column_config,
    )
    rows = event.selection.rows if event is not None else []
    return int(shown.iloc[rows[0]]["number"]) if rows else None


def render_trial(store: Store, study_id: int, number: int, cfg: ResolvedConfig) -> None:
    t = store.get_trial(study_id, number)
    st.markdown(f"#### Trial #{t.number} · {t.state.value}")
    if t.state is TrialState.PRUNED:
        st.info(
            esc(t.note or "Cut early by the pruner.")
            + (f" Budget reached: {t.budget:,}" if t.budget else "")
            + (f", rung {t.rung}." if t.rung is not None else "."),
            icon=":material/content_cut:",
        )
    elif t.note:
        st.caption(esc(t.note))
    if t.error:
        st.error(esc(t.error))
    st.markdown(
        "Parameters: "
        + esc(", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items()))
    )
    st.caption(f"{t.duration_s or 0:.2f} s; started {local_time(t.started, seconds=True)}")
    if t.fold_scores:
        folds = pd.DataFrame(
            {
                f"validation {display_metric_name(m)}": [display_score(m, v) for v in vals]
                for m, vals in t.fold_scores.items()
            }
        )
        folds.index = [f"fold {i + 1}" for i in range(len(folds))]
        st.dataframe(folds, key=f"res_folds_{number}")
    if t.curves:
        st.plotly_chart(charts.plot_learning_curves([t]), key=f"res_trial_curve_{number}")
    if t.state is TrialState.COMPLETE and st.button(
        "Feature importance of this trial (refit, scored on held-out folds)", key=f"res_refit_{number}"
    ):
        with st.spinner("Refitting on each fold and shuffling features on its validation rows..."):
            _feature_importance(store, study_id, cfg, t.params)


def _feature_importance(store: Store, study_id: int, cfg: ResolvedConfig, params: dict) -> None:
    from sklearn.inspection import permutation_importance

    from tuning.study import load_study_data, make_context

    data = load_study_data(store, cfg)
    ctx = make_context(cfg, data, n_jobs=1)
    # Fit on each training fold and shuffle features on that fold's validation rows: importance for rows the
    # model has not seen (on its own training rows an overfit model would credit features with memorized noise).
    per_fold = []
    for tr, va in ctx.folds:
        pipe = ctx.pipeline(params).fit(ctx.X.iloc[tr], ctx.y[tr])
        imp = permutation_importance(
            pipe, ctx.X.iloc[va], ctx.y[va], scoring=metric_or_none(cfg), n_repeats=3, random_state=0
        )
        per_fold.append(imp.importances_mean)
    mean = np.mean(per_fold, axis=0)
    df = pd.DataFrame({"feature": ctx.X.columns, "importance": mean}).sort_values("importance")
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=df["importance"], y=df["feature"], orientation="h", marker_color="#ff7f0e"))
    fig.update_layout(
        template="plotly_white",
        title=f"Permutation importance on validation folds (mean of {len(per_fold)})",
        xaxis_title="importance",
        yaxis_title="feature",
        height=max(300, 18 * len(df)),
    )
    st.plotly_chart(fig, key="res_feature_importance")


def metric_or_none(cfg: ResolvedConfig) -> str | None:
    return cfg.metric or None


def render_export(store: Store, study_id: int) -> None:
    """Download buttons with their contents made when the page is drawn (cached per study version), and
    clicks that do not rerun the page.

    Deferred contents (a callable) break on two clicks close together: the first click's rerun drops the
    deferred file the second click asks for (``MediaFileStorageError: Deferred file ... not found``).
    """
    from ui.study_data import study_version

    version = study_version(store, study_id)
    row = st.container(horizontal=True)  # buttons sized to their labels, wrapping in a narrow window
    notes: list[str] = []

    def button(label: str, kind: str, file_name: str, mime: str, key: str) -> None:
        try:
            content = _export(store.path, study_id, version, kind)
        except TuningError as exc:  # e.g. a script for a study imported without its data
            notes.append(f"{label}: {exc.for_app()}")
            row.button(label, key=key, disabled=True)
            return
        row.download_button(label, content, file_name, mime, key=key, on_click="ignore")

    button("Trials (CSV)", "csv", f"study_{study_id}_trials.csv", "text/csv", "exp_csv")
    if store.best_trial(study_id) is None:
        st.caption("Best parameters, script and model come with the first complete trial.")
        return
    button("Best params (JSON)", "best", f"study_{study_id}_best.json", "application/json", "exp_best")
    button("Python script", "script", f"refit_study_{study_id}.py", "text/x-python", "exp_script")
    for note in notes:
        st.caption(esc(note))
    if row.button("Refit best model", key="exp_refit"):
        with st.spinner("Refitting the best model on all training rows..."):
            st.session_state[f"exp_models_{study_id}"] = export_model(store, study_id)
    for i, m in enumerate(st.session_state.get(f"exp_models_{study_id}", [])):
        st.download_button(
            f"Download {m.filename}", m.content, m.filename, m.mime, key=f"exp_model_{i}", on_click="ignore"
        )
        st.caption(esc(m.note))


@st.cache_data(max_entries=32, show_spinner=False)
def _export(db: str, study_id: int, version: tuple, kind: str) -> str:
    """One export's text, made once per study version (a finished study's never changes)."""
    store = get_store()
    if kind == "csv":
        return trials_csv(store, study_id)
    if kind == "best":
        return best_params_json(store, study_id)
    return standalone_script(store, study_id)
