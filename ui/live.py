"""Pages that refresh themselves without losing what the user was doing.

A page puts what changes with the data inside `section`: a Streamlit fragment that reruns on
its own every N seconds. Only that part reruns, so the sidebar's filters, an open dropdown and
the scroll position stay as they are; widgets inside keep their state as on any rerun. (Measured
against streamlit-autorefresh, which reruns the whole script from the browser: see docs/screens.md.)

Figures come through `ui.data`'s shared caches, keyed by a "now" floored to the shared interval,
so a refresh costs a query only for the first screen that asks in each interval.

Use on a page:

    every = live.refresh_control()          # in the sidebar: pause, interval; None when paused

    def draw() -> None:                     # everything that shows figures
        f = current.at_now().filters        # the view moved to this refresh's "now"
        ...

    live.section(draw, every)               # draw now, and again every `every` seconds

`section` also shows the "database unreachable" banner above what it draws when the figures are
the last good ones. A page with nothing to show at all calls `reconnect()`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from db.config import refresh_seconds
from ui import data, url, widgets
from ui.i18n import t

DEFAULT = refresh_seconds()
# Refreshing faster than the shared cache's interval would only redraw the same figures.
CHOICES = sorted({DEFAULT, *(s for s in (15, 30, 60, 120, 300) if s >= data.TTL)})
OFF = ("0", "off", "pause", "paused")
T = TypeVar("T")


def _init_from_url() -> None:
    """`?refresh=N` (seconds) or `?refresh=off` sets the session's refresh once."""
    if "live_on" in st.session_state:
        return
    asked = url.get("refresh").strip().lower()
    st.session_state["live_on"] = asked not in OFF
    if asked.isdigit() and int(asked) > 0:
        st.session_state["live_every"] = max(int(asked), data.TTL)
    else:
        st.session_state["live_every"] = DEFAULT


def interval() -> int | None:
    """The session's refresh interval in seconds, or None when paused."""
    _init_from_url()
    return st.session_state["live_every"] if st.session_state["live_on"] else None


def refresh_control() -> int | None:
    """The sidebar's refresh control: a pause switch and the interval. Returns `interval()`."""
    _init_from_url()
    choices = sorted({*CHOICES, st.session_state["live_every"]})
    st.sidebar.subheader(t("live.title"))
    st.sidebar.toggle(t("live.on"), key="live_on", help=t("live.help", every=data.TTL))
    st.sidebar.selectbox(t("live.every"), choices, key="live_every", format_func=_seconds,
                         disabled=not st.session_state["live_on"])
    return interval()


def _seconds(n: int) -> str:
    return t("live.minutes", n=n // 60) if n % 60 == 0 else t("live.seconds", n=n)


def section(draw: Callable[[], None], every: int | None,
            banner: Callable[[DeltaGenerator], None] = widgets.outage_banner) -> None:
    """Run `draw` now and again every `every` seconds (None: only when its widgets change),
    under a banner (filled by `banner(slot)`) that says when the figures are from if the
    database did not answer."""

    def live_section() -> None:
        data.begin_run()
        slot = st.empty()
        draw()
        banner(slot)

    st.fragment(live_section, run_every=every)()


def steady(name: str, scope: Hashable, make: Callable[[], T]) -> T:
    """What `make()` gave when the page first drew `name` for this `scope` in this session,
    kept through refreshes: a map framed on its tickets stays where the user left it as tickets
    come and go, and is framed anew when the scope (a filter, a department) changes."""
    kept = st.session_state.setdefault("_steady", {})
    if name not in kept or kept[name][0] != scope:
        kept[name] = (scope, make())
    return kept[name][1]


def reconnect(every: int | None = None) -> None:
    """The page could not read even its reference data: look again every interval (paused or
    not) and rerun the whole page as soon as the database answers."""

    def probe() -> None:
        if data.guarded(data.load_reference) is not None:
            st.rerun()

    st.fragment(probe, run_every=every or DEFAULT)()


def reference_or_wait() -> dict:
    """A page's first step: the lookup tables. When the database cannot give even those, the
    page says so, looks again every interval, and draws nothing else until it answers."""
    data.begin_run()
    banner = st.empty()
    reference = data.guarded(data.load_reference)
    if reference is None:
        widgets.outage_banner(banner)
        reconnect(interval())
        st.stop()
    return reference
