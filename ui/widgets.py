"""Widgets the pages share: the counter row, the ticket table with its card, the outage banner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from db.config import city_tz
from db.schema import OPEN_STATUSES
from queries.counters import Counters
from queries.filters import SUBSETS, Filters
from queries.map_points import Box
from queries.tickets import TicketCard, TicketQuery
from ui import data, export, url
from ui import sla as sla_ui
from ui.attention import day_label
from ui.history import event_kind, event_note
from ui.i18n import current_language, date_format, name_of, t
from ui.tables import mark_overdue, time_left_column
from ui.text import markdown_block, markdown_text
from words.formatting import actor_label, duration, instant, number, percent

DRILLABLE = ("open", "overdue", "at_risk", "received_today", "resolved_today")
PAGE_SIZE = 50


def outage_banner(slot) -> None:
    """Fill `slot` (made at the top of the page) when this run could not reach the database."""
    down = data.outage()
    if down is None:
        slot.empty()
        return
    if down.since is None:
        slot.error(t("db.down_nothing", every=data.TTL), icon=":material/cloud_off:")
    else:
        slot.warning(t("db.down", when=instant(down.since, city_tz(), current_language(), True),
                       every=data.TTL), icon=":material/cloud_off:")


# An empty date field's placeholder ("dd.mm.yyyy") is written by the browser in its own locale,
# whatever the page's language: each part is written anew from the catalog instead.
DAY_PART = ('[data-testid="stDateInputField"] [data-placeholder="true"][data-type="{part}"]'
            '{{font-size: 0}} [data-testid="stDateInputField"] [data-placeholder="true"]'
            '[data-type="{part}"]::before {{content: "{text}"; font-size: .875rem}}')


def day_field(slot, label: str, key: str) -> date | None:
    """A day that may be left empty (the audit's and the alerts' "from" and "to"), in the
    language's order, its empty parts named in the language too."""
    rules = " ".join(DAY_PART.format(part=part, text=t(f"date.{part}"))
                     for part in ("day", "month", "year"))
    st.html(f"<style>{rules}</style>")  # style alone takes no place on the page
    return slot.date_input(label, value=None, key=key, format=date_format())


