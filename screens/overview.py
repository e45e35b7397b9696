"""City overview: what leadership opens in the morning. Its first screen answers "what needs my
attention now" (overdue and at risk, against targets and against yesterday); every figure opens
the tickets behind it at the top of the page, and every ticket its card over the page."""

import streamlit as st

from db.config import basemap_url, city_tz
from queries.map_points import Box
from ui import (
    action_dialogs,
    attention,
    charts,
    data,
    drill,
    feeds,
    first_paint,
    incidents,
    lazy,
    live,
    map_drawing,
    social,
    url,
    view,
    widgets,
    workload,
)
from ui.actor import current_actor
from ui.city_map import city_map
from ui.deck import fitted_size, ticket_view
from ui.i18n import current_language, t
from words.formatting import instant, number

# Less empty space above the title, so the counters and the top of the map and the workload
# fit the first screen at 1366×768.
CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
[data-testid="stMainBlockContainer"] h1 { padding-top: 0.25rem; padding-bottom: 0; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.35rem; padding-top: 0.25rem; }
/* the workload's note keeps room for four lines: a count that makes it wrap once more must
   not make the row taller and push the page under the user */
.st-key-workload-note { min-height: 5.6rem; }
/* the services behind: one line of small buttons under the counters */
.st-key-behind { gap: .35rem; }
.st-key-behind button { min-height: 2rem; padding: .1rem .5rem; }
</style>"""
# The table's toolbar, count and ten rows (pixels): the room it keeps until it is drawn.
TABLE_HEIGHT = 510

actor = current_actor()  # signed in, else this stops here: the screen never runs ungated
lang = current_language()
reference = live.reference_or_wait()
st.html(CSS)
action_dialogs.show_result(reference["departments"])  # what a reassignment did, once

for warning in view.init_from_url(reference):
    st.warning(warning, icon=":material/link_off:")
    first_paint.said_once()
current = view.sidebar(reference)
every = live.refresh_control()

st.title(t("nav.overview"))
if not reference["has_tickets"]:
    st.info(t("db.empty"), icon=":material/inbox:")
if not current.live:
    with st.container(key="past-banner"):
        said, back = st.columns([4, 1], vertical_alignment="center")
        said.warning(t("past.banner", when=instant(current.filters.as_of, city_tz(), lang)),
                     icon=":material/history:")
        back.button(t("past.back"), key="back_to_live", type="primary", icon=":material/update:",
                    on_click=view.go_live, width="stretch")


def problem_map(f, box: Box | None, found) -> None:
    """The map: a point opens its card, a district or a cell its list; incidents ringed."""
    st.subheader(t("section.map"))
    basemap = None
    if basemap_url() is not None and st.toggle(t("map.basemap"), key="basemap"):
        basemap = basemap_url()
    points = data.guarded(data.load_map, f, box)
    if points is None:
        return
    if points.cells:
        st.caption(t("map.cells", n=number(points.total, lang),
                     cells=number(len(points.frame), lang),
                     size=number((points.cell_deg or 0) * 111_000, lang))
                   + " " + t("map.legend_cells"))
    elif points.total:
        st.caption(t("map.points", n=number(points.total, lang)) + " · "
                   + t("map.legend_points"))
    else:
        st.caption(t("map.no_points"))
    size = fitted_size(map_drawing.SIZE, st.context.headers.get("User-Agent", ""))
    framed = map_drawing.frame(points, reference["districts"], lang, live.steady(
        "map", (current.scope, box, size), lambda: ticket_view(points.frame, size)), size)
    if basemap:
        picked = st.pydeck_chart(
            map_drawing.deck(points, reference["districts"], lang, basemap, framed, found),
            on_select="rerun", selection_mode="single-object", height=size[1],
            key=f"map_{st.session_state.get('_map_gen', 0)}_{drill.generation()}")
        pick = _deck_pick(picked.selection.objects if picked else {})
    else:
        pick = city_map(map_drawing.drawing(points, reference["districts"], lang, framed,
                                             found, size), key="city-map")
    if not pick:
        return
    if "ticket" in pick:
        drill.open_card(pick["ticket"])
    elif "cell" in pick:
        half = (points.cell_deg or 0.002) / 2
        lat, lon = pick["cell"]
        area = Box(lat - half, lon - half, lat + half, lon + half)
        if area != box:
            drill.by_area(area)
            st.rerun()
    elif pick.get("district") and pick["district"] != url.get("drill_district"):
        drill.by_district(pick["district"])


def _deck_pick(objects: dict) -> dict | None:
    """What a click on the street-basemap map picked, as the SVG map says it."""
    if objects.get("tickets"):
        return {"ticket": objects["tickets"][0]["external_id"]}
    if objects.get("cells"):
        return {"cell": [objects["cells"][0]["lat"], objects["cells"][0]["lon"]]}
    return None


def department_workload(f) -> None:
    """Departments with open work, the worst on top; a row opens the department's list."""
    st.subheader(t("section.workload"))
    load = data.guarded(data.load_workload, f)
    if load is None:
        return
    busy = workload.with_work(load)
    if busy.empty:
        st.info(t("chart.nothing_open"), icon=":material/task_alt:")
        return
    top = workload.TOP
    shown = (t("chart.top", n=top, total=len(busy)) if len(busy) > top
             else t("chart.all", total=len(busy)))
    st.container(key="workload-note").caption(t("chart.click_dept") + " " + shown + " "
                                              + t("chart.handoffs"))
    rows = workload.rows(load, lang)
    st.html(workload.style(rows))
    st.markdown(workload.legend(lang))
    with st.container(key="workload-rows"):
        for place, row in enumerate(rows):
            st.button(workload.label(row, lang), key=f"{workload.KEY}{place}",
                      help=workload.tooltip(row, lang), type="tertiary",
                      on_click=drill.by_department, args=(row.code,), width="stretch")


