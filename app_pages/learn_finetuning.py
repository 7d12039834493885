"""Learn — Fine-tuning and forgetting: a model trained before a drift, adapted after it, scored on both."""

from __future__ import annotations

import streamlit as st

from tuning.charts.learn_finetune import plot_tradeoff
from tuning.lessons.finetune import fine_tuning_lesson
from ui.finetune_view import render_result
from ui.jobs import compute

st.title("Fine-tuning and forgetting")
st.markdown(
    "A base XGBoost model learned the **before** half of a drifted dataset (`drift_before.csv`); then `f1` "
    "shifted, the effect of `f2` flipped and `f5` started to matter (`drift_after.csv`). Adding trees on the new "
    "rows (**continue**) or recomputing the leaf values (**refresh**) recovers most of what retraining from "
    "scratch would score on the new data, without throwing the old model away; but every step towards the new "
    "data moves away from the old: the dashed lines fall as the solid ones rise. A small learning rate forgets "
    "less, and learns less per tree. Retraining on the new rows alone forgets the most."
)
st.info(
    "**Try this:** set the continue learning rates to 0.01 and 0.3 and compare where their dashed (old data) lines "
    "end; then check which arm in the scatter keeps the most of the old score for the new score it gains.",
    icon=":material/lightbulb:",
)
c1, c2, c3 = st.columns(3)
rates = c1.multiselect(
    "Continue's learning rates", [0.003, 0.01, 0.03, 0.1, 0.3], default=[0.01, 0.1, 0.3], key="lf_rates"
)
base_lr = c2.select_slider("Base model's learning rate", [0.03, 0.1, 0.3], value=0.1, key="lf_base_lr")
seed = int(c3.number_input("Seed", 0, 100, 0, key="lf_seed"))
lesson = compute(
    f"finetune:{sorted(rates)}:{base_lr}:{seed}",
    fine_tuning_lesson,
    label="Adapting the base model",
    learning_rates=tuple(sorted(rates)) or (0.1,),
    base_learning_rate=base_lr,
    seed=seed,
)
if lesson is not None:
    st.plotly_chart(plot_tradeoff(lesson.result), key="lf_tradeoff")
    render_result(lesson.result, key="lf", saving=False)
