"""Open incidents and spikes, drawn first on the overview and on the meeting screen's city panel.

City-wide whatever the page's filters: an incident is news to everyone. Each incident opens to
its tickets, each a link to its card.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from db.config import city_tz
from queries.filters import Filters
from queries.incidents import Incident
from queries.rules import RulesError, load_rules
from queries.spikes import Spike
from ui import data
from ui.formatting import number
from ui.i18n import name_of, translate
from ui.text import markdown_text

# Incidents and spikes on the meeting screen (the largest; the overview shows them all): rows
# enough to be read from across the room and leave every panel its figures.
WALL_INCIDENTS, WALL_SPIKES = 2, 1


def _hhmm(value) -> str:
    return value.astimezone(city_tz()).strftime("%H:%M")


def _category(item: Incident | Spike, lang: str) -> str:
    return name_of({"name": item.category_name, "name_ru": item.category_name_ru}, lang)


def _district(item: Incident | Spike, lang: str) -> str:
    return name_of({"name": item.district_name, "name_ru": item.district_name_ru}, lang) or "—"


def incident_title(i: Incident, lang: str) -> str:
    return translate(lang, "incidents.item", category=_category(i, lang),
                     district=_district(i, lang), n=number(i.size, lang),
                     first=_hhmm(i.first), last=_hhmm(i.last))


def spike_text(s: Spike, lang: str, hours: float) -> str:
    return translate(lang, "spikes.item", category=_category(s, lang),
                     district=_district(s, lang), count=number(s.count, lang),
                     usual=number(s.usual, lang, 1), hours=number(hours, lang, 0),
                     since=_hhmm(s.since))


def tickets_frame(i: Incident, lang: str) -> pd.DataFrame:
    """The incident's tickets, each a link to its card, with when it came in."""
    return pd.DataFrame({
        translate(lang, "incidents.ticket"): [f"/ticket?id={x}" for x in i.tickets],
        translate(lang, "incidents.received"): [_hhmm(v) for v in i.received],
    })


def load(f: Filters) -> tuple[list[Incident] | None, list[Spike] | None]:
    """Incidents and spikes as of the view's instant (shared by every screen: only the instant
    keys them)."""
    city = Filters(as_of=f.as_of, tz=f.tz)
    return data.guarded(data.load_incidents, city), data.guarded(data.load_spikes, city)


def overview_block(f: Filters, lang: str) -> list[Incident]:
    """The overview's block: incidents (biggest first, each opening its tickets), then spikes.
    Returns the incidents, for the map."""
    try:
        hours = load_rules().spikes.hours
    except RulesError as error:
        st.error(str(error), icon=":material/error:")
        return []
    found, jumps = load(f)
    found, jumps = found or [], jumps or []
    if not found and not jumps:
        st.caption(translate(lang, "incidents.none"))
        return []
    st.subheader(translate(lang, "incidents.title"), anchor="incidents")
    if found:
        st.caption(translate(lang, "map.incidents", n=number(len(found), lang)))
    for i in found:
        with st.expander(markdown_text(incident_title(i, lang)), icon=":material/emergency:"):
            st.dataframe(tickets_frame(i, lang), hide_index=True, column_config={
                translate(lang, "incidents.ticket"): st.column_config.LinkColumn(
                    display_text=r"id=(.*)$")})
    for s in jumps:
        st.warning(markdown_text(spike_text(s, lang, hours)), icon=":material/trending_up:")
    return found


def wall_items(f: Filters, lang: str) -> tuple[list[Incident], list[tuple[str, str, str]]]:
    """The meeting screen's alarm rows: the largest incidents, then the largest spike, as
    (kind, text, key) for `ui.wall_panels.alarms`; and every incident, for the map."""
    try:
        hours = load_rules().spikes.hours
    except RulesError:
        return [], []
    found, jumps = load(f)
    found, jumps = found or [], jumps or []
    items = [("incident", "◉ " + incident_title(i, lang), i.tickets[0])
             for i in found[:WALL_INCIDENTS]]
    items += [("spike", "▲ " + spike_text(s, lang, hours), f"{s.category}/{s.district}")
              for s in jumps[:WALL_SPIKES]]
    return found, items
