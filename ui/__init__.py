"""Streamlit-only helpers shared by the pages: state, cached resources, widgets."""
