"""Sections drawn when the user reaches them.

A fresh tab of the overview loaded plotly (about 3 MB of script) for the trends' chart below
the fold, and that held its first figures back by about 1.7 s (README, "In the browser"). So
a section below the fold first puts a one-pixel watcher where it will stand; when the watcher
comes within the window (the browser's IntersectionObserver), it tells the server, which then
draws the section, and for the rest of the session the section is drawn at once.
"""

from __future__ import annotations

import streamlit as st

# Runs in the page (trusted, ours): tell the server once, the first time the watcher is within
# the window.
_JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const watcher = parentElement.querySelector("div") || parentElement;
  const seen = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) {
      seen.disconnect();
      setStateValue("seen", true);
    }
  });
  seen.observe(watcher);
  return () => seen.disconnect();
}
"""
_WATCHER = st.components.v2.component(
    "citydesk_reached", html='<div style="height: 1px"></div>', js=_JS, isolate_styles=False)


def flag(name: str) -> str:
    """The session's note that the user has reached section `name`."""
    return f"_reached_{name}"


def reached(name: str) -> bool:
    """Whether the user has reached section `name` in this session; until they have, this
    places the watcher here and says False."""
    if st.session_state.get(flag(name)):
        return True
    state = _WATCHER(key=f"reached_{name}", default={"seen": False},
                     on_seen_change=lambda: None, height=1)
    if state.seen:
        st.session_state[flag(name)] = True
        return True
    return False
