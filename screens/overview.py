"""City overview: what the head of the city opens in the morning."""

import streamlit as st

from db.config import basemap_url, city_tz
from queries.filters import SUBSETS
from queries.map import Box
from ui import charts, data, feeds, incidents, live, social, view, widgets
from ui.format import clock, instant, number
from ui.i18n import current_language, t
from ui.map import build_deck, ticket_view

MAP_SIZE = (860, 520)  # the map's column on a 1920-pixel screen, and its height: it frames
# the tickets the filters pick when they change, and keeps still through refreshes
lang = current_language()
reference = live.reference_or_wait()

for warning in view.init_from_url(reference):
    st.warning(warning, icon="🔗")
current = view.sidebar(reference)
every = live.refresh_control()

st.title(t("nav.overview"))
if not reference["has_tickets"]:
    st.info(t("db.empty"), icon="📭")


def draw() -> None:
    """Everything that shows figures: redrawn at each refresh, the sidebar left as it is."""
    shown = current.at_now()
    f = shown.filters
    st.caption(t("asof.caption", when=instant(f.as_of, city_tz(), lang, seconds=True),
                 tz=city_tz().key) + (f" · {clock(f.as_of, city_tz())}" if current.live else ""))
    feeds.overview()

    # Counters
    counts = data.guarded(data.load_counters, f)
    if counts is not None:
        widgets.counter_row(counts, f)
    found = incidents.overview_block(f, lang)

    # Map and workload
    map_column, workload_column = st.columns([3, 2])
    with map_column:
        st.subheader(t("section.map"))
        basemap = basemap_url() if st.toggle(t("map.basemap"), key="basemap",
                                             disabled=basemap_url() is None) else None
        points = data.guarded(data.load_map, f, current.box)
        if points is not None:
            if points.cells:
                st.caption(t("map.cells", n=number(points.total, lang),
                             cells=number(len(points.frame), lang),
                             size=number((points.cell_deg or 0) * 111_000, lang)))
            elif points.total:
                st.caption(t("map.points", n=number(points.total, lang)) + " · " + t("map.legend"))
            else:
                st.caption(t("map.no_points"))
            framed = live.steady("map", current.scope, lambda: ticket_view(points.frame, MAP_SIZE))
            picked = st.pydeck_chart(build_deck(points, reference["districts"], lang, basemap,
                                                size=MAP_SIZE, view=framed, incidents=found),
                                     on_select="rerun", selection_mode="single-object", key="map",
                                     height=MAP_SIZE[1])
            objects = picked.selection.objects if picked else {}
            if objects.get("tickets"):
                st.query_params["ticket"] = objects["tickets"][0]["external_id"]
            elif objects.get("cells"):
                cell = objects["cells"][0]
                half = (points.cell_deg or 0.002) / 2
                st.session_state["_box"] = Box(cell["lat"] - half, cell["lon"] - half,
                                               cell["lat"] + half, cell["lon"] + half)
                st.rerun()
        if current.box is not None:
            st.info(t("map.area"), icon="🗺️")
            if st.button(t("map.clear_area"), icon=":material/zoom_out_map:"):
                st.session_state["_box"] = None
                st.query_params.pop("box", None)
                st.rerun()

    with workload_column:
        st.subheader(t("section.workload"))
        load = data.guarded(data.load_workload, f)
        if load is not None and not load.empty:
            shown = (t("chart.top", n=charts.TOP_DEPARTMENTS, total=len(load))
                     if len(load) > charts.TOP_DEPARTMENTS else t("chart.all", total=len(load)))
            st.caption(t("chart.click_dept") + " " + shown)
            chosen = st.plotly_chart(charts.workload_bars(load, lang), on_select="rerun",
                                     selection_mode="points", key="workload", width="stretch",
                                     config=charts.CONFIG)
            hits = chosen.selection.points if chosen else []
            if hits and hits[0]["customdata"] != st.query_params.get("drill_dept"):
                st.query_params["drill_dept"] = hits[0]["customdata"]
                widgets.show_subset("open")

    # Trends
    flow_column, on_time_column, channel_column = st.columns(3)
    with flow_column:
        st.subheader(t("section.flow"))
        flow = data.guarded(data.load_daily_flow, f)
        if flow is not None:
            st.plotly_chart(charts.flow_lines(flow, "day", lang), width="stretch",
                            config=charts.CONFIG)
    with on_time_column:
        st.subheader(t("section.on_time"))
        weekly = data.guarded(data.load_weekly_on_time, f)
        if weekly is not None:
            st.plotly_chart(charts.on_time_weeks(weekly, lang), width="stretch",
                            config=charts.CONFIG)
    with channel_column:
        st.subheader(t("section.channels"))
        mix = data.guarded(data.load_channel_mix, f)
        if mix is not None:
            st.plotly_chart(charts.channel_bars(mix, lang), width="stretch", config=charts.CONFIG)
        social.social_response(f, lang)

    # Drill-down
    st.subheader(t("section.tickets"), anchor="tickets")
    table_filters = f
    drill_dept = st.query_params.get("drill_dept")
    if drill_dept in set(reference["departments"]["code"]):
        names = reference["departments"].set_index("code")
        label = names.loc[drill_dept, "name_ru" if lang == "ru" else "name"] or drill_dept
        st.caption(t("table.drill", what=label))
        table_filters = f.with_(departments=(drill_dept,))
    subset = st.query_params.get("subset", "all")
    subset = subset if subset in SUBSETS else "all"
    if subset != "all":
        table_filters = table_filters.with_(statuses=(), period_from=None)
    selected = widgets.ticket_table(table_filters, subset)
    ticket_id = selected or st.query_params.get("ticket")
    if ticket_id:
        card = data.guarded(data.load_card, ticket_id)
        if card is None:
            st.warning(t("card.missing", id=ticket_id))
        else:
            widgets.ticket_card(card)
            st.page_link("screens/ticket.py", label=t("card.open_page"),
                         query_params={"id": ticket_id}, icon=":material/open_in_new:")


live.section(draw, every)
