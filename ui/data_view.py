"""Rendering helpers for the Data page: the profile, warnings and the target chart."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from tuning.data import without_columns
from tuning.profile import DatasetProfile
from tuning.store import Store
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


def render_suspects(
    store: Store,
    profile: DatasetProfile,
    df: pd.DataFrame,
    *,
    dataset_id: str,
    name: str,
    target: str,
    task: str | None,
) -> None:
    """The columns the profile distrusts, with a one-click drop: a new stored dataset without them (the
    original stays, its studies too), selected with the same target and task."""
    if not profile.suspects:
        return
    with st.container(border=True):
        st.markdown("**Columns to check before a search**")
        st.caption(
            "A column known only after the outcome, or one that gives the target away, makes every score "
            "optimistic; a mostly-empty one says little. Drop them unless they are known when you predict."
        )
        listed = list(profile.suspects)
        picked = st.multiselect(
            "Columns to drop",
            listed,
            default=listed,
            format_func=lambda c: f"{c} ({profile.suspects[c]})",
            key=f"data_suspects_{dataset_id}_{target}",
        )
        if st.button(
            f"Drop {len(picked)} column(s)",
            key="data_drop_suspects",
            disabled=not picked,
            icon=":material/delete_sweep:",
            help="Stores a copy of the table without them and selects it; the original stays as it is.",
        ):
            from ui.state import set_selection, show_error

            try:
                content, ext = without_columns(df, picked)
                stem = name.rsplit(".", 1)[0]
                label = f"{stem} without {', '.join(picked[:3])}{' and more' if len(picked) > 3 else ''}"[:150]
                ds = store.add_dataset(label + ext, content, n_rows=len(df), n_cols=df.shape[1] - len(picked))
            except Exception as exc:
                show_error(exc)
                return
            set_selection(dataset=ds, target=target, task=task, study=None)
            st.session_state.pop("data_stored", None)  # the stored-dataset picker opens on the new copy
            st.session_state["_flash"] = f"Dropped {len(picked)} column(s): a new dataset is selected."
            st.rerun()
