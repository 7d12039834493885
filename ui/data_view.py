"""Rendering helpers for the Data page: the profile, warnings and the target chart."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tuning.data import DatasetProfile
from ui.layout import metric_row
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
    missing = sum(col.n_missing for col in profile.columns) / max(1, profile.n_rows * profile.n_cols)
    metric_row(
        [
            ("Rows × columns", f"{profile.n_rows:,} × {profile.n_cols}"),
            ("Features used", len(profile.features)),
            ("Ignored columns", len(profile.dropped)),
            ("Missing cells", f"{missing:.1%}"),  # the task is shown (and chosen) just above
        ]
    )
    for w in profile.warnings:
        st.warning(esc(w), icon=":material/warning:")
    # The table gets the page's width (its examples column was cut off beside the chart); the chart follows.
    st.markdown("**Columns**")
    st.dataframe(
        profile.to_frame(),
        hide_index=True,
        height=min(460, 38 + 35 * profile.n_cols),
        column_order=["column", "kind", "missing %", "unique", "examples", "dtype"],
        column_config={
            "column": st.column_config.TextColumn("column", width="medium"),
            "kind": st.column_config.TextColumn("kind", width="small"),
            "missing %": st.column_config.NumberColumn("missing", format="%.1f%%", width="small"),
            "unique": st.column_config.NumberColumn("unique", width="small"),
            "examples": st.column_config.TextColumn("examples", width="large"),
            "dtype": st.column_config.TextColumn("dtype", width="small"),
        },
        key="data_profile_table",
    )
    st.plotly_chart(target_figure(profile, df), key="data_target_chart")
