"""Untrusted text (what residents, feeds and links wrote) shown as text, wherever it lands.

Streamlit renders Markdown in almost every element (messages, captions, titles, `st.table`
cells), plotly renders a subset of HTML in labels and hovers, the meeting screen is HTML, and
deck.gl reads a string that starts with `@@=` as an expression. Each helper here makes a piece
of outside text inert for one of those, so that a description like `![x](http://host/p.png)`
fetches nothing and a link in `?id=` is not a link.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Markdown's (and Streamlit's) active characters: links, images, emphasis, code, headings,
# tables, strikethrough, math, HTML.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>!#|~$])")
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
_ENTITY = {c: f"&#{ord(c)};" for c in "\\`*_[]!#|~$"}
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
DECK_EXPRESSION = "@@"  # deck.gl's JSON: "@@=…" an expression, "@@#…" a constant


def markdown_text(value: Any) -> str:
    """`value` as Markdown that shows it literally, on one line: every active character
    escaped, and bare URLs broken so that they are not turned into links."""
    text = " ".join(str(value).split())
    text = _MARKDOWN.sub(r"\\\1", text).replace("://", ":\\/\\/")
    return _WWW.sub(r"\1\\.", text)


def markdown_block(value: Any) -> str:
    """Like `markdown_text`, keeping the lines (a description of several paragraphs)."""
    return "  \n".join(markdown_text(line) for line in str(value).splitlines())


def html_text(value: Any) -> str:
    """`value` for HTML that Markdown may also read (the meeting screen through
    `st.markdown(unsafe_allow_html=True)`): HTML-escaped, on one line (a blank line would end the
    HTML block and let Markdown read the rest), Markdown's link and emphasis characters as
    entities besides."""
    text = " ".join(str(value).split())  # one pass below: no entity is escaped twice
    return "".join(_HTML.get(c) or _ENTITY.get(c, c) for c in text)


def plotly_text(value: Any) -> str:
    """A label or hover text for plotly, whose `<a href>`, `<b>` and `<br>` are live."""
    return html.escape(str(value))


def inert(value: Any) -> Any:
    """A layer's data for deck.gl with no string read as an expression or a constant: a
    zero-width space goes before a leading `@@` (the text looks the same)."""
    if isinstance(value, str):
        return "\u200b" + value if value.startswith(DECK_EXPRESSION) else value
    if isinstance(value, dict):
        return {k: inert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [inert(v) for v in value]
    return value
