"""The overview's drill-down: which tickets a click asked for, kept in the URL, shown in a panel
at the top of the page with one click to clear it; and the scroll that brings that panel into
the window, so every click is answered where the user is looking.

A ticket's card opens in a dialog over the page, drawn outside the self-refreshing part (a
refresh neither closes it nor changes its ticket)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from queries.filters import SUBSETS
from queries.map_points import Box
from ui import data, url, view, widgets
from ui.i18n import name_of, t

PANEL_KEY = "drill-panel"
# The panel clears the fixed top bar when scrolled to; the scroll's own element takes no room.
CSS = """<style>
.st-key-drill-panel { scroll-margin-top: 4.5rem; }
.st-key-scroll-to { display: none; }
</style>"""
SCROLL = """<script>
(() => {{ let tries = 40;  // {nonce}
  const go = () => {{
    const el = document.querySelector('.st-key-{key}');
    if (el) el.scrollIntoView({{block: 'start'}});
    else if (tries-- > 0) setTimeout(go, 50);
  }};
  go(); }})();
</script>"""


@dataclass(frozen=True)
class Drill:
    """What the drill-down narrows the table to, beyond the sidebar's filters."""

    subset: str = "all"
    department: str | None = None
    district: str | None = None
    box: Box | None = None
    incident: str | None = None  # an incident's first ticket, which names it
    incident_title: str = ""
    ids: tuple[str, ...] = ()  # the incident's tickets

    @property
    def active(self) -> bool:
        return bool(self.subset != "all" or self.department or self.district or self.box
                    or self.incident)


def current(reference: dict, box: Box | None,
            incidents: Mapping[str, tuple[tuple[str, ...], str]] | None = None) -> Drill:
    """The drill-down the URL (and the map's picked cell) describes; unknown codes, and an
    incident no longer among `incidents` (first ticket → its tickets and title), are ignored."""
    subset = url.get("subset")
    dept = url.get("drill_dept")
    district = url.get("drill_district")
    named = url.get("drill_incident")
    if named and named in (incidents or {}):
        ids, title = (incidents or {})[named]
        return Drill(incident=named, ids=ids, incident_title=title)
    return Drill(
        subset=subset if subset in SUBSETS else "all",
        department=dept if dept in set(reference["departments"]["code"]) else None,
        district=district if district in set(reference["districts"]["code"]) else None,
        box=box,
    )


def describe(drill: Drill, reference: dict, lang: str, subset_label) -> str:
    """"Overdue · Road Management · district Centre" in the interface language."""
    parts = [subset_label(drill.subset)] if drill.subset != "all" else []
    for table, code, wrap in (("departments", drill.department, None),
                              ("districts", drill.district, "drill.district")):
        if code:
            row = reference[table].set_index("code").loc[code].to_dict()
            name = name_of(row, lang) or code
            parts.append(t(wrap, name=name) if wrap else name)
    if drill.box is not None:
        parts.append(t("drill.area"))
    if drill.incident:
        parts.append(t("drill.incident", what=drill.incident_title))
    return " · ".join(parts)


def ask_scroll() -> None:
    """Bring the panel into the window at the end of this run."""
    st.session_state["_scroll_to_panel"] = True


def scroll_if_asked() -> None:
    """Scroll to the panel if a click asked for it during this run (once)."""
    if st.session_state.pop("_scroll_to_panel", False):
        with st.container(key="scroll-to"):
            st.html(SCROLL.format(key=PANEL_KEY, nonce=time.time_ns()),
                    unsafe_allow_javascript=True)


def generation() -> int:
    """Bumped when the drill-down is cleared, so the charts and the map forget their picks."""
    return st.session_state.get("_drill_gen", 0)


def show_subset(subset: str) -> None:
    """A counter's "List": its tickets, the most overdue first where lateness is the point."""
    widgets.show_subset(subset)
    st.session_state["tickets_sort"] = "due" if subset in ("overdue", "at_risk") else "created"
    ask_scroll()


def by_department(code: str) -> None:
    """A workload bar: the department's open tickets."""
    url.put("drill_dept", code)
    widgets.show_subset("open")
    st.session_state["tickets_sort"] = "due"
    ask_scroll()


def by_district(code: str) -> None:
    """A district on the map: its tickets as the filters pick them."""
    url.put("drill_district", code)
    ask_scroll()


def by_incident(first_ticket: str) -> None:
    """An incident's alarm: its tickets, named by its first one (the drill-down takes no other
    narrowing with it)."""
    for param in ("subset", "drill_dept", "drill_district"):
        url.drop(param)
    st.session_state["_box"] = None
    url.put("drill_incident", first_ticket)
    ask_scroll()


def by_area(box: Box) -> None:
    """A cell on the map: the tickets in it."""
    st.session_state["_box"] = box
    ask_scroll()


def clear() -> None:
    """One click back to the whole view (a button's callback)."""
    for param in ("subset", "drill_dept", "drill_district", "drill_incident", "box", "ticket"):
        url.drop(param)
    st.session_state["_box"] = None
    st.session_state["tickets_subset"] = "all"
    st.session_state["tickets_page"] = 1
    st.session_state["tickets_sort"] = "created"
    st.session_state["_drill_gen"] = generation() + 1
    widgets.clear_selection("tickets")


def bar(text: str) -> None:
    """The panel's first line: what is shown, and the way out."""
    st.html(CSS)
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(f"**{t('table.drill', what=text)}**")
    right.button(t("drill.clear"), key="drill_clear", icon=":material/close:", on_click=clear,
                 width="stretch")


def open_card(ticket: str) -> None:
    """Open a ticket's card: a dialog, drawn by the next full run of the page."""
    if url.get("ticket") != ticket:
        url.put("ticket", ticket)
        st.rerun(scope="app")


def _card_closed() -> None:
    url.drop("ticket")
    widgets.clear_selection("tickets")
    st.session_state["_map_gen"] = st.session_state.get("_map_gen", 0) + 1


def card_dialog() -> None:
    """The card of the ticket in the URL, over the page, until the user closes it."""
    ticket = url.get("ticket")
    if ticket:
        st.dialog(t("section.card", id=ticket), width="large", on_dismiss=_card_closed)(
            _card)(ticket)


def _card(ticket: str) -> None:
    card = data.guarded(data.load_card, ticket, view.url_as_of())
    if card is None:
        st.warning(t("card.missing", id=ticket), icon=":material/search_off:")
        return
    widgets.ticket_card(card)
    params = {"id": ticket, "as_of": url.get("as_of")}
    st.page_link("screens/ticket.py", label=t("card.open_page"),
                 query_params={k: v for k, v in params.items() if v},
                 icon=":material/open_in_new:")
