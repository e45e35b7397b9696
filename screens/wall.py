"""The meeting screen: the city on the situation room's display, read from five metres.

Panels take turns every `CITYDESK_WALL_SECONDS` (`?panel=N` pins one): the city's counters with
the map, the departments with overdue or at-risk work, the last 24 hours by hour, the latest
tickets. It refreshes by itself (`?refresh=N` seconds, or `off`); a figure that moved since the
panel's previous refresh is marked, green for good news and red for bad. An incident or a spike
is a row above every panel, which keeps the rest of the screen. A new panel is a function here,
its key in `ui.wall_panels.PANELS` and its title in the catalog.

Every run draws the same four elements in the same order (header, feeds' line, alarm rows,
panel), the header first and each only once its data is read: a panel change replaces the panel
in place, the header never leaves and two panels are never on the screen at once.
"""

import streamlit as st

from db.config import at_risk_window, city_tz
from db.schema import OPEN_STATUSES
from queries.filters import Filters
from queries.week import last_full_week
from ui import data, feeds, first_paint, incidents, live, url, wall_panels
from ui.actor import current_actor
from ui.deck import build_deck, ticket_view
from ui.i18n import current_language, t
from ui.wall_panels import Tile

current_actor()  # signed in, else this stops here: the screen never runs ungated
lang = current_language()
st.html(wall_panels.STYLE)
every = live.interval()
pinned = wall_panels.pinned_panel(url.get("panel") or None)
seconds = wall_panels.rotation_seconds()
# One timer drives both the data and the rotation; figures move at the shared interval anyway.
tick = None if every is None else every if pinned else min(every, seconds)


def city_panel(f: Filters, alarm: float, found: list) -> None:
    counts = data.guarded(data.load_counters, f)
    points = data.guarded(data.load_map, f.with_(statuses=OPEN_STATUSES))
    reference = data.guarded(data.load_reference)
    items = []
    if counts is not None:
        items = [Tile("overdue", t("counter.overdue"), counts.overdue, "red", "bad"),
                 Tile("at_risk", t("counter.at_risk"), counts.at_risk, "orange", "bad"),
                 Tile("open", t("counter.open"), counts.open, "", "bad"),
                 Tile("on_time", t("wall.on_time"), counts.on_time_pct_7d, "green", "good",
                      percent=True),
                 Tile("received_today", t("counter.received_today"), counts.received_today,
                      "blue"),
                 Tile("resolved_today", t("counter.resolved_today"), counts.resolved_today,
                      "green", "good")]
        before = wall_panels.previous(1, f.as_of, {i.key: i.value for i in items})
    size = (wall_panels.MAP_SIZE[0], wall_panels.map_height(alarm))
    with st.container():
        figures, map_column = st.columns([9, 11])
        if items:
            figures.markdown(wall_panels.tiles(items, before, lang, alarm=alarm),
                             unsafe_allow_html=True)
        if points is not None and reference is not None:
            first_paint.figures_first("wall", map_column)
            with map_column:
                st.markdown(wall_panels.map_legend(lang), unsafe_allow_html=True)
                st.pydeck_chart(build_deck(points, reference["districts"], lang, dark=True,
                                           size=size, name_size=wall_panels.NAME_SIZE,
                                           view=ticket_view(points.frame, size),
                                           big_points=True, incidents=found),
                                width=size[0], height=size[1])


def departments_panel(f: Filters, alarm: float, found: list) -> None:
    load = data.guarded(data.load_workload, f)
    if load is not None:
        overdue = dict(zip(load["code"], load["overdue"], strict=True))
        before = wall_panels.previous(2, f.as_of, overdue)
        st.markdown(wall_panels.departments(load, before, lang, alarm=alarm),
                      unsafe_allow_html=True)


def flow_panel(f: Filters, alarm: float, found: list) -> None:
    counts = data.guarded(data.load_counters, f)
    hours = data.guarded(data.load_last_day_flow, f)
    if counts is not None and hours is not None:
        items = [Tile("received_24h", t("wall.received_24h"), int(hours["received"].sum()),
                      "blue"),
                 Tile("resolved_24h", t("wall.resolved_24h"), int(hours["resolved"].sum()),
                      "green", "good"),
                 Tile("open", t("counter.open"), counts.open, "", "bad")]
        before = wall_panels.previous(3, f.as_of, {i.key: i.value for i in items})
        st.markdown(wall_panels.flow(hours, items, before, lang, alarm=alarm),
                    unsafe_allow_html=True)
    else:
        st.empty()


def latest_panel(f: Filters, alarm: float, found: list) -> None:
    frame = data.guarded(data.load_latest, f, 10)
    if frame is not None:
        ids = frame["external_id"].tolist()
        before = wall_panels.previous(4, f.as_of, {"ids": ids})
        st.markdown(wall_panels.tickets(frame, set(before.get("ids", ())), lang, alarm=alarm),
                    unsafe_allow_html=True)
    else:
        st.empty()


PANELS = {"city": city_panel, "departments": departments_panel, "flow": flow_panel,
          "latest": latest_panel}


def week_panel() -> None:
    """`?panel=week`: the week that ended, for the weekly meeting."""
    now = data.live_now()
    chosen = last_full_week(now, city_tz().key)
    review = data.guarded(data.load_week_review, chosen.label, chosen.tz)
    if review is not None:
        st.markdown(wall_panels.header(lang, None, now, every is None,
                                       title=wall_panels.week_title(review, lang)),
                    unsafe_allow_html=True)
        st.markdown(wall_panels.week(review, lang), unsafe_allow_html=True)


def draw() -> None:
    """Header, feeds' line, alarm rows, panel: each written once its content is ready (an
    element written over another in the same place replaces it on screen with no gap)."""
    if url.get("panel") == "week":
        week_panel()
        return
    f = Filters(as_of=data.live_now(), tz=city_tz().key, at_risk=at_risk_window())
    panel = pinned or wall_panels.next_panel(seconds)
    head = st.markdown(wall_panels.header(lang, panel, f.as_of, paused=every is None),
                       unsafe_allow_html=True)
    with st.empty():
        feeds.wall(lang)
    found, items = incidents.wall_items(f, lang)
    alarm = wall_panels.alarms(items)
    if alarm.markup:
        st.markdown(alarm.markup, unsafe_allow_html=True)
    else:
        st.empty()
    PANELS[wall_panels.PANELS[panel - 1]](f, alarm.height, found)
    down = data.outage()
    if down is not None and down.since is not None:
        head.markdown(wall_panels.header(lang, panel, down.since, paused=every is None),
                      unsafe_allow_html=True)


def banner(slot) -> None:
    markup = wall_panels.banner(data.outage(), lang)
    if markup:
        st.markdown(markup, unsafe_allow_html=True)
    else:
        slot.empty()


live.section(draw, tick, banner=banner)
