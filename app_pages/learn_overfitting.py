"""Learn — the Overfitting lab: validation and learning curves, boosting rounds, boundaries, bias-variance."""

from __future__ import annotations

import streamlit as st

from ui import learn_overfit_views as v

st.title("Overfitting lab")
st.caption(
    "See overfitting happen on real models: training and validation scores on every axis, "
    "train in blue, validation in orange, test in green."
)
VIEWS = {
    "Validation curve": v.validation_curve_view,
    "Learning curve": v.learning_curve_view,
    "Boosting rounds": v.boosting_view,
    "Decision boundary": v.boundary_view,
    "1-D fit": v.fit_1d_view,
    "Bias–variance": v.bias_variance_view,
    "Overfitting the validation set": v.validation_overfit_view,
}
# One view at a time: each one fits models, so only the one on screen should compute.
view = st.segmented_control("Lesson", list(VIEWS), default="Validation curve", key="lab_view") or "Validation curve"
st.subheader(view)
VIEWS[view]()
