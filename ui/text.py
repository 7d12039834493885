"""User strings made safe for Streamlit's markdown, and times as a user reads them.

Column names, file names, study names and query values come from users and data files. Streamlit renders
messages, captions, headings and labels as markdown (links, emphasis, ``:color[...]`` directives, emoji
shortcodes, ``$`` maths, raw HTML is off), so each such string passes through :func:`esc` before it is
put inside markdown; plotly titles render a small HTML subset, so they take :func:`esc_html`.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them turns
# links, emphasis, headings, lists, tables, code, directives and maths into plain characters.
_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=\"'%^@;,?/])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def esc(value: Any) -> str:
    """``value`` as literal text inside markdown: punctuation escaped, line breaks folded to spaces.

    Colons are escaped too, so ``:red[x]`` and ``:smile:`` stay literal.
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    return _PUNCT.sub(r"\\\1", text)


def esc_html(value: Any) -> str:
    """``value`` as literal text in a plotly title, label or trace name (plotly renders <b>, <a href>, <br>...
    and reads ``%{...}`` in hover templates as a placeholder)."""
    return html.escape(_LINE_BREAKS.sub(" ", str(value)), quote=True).replace("%", "&#37;")


def local_time(iso: str | None, *, seconds: bool = False) -> str:
    """An ISO 8601 UTC time (as the store writes it) as local ``YYYY-MM-DD HH:MM``; '' when missing."""
    if not iso:
        return ""
    try:
        t = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
