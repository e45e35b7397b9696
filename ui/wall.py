"""The meeting screen's look: a dark, large-type screen drawn as HTML from data, so it reads from
five metres on a 1920×1080 projector whatever the app's own theme is.

Streamlit's theme is one for the whole app, so the wall brings its own style sheet and hides the
app's chrome. Every builder here is data in, HTML out; the page only places them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from db.config import city_tz
from ui.data import Outage
from ui.format import clock, number
from ui.i18n import name_of, translate
from ui.text import html_text

PANELS = ("city", "departments", "flow", "latest")
BACKGROUND, PANEL, TEXT, MUTED = "#0b0f14", "#161d26", "#f3f6f9", "#aab6c3"
# The city panel's map (its column's width at 1920 pixels, and its height) and the size of the
# districts' names on it.
MAP_SIZE, NAME_SIZE = (1060, 880), 22
STATUS_COLOURS = {"new": "#6cb8ff", "in_progress": "#ffb547", "resolved": "#5fe08a",
                  "closed": "#8d99a6", "rejected": "#8d99a6"}

STYLE = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
footer {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
  background: {BACKGROUND} !important; color: {TEXT}; }}
[data-testid="stMainBlockContainer"] {{ padding: 20px 40px 0 40px !important; max-width: none; }}
.wall {{ color: {TEXT}; font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.15; }}
.wall-head {{ display: flex; align-items: center; justify-content: space-between;
  border-bottom: 2px solid #2a3542; padding-bottom: 10px; margin-bottom: 8px; }}
.wall-title {{ font-size: 40px; font-weight: 700; }}
.wall-title small {{ font-size: 30px; color: {MUTED}; font-weight: 400; margin-left: 18px; }}
.wall-asof {{ font-size: 48px; font-weight: 800; font-variant-numeric: tabular-nums; }}
.wall-asof small {{ font-size: 28px; color: {MUTED}; font-weight: 400; margin-left: 12px; }}
.wall-dots span {{ display: inline-block; width: 22px; height: 22px; border-radius: 50%;
  background: #33404e; margin: 0 7px; }}
.wall-dots span.on {{ background: {TEXT}; }}
.wall-legend {{ font-size: 28px; color: {MUTED}; margin: 4px 0 12px 0; }}
.wall-banner {{ background: #c62828; color: #fff; font-size: 44px; font-weight: 800;
  padding: 14px 28px; border-radius: 12px; margin-bottom: 12px; }}
.tile {{ background: {PANEL}; border-radius: 16px; padding: 12px 28px 14px 28px;
  margin-bottom: 16px; border: 4px solid transparent; }}
.tile.changed, .row.changed {{ border-color: #ffd54f; box-shadow: 0 0 28px rgba(255,213,79,.35); }}
.tile .label {{ font-size: 32px; color: {MUTED}; }}
.tile .value {{ font-size: 100px; font-weight: 800; line-height: 1.0;
  font-variant-numeric: tabular-nums; }}
.mark {{ font-size: 44px; font-weight: 800; color: #ffd54f; margin-left: 18px;
  vertical-align: middle; }}
.red {{ color: #ff6161; }} .orange {{ color: #ffb547; }} .green {{ color: #5fe08a; }}
.blue {{ color: #6cb8ff; }}
.rows {{ display: grid; gap: 10px; }}
.row {{ display: grid; align-items: center; background: {PANEL}; border-radius: 14px;
  padding: 6px 24px; border: 4px solid transparent; min-height: 70px; }}
.rows.depts .row {{ grid-template-columns: 60px 1fr 380px 190px 150px 150px; }}
.rows.tickets .row {{ grid-template-columns: 170px 1fr 480px 300px; min-height: 76px; }}
.row.head {{ background: none; min-height: 0; padding-top: 0; padding-bottom: 0;
  font-size: 32px; color: {MUTED}; }}
.row .rank {{ font-size: 34px; color: {MUTED}; }}
.row .name {{ font-size: 40px; font-weight: 700; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.row .num {{ font-size: 52px; font-weight: 800; text-align: right;
  font-variant-numeric: tabular-nums; }}
.row .num .mark {{ font-size: 32px; margin-left: 8px; }}
.row .time {{ font-size: 46px; font-weight: 800; font-variant-numeric: tabular-nums;
  white-space: nowrap; }}
.row .where {{ font-size: 36px; color: {MUTED}; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.bar {{ height: 30px; background: #ff6161; border-radius: 6px; }}
.chip {{ font-size: 32px; font-weight: 800; padding: 6px 18px; border-radius: 28px;
  color: {BACKGROUND}; text-align: center; }}
.badge {{ font-size: 28px; font-weight: 800; background: #ffd54f; color: {BACKGROUND};
  padding: 2px 12px; border-radius: 8px; margin-left: 14px; vertical-align: middle; }}
.empty {{ font-size: 44px; color: {MUTED}; padding: 40px 0; }}
</style>"""


def rotation_seconds() -> int:
    """`CITYDESK_WALL_SECONDS`: how long each panel stays on screen."""
    return max(5, int(os.environ.get("CITYDESK_WALL_SECONDS") or 20))


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


def mark(now: float | None, before: float | None, lang: str) -> str:
    """▲ +3 or ▼ 2 when a figure moved since the previous refresh, else nothing."""
    if now is None or before is None or now == before:
        return ""
    arrow = "▲ +" if now > before else "▼ −"
    return f'<span class="mark">{arrow}{number(abs(now - before), lang)}</span>'


