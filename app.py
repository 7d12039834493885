"""Entry point: ``streamlit run app.py``. Routes to the pages; the pages wire widgets to ``tuning``."""

from __future__ import annotations

import streamlit as st

# The sidebar starts at 260 px (Streamlit: 300): at 800 px the pages keep 540 px; it still hides on small screens.
st.set_page_config(page_title="Tuning workbench", page_icon=":material/tune:", layout="wide", initial_sidebar_state=260)

PAGES = {
    "Tune": [
        st.Page("app_pages/data.py", title="Data", icon=":material/table:", default=True),
        st.Page("app_pages/search.py", title="Search", icon=":material/travel_explore:"),
        st.Page("app_pages/results.py", title="Results", icon=":material/insights:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("app_pages/finetune.py", title="Fine-tune", icon=":material/model_training:"),
    ],
    "Learn": [
        st.Page("app_pages/learn_regularization.py", title="Regularization", icon=":material/school:"),
        st.Page("app_pages/learn_overfitting.py", title="Overfitting lab", icon=":material/science:"),
        st.Page("app_pages/learn_finetuning.py", title="Fine-tuning and forgetting", icon=":material/sync_alt:"),
        st.Page("app_pages/learn_iterate.py", title="Iterating and stopping", icon=":material/replay:"),
    ],
}

st.navigation(PAGES).run()
