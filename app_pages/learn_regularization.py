"""Learn — Regularization: none vs L1 vs L2 vs elastic net, sparsity, XGBoost's knobs and attributions."""

from __future__ import annotations

import streamlit as st

from ui import learn_reg_views as v

st.title("Regularization")
st.caption(
    "Compare regularization settings on real models, on the samples or on your own data: "
    "train in blue, validation in orange."
)
VIEWS = {
    "Linear penalties": v.linear_view,
    "Sparsity (digits)": v.sparsity_view,
    "XGBoost knobs": v.knobs_view,
    "Attributions": v.attributions_view,
}
# One view at a time: each one fits many models, so only the one on screen should compute.
view = st.segmented_control("Lesson", list(VIEWS), default="Linear penalties", key="reg_view") or "Linear penalties"
st.subheader(view)
VIEWS[view]()
