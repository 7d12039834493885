"""Tune — Fine-tune: adapt a trained model to new data (continue, refresh, stack, retrain) and compare."""

from __future__ import annotations

from typing import Any

import streamlit as st

from tuning.errors import TuningError
from tuning.finetune import FinetuneSettings, finetune, planned_steps, save_result
from ui.finetune_runs import get_runs
from ui.finetune_view import base_key, describe_base, kept_models, parse_rates, pick_base, pick_table, show_run
from ui.state import get_store, show_error

st.title("Fine-tune")
st.caption(
    "Adapt a model that has already learned to data that has drifted, instead of training from scratch. "
    "Every arm is scored on held-out new rows and, with old data, on held-out old rows: what it learns and what "
    "it forgets."
)

base = pick_base()
if base is None:
    kept_models()
    st.stop()
describe_base(base)
new = pick_table("New data", "ft_new", base=base, role="new")
use_old = st.toggle("Also score on the old data (to see forgetting)", value=True, key="ft_use_old")
old = pick_table("Old data", "ft_old", base=base, role="old") if use_old else None
if new is None:
    kept_models()
    st.stop()

columns = list(new.df.columns)
default_target = base.target or new.default_target or columns[-1]
target = st.selectbox(
    "Target",
    columns,
    index=columns.index(default_target) if default_target in columns else len(columns) - 1,
    key="ft_target",
)
with st.expander("Settings", expanded=False):
    base_lr = None
    if base.is_xgboost and not base.params_known:
        base_lr = float(
            st.number_input("The file's learning rate (not recorded in it)", 0.001, 1.0, 0.3, key="ft_base_lr")
        )
    lr0 = base_lr or base.learning_rate
    chosen: dict[str, Any] = {"base_learning_rate": base_lr}  # FinetuneSettings fields, as the widgets set them
    c1, c2, c3 = st.columns(3)
    chosen["holdout"] = c1.slider("Held-out fraction of the new data", 0.1, 0.5, 0.3, 0.05, key="ft_holdout")
    chosen["seed"] = int(c2.number_input("Split seed", 0, 10_000, 0, key="ft_seed"))
    rates_text = c3.text_input(
        "Continue's learning rates",
        "",
        placeholder=f"default {lr0 * 0.1:g}, {lr0 * 0.3:g}, {lr0:g}",
        key="ft_rates",
    )
    c4, c5, c6 = st.columns(3)
    chosen["max_rounds"] = int(c4.number_input("Most rounds an arm may add", 5, 2000, 200, key="ft_rounds"))
    chosen["patience"] = int(c5.number_input("Early-stopping patience (rounds)", 1, 200, 20, key="ft_patience"))
    chosen["tpe_trials"] = int(c6.number_input("TPE trials over continue (0: none)", 0, 100, 0, key="ft_tpe"))

runs, key = get_runs(), base_key(base)
running = (r := runs.get(key)) is not None and r.running
if st.button("Run the arms", type="primary", key="ft_run", disabled=running):
    try:
        settings = FinetuneSettings(learning_rates=parse_rates(rates_text), **chosen)
        store, new_df, old_df = get_store(), new.df, old.df if old is not None else None
        about = f"new data {new.name}, target {target}"

        def job(progress, stop):  # on the run's thread: the arms, then the comparison kept in the store
            result = finetune(base, new_df, target=target, old=old_df, settings=settings, progress=progress, stop=stop)
            save_result(store, result, base_key=key, study_id=base.study_id, about=about)
            return result

        runs.start(key, job, total=planned_steps(base, settings, has_old=old is not None)).wait(1.0)
    except TuningError as exc:
        show_error(exc)

show_run(runs, key, base)
kept_models()
