"""Layout helpers that hold up in a narrow window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

METRIC_WIDTH = 185  # px: room for "0.9297", "569 × 31" or "complete" at st.metric's size


def metric_row(items: Sequence[tuple[Any, ...]], *, width: int = METRIC_WIDTH) -> None:
    """Metrics of one width in a row that wraps: in a narrow window they move to the next line instead of
    being cut to "co..." as equal columns cut them. An item is (label, value) or (label, value, width)."""
    row = st.container(horizontal=True, gap="medium")
    for label, value, *own in items:
        row.metric(label, value, width=own[0] if own else width)
