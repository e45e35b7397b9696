"""Open incidents and spikes, drawn first on the overview and on the meeting screen's city panel.

City-wide whatever the page's filters: an incident is news to everyone. Each incident opens to
its tickets, each a link to its card.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.permissions import Actor
from db.config import city_tz
from queries.filters import Filters
from queries.incidents import Incident
from queries.rules import RulesError, check_categories, load_rules
from queries.spikes import Spike
from queries.tickets import TicketQuery
from ui import action_dialogs, data, drill, export, widgets
from ui.actor import may_act
from ui.i18n import name_of, t
from ui.tables import mark_overdue, time_left_column
from ui.text import markdown_text
from words.formatting import number
from words.language import translate

# Incidents and spikes on the meeting screen (the largest; the overview shows them all): rows
# enough to be read from across the room and leave every panel its figures.
WALL_INCIDENTS, WALL_SPIKES = 2, 1
# An incident's list shows up to this many rows at once (of 35 pixels), then scrolls.
GRID_ROWS, GRID_ROW = 15, 35


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


ALARM_CSS = """<style>
[class*="st-key-incident-alarm-"] { background: #b71c1c; color: #fff; border-radius: .5rem;
  padding: .45rem .6rem .45rem 1rem; gap: .25rem; }
[class*="st-key-incident-alarm-"] [data-testid="stMarkdown"] p { color: #fff;
  font-size: 1.1rem; margin: 0; }
/* its button is white: its words must not take the row's white */
[class*="st-key-incident-alarm-"] button { color: #b71c1c; }
</style>"""


def overview_block(f: Filters, lang: str) -> list[Incident]:
    """The overview's alarm, at the top: each incident a red row whose button lists its
    tickets in the drill-down; then each spike, a yellow line. Returns the incidents, for the
    map and the drill-down."""
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
    st.html(ALARM_CSS)
    for k, i in enumerate(found):
        with st.container(key=f"incident-alarm-{k}"):
            said, act = st.columns([5, 2], vertical_alignment="center")
            said.markdown(f"**◉ {markdown_text(incident_title(i, lang))}**")
            act.button(translate(lang, "incidents.list", n=number(len(i.tickets), lang)),
                       key=f"incident_list_{k}", icon=":material/list:", width="stretch",
                       on_click=drill.by_incident, args=(i.tickets[0],))
    for s in jumps:
        st.warning(markdown_text(spike_text(s, lang, hours)), icon=":material/trending_up:")
    if found and jumps:  # one burst can be both, with two counts: say why they differ (in a
        st.caption(translate(lang, "incidents.counts_short"),  # line: the first screen is full)
                   help=counts_note(lang))
    return found


def counts_note(lang: str) -> str:
    """What an incident's and a spike's "reports" each count, from the rules in force."""
    rules = load_rules()
    return translate(lang, "incidents.counts", lookback=number(rules.lookback_hours, lang),
                     metres=number(rules.default.metres, lang),
                     hours=number(rules.default.hours, lang, 0),
                     spike_hours=number(rules.spikes.hours, lang, 0))



def drill_choices(found: list[Incident], lang: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """What the drill-down can list: each incident by its first ticket, with its tickets and
    its title."""
    return {i.tickets[0]: (tuple(i.tickets), incident_title(i, lang)) for i in found}


def drill_table(f: Filters, chosen: drill.Drill, actor: Actor, lang: str) -> None:
    """An incident's tickets in the drill-down: address, status, department and time left,
    the overdue ones tinted; several (or none: all) reassigned at once, and exported as CSV."""
    city = Filters(as_of=f.as_of, tz=f.tz, at_risk=f.at_risk, statuses=())
    query = TicketQuery(ids=chosen.ids, sort="created", page_size=len(chosen.ids) or 1)
    result = data.guarded(data.load_ticket_page, city, query)
    if result is None:
        return
    frame, _ = result
    if frame.empty:
        st.info(translate(lang, "table.empty"))
        return
    bar = st.columns([3, 3, 2], vertical_alignment="center")
    table = widgets._display(frame, lang)
    first = [t(k) for k in ("col.id", "col.address", "col.status", "col.department",
                            "col.time_left")]  # what acting on an incident needs, in sight
    table = table[first + [c for c in table.columns if c not in first]]
    shown = mark_overdue(table, widgets.overdue_flags(frame))
    picked = widgets.steady_selection(shown, [str(i) for i in frame["external_id"]],
                                      action_dialogs.QUEUE_KEY, multi=True,
                                      height=GRID_ROW * (min(len(frame), GRID_ROWS) + 1) + 3,
                                      column_config=time_left_column(t("col.time_left"), lang))
    chosen_rows = frame[frame["external_id"].astype(str).isin(picked)]
    which = chosen_rows if len(chosen_rows) else frame
    bar[0].caption(translate(lang, "incidents.pick", n=number(len(frame), lang)))
    if may_act(actor):
        label = (translate(lang, "queue.reassign", n=number(len(chosen_rows), lang))
                 if len(chosen_rows) else
                 translate(lang, "incidents.reassign_all", n=number(len(frame), lang)))
        if bar[1].button(label, type="primary", icon=":material/swap_horiz:", width="stretch",
                         key="incident_reassign"):
            action_dialogs.open_reassign(which)
    else:
        bar[1].caption(translate(lang, "action.no_permission", role=t(f"role.{actor.role}")))
    bar[2].download_button(
        translate(lang, "table.export"),
        data=export.tickets_csv(data.read_engine(), city, query, lang, city_tz()),
        file_name=export.file_name("incident-" + chosen.ids[0], f.as_of, city_tz()),
        mime="text/csv", icon=":material/download:", key="incident_export", on_click="ignore",
        width="stretch")


def wall_items(f: Filters, lang: str) -> tuple[list[Incident], list[tuple[str, str, str]]]:
    """The meeting screen's alarm rows: the largest incidents, then the largest spike, as
    (kind, text, key) for `ui.wall_panels.alarms`; and every incident, for the map."""
    try:
        hours = checked_rules().spikes.hours
    except RulesError:
        return [], []
    found, jumps = load(f)
    found, jumps = found or [], jumps or []
    items = [("incident", "◉ " + incident_title(i, lang), i.tickets[0])
             for i in found[:WALL_INCIDENTS]]
    items += [("spike", "▲ " + spike_text(s, lang, hours), f"{s.category}/{s.district}")
              for s in jumps[:WALL_SPIKES]]
    return found, items
