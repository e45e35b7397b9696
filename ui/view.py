"""A view's state: read from the URL, shown as sidebar controls, written back to the URL, so
that a link reproduces what its sender saw."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

import streamlit as st
from babel.dates import get_timezone_name

from db.config import at_risk_window, city_tz
from db.instants import parse_instant
from db.schema import OPEN_STATUSES, STATUSES
from queries.filters import Filters, local_midnight
from queries.map_points import Box
from ui import data, url
from ui.i18n import current_language, date_format, language_picker, name_of, t
from words.language import LANGUAGES

PERIODS = {"any": None, "today": None, "7d": 7, "30d": 30, "365d": 365}
DIMENSIONS = (  # URL parameter, reference table, catalog label
    ("dept", "departments", "filters.department"),
    ("district", "districts", "filters.district"),
    ("category", "categories", "filters.category"),
    ("channel", "channels", "filters.channel"),
)


@dataclass(frozen=True)
class View:
    """What the page shows: the filters, plus the map area and whether the clock is live."""

    filters: Filters
    live: bool
    box: Box | None
    period: str = "any"

    @property
    def scope(self) -> tuple:
        """What the view shows, apart from the moving "now" of a live view: a map framed on
        its tickets is framed anew only when this changes."""
        f = self.filters
        return (f.departments, f.districts, f.categories, f.channels, f.statuses, self.period,
                self.box, None if self.live else f.as_of)

    def at_now(self) -> View:
        """This view at the current refresh interval when it is live (a past moment stays):
        what a self-refreshing part of the page draws, since the sidebar does not rerun."""
        if not self.live:
            return self
        moved = self.filters.with_(as_of=data.live_now(), period_from=None)
        return replace(self, filters=_with_period(moved, self.period))


def _param_list(name: str) -> list[str]:
    return [v for v in url.get(name).split(",") if v]


def parse_as_of(text: str) -> datetime | None:
    """An ISO-8601 instant from the URL; without an offset, city-local time. None if unreadable
    or outside the years db.instants accepts."""
    try:
        return parse_instant(text, city_tz())
    except ValueError:
        return None


def url_as_of() -> datetime | None:
    """The instant the URL's `as_of` names (None: now, or unreadable), for a ticket's card."""
    text = url.get("as_of")
    return parse_as_of(text) if text else None


def parse_box(text: str) -> Box | None:
    try:
        south, west, north, east = (float(v) for v in text.split(","))
    except ValueError:
        return None
    return Box(south, west, north, east)


def init_from_url(reference: dict) -> list[str]:
    """Copy the URL into the session's widget state once; return warnings about its bad values,
    at every run for as long as the view is still the link's (a page may rerun at once)."""
    if st.session_state.get("_view_ready"):
        warnings, view = st.session_state.get("_link_warnings", ([], None))
        return warnings if view == _link_view() else []
    warnings = []
    if url.get("lang") in LANGUAGES:
        st.session_state["lang"] = url.get("lang")
    for param, table, label in DIMENSIONS:
        codes = _param_list(param)
        known = set(reference[table]["code"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            warnings.append(t("filters.unknown", what=t(label).lower(), codes=", ".join(unknown)))
        st.session_state[f"f_{param}"] = [c for c in codes if c in known]
    statuses = [s for s in _param_list("status") if s in STATUSES]
    st.session_state["f_status"] = statuses if url.given("status") else list(OPEN_STATUSES)
    period = url.get("period")
    st.session_state["f_period"] = period if period in PERIODS else "any"
    as_of_text = url.get("as_of")
    as_of = parse_as_of(as_of_text) if as_of_text else None
    if as_of_text and as_of is None:
        warnings.append(t("asof.bad", value=as_of_text))
    st.session_state["f_live"] = as_of is None
    if as_of is not None:
        local = as_of.astimezone(city_tz())
        st.session_state["f_date"], st.session_state["f_time"] = local.date(), local.time()
    st.session_state["_box"] = parse_box(url.get("box"))
    st.session_state["_view_ready"] = True
    st.session_state["_link_warnings"] = (warnings, _link_view())
    return warnings


def _link_view() -> tuple:
    """The filters as the widgets hold them: while unchanged, the view is the link's."""
    return tuple(str(st.session_state.get(key)) for key in (
        "f_dept", "f_district", "f_category", "f_channel", "f_status", "f_period", "f_live"))


def _options(frame, lang: str) -> dict[str, str]:
    return {row["code"]: name_of(row, lang) for row in frame.to_dict("records")}


def sidebar(reference: dict, with_status: bool = True, fixed_dept: str | None = None) -> View:
    """The sidebar: language, as-of and filters. Returns the view they describe."""
    lang = current_language()
    language_picker()
    st.sidebar.subheader(t("asof.label"))
    st.sidebar.toggle(t("asof.live"), key="f_live")
    tz = city_tz()
    if st.session_state["f_live"]:
        as_of = data.live_now()
    else:
        now_local = datetime.now(tz)
        st.session_state.setdefault("f_date", now_local.date())
        st.session_state.setdefault("f_time", now_local.time().replace(second=0, microsecond=0))
        day = st.sidebar.date_input(t("asof.date"), key="f_date", format=date_format(lang))
        clock = st.sidebar.time_input(t("asof.time"), key="f_time", step=timedelta(minutes=15))
        as_of = datetime.combine(day, clock if isinstance(clock, time) else time(0), tzinfo=tz)
    st.sidebar.subheader(t("filters.title"))
    chosen = {}
    for param, table, label in DIMENSIONS:
        if param == "dept" and fixed_dept is not None:
            chosen[param] = [fixed_dept]
            continue
        options = _options(reference[table], lang)
        chosen[param] = st.sidebar.multiselect(t(label), list(options), key=f"f_{param}",
                                               placeholder=t("filters.any"),
                                               format_func=lambda c, o=options: o.get(c, c))
    statuses: list[str] = []
    if with_status:
        statuses = st.sidebar.multiselect(t("filters.status"), list(STATUSES), key="f_status",
                                          placeholder=t("filters.any"),
                                          format_func=lambda s: t(f"status.{s}"))
        st.sidebar.selectbox(t("filters.period"), list(PERIODS), key="f_period",
                             format_func=lambda p: t(f"filters.period.{p}"))
    st.sidebar.button(t("filters.reset"), key="f_reset", icon=":material/filter_alt_off:",
                      on_click=reset_filters, args=(fixed_dept is None, with_status),
                      disabled=not _filtered(with_status, fixed_dept is None), width="stretch")
    filters = Filters(
        as_of=as_of.replace(microsecond=0), tz=tz.key, at_risk=at_risk_window(),
        departments=tuple(chosen["dept"]), districts=tuple(chosen["district"]),
        categories=tuple(chosen["category"]), channels=tuple(chosen["channel"]),
        statuses=tuple(statuses),
    )
    period = st.session_state.get("f_period", "any") if with_status else "any"
    filters = _with_period(filters, period)
    view = View(filters, st.session_state["f_live"], st.session_state.get("_box"), period)
    write_url(view, fixed_dept)
    return view


def _filtered(with_status: bool, with_dept: bool) -> bool:
    """Whether any filter differs from the view's default (all of the city, open tickets)."""
    dims = any(st.session_state.get(f"f_{p}") for p, _, _ in DIMENSIONS
               if with_dept or p != "dept")
    return dims or (with_status and (
        tuple(st.session_state.get("f_status", OPEN_STATUSES)) != OPEN_STATUSES
        or st.session_state.get("f_period", "any") != "any"))


def reset_filters(with_dept: bool = True, with_status: bool = True) -> None:
    """Every filter back to its default (a button's callback: it runs before the widgets)."""
    for param, _, _ in DIMENSIONS:
        if with_dept or param != "dept":
            st.session_state[f"f_{param}"] = []
    if with_status:
        st.session_state["f_status"] = list(OPEN_STATUSES)
        st.session_state["f_period"] = "any"


def go_live() -> None:
    """Leave a past moment for the live view (a button's callback)."""
    st.session_state["f_live"] = True
    url.drop("as_of")


def zone_name(lang: str) -> str:
    """The city's zone as the language names it ("Moscow Time", "Москва")."""
    return get_timezone_name(city_tz(), locale=lang)


def _with_period(f: Filters, period: str) -> Filters:
    if period == "today":
        return f.with_(period_from=local_midnight(f))
    days = PERIODS.get(period)
    return f.with_(period_from=f.as_of - timedelta(days=days)) if days else f


VIEW_PARAMS = frozenset({"lang", "as_of", "dept", "district", "category", "channel", "status",
                         "period", "box"})  # what the sidebar decides; others keep their value


def write_url(view: View, fixed_dept: str | None = None) -> None:
    """Mirror the view into the URL (only what differs from the defaults), keeping every other
    declared parameter (the drill-down, the search, the open card) as it is."""
    f = view.filters
    params: dict[str, str] = {}
    if current_language() != "en" or url.given("lang"):
        params["lang"] = current_language()
    if not view.live:
        params["as_of"] = f.as_of.isoformat()
    for param, values in (("dept", () if fixed_dept else f.departments),
                          ("district", f.districts), ("category", f.categories),
                          ("channel", f.channels)):
        if values:
            params[param] = ",".join(values)
    if tuple(st.session_state.get("f_status", OPEN_STATUSES)) != OPEN_STATUSES:
        params["status"] = ",".join(st.session_state.get("f_status", []))
    if st.session_state.get("f_period", "any") != "any":
        params["period"] = st.session_state["f_period"]
    if view.box is not None:
        b = view.box
        params["box"] = f"{b.south:.5f},{b.west:.5f},{b.north:.5f},{b.east:.5f}"
    if fixed_dept:
        params["dept"] = fixed_dept
    url.replace_view(params, VIEW_PARAMS)
