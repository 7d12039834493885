"""Placeholder until the Learn pages land."""

import streamlit as st

st.title("Learn")
st.info("Coming soon.")
