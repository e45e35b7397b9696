"""The meeting screen's look: a dark, large-type screen drawn as HTML from data, read from five
metres on any screen from 1366×768 to 3840×2160.

Every length is in `--u`, a hundredth of the screen's width (or of 16/9 of its height, when the
screen is wider than 16:9), so the whole screen scales with the display and always fits it: the
header takes a fixed share of the height and each panel the rest, its rows sharing that height
equally. Words never break inside (`word-break: keep-all`, no hyphens). The map is drawn at its
size on a 1920-pixel screen and zoomed with the rest.

Streamlit's theme is one for the whole app, so the wall brings its own style sheet and hides the
app's chrome. Every builder here is data in, HTML out; the page only places them.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st
from PIL import ImageFont

from db.config import city_tz, wall_seconds
from queries.week import CITY, FIGURES, WeekReview
from reports.week_pack import GREEN, RED, change_text, figure_text, tone
from ui.data import Outage
from ui.i18n import name_of
from ui.text import html_text
from words.formatting import clock, number, percent, week_dates
from words.language import translate

# The panels in the order they take turns; a panel added here needs its title in the catalog
# (`wall.panel.<key>`) and its drawing function in screens/wall.py.
PANELS = ("city", "departments", "flow", "latest")
BACKGROUND, PANEL, TEXT, MUTED = "#0b0f14", "#161d26", "#f3f6f9", "#aab6c3"
GOOD, BAD, NEUTRAL = "#5fe08a", "#ff6161", "#8fc9ff"
BAR = "#4a2227"  # a department's share of the worst overdue count, behind its row
# The city panel's map at 1920 pixels wide (its column's width, the panel's height), the size of
# the districts' names on it, and the screen width it is drawn for; other screens zoom it.
MAP_SIZE, NAME_SIZE, DESIGN_WIDTH = (960, 790), 24, 1920
STATUS_COLOURS = {"new": "#6cb8ff", "in_progress": "#ffb547", "resolved": "#5fe08a",
                  "closed": "#8d99a6", "rejected": "#8d99a6"}
# The header's share of the height (in --u), so that a panel knows what is left for it.
HEAD_U, PAD_U = 8.6, 1.2
# The height a panel has on a 16:9 screen (100vh = 56.25 --u; a taller screen has more), before
# the alarm rows take theirs.
BODY_U = 56.25 - (HEAD_U + PAD_U + 1.2)
# The alarm rows (incidents, spikes) above every panel: their type, line height, padding and
# gap in --u, and the width their lines are wrapped to (of the 96 --u between the margins).
ALARM_FONT, ALARM_LINE, ALARM_PAD, ALARM_GAP, ALARM_WIDTH = 2.1, 1.18, .45, .5, 90.0
# The least height (in --u) a tile needs around its figure: padding and border, its label's
# line, and a second line for a change mark that does not fit beside the label.
TILE_FRAME_U = 1.8 + 1.6 * 1.15 + 1.9 * 1.15
# A department's row and a ticket's row at their least (type, border, gap), in --u.
DEPT_ROW_U, TICKET_ROW_U, ROWS_HEAD_U = 3.7, 3.6, 2.6
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))

STYLE = f"""<style>
:root {{ --u: min(1vw, 1.7778vh); }}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
footer {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
  background: {BACKGROUND} !important; color: {TEXT}; overflow: hidden !important; }}
[data-testid="stMainBlockContainer"] {{ max-width: none;
  padding: calc({PAD_U} * var(--u)) calc(2 * var(--u)) 0 calc(2 * var(--u)) !important; }}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 0; }}
[data-testid="stMarkdownContainer"]:has(.wall) {{ margin-bottom: 0 !important; }}
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > style:only-child),
[data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] .wall-empty-slot) {{
  display: none; }}
[data-testid="stElementContainer"]:has([data-testid="stDeckGlJsonChart"]) {{
  zoom: calc(var(--u) / {DESIGN_WIDTH / 100}px); }}
[data-testid="stDeckGlJsonChart"] button, [data-testid="stElementToolbar"],
.mapboxgl-ctrl, .maplibregl-ctrl {{ display: none !important; }}
.wall {{ color: {TEXT}; font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.15;
  word-break: keep-all; overflow-wrap: normal; hyphens: none; }}
