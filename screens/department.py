"""A department's page: what its head keeps open all day — its figures against the city's, its
queue by urgency, its map and trend, and the actions that move work."""

import streamlit as st

from db.config import city_tz
from ui import actions, charts, data, live, view, widgets
from ui.actor import current_actor, may_act
from ui.format import instant, number
from ui.i18n import current_language, name_of, t
from ui.map import build_deck, ticket_view
from ui.text import markdown_text

MAP_SIZE = (850, 420)  # the map's column on a 1920-pixel screen, and its height: it frames
# the department's open tickets the filters pick when they change, and keeps still through
# refreshes
lang = current_language()
reference = live.reference_or_wait()
departments = reference["departments"]
names = {row["code"]: name_of(row, lang) for row in departments.to_dict("records")}
actor = current_actor()

# Which department: the link's, else the head's own, else the first. A head sees only their own.
asked = st.query_params.get("dept")
if actor.role == "head":
    if asked and asked != actor.department:
        st.info(t("dept.own_only", dept=names.get(actor.department, actor.department)),
                icon=":material/lock:")
    asked = actor.department
if asked and asked not in names:
    st.warning(t("dept.unknown", code=asked), icon=":material/link_off:")
    asked = None
if "dept_page" not in st.session_state or (asked and asked != st.session_state["dept_page"]):
    st.session_state["dept_page"] = asked or actor.department or next(iter(names), None)
if not names:
    st.info(t("db.empty"), icon=":material/inbox:")
    st.stop()
code = st.sidebar.selectbox(t("dept.pick"), list(names), format_func=names.get, key="dept_page",
                            disabled=actor.role == "head")
st.query_params["dept"] = code

view.init_from_url(reference)
current = view.sidebar(reference, with_status=False, fixed_dept=code)

st.title(markdown_text(names[code]))
actions.show_result(departments)
every = live.refresh_control()


def draw() -> None:
    """The figures, the queue and its actions, the map and the trend: redrawn at each refresh."""
    f = current.at_now().filters
    st.caption(t("asof.caption", when=instant(f.as_of, city_tz(), lang, seconds=True),
                 tz=city_tz().key) + " · " + t("action.acting_as", name=actor.name,
                                                role=t(f"role.{actor.role}")))

    # Counters, and how they compare with the city
    mine = data.guarded(data.load_counters, f)
    theirs = data.guarded(data.load_counters, f.with_(departments=()))
    if mine is not None:
        widgets.counter_row(mine, f, drill=False,
                            notes=None if theirs is None else widgets.city_comparison(mine, theirs))

    # The queue, and the actions on it
    st.subheader(t("dept.queue"))
    st.caption(t("dept.queue_help"))
    search = st.text_input(t("table.search"), key="queue_search")
    queue = data.guarded(data.load_queue, f, search)
    chosen = None
    if queue is not None and queue.empty:
        st.success(t("dept.queue_empty"), icon=":material/check_circle:")
    elif queue is not None:
        total = mine.open if mine is not None else len(queue)
        if len(queue) < total and not search:
            st.caption(t("dept.queue_more", n=number(len(queue), lang),
                         total=number(total, lang)))
        ids = [str(i) for i in queue["external_id"]]
        picked = widgets.steady_selection(widgets.queue_frame(queue, lang), ids,
                                          actions.QUEUE_KEY, multi=True, height=420)
        chosen = queue[queue["external_id"].astype(str).isin(picked)]
        buttons = st.columns([2, 2, 5])
        if may_act(actor):
            if buttons[0].button(t("action.reassign", n=len(chosen)), type="primary",
                                 disabled=chosen.empty, icon=":material/swap_horiz:"):
                actions.open_reassign(chosen)
            if buttons[1].button(t("action.undo"), icon=":material/undo:"):
                actions.undo(actor)
        else:
            buttons[0].caption(t("action.no_permission", role=t(f"role.{actor.role}")))
    if chosen is not None and len(chosen) == 1:
        card = data.guarded(data.load_card, str(chosen.iloc[0]["external_id"]))
        if card is not None:
            widgets.ticket_card(card)

    # Its map and its trend
    map_column, trend_column = st.columns([3, 2])
    with map_column:
        st.subheader(t("dept.map"))
        points = data.guarded(data.load_map, f.with_(statuses=("new", "in_progress")))
        if points is not None:
            st.caption(t("map.points", n=number(points.total, lang)) + " · " + t("map.legend"))
            framed = live.steady("map", current.scope, lambda: ticket_view(points.frame, MAP_SIZE))
            st.pydeck_chart(build_deck(points, reference["districts"], lang, size=MAP_SIZE,
                                       view=framed), height=MAP_SIZE[1])
    with trend_column:
        st.subheader(t("dept.trend"))
        flow = data.guarded(data.load_daily_flow, f)
        if flow is not None:
            st.plotly_chart(charts.flow_lines(flow, "day", lang), width="stretch",
                            config=charts.CONFIG)


live.section(draw, every)
actions.pending_dialog(departments, actor)
