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

# Characters that start markdown syntax anywhere in a line: links and images, emphasis, code, maths,
# Streamlit's ``:color[...]`` directives and ``:emoji:`` shortcodes, tables, strike-through, entities and tags.
# (CommonMark lets any ASCII punctuation be backslash-escaped.)
_INLINE = re.compile(r"([\\`*_{}\[\]<>~$:|&])")  # "(" needs no escape: no "[" or "]" is left to open a link
# Characters that only matter at the start of a line: headings, lists, quotes, rules, ordered lists.
_LEADING = re.compile(r"^(\s*)([#+\-=!>]|\d+(?=[.)]))")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")
# GitHub-flavoured autolinks (``http://x``, ``www.x``, ``a@b.c``) ignore backslash escapes: an invisible
# word joiner after "://", "www" and "@" keeps them plain text.
_AUTOLINK = re.compile(r"(://|(?<![\w.])www(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def esc(value: Any) -> str:
    """``value`` as literal text inside markdown: syntax characters escaped, line breaks folded to spaces.

    ``penguins.csv`` stays as it is; ``[x](http://y)``, ``**b**``, ``:red[x]``, ``$x$``, ``# h`` become
    literal text.
    """
    text = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, _LINE_BREAKS.sub(" ", str(value)))
    text = _INLINE.sub(r"\\\1", text)
    m = _LEADING.match(text)
    if m:
        lead = m.group(2)
        if lead[0].isdigit():  # "1. x" would start an ordered list: escape the dot after the number
            end = m.end()
            text = text[:end] + "\\" + text[end:]
        else:
            text = text[: m.start(2)] + "\\" + text[m.start(2) :]
    return text


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


def mixed_as_text(frame: Any) -> Any:
    """``frame`` with every column whose values mix types (random forest's ``max_features``: ``'sqrt'``, 0.5, 1.0)
    shown as text: Arrow cannot hold one column of strings and numbers (an ArrowTypeError in the server log)."""
    out = frame
    for col in frame.columns:
        s = frame[col]
        if s.dtype != object:
            continue
        kinds = {type(v) for v in s if v is not None and v == v}
        if len(kinds) > 1 or (kinds and not kinds <= {str}):
            if out is frame:
                out = frame.copy()
            out[col] = s.map(lambda v: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) else str(v))
    return out
