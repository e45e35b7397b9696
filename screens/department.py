"""A department's page: what its head keeps open all day. Its queue comes first, with the actions
right above it; the counters that say how urgent it is stand over it; how the week went (on-time
share, medians, work received from and passed on to other departments), the map and the trend
follow below.

Three self-refreshing parts: a tick in the queue reruns the queue alone."""

import streamlit as st

from db.config import city_tz
from db.schema import OPEN_STATUSES
from ui import (
    action_dialogs,
    charts,
    data,
    feeds,
    first_paint,
    lazy,
    live,
    map_drawing,
    queue,
    url,
    view,
)
from ui.actor import current_actor
from ui.city_map import city_map
from ui.deck import fitted_size, ticket_view
from ui.department import compact, headline, week_row
from ui.i18n import current_language, name_of, t
from ui.text import markdown_text
from words.formatting import instant, number, zone_name

MAP_SIZE = (850, 420)  # the map's column on a 1920-pixel screen, and its height: it frames
# the department's open tickets the filters pick when they change, and keeps still through
# refreshes
actor = current_actor()  # signed in, else this stops here: the screen never runs ungated
lang = current_language()
reference = live.reference_or_wait()
departments = reference["departments"]
names = {row["code"]: name_of(row, lang) for row in departments.to_dict("records")}

# Which department: the link's, else the head's own, else the first. A head sees only their own.
asked = url.get("dept") or None
if actor.role == "head":
    if asked and asked != actor.department:
        st.info(t("dept.own_only", dept=names.get(actor.department, actor.department)),
                icon=":material/lock:")
        first_paint.said_once()  # the link is put right below: the next run will not say it
    asked = actor.department
if asked and asked not in names:
    st.warning(t("dept.unknown", code=asked), icon=":material/link_off:")
    first_paint.said_once()
    asked = None
if "dept_page" not in st.session_state or (asked and asked != st.session_state["dept_page"]):
    st.session_state["dept_page"] = asked or actor.department or next(iter(names), None)
if not names:
    feeds.warnings()  # a city still empty because its feed stalls: the likely reason
    st.info(t("db.empty"), icon=":material/inbox:")
    st.stop()
code = st.sidebar.selectbox(t("dept.pick"), list(names), format_func=names.get, key="dept_page",
                            disabled=actor.role == "head")
url.put("dept", code)

view.init_from_url(reference)
current = view.sidebar(reference, with_status=False, fixed_dept=code)

compact()
st.title(markdown_text(names[code]), anchor=False)
action_dialogs.show_result(departments)
feeds.warnings()
every = live.refresh_control()


def figures() -> None:
    """When the figures are from, who acts, and the counters that say how urgent the queue is."""
    f = current.at_now().filters
    st.caption(t("asof.caption", when=instant(f.as_of, city_tz(), lang, seconds=True),
                 tz=zone_name(city_tz(), lang)) + " · "
               + t("action.acting_as", name=actor.name, role=t(f"role.{actor.role}")))
    mine = data.guarded(data.load_counters, f)
    theirs = data.guarded(data.load_counters, f.with_(departments=()))
    if mine is not None:
        headline(mine, theirs, f, lang)


def work() -> None:
    """The queue and its actions (a fragment of its own: see ui/queue.py)."""
    f = current.at_now().filters
    mine = data.guarded(data.load_counters, f)
    queue.draw(f, actor, departments, lang, None if mine is None else mine.open)


def week_map_trend() -> None:
    """How the week went, where the open tickets are, and the last 30 days (the map and the
    trend below the queue, drawn once the user reaches them)."""
    f = current.at_now().filters
    mine = data.guarded(data.load_counters, f)
    theirs = data.guarded(data.load_counters, f.with_(departments=()))
    load = data.guarded(data.load_workload, f)
    if mine is not None:
        week_row(mine, theirs, None if load is None or load.empty else load.iloc[0], lang)
    map_column, trend_column = st.columns([3, 2])
    if lazy.hold("department-map", map_column, trend_column, height=MAP_SIZE[1] + 80):
        return
    with map_column:
        st.subheader(t("dept.map"), anchor=False)
        points = data.guarded(data.load_map, f.with_(statuses=OPEN_STATUSES))
        if points is not None:
            st.caption(t("map.points", n=number(points.total, lang)) + " · " + t("map.legend"))
            size = fitted_size(MAP_SIZE, st.context.headers.get("User-Agent", ""))
            framed = map_drawing.frame(points, reference["districts"], lang, live.steady(
                "map", (current.scope, size), lambda: ticket_view(points.frame, size)), size)
            pick = city_map(map_drawing.drawing(points, reference["districts"], lang, framed,
                                                 size=size, district_lists=False),
                            key="department-map")
            if pick and "ticket" in pick:
                action_dialogs.open_card(pick["ticket"])
    with trend_column:
        st.subheader(t("dept.trend"), anchor=False)
        flow = data.guarded(data.load_daily_flow, f)
        if flow is not None:
            st.plotly_chart(charts.flow_lines(flow, "day", lang), width="stretch",
                            config=charts.CONFIG)


live.section(figures, every)
# A fresh tab's first run stops here until the browser has painted the counters. Outside the
# fragments: a stop inside the queue's fragment left the week, the map and the trend unrun,
# and the watcher's rerun, of that fragment alone, never drew them.
first_paint.figures_first("department", st.container())
live.section(work, every, banner=lambda slot: None)
live.section(week_map_trend, every, banner=lambda slot: None)
action_dialogs.pending_dialog(departments, actor)
