"""Deleting a dataset (with its studies) or a study (with its trials) from the app, after a confirmation.

All visitors share one store, so a deletion is never one click: a popover says what goes, a checkbox
confirms, and a running study must be stopped first (its runner would keep writing trials).
"""

from __future__ import annotations

import streamlit as st

from tuning.store import StudyState
from ui.state import current_study_id, forget_datasets, get_store, selection, set_selection, show_error
from ui.text import esc


def delete_dataset_box(dataset_id: str, label: str) -> None:
    """A "Delete dataset" popover: names the studies that go with it; refuses while one of them runs."""
    store = get_store()
    studies = [s for s in store.list_studies() if s.dataset_id == dataset_id]
    running = [s.id for s in studies if s.state is StudyState.RUNNING]
    with st.popover("Delete this dataset", icon=":material/delete:"):
        st.markdown(
            f"Delete **{esc(label)}** and its {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} "
            "(with all their trials and saved models) from the store. Everyone using this workbench shares it."
        )
        if running:
            ids = ", ".join(f"#{i}" for i in running)
            st.warning(
                f"Studies still running on this dataset: {ids}. Stop them first with **Stop** on the Search page.",
                icon=":material/warning:",
            )
            return
        sure = st.checkbox("Yes, delete it for good", key=f"del_ds_sure_{dataset_id}")
        if st.button("Delete", key=f"del_ds_{dataset_id}", type="primary", disabled=not sure):
            try:
                gone = store.delete_dataset(dataset_id)
            except Exception as exc:
                show_error(exc)
                return
            forget_datasets()
            sel = selection()
            if sel["dataset"] == dataset_id or (current_study_id() in gone):
                set_selection(dataset=None, target=None, task=None, study=None)
            st.session_state["_flash"] = f"Deleted the dataset and {len(gone)} stud{'y' if len(gone) == 1 else 'ies'}."
            st.rerun()


def delete_study_box(study_id: int, label: str) -> None:
    """A "Delete study" popover; refuses while the study runs."""
    store = get_store()
    study = store.get_study(study_id)
    n = sum(store.trial_counts(study_id).values())
    with st.popover("Delete this study", icon=":material/delete:"):
        st.markdown(f"Delete study **{esc(label)}** with its {n} trial(s) and saved models from the store.")
        if study.state is StudyState.RUNNING:
            st.warning("It is running: stop it first with **Stop** on the Search page.", icon=":material/warning:")
            return
        sure = st.checkbox("Yes, delete it for good", key=f"del_study_sure_{study_id}")
        if st.button("Delete", key=f"del_study_{study_id}", type="primary", disabled=not sure):
            try:
                store.delete_study(study_id)
            except Exception as exc:
                show_error(exc)
                return
            if current_study_id() == study_id:
                set_selection(study=None)
            st.session_state["_flash"] = f"Deleted study {study_id}."
            st.rerun()


def flash() -> None:
    """Show (once) the message a deletion left before its rerun."""
    msg = st.session_state.pop("_flash", None)
    if msg:
        st.toast(msg, icon=":material/delete:")
