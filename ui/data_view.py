"""Rendering helpers for the Data page: the profile, warnings and the target chart."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tuning.data import DatasetProfile
from ui.text import esc, esc_html


def target_figure(profile: DatasetProfile, df: pd.DataFrame) -> go.Figure:
    if profile.class_counts:
        labels = [esc_html(c) for c in profile.class_counts]
        counts = list(profile.class_counts.values())
        fig = go.Figure(go.Bar(x=labels, y=counts, marker_color="#ff7f0e", text=counts, textposition="auto"))
        fig.update_layout(
            title=f"Class balance of '{esc_html(profile.target)}'", xaxis_title="class", yaxis_title="rows"
        )
        fig.update_xaxes(type="category")
    else:
        fig = go.Figure(go.Histogram(x=df[profile.target].dropna(), nbinsx=40, marker_color="#ff7f0e"))
        fig.update_layout(
            title=f"Distribution of '{esc_html(profile.target)}'",
            xaxis_title=esc_html(profile.target),
            yaxis_title="rows",
        )
    fig.update_layout(template="plotly_white", height=420, margin=dict(l=50, r=20, t=50, b=40))
    return fig


def render_profile(profile: DatasetProfile, df: pd.DataFrame) -> None:
    c = st.columns(4)
    c[0].metric("Rows × columns", f"{profile.n_rows:,} × {profile.n_cols}")
    c[1].metric("Features used", len(profile.features))
    c[2].metric("Ignored columns", len(profile.dropped))
    missing = sum(col.n_missing for col in profile.columns) / max(1, profile.n_rows * profile.n_cols)
    c[3].metric("Missing cells", f"{missing:.1%}")  # the task is shown (and chosen) just above
    for w in profile.warnings:
        st.warning(esc(w), icon=":material/warning:")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Columns**")
        st.dataframe(
            profile.to_frame(),
            hide_index=True,
            height=min(560, 38 + 35 * profile.n_cols),
            column_config={
                "missing %": st.column_config.NumberColumn("missing %", format="%.1f%%"),
                "column": st.column_config.TextColumn("column", width="medium"),
            },
            key="data_profile_table",
        )
    with right:
        st.plotly_chart(target_figure(profile, df), key="data_target_chart")
