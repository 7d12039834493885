"""Search: pick a model, metric, strategy, budget and search space; start, watch and stop a study."""

from __future__ import annotations

import streamlit as st

from tuning.config import StudyConfig
from tuning.models import get_model
from tuning.runner import start
from ui.estimate_view import estimate_panel
from ui.live import render_live
from ui.search_form import (
    budget_fix_buttons,
    budget_inputs,
    cheap_start_input,
    cost_preview,
    evaluation_inputs,
    grid_confirmation,
    metric_picker,
    model_picker,
    profile_classes,
    run_options,
    space_editor,
    strategy_picker,
    study_name,
)
from ui.state import (
    current_study_id,
    dataset_profile,
    db_path,
    get_store,
    load_dataset,
    selection,
    set_selection,
    show_error,
)
from ui.text import esc

st.title("Search")
sel = selection()
store = get_store()
linked_id = current_study_id()
if (sel["dataset"] is None or sel["target"] is None) and linked_id is not None:
    # A link to a study (?study=N) alone: take its dataset, target and task, so the study shows at once.
    try:
        linked = store.get_study(linked_id)
        set_selection(dataset=linked.dataset_id, target=linked.config.target, task=linked.config.task)
        sel = selection()
    except Exception:  # an unknown study id: the page says what to choose instead
        pass
if sel["dataset"] is None or sel["target"] is None:
    st.info("Choose a dataset and a target first.", icon=":material/info:")
    st.page_link("app_pages/data.py", label="Go to Data", icon=":material/table:")
    st.stop()
try:
    profile = dataset_profile(db_path(), sel["dataset"], sel["target"], sel["task"])
except Exception as exc:
    show_error(exc)
    st.stop()

task = profile.task or "classification"
st.caption(f"Predicting **{esc(profile.target)}** ({task}, {profile.n_rows:,} rows, {len(profile.features)} features).")

study_id = current_study_id()
if study_id is not None:
    try:
        store.get_study(study_id)
    except Exception as exc:
        show_error(exc)
        study_id = None
if study_id is not None:
    # The study on screen comes first: after Start (or a reload) its progress is visible without scrolling.
    render_live(study_id)
    st.page_link("app_pages/results.py", label="Explore the results", icon=":material/insights:")

with st.expander("New search", expanded=study_id is None, icon=":material/tune:"):
    c1, c2 = st.columns(2)
    with c1:
        model = model_picker(task)
    with c2:
        metric = metric_picker(task, profile_classes(profile))
    strategy = strategy_picker()
    options = run_options()
    grid_points = 5
    if strategy == "grid":
        grid_points = st.slider(
            "Grid points per range",
            2,
            12,
            5,
            key="search_grid_points",
            help="Each int/float range is cut into this many values (log-spaced when log).",
        )
    space = space_editor(model, n_rows=profile.n_rows, n_features=len(profile.features))
    budget = budget_inputs(strategy, space, grid_points)
    family = get_model(model)
    ev = evaluation_inputs(family.gpu, n_rows=profile.n_rows)
    early = None
    if family.early_stopping:
        c1, _ = st.columns([1, 2])
        es = c1.number_input(
            "Early stopping rounds",
            min_value=0,
            value=0,
            key="search_early",
            help="0 = off. Stop boosting when 15% of the training fold, held aside, has not improved for this "
            "many rounds.",
        )
        early = int(es) or None
    cheap = cheap_start_input(model, strategy, space)

    config = StudyConfig(
        dataset_id=sel["dataset"],
        target=profile.target or "",
        model=model,
        task=task,
        strategy=strategy,
        n_trials=budget["n_trials"],
        timeout=budget["timeout"],
        target_score=budget["target_score"],
        patience=budget["patience"],
        metric=metric,
        space=space,
        grid_points=grid_points,
        early_stopping_rounds=early,
        cheap_start=cheap,
        **ev,
        **options,
        name=study_name(model, strategy, load_dataset(db_path(), sel["dataset"])[0]),
    )
    last = [s for s in store.list_studies() if s.config.model == model and s.dataset_id == sel["dataset"]]
    mean_s = None
    if last:
        durations = [t.duration_s for t in store.get_trials(last[-1].id) if t.duration_s]
        mean_s = sum(durations) / len(durations) if durations else None
    st.markdown(cost_preview(config, budget["grid_size"], mean_s))
    budget_fix_buttons(config, budget["n_trials"], budget["grid_size"])
    if space is not None:
        estimate_panel(config, db_path())
    confirmed = grid_confirmation(config, budget["grid_size"])
    if st.button(
        "Start search",
        type="primary",
        key="search_start",
        disabled=space is None or not confirmed,
        icon=":material/play_arrow:",
    ):
        try:
            study_id = start(store, config).study_id  # the one start path: the per-process cap holds here too
            set_selection(study=study_id)
            st.rerun()
        except Exception as exc:
            show_error(exc)