.wall-top {{ height: calc({HEAD_U} * var(--u)); overflow: hidden; }}
.wall-head {{ display: flex; align-items: center; justify-content: space-between;
  gap: calc(1.5 * var(--u)); border-bottom: calc(.12 * var(--u)) solid #2a3542;
  height: calc(5.4 * var(--u)); }}
.wall-title {{ font-size: calc(2.2 * var(--u)); font-weight: 700; white-space: nowrap; }}
.wall-title small {{ font-size: calc(1.5 * var(--u)); color: {MUTED}; font-weight: 400;
  margin-left: calc(.9 * var(--u)); }}
.wall-when {{ text-align: right; white-space: nowrap; }}
.wall-date {{ font-size: calc(1.4 * var(--u)); color: {MUTED}; }}
.wall-asof {{ font-size: calc(2.4 * var(--u)); font-weight: 800;
  font-variant-numeric: tabular-nums; }}
.wall-asof small {{ font-size: calc(1.4 * var(--u)); color: {MUTED}; font-weight: 400;
  margin-left: calc(.6 * var(--u)); }}
.wall-dots {{ white-space: nowrap; }}
.wall-dots span {{ display: inline-block; width: calc(1.1 * var(--u)); height: calc(1.1 * var(--u));
  border-radius: 50%; background: #33404e; margin: 0 calc(.35 * var(--u)); }}
.wall-dots span.on {{ background: {TEXT}; }}
.wall-legend {{ font-size: calc(1.4 * var(--u)); color: {MUTED}; white-space: nowrap;
  padding-top: calc(.6 * var(--u)); }}
.wall-legend .good {{ color: {GOOD}; }} .wall-legend .bad {{ color: {BAD}; }}
.wall-banner {{ background: #c62828; color: #fff; font-size: calc(2.2 * var(--u));
  font-weight: 800; padding: calc(.6 * var(--u)) calc(1.4 * var(--u));
  border-radius: calc(.6 * var(--u)); margin-bottom: calc(.6 * var(--u)); }}
.wall-body {{ height: calc(100vh - ({HEAD_U + PAD_U + 1.2} + var(--alarm, 0)) * var(--u));
  overflow: hidden; display: flex; flex-direction: column; }}
.alarms {{ display: flex; flex-direction: column; gap: calc({ALARM_GAP} * var(--u));
  margin-bottom: calc({ALARM_GAP} * var(--u)); }}
.alarm {{ box-sizing: border-box; font-size: calc({ALARM_FONT} * var(--u)); font-weight: 800;
  line-height: {ALARM_LINE}; padding: calc({ALARM_PAD} * var(--u)) calc(1.2 * var(--u));
  border-radius: calc(.7 * var(--u)); white-space: nowrap; overflow: hidden; }}
.alarm span {{ display: block; }}
.alarm.incident {{ background: #b71c1c; color: #fff; }}
.alarm.spike {{ background: {PANEL}; color: #ffb547;
  box-shadow: inset calc(.6 * var(--u)) 0 0 #ffb547; }}
.week-tiles {{ display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
  grid-template-rows: repeat(2, minmax(0, 1fr)); gap: calc(1 * var(--u)); flex: 1 1 0;
  min-height: 0; }}
.week-tiles .tile {{ justify-content: flex-start; gap: calc(.4 * var(--u)); }}
.week-tiles .label {{ white-space: normal; line-height: 1.15; min-height: 2.3em; }}
.week-tiles .value {{ font-size: calc(var(--value) * var(--u)); }}
.week-tiles .change {{ font-size: calc(1.7 * var(--u)); font-weight: 700; white-space: nowrap; }}
.muted {{ color: {MUTED}; }}
.rows.week-depts {{ grid-template-columns: minmax(0, 1fr) max-content; flex: 1; min-height: 0;
  margin-top: calc(1 * var(--u)); }}
.tiles {{ display: grid; grid-template-columns: repeat(var(--cols, 2), minmax(0, 1fr));
  grid-auto-rows: minmax(0, 1fr); gap: calc(1 * var(--u)); height: 100%; }}
.tile {{ background: {PANEL}; border-radius: calc(.8 * var(--u));
  padding: calc(.7 * var(--u)) calc(1.2 * var(--u)); border: calc(.2 * var(--u)) solid transparent;
  display: flex; flex-direction: column; justify-content: space-between; min-height: 0;
  overflow: hidden; }}
.tile .top {{ display: flex; flex-wrap: wrap; justify-content: space-between;
  align-items: baseline; column-gap: calc(.6 * var(--u)); }}
.tile .label {{ font-size: calc(1.6 * var(--u)); color: {MUTED}; white-space: nowrap; }}
.tile .value {{ font-size: calc(var(--value, 4.6) * var(--u)); font-weight: 800; line-height: 1.0;
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.tile .note {{ font-size: calc(1.3 * var(--u)); color: {MUTED}; white-space: nowrap; }}
.changed.good {{ border-color: {GOOD}; }} .changed.bad {{ border-color: {BAD}; }}
.changed.neutral {{ border-color: {NEUTRAL}; }}
.mark {{ font-size: calc(1.9 * var(--u)); font-weight: 800; white-space: nowrap; }}
.mark.good {{ color: {GOOD}; }} .mark.bad {{ color: {BAD}; }} .mark.neutral {{ color: {NEUTRAL}; }}
.red {{ color: #ff6161; }} .orange {{ color: #ffb547; }} .green {{ color: #5fe08a; }}
.blue {{ color: #6cb8ff; }} .zero {{ color: #6b7785; }}
.rows {{ display: grid; grid-template-rows: auto; grid-auto-rows: minmax(0, 1fr);
  row-gap: calc(.4 * var(--u)); height: 100%; }}
.rows.depts {{ grid-template-columns: calc(2.6 * var(--u)) minmax(0, 1fr) repeat(3, max-content); }}
.rows.tickets {{ grid-template-columns: max-content minmax(0, 1fr) max-content max-content; }}
.row {{ grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; align-items: center;
  column-gap: calc(1.4 * var(--u)); background: {PANEL}; border-radius: calc(.7 * var(--u));
  padding: 0 calc(1.2 * var(--u)); border: calc(.2 * var(--u)) solid transparent; min-height: 0;
  overflow: hidden; }}
.rows.depts .row {{ background-origin: border-box; }}
.row.head {{ background: none; font-size: calc(1.6 * var(--u)); color: {MUTED};
  white-space: nowrap; padding-bottom: calc(.2 * var(--u)); }}
.row.head span {{ text-align: right; }}
.row .rank {{ font-size: calc(1.7 * var(--u)); color: {MUTED}; }}
.row .name {{ font-size: calc(2.1 * var(--u)); font-weight: 700; line-height: 1.0;
  min-width: 0; }}
.row .num {{ font-size: calc(2.6 * var(--u)); font-weight: 800; text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.row .num .mark {{ font-size: calc(1.5 * var(--u)); margin-left: calc(.4 * var(--u)); }}
.row .time {{ font-size: calc(2.3 * var(--u)); font-weight: 800;
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.row .where {{ font-size: calc(1.8 * var(--u)); color: {MUTED}; white-space: nowrap; }}
.chip {{ font-size: calc(1.6 * var(--u)); font-weight: 800; white-space: nowrap;
  padding: calc(.3 * var(--u)) calc(.9 * var(--u)); border-radius: calc(1.4 * var(--u));
  color: {BACKGROUND}; text-align: center; }}
.badge {{ font-size: calc(1.4 * var(--u)); font-weight: 800; background: {NEUTRAL};
  color: {BACKGROUND}; padding: calc(.1 * var(--u)) calc(.6 * var(--u));
  border-radius: calc(.4 * var(--u)); margin-left: calc(.7 * var(--u)); white-space: nowrap;
  vertical-align: middle; }}
.empty {{ font-size: calc(2.2 * var(--u)); color: {MUTED}; padding: calc(2 * var(--u)) 0; }}
.flow {{ display: grid; grid-template-columns: calc(26 * var(--u)) minmax(0, 1fr);
  gap: calc(1.6 * var(--u)); height: 100%; }}
.flow .tiles {{ --cols: 1; --value: 5.4; }}
.chart {{ display: flex; flex-direction: column; min-height: 0; height: 100%; }}
.chart .legend {{ font-size: calc(1.6 * var(--u)); white-space: nowrap;
  padding-bottom: calc(.6 * var(--u)); }}
.chart .legend i {{ display: inline-block; width: calc(1.4 * var(--u));
  height: calc(1.4 * var(--u)); border-radius: calc(.2 * var(--u));
  margin: 0 calc(.5 * var(--u)) 0 calc(1.6 * var(--u)); vertical-align: middle; }}
.chart .legend i:first-child {{ margin-left: 0; }}
.chart .plot {{ flex: 1; min-height: 0; display: grid; grid-auto-flow: column;
  grid-auto-columns: minmax(0, 1fr); align-items: end; gap: calc(.3 * var(--u));
  border-bottom: calc(.15 * var(--u)) solid #3a4654; position: relative; }}
.chart .hour {{ display: flex; align-items: flex-end; justify-content: center; height: 100%;
  gap: calc(.1 * var(--u)); }}
.chart .hour b {{ display: block; width: 45%; border-radius: calc(.2 * var(--u))
  calc(.2 * var(--u)) 0 0; min-height: 1px; }}
.chart .hour b.received {{ background: #6cb8ff; }} .chart .hour b.resolved {{ background: {GOOD}; }}
.chart .axis {{ display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
  gap: calc(.3 * var(--u)); font-size: calc(1.35 * var(--u)); color: {MUTED};
  padding-top: calc(.4 * var(--u)); font-variant-numeric: tabular-nums; }}
.chart .axis span {{ text-align: center; white-space: nowrap; overflow: visible; }}
.map-legend {{ font-size: calc(1.6 * var(--u)); color: {MUTED}; white-space: nowrap;
  height: calc(2.6 * var(--u)); }}
.map-legend i {{ display: inline-block; border-radius: 50%; vertical-align: middle;
  margin: 0 calc(.5 * var(--u)) 0 calc(1.6 * var(--u)); }}
.map-legend i.late {{ width: calc(1.3 * var(--u)); height: calc(1.3 * var(--u));
  margin-left: 0; background: rgb(255, 59, 48); border: calc(.12 * var(--u)) solid #fff; }}
.map-legend i.open {{ width: calc(.6 * var(--u)); height: calc(.6 * var(--u));
  background: rgb(255, 181, 71); }}
.chart .scale {{ position: absolute; left: 0; top: 0; font-size: calc(1.35 * var(--u));
  color: {MUTED}; }}
</style>"""


def rotation_seconds() -> int:
    """`CITYDESK_WALL_SECONDS`: how long each panel stays on screen (db/config.py reads it)."""
    return wall_seconds()


def pinned_panel(text: str | None) -> int | None:
    """`?panel=N` (1–4) pins one panel; anything else lets them rotate."""
    if text and text.strip().isdigit() and 1 <= int(text) <= len(PANELS):
        return int(text)
    return None


def next_panel(seconds: int) -> int:
    """The panel to show now: the same one until `seconds` have passed, then the next."""
    now = time.monotonic()
    panel = st.session_state.get("wall_panel")
    if panel is None:
        panel = 1
    elif now - st.session_state["wall_switched"] >= seconds - 1:  # timers drift a little
        panel = panel % len(PANELS) + 1
    else:
        return panel
    st.session_state["wall_panel"], st.session_state["wall_switched"] = panel, now
    return panel


def previous(panel: int, as_of: datetime, values: dict) -> dict:
    """The panel's figures as they were at its previous refresh (empty the first time), so the
    page can mark what changed; a rerun within the same refresh keeps the same comparison."""
    seen = st.session_state.setdefault("wall_seen", {})
    last = seen.get(panel)
    if last is not None and last[0] == as_of:
        return last[2]
    before = last[1] if last is not None else {}
    seen[panel] = (as_of, values, before)
    return before


def _e(text) -> str:
    return html_text(text)


def verdict(now: float | None, before: float | None, up_is: str) -> str:
    """"good", "bad" or "neutral" for a figure that moved (`up_is` says what a rise means), or
    "" when it did not move."""
    if now is None or before is None or now == before:
        return ""
    if up_is == "neutral":
        return "neutral"
    rose = now > before
    return "good" if rose == (up_is == "good") else "bad"


def mark(now: float | None, before: float | None, lang: str, up_is: str = "neutral",
         digits: int = 0) -> str:
    """▲ +3 or ▼ −2 when a figure moved since the previous refresh, coloured by whether that is
    good or bad news; else nothing."""
    kind = verdict(now, before, up_is)
    if not kind:
        return ""
    arrow = "▲ +" if now > before else "▼ −"
    return f'<span class="mark {kind}">{arrow}{number(abs(now - before), lang, digits)}</span>'


def local_date(value: datetime, lang: str) -> str:
    """The city's date in words: "Thursday, 26 November 2026" / "четверг, 26 ноября 2026"."""
    local = value.astimezone(city_tz())
    return translate(lang, "wall.date", weekday=translate(lang, f"wall.weekday.{local.weekday()}"),
                     day=local.day, month=translate(lang, f"wall.month.{local.month}"),
                     year=local.year)


def header(lang: str, panel: int | None, as_of: datetime, paused: bool,
           title: str | None = None) -> str:
    """The top line: what this is, which panel (`title` names one outside the rotation, with
    no dots), the date and "as of HH:MM:SS" (always visible), and what the change marks mean."""
    if title is None:
        title = translate(lang, f"wall.panel.{PANELS[(panel or 1) - 1]}")
    dots = "" if panel is None else "".join(
        f'<span class="{"on" if k == panel else ""}"></span>' for k in range(1, len(PANELS) + 1))
    asof = translate(lang, "wall.as_of", time=clock(as_of, city_tz()))
    note = f"<small>{_e(translate(lang, 'wall.paused'))}</small>" if paused else ""
    good, bad = (f'<span class="{k}">{_e(translate(lang, "wall." + k))}</span>'
                 for k in ("good", "bad"))
    legend = translate(lang, "wall.changed", good=good, bad=bad)
    return (f'<div class="wall wall-top"><div class="wall-head"><div class="wall-title">'
            f'{_e(title)}<small>{_e(translate(lang, "wall.title"))}</small></div>'
            f'<div class="wall-dots">{dots}</div><div class="wall-when">'
            f'<div class="wall-date">{_e(local_date(as_of, lang))}</div>'
            f'<div class="wall-asof" data-asof="{as_of.isoformat()}">{_e(asof)}{note}</div>'
            f'</div></div><div class="wall-legend">{legend}</div></div>')


def banner(down: Outage | None, lang: str) -> str:
    """The outage line in the wall's own large type; empty when the database answered."""
    if down is None:
        return ""
    text = (translate(lang, "wall.down_nothing") if down.since is None else
            translate(lang, "wall.down", when=clock(down.since, city_tz())[:5]))
    return f'<div class="wall wall-banner" role="alert">⚠ {_e(text)}</div>'


@dataclass(frozen=True)
class Tile:
    """One big figure: `up_is` says whether its rise is "good", "bad" or "neutral" news;
    `percent` figures are shares shown with one decimal."""
    key: str
    label: str
    value: float | None
    colour: str = ""
    up_is: str = "neutral"
    percent: bool = False
    note: str = ""


def body(inner: str, alarm: float) -> str:
    """A panel's box: the height the header and `alarm` (the alarm rows' height) leave."""
    return f'<div class="wall wall-body" style="--alarm:{alarm:.3f}">{inner}</div>'


def value_size(height: float, rows: int, largest: float, gap: float = 1.0) -> float:
    """The figures' type (in --u) for `rows` of tiles sharing `height`: `largest` when it
    fits, smaller when the alarm rows took part of the panel."""
    row = (height - (rows - 1) * gap) / rows
    return round(max(2.2, min(largest, row - TILE_FRAME_U)), 2)


def fitting_rows(height: float, row: float, head: float = 0.0) -> int:
    """How many rows of `row` --u (their gap included) fit in `height` below a `head`."""
    return max(1, math.floor((height - head + .4) / row))


def tiles(items: Sequence[Tile], before: dict, lang: str, columns: int = 2,
          alarm: float = 0.0) -> str:
    """Big counters filling the panel's height (what the alarm rows leave of it)."""
    size = value_size(BODY_U - alarm, math.ceil(len(items) / columns), 4.6)
    return body(tile_grid(items, before, lang, columns, size), alarm)


def tile_grid(items: Sequence[Tile], before: dict, lang: str, columns: int = 2,
              size: float | None = None) -> str:
    """Big counters in a grid that fills its box, each marked when it changed since the
    previous refresh; a zero is drawn quiet, never in an alarm colour. `size`: the figures'
    type in --u (the style sheet's when None)."""
    out = []
    for item in items:
        digits = 1 if item.percent else 0
        was = before.get(item.key)
        if item.percent and item.value is not None and was is not None:
            was = item.value if round(was, 1) == round(item.value, 1) else was  # as shown
        moved = mark(item.value, was, lang, item.up_is, digits)
        kind = verdict(item.value, was, item.up_is)
        shown = percent(item.value, lang) if item.percent else number(item.value, lang)
        colour = "zero" if item.value == 0 else item.colour
        note = f'<div class="note">{_e(item.note)}</div>' if item.note else ""
        out.append(f'<div class="tile{f" changed {kind}" if moved else ""}" '
                   f'data-figure="{item.key}"><div class="top"><span class="label">'
                   f'{_e(item.label)}</span>{moved}</div>{note}<div class="value {colour}">'
                   f'<span class="figure">{shown}</span></div></div>')
    value = "" if size is None else f";--value:{size}"
    return f'<div class="tiles" style="--cols:{columns}{value}">{"".join(out)}</div>'


def ranked(load: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The departments the meeting should talk about: those with overdue or at-risk work, the
    most overdue first (then the most at risk), at most `top`."""
    rows = load[(load["overdue"] > 0) | (load["at_risk"] > 0)]
    order = ["overdue", "at_risk", "open"]
    return rows.sort_values(order, ascending=False, kind="stable").head(top)


def _name(text: str, after: str = "") -> str:
    return f'<span class="name">{_e(text)}{after}</span>'


def _count(value, colour: str, lang: str, moved: str = "") -> str:
    return (f'<span class="num {colour if value else "zero"}">'
            f'{number(value, lang)}{moved}</span>')


def departments(load: pd.DataFrame, before: dict, lang: str, top: int = 10,
                alarm: float = 0.0) -> str:
    """Departments with overdue or at-risk work, the worst on top (as many as fit beside the
    alarm rows); each row's background is a bar of its overdue count against the worst one's."""
    top = min(top, fitting_rows(BODY_U - alarm, DEPT_ROW_U, ROWS_HEAD_U))
    rows = ranked(load, top)
    if rows.empty:
        return body(f'<div class="empty">{_e(translate(lang, "wall.nothing_overdue"))}</div>',
                    alarm)
    most = max(int(rows["overdue"].max()), 1)
    head = (f'<div class="row head"><span></span><span></span>'
            f'<span>{_e(translate(lang, "wall.col.overdue"))}</span>'
            f'<span>{_e(translate(lang, "wall.col.at_risk"))}</span>'
            f'<span>{_e(translate(lang, "wall.col.open"))}</span></div>')
    out = [head]
    for rank, r in enumerate(rows.to_dict("records"), start=1):
        moved = mark(r["overdue"], before.get(r["code"]), lang, "bad")
        kind = verdict(r["overdue"], before.get(r["code"]), "bad")
        width = 100 * r["overdue"] / most
        bar = f"background-image: linear-gradient(90deg, {BAR} {width:.0f}%, {PANEL} {width:.0f}%)"
        out.append(
            f'<div class="row{f" changed {kind}" if moved else ""}" data-dept="{_e(r["code"])}"'
            f' style="{bar}"><span class="rank">{rank}</span>'
            f'{_name(name_of(r, lang, "department"))}'
            f'{_count(r["overdue"], "red", lang, moved)}{_count(r["at_risk"], "orange", lang)}'
            f'{_count(r["open"], "", lang)}</div>')
    return body(f'<div class="rows depts" style="grid-template-rows: auto '
                f'repeat({top}, minmax(0, 1fr))">{"".join(out)}</div>', alarm)


def tickets(frame: pd.DataFrame, seen: set[str], lang: str, top: int = 10,
            alarm: float = 0.0) -> str:
    """The newest tickets, newest first (as many as fit beside the alarm rows); those not on
    screen at the previous refresh are new."""
    if frame.empty:
        return body(f'<div class="empty">{_e(translate(lang, "wall.no_tickets"))}</div>', alarm)
    top = min(top, fitting_rows(BODY_U - alarm, TICKET_ROW_U))
    frame = frame.head(top)
    tz = city_tz()
    out = []
    for r in frame.to_dict("records"):
        fresh = bool(seen) and r["external_id"] not in seen
        badge = f'<span class="badge">{_e(translate(lang, "wall.new"))}</span>' if fresh else ""
        colour = STATUS_COLOURS.get(r["status"], MUTED)
        out.append(
            f'<div class="row{" changed neutral" if fresh else ""}" '
            f'data-ticket="{_e(r["external_id"])}">'
            f'<span class="time">{r["created_at"].astimezone(tz):%H:%M}</span>'
            f'{_name(name_of(r, lang, "category"), badge)}'
            f'<span class="where">{_e(name_of(r, lang, "district") or "—")}</span>'
            f'<span class="chip" style="background:{colour}">'
            f'{_e(translate(lang, "status." + r["status"]))}</span></div>')
    return body(f'<div class="rows tickets" style="grid-template-rows: '
                f'repeat({top}, minmax(0, 1fr))">{"".join(out)}</div>', alarm)


def flow(hours: pd.DataFrame, items: Sequence[Tile], before: dict, lang: str,
         alarm: float = 0.0) -> str:
    """The last 24 hours: its totals beside bars of received and resolved per local hour
    (drawn as HTML, so they scale with the screen and cost the browser nothing to draw)."""
    top = max(int(hours[["received", "resolved"]].to_numpy().max()), 1)
    bars, axis = [], []
    for k, r in enumerate(hours.to_dict("records")):
        title = translate(lang, "wall.hour_tip", hour=f"{r['hour']:%H:00}",
                          received=r["received"], resolved=r["resolved"])
        bars.append(f'<div class="hour" title="{_e(title)}">'
                    f'<b class="received" style="height:{100 * r["received"] / top:.1f}%"></b>'
                    f'<b class="resolved" style="height:{100 * r["resolved"] / top:.1f}%"></b>'
                    f'</div>')
        label = f"{r['hour']:%H}" if k % 3 == 1 else ""
        axis.append(f"<span>{label}</span>")
    legend = (f'<i style="background:#6cb8ff"></i>{_e(translate(lang, "chart.received"))}'
              f'<i style="background:{GOOD}"></i>{_e(translate(lang, "chart.resolved"))}')
    chart = (f'<div class="chart" data-hours="{len(hours)}"><div class="legend">{legend}</div>'
             f'<div class="plot"><span class="scale">{number(top, lang)}</span>{"".join(bars)}'
             f'</div><div class="axis">{"".join(axis)}</div></div>')
    figures = tile_grid(items, before, lang, 1, value_size(BODY_U - alarm, len(items), 5.4))
    return body(f'<div class="flow">{figures}{chart}</div>', alarm)


def map_legend(lang: str) -> str:
    """What the map's two markers mean."""
    return (f'<div class="wall map-legend"><i class="late"></i>'
            f'{_e(translate(lang, "wall.map_overdue"))}<i class="open"></i>'
            f'{_e(translate(lang, "wall.map_open"))}</div>')


def map_height(alarm: float) -> int:
    """The city panel's map height (in pixels of the 1920-pixel design) beside `alarm` --u of
    alarm rows: all of `MAP_SIZE` when quiet, what is left under the legend when not."""
    design = DESIGN_WIDTH / 100  # pixels per --u on the design screen
    room = BODY_U - alarm - 2.6 - .6  # the legend's line and a little air
    return int(min(MAP_SIZE[1], room * design))


# ------------------------------------------------------------------------------------------------
# Lines that fit: the wall measures its words in its own type (DejaVu Sans, the widest of the
# usual sans-serif faces, so a line that fits in it fits in the others too).


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont | None:
    for folder in FONT_DIRS:
        path = folder / FONT_FILES[bold]
        if path.exists():
            return ImageFont.truetype(str(path), 100)
    return None


def width_em(text: str, bold: bool = True) -> float:
    """How wide `text` is drawn, in ems (a wide guess when the font is not installed)."""
    font = _font(bold)
    return 0.75 * len(text) if font is None else font.getlength(text) / 100


def wrap(text: str, width: float, bold: bool = True) -> list[str]:
    """`text` in lines of at most `width` ems, broken only between words (a word wider than
    the line keeps a line of its own)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and width_em(f"{lines[-1]} {word}", bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


@dataclass(frozen=True)
class Alarms:
    """The alarm rows' markup and the height (in --u) they take from every panel."""
    markup: str
    height: float


def alarms(items: Sequence[tuple[str, str, str]]) -> Alarms:
    """Incidents (red, white type) and spikes (orange) as full-width rows above the panel,
    each broken into whole-word lines that fit the narrowest screen, so that their height is
    known here and every panel keeps the rest. `items`: (kind, text, key) with kind "incident"
    or "spike"."""
    if not items:
        return Alarms("", 0.0)
    rows, height = [], 0.0
    for kind, text, key in items:
        lines = wrap(text, ALARM_WIDTH / ALARM_FONT)
        tall = len(lines) * ALARM_FONT * ALARM_LINE + 2 * ALARM_PAD
        height += tall + ALARM_GAP
        spans = "".join(f"<span>{_e(line)}</span>" for line in lines)
        rows.append(f'<div class="alarm {kind}" data-{kind}="{_e(key)}" role="alert" '
                    f'style="height:calc({tall:.3f} * var(--u))">{spans}</div>')
    return Alarms(f'<div class="wall alarms">{"".join(rows)}</div>', round(height, 3))


# ------------------------------------------------------------------------------------------------
# `?panel=week`: the week that ended, for the weekly meeting.


def week_title(review: WeekReview, lang: str) -> str:
    return translate(lang, "wall.week_of", dates=week_dates(review.week, lang))


def week(review: WeekReview, lang: str) -> str:
    """The week's eight figures in large type, each with its change against the week before
    (green good news, red bad), and the departments most overdue at the week's end: the labels
    broken between words into at most two lines, and the figures' type as large as the
    narrowest screen's tile and the height allow."""
    colours = {RED: "red", GREEN: "green"}
    now, before = review.figures[CITY], review.previous[CITY]
    worst = review.discuss()[:5]
    ranking_u = (ROWS_HEAD_U + len(worst) * DEPT_ROW_U + 1.0) if worst else 0.0
    inner = (96 - 3 * 1.0) / 4 - 2.4 - .4  # a tile's inside on the narrowest screen, in --u
    labels = [translate(lang, f"week.figure.{name}") for name in FIGURES]
    label_size = 1.6
    while label_size > 1.1 and any(len(wrap(x, inner / label_size, False)) > 2 for x in labels):
        label_size = round(label_size - .1, 2)
    values = [figure_text(name, getattr(now, name), lang) for name in FIGURES]
    row = (BODY_U - ranking_u - 1.0) / 2
    tall = row - 1.8 - 2 * label_size * 1.15 - 1.7 * 1.15 - 1.4  # padding, gaps
    size = round(max(2.2, min(4.6, tall, .95 * inner / max(width_em(v) for v in values))), 2)
    tiles_markup = []
    for name, label, shown in zip(FIGURES, labels, values, strict=True):
        value, previous = getattr(now, name), getattr(before, name)
        lines = "<br>".join(_e(x) for x in wrap(label, inner / label_size, False))
        tiles_markup.append(
            f'<div class="tile" data-figure="{name}"><div class="label" '
            f'style="font-size:calc({label_size} * var(--u))">{lines}</div>'
            f'<div class="value">{_e(shown)}</div><div class="change '
            f'{colours.get(tone(name, value, previous), "muted")}">'
            f'{_e(change_text(name, value, previous, lang)) or "&nbsp;"}</div></div>')
    grid = f'<div class="week-tiles" style="--value:{size}">{"".join(tiles_markup)}</div>'
    if not worst:
        return body(grid, 0.0)
    rows = review.departments.set_index("id")
    head = (f'<div class="row head"><span style="text-align:left">'
            f'{_e(translate(lang, "week.col.department"))}</span>'
            f'<span>{_e(translate(lang, "week.figure.overdue_at_end"))}</span></div>')
    names = "".join(
        f'<div class="row" data-dept="{d}"><span class="name">{_e(name_of(rows.loc[d], lang))}'
        f'</span><span class="num red">{number(review.figures[d].overdue_at_end, lang)}</span>'
        f'</div>' for d in worst)
    ranking = (f'<div class="rows week-depts" style="flex:0 0 calc({ranking_u - 1.0:.2f} * '
               f'var(--u)); grid-template-rows: auto repeat({len(worst)}, minmax(0, 1fr))">'
               f'{head}{names}</div>')
    return body(grid + ranking, 0.0)