def header(lang: str, panel: int, as_of: datetime, paused: bool) -> str:
    """The top line: what this is, which panel, and "as of HH:MM:SS" (always visible)."""
    title = translate(lang, f"wall.panel.{PANELS[panel - 1]}")
    dots = "".join(f'<span class="{"on" if k == panel else ""}"></span>'
                   for k in range(1, len(PANELS) + 1))
    asof = translate(lang, "wall.as_of", time=clock(as_of, city_tz()))
    note = f"<small>{_e(translate(lang, 'wall.paused'))}</small>" if paused else ""
    return (f'<div class="wall wall-head"><div class="wall-title">{_e(title)}'
            f'<small>{_e(translate(lang, "wall.title"))}</small></div>'
            f'<div class="wall-dots">{dots}</div>'
            f'<div class="wall-asof" data-asof="{as_of.isoformat()}">{_e(asof)}{note}</div></div>'
            f'<div class="wall wall-legend">{_e(translate(lang, "wall.changed"))}</div>')


def banner(down: Outage | None, lang: str) -> str:
    """The outage line in the wall's own large type; empty when the database answered."""
    if down is None:
        return ""
    text = (translate(lang, "wall.down_nothing") if down.since is None else
            translate(lang, "wall.down", when=clock(down.since, city_tz())[:5]))
    return f'<div class="wall wall-banner" role="alert">⚠ {_e(text)}</div>'


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    colour: str = ""


def tiles(items: Sequence[Tile], before: dict, lang: str) -> str:
    """Big counters, each marked when it changed since the previous refresh."""
    out = []
    for item in items:
        moved = mark(item.value, before.get(item.key), lang)
        out.append(f'<div class="tile{" changed" if moved else ""}" data-figure="{item.key}">'
                   f'<div class="label">{_e(item.label)}</div>'
                   f'<div class="value {item.colour}"><span class="figure">'
                   f'{number(item.value, lang)}</span>{moved}</div></div>')
    return f'<div class="wall">{"".join(out)}</div>'


def departments(load: pd.DataFrame, before: dict, lang: str, top: int = 10) -> str:
    """Departments ranked by overdue tickets: the worst on top, a bar for scale."""
    rows = load[load["open"] > 0].head(top)
    if rows.empty or not rows["overdue"].any():
        return f'<div class="wall empty">{_e(translate(lang, "wall.nothing_overdue"))}</div>'
    most = max(int(rows["overdue"].max()), 1)
    head = (f'<div class="row head"><span></span><span></span><span></span>'
            f'<span style="text-align:right">{_e(translate(lang, "counter.overdue"))}</span>'
            f'<span style="text-align:right">{_e(translate(lang, "counter.at_risk"))}</span>'
            f'<span style="text-align:right">{_e(translate(lang, "counter.open"))}</span></div>')
    out = [head]
    for rank, r in enumerate(rows.to_dict("records"), start=1):
        moved = mark(r["overdue"], before.get(r["code"]), lang)
        width = 100 * r["overdue"] / most
        out.append(
            f'<div class="row{" changed" if moved else ""}" data-dept="{_e(r["code"])}">'
            f'<span class="rank">{rank}</span>'
            f'<span class="name">{_e(name_of(r, lang, "department"))}</span>'
            f'<span><div class="bar" style="width:{width:.0f}%"></div></span>'
            f'<span class="num red">{number(r["overdue"], lang)}{moved}</span>'
            f'<span class="num orange">{number(r["at_risk"], lang)}</span>'
            f'<span class="num">{number(r["open"], lang)}</span></div>')
    return f'<div class="wall rows depts">{"".join(out)}</div>'


def tickets(frame: pd.DataFrame, seen: set[str], lang: str) -> str:
    """The newest tickets, newest first; those not on screen at the previous refresh are new."""
    if frame.empty:
        return f'<div class="wall empty">{_e(translate(lang, "wall.no_tickets"))}</div>'
    tz = city_tz()
    out = []
    for r in frame.to_dict("records"):
        fresh = bool(seen) and r["external_id"] not in seen
        badge = f'<span class="badge">{_e(translate(lang, "wall.new"))}</span>' if fresh else ""
        colour = STATUS_COLOURS.get(r["status"], MUTED)
        out.append(
            f'<div class="row{" changed" if fresh else ""}" data-ticket="{_e(r["external_id"])}">'
            f'<span class="time">{r["created_at"].astimezone(tz):%H:%M}</span>'
            f'<span class="name">{_e(name_of(r, lang, "category"))}{badge}</span>'
            f'<span class="where">{_e(name_of(r, lang, "district") or "—")}</span>'
            f'<span class="chip" style="background:{colour}">'
            f'{_e(translate(lang, "status." + r["status"]))}</span></div>')
    return f'<div class="wall rows tickets">{"".join(out)}</div>'


def chart(fig: go.Figure) -> go.Figure:
    """A figure restyled for the wall: large type on the wall's own background."""
    fig.update_layout(
        font={"size": 28, "color": TEXT}, paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
        legend={"orientation": "h", "y": 1.08, "x": 0, "font": {"size": 32}},
        margin={"l": 20, "r": 20, "t": 70, "b": 20},
    )
    fig.update_xaxes(tickformat="%H:%M", gridcolor="#26313d", tickfont={"size": 26})
    fig.update_yaxes(gridcolor="#26313d", tickfont={"size": 26})
    fig.update_traces(selector={"type": "bar"}, marker_color="#6cb8ff")
    fig.update_traces(selector={"type": "scatter"}, line={"width": 6, "color": "#5fe08a"},
                      marker={"size": 14, "color": "#5fe08a"})
    return fig
