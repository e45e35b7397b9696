"""What every page shares of its look, beyond `.streamlit/config.toml`'s theme."""

from __future__ import annotations

import streamlit as st

# Streamlit greys a caption by drawing the text at 60 % opacity: 3.9:1 on white, under WCAG AA's
# 4.5:1 for small type (axe-core's color-contrast). At 75 % it is 6.1:1 on white and 5.9:1 on
# the sidebar's grey, still lighter than the text; opacity, not a colour, so a caption on a
# tinted box still takes that box's text colour.
CSS = """<style>
[data-testid="stCaptionContainer"] { opacity: 0.75; }
</style>"""


def apply() -> None:
    """Put the shared rules on the page (a style element: it takes no room)."""
    st.html(CSS)
