"""A fresh tab's first paint: the figures before the map, the grids and the charts.

The map's, the grids' and the charts' code (deck.gl and plotly, about 3 MB of script each; the
data grid's) held the whole page back in the browser, counters included (measured in the
docs/benchmark.md). So a page's first run in a tab draws its counters, says what is
coming, and stops; once the browser has painted them, a watcher (ui/lazy.py) asks for the next
run, which draws the rest: the overview's map and tables, the department's queue. A rerun at
once was tried first: the second run's elements then reached the browser before it had drawn
the counters, and held them back as before. A run that shows something only once (the
sign-in's cookie, a notice about the link) draws everything at once instead, since a rerun
would take that away before it was seen."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import lazy
from ui.i18n import t

SAID_ONCE = "_said_once"


def new_run() -> None:
    """A full run begins: nothing said once yet (dashboard.py calls this first)."""
    st.session_state[SAID_ONCE] = False


def said_once() -> None:
    """This run shows something it will not show again: no rerun may take it away."""
    st.session_state[SAID_ONCE] = True


def figures_first(page: str, *slots: DeltaGenerator) -> None:
    """On `page`'s first run in this tab, stop here, each of `slots` saying what it waits for,
    until the browser has painted the figures (then it asks for the next run; without a
    browser, the next run comes at once); later runs (and a run that said something once) go
    on."""
    key = f"_drawn_{page}"
    if st.session_state.get(key):
        return
    st.session_state[key] = True
    if st.session_state.get(SAID_ONCE):
        return
    for slot in slots:
        slot.caption(t("live.drawing"))
    if not lazy.in_browser():
        st.rerun()
    with slots[0]:
        lazy.when_painted(page)
    st.stop()
