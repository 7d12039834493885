"""Tune — Fine-tune: adapt a trained model to new data (continue, refresh, stack, retrain) and compare."""

from __future__ import annotations

import streamlit as st

from tuning.errors import TuningError
from tuning.finetune import FinetuneSettings, finetune
from ui.finetune_view import describe_base, parse_rates, pick_base, pick_table, render_result
from ui.state import show_error

st.title("Fine-tune")
st.caption(
    "Adapt a model that has already learned to data that has drifted, instead of training from scratch. "
    "Every arm is scored on held-out new rows and, with old data, on held-out old rows: what it learns and what "
    "it forgets."
)

base = pick_base()
if base is not None:
    describe_base(base)
new = pick_table("New data", "ft_new", default_file="drift_after.csv")
use_old = st.toggle("Also score on the old data (to see forgetting)", value=True, key="ft_use_old")
old = pick_table("Old data", "ft_old", default_file="drift_before.csv") if use_old else None
if base is None or new is None:
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
    c1, c2, c3 = st.columns(3)
    holdout = c1.slider("Held-out fraction of the new data", 0.1, 0.5, 0.3, 0.05, key="ft_holdout")
    seed = int(c2.number_input("Split seed", 0, 10_000, 0, key="ft_seed"))
    rates_text = c3.text_input(
        "Continue's learning rates",
        "",
        placeholder=f"default {lr0 * 0.1:g}, {lr0 * 0.3:g}, {lr0:g}",
        key="ft_rates",
    )
    c4, c5, c6 = st.columns(3)
    max_rounds = int(c4.number_input("Most rounds an arm may add", 5, 2000, 200, key="ft_rounds"))
    patience = int(c5.number_input("Early-stopping patience (rounds)", 1, 200, 20, key="ft_patience"))
    tpe = int(c6.number_input("TPE trials over continue (0: none)", 0, 100, 0, key="ft_tpe"))

if st.button("Run the arms", type="primary", key="ft_run"):
    try:
        settings = FinetuneSettings(
            holdout=holdout,
            seed=seed,
            learning_rates=parse_rates(rates_text),
            max_rounds=max_rounds,
            patience=patience,
            tpe_trials=tpe,
            base_learning_rate=base_lr,
        )
        with st.spinner("Training the arms…"):
            result = finetune(base, new.df, target=target, old=old.df if old is not None else None, settings=settings)
        st.session_state["ft_result"] = (base.source, result)
    except TuningError as exc:
        st.session_state.pop("ft_result", None)
        show_error(exc)

shown = st.session_state.get("ft_result")
if shown is not None and shown[0] == base.source:  # a result of another base model is not shown as this one's
    render_result(shown[1], key="ft", study_id=base.study_id)
