"""Open incidents and spikes, drawn first on the overview and on the meeting screen's city panel.

City-wide whatever the page's filters: an incident is news to everyone. Each incident opens to
its tickets, each a link to its card.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from db.config import city_tz
from queries.filters import Filters
from queries.incidents import Incident
from queries.rules import RulesError, check_categories, load_rules
from queries.spikes import Spike
from ui import data
from ui.formatting import number
from ui.i18n import name_of, translate
from ui.text import markdown_text

LIMIT = 3  # incidents (and spikes, fewer) on the meeting screen; the overview shows them all


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


def checked_rules():
    """The incident rules, refused (RulesError) when a per-category rule names no category."""
    rules = load_rules()
    reference = data.guarded(data.load_reference)  # None: the database is down, say so elsewhere
    if reference is not None:
        check_categories(rules, set(reference["categories"]["code"]))
    return rules


def load(f: Filters) -> tuple[list[Incident] | None, list[Spike] | None]:
    """Incidents and spikes as of the view's instant (shared by every screen: only the instant
    keys them)."""
    city = Filters(as_of=f.as_of, tz=f.tz)
    return data.guarded(data.load_incidents, city), data.guarded(data.load_spikes, city)


def overview_block(f: Filters, lang: str) -> list[Incident]:
    """The overview's block: incidents (biggest first, each opening its tickets), then spikes.
    Returns the incidents, for the map."""
    try:
        hours = checked_rules().spikes.hours
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
    if found and jumps:  # one burst can be both, with two counts: say why they differ
        st.caption(counts_note(lang))
    return found


def counts_note(lang: str) -> str:
    """What an incident's and a spike's "reports" each count, from the rules in force."""
    rules = load_rules()
    return translate(lang, "incidents.counts", lookback=number(rules.lookback_hours, lang),
                     metres=number(rules.default.metres, lang),
                     hours=number(rules.default.hours, lang, 0),
                     spike_hours=number(rules.spikes.hours, lang, 0))


def wall_markup(found: list[Incident], jumps: list[Spike], lang: str, hours: float) -> str:
    """The meeting screen's block: the largest incidents and spikes in its own large type."""
    rows = [f'<div class="row incident" data-incident="{html.escape(i.tickets[0])}">'
            f'<span class="name red">◉ {html.escape(incident_title(i, lang))}</span></div>'
            for i in found[:LIMIT]]
    rows += [f'<div class="row spike"><span class="name orange">▲ '
             f'{html.escape(spike_text(s, lang, hours))}</span></div>' for s in jumps[:LIMIT - 1]]
    return f'<div class="wall rows incidents">{"".join(rows)}</div>' if rows else ""


def wall_block(f: Filters, lang: str) -> list[Incident]:
    """Draws the block on the meeting screen, or nothing when all is quiet; returns the
    incidents, for the map."""
    try:
        hours = checked_rules().spikes.hours
    except RulesError:
        return []
    found, jumps = load(f)
    markup = wall_markup(found or [], jumps or [], lang, hours)
    if markup:
        st.markdown(markup, unsafe_allow_html=True)
    return found or []
