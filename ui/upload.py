"""Parse an uploaded table once per content, not on every rerun of the Data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tuning.data import content_hash, parse_table


@st.cache_data(max_entries=4, show_spinner="Reading the table...")
def _parsed(digest: str, name: str, _content: bytes) -> pd.DataFrame:
    # Keyed by the content's hash (and the name, which picks the reader); the bytes themselves are not
    # hashed again by Streamlit (the leading underscore).
    return parse_table(_content, name=name)


def parse_upload(content: bytes, name: str) -> pd.DataFrame:
    """The uploaded table, parsed at most once per (content, name) in this process."""
    return _parsed(content_hash(content), name, content)