def day_range(since: date | None, until: date | None,
              tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """The days picked in two `day_field`s as instants: from the first day's local midnight to
    the midnight after the last (either end left open when its field is empty)."""
    return (datetime.combine(since, time(0), tzinfo=tz) if since else None,
            datetime.combine(until + timedelta(days=1), time(0), tzinfo=tz) if until else None)


def paged(load: Callable, f, key: str, size: int) -> tuple[pd.DataFrame, int] | None:
    """One page of a long log (the audit's, the alerts'): `load(f, page, size)` gives a page's
    rows and the total; a page picker under `key`, sent back to the first page when the filters
    leave fewer pages. None when the database is down (said by the outage banner)."""
    first = data.guarded(load, f, 1, size)
    if first is None:
        return None
    pages = max(1, -(-first[1] // size))
    if not 1 <= st.session_state.get(key, 1) <= pages:
        st.session_state[key] = 1
    page = st.number_input(t("table.page"), 1, pages, key=key, width=160)
    return first if page == 1 else data.guarded(load, f, page, size)


def city_comparison(mine: Counters, city: Counters) -> dict[str, str]:
    """A department's counters against the city's: its share of each count, and the city's
    own rate and medians beside its own."""
    lang = current_language()
    notes = {
        key: t("dept.share", pct=percent(100.0 * getattr(mine, key) / getattr(city, key), lang)
               if getattr(city, key) else "—")
        for key in DRILLABLE
    }
    notes["on_time_pct_7d"] = t("dept.city", value=percent(city.on_time_pct_7d, lang))
    notes["median_accept_s_7d"] = t("dept.city", value=duration(city.median_accept_s_7d, lang))
    notes["median_resolve_s_7d"] = t("dept.city",
                                     value=duration(city.median_resolve_s_7d, lang))
    return notes


def show_subset(subset: str, table_key: str = "tickets") -> None:
    """Point the ticket table at the tickets behind one figure (also in the URL)."""
    st.session_state[f"{table_key}_subset"] = subset
    st.session_state[f"{table_key}_page"] = 1
    url.put("subset", subset)


def _display(frame: pd.DataFrame, lang: str, as_of: datetime | None = None) -> pd.DataFrame:
    return export.shown_columns(frame, lang, city_tz(), export.TABLE_COLUMNS, as_of)


def overdue_flags(frame: pd.DataFrame) -> list[bool]:
    """Which rows of a ticket frame are open and past their deadline (on the clock: T > due)."""
    return [status in OPEN_STATUSES and left < 0
            for left, status in zip(frame["time_left_s"], frame["status"], strict=True)]


def at_risk_flags(frame: pd.DataFrame, f: Filters) -> list[bool]:
    """Which rows are open and at risk: due within the warning window on the clock, as the
    At-risk counter counts them (docs/figures.md, "One deadline")."""
    window = f.at_risk.total_seconds()
    return [status in OPEN_STATUSES and 0 <= left <= window
            for left, status in zip(frame["time_left_s"], frame["status"], strict=True)]


def subset_label(subset: str, f: Filters) -> str:
    """A subset's name; "today" ones name the view's day when it is not today."""
    if subset in ("received_today", "resolved_today"):
        return day_label(f, f"subset.{subset}", f"subset.{subset.split('_')[0]}_on")
    return t(f"subset.{subset}")


def ticket_table(f: Filters, subset: str, key: str = "tickets",
                 box: Box | None = None) -> str | None:
    """A server-side paged table of the tickets behind `subset` (within `box` on the map, if
    given); returns the selected id."""
    lang = current_language()
    top = st.columns([2, 3, 2, 1])
    st.session_state.setdefault(f"{key}_subset", subset)
    subset = top[0].selectbox(t("table.subset"), SUBSETS,
                              format_func=lambda s: subset_label(s, f), key=f"{key}_subset")
    url.put("subset", subset)
    st.session_state.setdefault(f"{key}_search", url.get("q"))  # a shared link's search
    search = top[1].text_input(t("table.search"), key=f"{key}_search")
    url.put("q", search.strip() or None)
    sorts = ["created", "age", "due", "department"]
    late = subset in ("open", "overdue", "at_risk")  # the earliest deadline is the most overdue
    sort = top[2].selectbox(
        t("table.sort"), sorts, key=f"{key}_sort",
        format_func=lambda s: t("sort.most_overdue" if s == "due" and late else f"sort.{s}"))
    query = TicketQuery(subset=subset, search=search, sort=sort, descending=sort != "due",
                        page=1, page_size=PAGE_SIZE, box=box)
    result = data.guarded(data.load_ticket_page, f, query)
    total = result[1] if result else 0
    pages = max(1, -(-total // PAGE_SIZE))
    if not 1 <= st.session_state.get(f"{key}_page", 1) <= pages:
        st.session_state[f"{key}_page"] = 1
    st.session_state.setdefault(f"{key}_page", 1)
    page = top[3].number_input(t("table.page"), 1, pages, key=f"{key}_page")
    if page != 1:
        result = data.guarded(data.load_ticket_page, f, TicketQuery(
            subset=subset, search=search, sort=sort, descending=sort != "due", page=page,
            page_size=PAGE_SIZE, box=box))
    if result is None:
        return None
    frame, total = result
    if frame.empty:
        st.info(t("table.empty"))
        return None
    st.caption(t("table.count", shown=number(len(frame), lang), total=number(total, lang))
               + " · " + t("table.pick"))
    picked = steady_selection(mark_overdue(_display(frame, lang, f.as_of), overdue_flags(frame),
                                           at_risk_flags(frame, f)),
                              [str(i) for i in frame["external_id"]], key,
                              column_config=time_left_column(t("col.time_left"), lang))
    st.download_button(
        t("table.export"), data=export.tickets_csv(data.read_engine(), f, query, lang, city_tz()),
        file_name=export.file_name(subset, f.as_of, city_tz()), mime="text/csv",
        icon=":material/download:", key=f"{key}_export", on_click="ignore",
    )
    return picked[0] if picked else None


def steady_selection(shown: pd.DataFrame | Styler, ids: list[str], key: str,
                     multi: bool = False, height: int | str = "auto",
                     column_config: dict | None = None) -> list[str]:
    """The table, with a selection that follows its tickets rather than their row numbers.

    A refresh that brings new tickets moves the rows under the selection; the table is then
    drawn anew with the same tickets selected where they now are, until the user changes the
    selection. A single pick whose ticket left the page stays picked (its card stays open);
    tickets that left a multi-row selection drop out of it.
    """
    generation = st.session_state.get(f"{key}_generation", 0)
    picked: list[str] = st.session_state.get(f"{key}_picked", [])
    state = st.session_state.get(f"{key}_grid_{generation}")
    rows = list(state["selection"]["rows"]) if state else []
    if rows != st.session_state.get(f"{key}_rows", []):  # the user changed the selection
        picked = [ids[r] for r in rows if r < len(ids)]
    if multi:
        picked = [p for p in picked if p in ids]
    where = [ids.index(p) for p in picked if p in ids]
    if picked and rows != where:
        generation += 1  # the rows moved under the selection
    event = st.dataframe(shown, hide_index=True, on_select="rerun", width="stretch",
                         selection_mode="multi-row" if multi else "single-row",
                         key=f"{key}_grid_{generation}", height=height,
                         column_config=column_config,
                         selection_default={"selection": {"rows": where}} if where else None)
    st.session_state[f"{key}_rows"] = list(event.selection.rows) if event else []
    st.session_state[f"{key}_picked"], st.session_state[f"{key}_generation"] = picked, generation
    return picked


def clear_selection(key: str) -> None:
    """Forget a steady table's selection (after an action on the selected tickets)."""
    st.session_state[f"{key}_picked"] = []
    st.session_state[f"{key}_generation"] = st.session_state.get(f"{key}_generation", 0) + 1


def ticket_card(card: TicketCard, heading: bool = True) -> None:
    """Every field, the photos, the link to the original post, and the timeline (`heading`:
    under its own subheader; a dialog has its title)."""
    lang = current_language()
    tz = city_tz()
    fl = card.fields
    if heading:
        st.subheader(t("section.card", id=fl["external_id"]))
    left, right = st.columns([3, 2])
    with left:
        state = t("status." + fl["status"])
        if fl["status"] in OPEN_STATUSES and fl.get("due_at") is not None:
            as_of = fl.get("as_of")
            state += " · " + t("deadline.due", when=sla_ui.due_text(fl["due_at"], tz, lang, as_of))
            state += " · " + sla_ui.left_text(fl.get("left_s"), fl.get("due_basis") == "working",
                                              fl.get("resumes_at"), tz, lang, as_of)
        st.markdown(f"**{markdown_text(name_of(fl, lang, 'category'))}** · {state}")
        if fl.get("description"):
            st.markdown(markdown_block(fl["description"]))
        facts = {
            t("field.department"): name_of(fl, lang, "department"),
            t("field.district"): name_of(fl, lang, "district") or "—",
            t("field.channel"): name_of(fl, lang, "channel"),
            t("field.priority"): t(f"priority.{fl['priority']}"),
            t("field.address"): fl.get("address") or "—",
            t("field.coordinates"): _coordinates(fl),
        }
        st.table(pd.Series({k: markdown_text(v) for k, v in facts.items()}, name=""))
    with right:
        moments = {t(f"field.{k}"): instant(fl.get(k), tz, lang, True)
                   for k in ("created_at", "accepted_at", "resolved_at", "closed_at",
                             "rejected_at", "due_at")}
        moments[sla_ui.rule_line(fl, lang)] = ""
        if fl.get("reopen_count"):
            moments[t("card.reopened", n=fl["reopen_count"])] = ""
        st.table(pd.Series(moments, name=""))
        if fl.get("source_url"):
            st.link_button(t("card.post"), fl["source_url"], icon=":material/open_in_new:")
    if card.photos:
        st.markdown(f"**{t('card.photos')}**")
        st.image(card.photos[:6], width=200)
    st.markdown(f"**{t('card.timeline')}**")
    events = card.events
    st.dataframe(pd.DataFrame({
        t("ev.when"): [instant(v, tz, lang, True) for v in events["at"]],
        t("ev.what"): [event_kind(k, n, lang)
                       for k, n in zip(events["kind"], events["note"], strict=True)],
        t("ev.who"): [actor_label(a, lang) for a in events["actor"]],
        t("ev.from"): [name_of(r, lang, "from_department") for r in events.to_dict("records")],
        t("ev.to"): [name_of(r, lang, "to_department") for r in events.to_dict("records")],
        t("ev.note"): [event_note(n, lang) for n in events["note"]],
    }), hide_index=True, width="stretch")


def _coordinates(fields: dict) -> str:
    if fields.get("lat") is None or fields.get("lon") is None:
        return "—"
    text = f"{fields['lat']:.5f}, {fields['lon']:.5f}"
    return text + (f" ({t('card.approx')})" if fields.get("location_approx") else "")