def behind_now(f) -> None:
    """The services furthest behind, in one line under the counters, so the first screen names
    them whatever sits above (at 1366×768 with an incident too); each opens its list."""
    load = data.guarded(data.load_workload, f)
    if load is None:
        return
    worst = workload.rows(workload.behind(load), lang)
    with st.container(key="behind", horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(t("behind.title"), width="content")
        if not worst:
            st.markdown(t("behind.none"), width="content")
        for place, row in enumerate(worst):
            st.button(workload.behind_label(row, lang), key=f"behind_{place}",
                      help=workload.tooltip(row, lang), on_click=drill.by_department,
                      args=(row.code,))


def trends(f) -> None:
    """Below the fold, one chart at a time: drawn once the user reaches it, and then only the
    open tab."""
    st.subheader(t("section.trends"))
    if lazy.hold("trends", st.container(), height=380):
        return
    flow, on_time, channels = st.tabs(
        [t("section.flow"), t("section.on_time"), t("section.channels")],
        key="trend_tab", on_change="rerun")
    if flow.open:
        with flow:
            daily = data.guarded(data.load_daily_flow, f)
            if daily is not None:
                st.plotly_chart(charts.flow_lines(daily, "day", lang), width="stretch",
                                config=charts.CONFIG)
    if on_time.open:
        with on_time:
            weekly = data.guarded(data.load_weekly_on_time, f)
            if weekly is not None:
                st.plotly_chart(charts.on_time_weeks(weekly, lang), width="stretch",
                                config=charts.CONFIG)
    if channels.open:
        with channels:
            mix = data.guarded(data.load_channel_mix, f)
            if mix is not None:
                st.plotly_chart(charts.channel_bars(mix, lang), width="stretch",
                                config=charts.CONFIG)
            social.social_response(f, lang)


def tickets(f, chosen: drill.Drill) -> None:
    """The tickets behind the drill-down (or all that match the filters); a row opens its card."""
    table_filters = f
    if chosen.department:
        table_filters = table_filters.with_(departments=(chosen.department,))
    if chosen.district:
        table_filters = table_filters.with_(districts=(chosen.district,))
    if chosen.subset != "all":
        table_filters = table_filters.with_(statuses=(), period_from=None)
    picked = widgets.ticket_table(table_filters, chosen.subset, box=chosen.box)
    if picked:
        drill.open_card(picked)


def draw() -> None:
    """Everything that shows figures: redrawn at each refresh, the sidebar left as it is."""
    f = current.at_now().filters
    st.caption(t("asof.caption", when=instant(f.as_of, city_tz(), lang, seconds=True),
                 tz=view.zone_name(lang)))  # the instant once: it already has its seconds
    found = incidents.overview_block(f, lang)  # an incident is the first thing on the page
    panel = st.container(key=drill.PANEL_KEY)  # the drill-down's answer, filled at the end
    feeds.overview()

    counts = data.guarded(data.load_counters, f)
    if counts is not None:
        attention.counters(counts, data.guarded(data.load_baseline, f), f, drill.show_subset)
    behind_now(f)

    box = st.session_state.get("_box")
    left, right = st.columns([3, 2])
    first_paint.figures_first("overview", left, right)
    with left:
        problem_map(f, box, found)
    with right:
        department_workload(f)
    trends(f)

    chosen = drill.current(reference, st.session_state.get("_box"),
                           incidents.drill_choices(found, lang))
    if chosen.active:
        with panel, st.container(border=True):
            drill.bar(drill.describe(chosen, reference, lang,
                                     lambda s: widgets.subset_label(s, f)))
            if chosen.incident:
                incidents.drill_table(f, chosen, actor, lang)
            else:
                tickets(f, chosen)
    else:
        st.subheader(t("section.tickets"), anchor="tickets")
        # at the foot of the page: drawn once the user gets there (a link's search at once)
        if url.given("q") or not lazy.hold("tickets", st.container(), height=TABLE_HEIGHT):
            tickets(f, chosen)
    drill.scroll_if_asked()


live.section(draw, every if current.live else None)
drill.card_dialog()
action_dialogs.pending_dialog(reference["departments"], actor)
