"""The week page's parts: the week from the link, the headline figures against the week before
and the usual, what rose, the departments, the oldest open tickets, and the drill-down dialog
that lists the tickets behind any weekly figure."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from db.config import city_tz
from queries.week import CITY, FIGURES, Rise, Week, WeekFigures, WeekReview, last_full_week
from queries.week import parse_week as parse
from reports.week_pack import FontMissing, change_text, figure_text
from ui import data, url
from ui.i18n import current_language, name_of, t
from ui.text import markdown_text
from words.formatting import instant, number, week_dates, zone_name

RECENT_WEEKS = 26
PAGE_SIZE = 50
# st.metric's delta colour: a rise is good (normal), bad (inverse), or neither (off).
DELTA_COLOUR = {"received": "off", "resolved": "normal", "on_time_pct": "normal",
                "median_accept_s": "inverse", "median_resolve_s": "inverse",
                "open_at_end": "inverse", "overdue_at_end": "inverse", "passed_on": "off"}


def chosen_week() -> Week:
    """`?week=YYYY-Www` (a bad one is named and replaced by the last full week), then the picker
    of the last 26 weeks; the choice goes back to the link."""
    tz = city_tz().key
    latest = last_full_week(datetime.now(UTC), tz)
    asked = url.get("week")
    week = latest
    if asked:
        try:
            week = parse(asked, tz)
        except ValueError:
            st.warning(t("week.bad", value=asked), icon=":material/link_off:")
    labels = [latest.shifted(-k).label for k in range(RECENT_WEEKS)]
    if week.label not in labels:
        labels.insert(0, week.label)
    lang = current_language()
    label = st.sidebar.selectbox(t("week.pick"), labels, index=labels.index(week.label),
                                 key="week_pick",
                                 format_func=lambda w: week_dates(parse(w, tz), lang))
    if label != latest.label or asked:
        url.put("week", label)
    return parse(label, tz)


def period(week: Week, lang: str) -> str:
    tz = city_tz()
    return t("week.period", start=instant(week.start, tz, lang), end=instant(week.end, tz, lang),
             tz=zone_name(tz, lang))


def pack_button(week: Week, lang: str) -> None:
    """The meeting pack, made when the button asks for it."""
    def make() -> bytes:
        try:
            return data.week_pack(week.label, week.tz, lang)
        except FontMissing:
            st.toast(t("week.pdf.no_font"), icon=":material/error:")
            return b""

    st.download_button(t("week.pdf"), data=make, file_name=f"citydesk-{week.label}-{lang}.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:", key="week_pdf")


def headline(review: WeekReview, lang: str) -> None:
    """The city's eight figures, each with its change and its usual, and a button to list the
    tickets behind it."""
    now, before, usual = review.figures[CITY], review.previous[CITY], review.usual[CITY]
    for row in (FIGURES[:4], FIGURES[4:]):
        for column, name in zip(st.columns(4), row, strict=True):
            with column:
                _metric(name, now, before, usual, lang)
                if st.button(t("week.list"), key=f"week_list_{name}", type="tertiary",
                             icon=":material/list:"):
                    open_drill(review.week, name)


def _metric(name: str, now: WeekFigures, before: WeekFigures, usual: dict, lang: str) -> None:
    value, previous = getattr(now, name), getattr(before, name)
    change = change_text(name, value, previous, lang)
    # st.metric reads the direction from an ASCII sign; no arrow when nothing moved.
    delta = change.replace("−", "-") if change and not change.startswith("±") else None
    st.metric(t(f"week.figure.{name}"), figure_text(name, value, lang), delta=delta,
              delta_color=DELTA_COLOUR[name], border=True,
              help=t("week.usual", usual=figure_text(name, usual.get(name), lang)))


def rises(review: WeekReview, lang: str) -> None:
    """The categories and districts that rose most against their usual."""
    for column, key, what, found in zip(
            st.columns(2), ("week.rises.categories", "week.rises.districts"),
            ("filters.category", "filters.district"), (review.categories, review.districts),
            strict=True):
        with column:
            st.subheader(t(key))
            if not found:
                st.caption(t("week.rises.none"))
                continue
            dimension = "category" if what == "filters.category" else "district"
            key = f"week_rises_{dimension}"
            event = st.dataframe(_rise_frame(found, t(what), lang), hide_index=True,
                                 width="stretch", on_select="rerun",
                                 selection_mode="single-row", key=key)
            picked = event.selection.rows if event else []
            chosen = (review.week.label, found[picked[0]].code) if picked else None
            if chosen != st.session_state.get(f"_{key}_opened"):  # a new pick opens it once
                st.session_state[f"_{key}_opened"] = chosen
                if chosen is not None:
                    open_drill(review.week, "received", **{dimension: chosen[1]})


def _rise_frame(found: list[Rise], heading: str, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        heading: [name_of({"name": r.name, "name_ru": r.name_ru}, lang)
                               for r in found],
        t("week.col.this"): [r.count for r in found],
        t("week.col.usual"): [number(r.usual, lang, 1) for r in found],
        t("week.col.change"): ["+" + number(r.rise, lang, 1) for r in found],
    })


def departments(review: WeekReview, lang: str) -> None:
    """Every department, most overdue at the week's end first; a row opens its figures and
    tickets in a dialog."""
    st.subheader(t("week.departments"))
    st.caption(t("week.departments.pick"))
    rows = review.departments.set_index("id")
    order = sorted((d for d in review.figures if d is not CITY),
                   key=lambda d: (-review.figures[d].overdue_at_end,
                                  -review.figures[d].open_at_end, rows.loc[d, "name"]))
    # The columns the rows are sorted by come first, so a 1366-pixel screen shows them.
    first = ("overdue_at_end", "open_at_end")
    columns = (*first, *(f for f in FIGURES if f not in first))
    table = pd.DataFrame({
        t("week.col.department"): [name_of(rows.loc[d], lang) for d in order],
        **{t(f"week.figure.{name}"): [figure_text(name, getattr(review.figures[d], name), lang)
                                      for d in order] for name in columns},
    })
    event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="week_departments")
    picked = event.selection.rows if event else []
    opened = st.session_state.get("_week_dept_opened")
    chosen = (review.week.label, order[picked[0]]) if picked else None
    if chosen != opened:  # a new pick opens the dialog once; closing it does not reopen it
        st.session_state["_week_dept_opened"] = chosen
        if chosen is not None:
            code = rows.loc[chosen[1], "code"]
            open_drill(review.week, "overdue_at_end", department=code)


def oldest(review: WeekReview, lang: str) -> None:
    st.subheader(t("week.oldest"))
    if review.oldest_open.empty:
        st.caption(t("week.oldest.none"))
        return
    st.dataframe(ticket_frame(review.oldest_open, review.week, lang), hide_index=True,
                 width="stretch", column_config=_link_column())


def ticket_frame(frame: pd.DataFrame, week: Week, lang: str) -> pd.DataFrame:
    """Tickets as the week page lists them; the first column links each one's card."""
    tz = city_tz()
    records = frame.to_dict("records")
    return pd.DataFrame({
        t("col.id"): [f"/ticket?id={i}" for i in frame["external_id"]],
        t("col.created"): [instant(v, tz, lang) for v in frame["created_at"]],
        t("col.status"): [t(f"status.{s}") for s in frame["status"]],
        t("col.category"): [name_of(r, lang, "category") for r in records],
        t("col.department"): [name_of(r, lang, "department") for r in records],
        t("col.district"): [name_of(r, lang, "district") for r in records],
        t("col.address"): frame["address"].fillna(""),
    })



