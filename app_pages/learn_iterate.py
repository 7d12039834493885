"""Learn — Iterating and stopping: the winner's curse of a search, and when refining, seeding or stopping pays."""

from __future__ import annotations

import streamlit as st

from ui import learn_iterate_views as v

st.title("Why iterate, and when to stop")
st.caption(
    "A search's best score is partly luck. Measure how much, then see what a second, refined or seeded "
    "search buys and when the plateau rule says to stop. Validation in orange, held-out in green."
)
shared = v.shared_controls()
if shared is not None:
    data, rows = shared
    st.subheader("1. The winner's curse")
    v.winners_curse_view(data, rows)
    st.subheader("2. Cold, refined or seeded, and when to stop")
    v.iterate_view(data)