def _link_column() -> dict:
    return {t("col.id"): st.column_config.LinkColumn(display_text=r"id=(.*)$")}


def open_drill(week: Week, figure: str, department: str | None = None,
               category: str | None = None, district: str | None = None) -> None:
    """Open the list of one figure: the dialog starts on that figure and its first page, whatever
    an earlier dialog was left showing."""
    st.session_state["week_drill_figure"] = figure
    st.session_state["week_drill_page"] = 1
    drill(week, figure, department, category, district)


@st.dialog(" ", width="large")
def drill(week: Week, figure: str, department: str | None = None, category: str | None = None,
          district: str | None = None) -> None:
    """The tickets behind one weekly figure of the city, a department, or a category or district
    that rose; the figures of a department on top, and the figure to switch between them."""
    lang = current_language()
    reference = data.guarded(data.load_reference)
    scope = t("week.list.city")
    for table, code in (("departments", department), ("categories", category),
                        ("districts", district)):
        if code is not None:
            names = {} if reference is None else {
                r["code"]: name_of(r, lang) for r in reference[table].to_dict("records")}
            scope = names.get(code, code)
    review = data.guarded(data.load_week_review, week.label, week.tz)
    if review is not None and department is not None:
        rows = review.departments.set_index("code")
        dept = int(rows.loc[department, "id"])
        figures, before = review.figures[dept], review.previous[dept]
        for row in (FIGURES[:4], FIGURES[4:]):
            for column, name in zip(st.columns(4), row, strict=True):
                with column:
                    _metric(name, figures, before, review.usual[dept], lang)
    figure = st.segmented_control(t("week.col.figure"), FIGURES,
                                  format_func=lambda f: t(f"week.figure.{f}"),
                                  key="week_drill_figure") or figure
    title = t("week.list.title", figure=t(f"week.figure.{figure}"), scope=scope,
              week=week.label)
    st.markdown(f"**{markdown_text(title)}**")
    page = st.session_state.get("week_drill_page", 1)
    result = data.guarded(data.load_week_tickets, week.label, week.tz, figure, department, page,
                          PAGE_SIZE, category, district)
    if result is None:
        return
    frame, total = result
    st.caption(t("week.list.count", n=number(total, lang)))
    if total > PAGE_SIZE:
        st.number_input(t("table.page"), 1, -(-total // PAGE_SIZE), key="week_drill_page")
    if not frame.empty:
        st.dataframe(ticket_frame(frame, week, lang), hide_index=True, width="stretch",
                     column_config=_link_column())
