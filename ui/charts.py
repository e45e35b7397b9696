"""Plotly figures: data in, figure out, so each can be tested without a page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.i18n import name_of, translate
from ui.text import plotly_text

RED, ORANGE, BLUE, GREEN, GREY = "#d62728", "#ff8c00", "#1f77b4", "#2ca02c", "#8c8c8c"
CONFIG = {"displayModeBar": False}  # the toolbar would cover the top bar
TOP_DEPARTMENTS = 15  # the workload chart shows this many, the worst first
# Axis and legend text: 14 px in near-black (about 12:1 on white; WCAG asks 4.5:1).
TEXT = {"size": 14, "color": "#262730"}
NAME_CHARS = 24  # a department's name on the workload chart's axis (the whole name on hover)


def _layout(fig: go.Figure, height: int, dark: bool) -> go.Figure:
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.12},
        template="plotly_dark" if dark else "plotly_white",
        barmode="stack", hovermode="closest",
    )
    if not dark:  # the meeting screen sizes its own type
        fig.update_layout(font=TEXT, legend_font=TEXT)
        fig.update_xaxes(tickfont=TEXT)
        fig.update_yaxes(tickfont=TEXT)
    return fig


def short(name: str, most: int = NAME_CHARS) -> str:
    """A name cut to `most` characters with an ellipsis, so the bars keep their room."""
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"


def workload_bars(frame: pd.DataFrame, lang: str, top: int = TOP_DEPARTMENTS,
                  dark: bool = False, height: int | None = None) -> go.Figure:
    """Open tickets per department, split into overdue, at risk and on track; worst on top.

    Each bar carries the department's code as customdata, for drill-down on click.
    """
    rows = frame.head(top).iloc[::-1]
    names = [plotly_text(name_of(r, lang, "department")) for r in rows.to_dict("records")]
    on_track = rows["open"] - rows["overdue"] - rows["at_risk"]
    fig = go.Figure()
    for label, values, color in (
        ("chart.overdue", rows["overdue"], RED),
        ("chart.at_risk", rows["at_risk"], ORANGE),
        ("chart.on_track", on_track, BLUE),
    ):
        fig.add_bar(y=names, x=values, name=translate(lang, label), orientation="h",
                    marker_color=color, customdata=rows["code"],
                    hovertemplate="%{y}: %{x}<extra>" + translate(lang, label) + "</extra>")
    fig = _layout(fig, height or 28 * len(rows) + 80, dark)
    fig.update_layout(clickmode="event+select")
    return fig


def with_work(frame: pd.DataFrame) -> pd.DataFrame:
    """The departments that have open tickets: a filtered view is not padded with empty bars."""
    return frame[frame["open"] > 0]


def attention_bars(frame: pd.DataFrame, lang: str, top: int = TOP_DEPARTMENTS) -> go.Figure:
    """The overview's workload chart: `workload_bars` of the departments with open work, their
    names shortened on the axis (whole in the hover), each bar one click target; one bar per
    department, so a click anywhere on its row picks it."""
    rows = with_work(frame)
    fig = workload_bars(rows, lang, top)
    shown = rows.head(top).iloc[::-1]
    full = [name_of(r, lang, "department") for r in shown.to_dict("records")]
    for trace in fig.data:
        trace.y = [short(n) for n in full]
        trace.hovertext = full
        trace.hovertemplate = "%{hovertext}: %{x}<extra>" + trace.name + "</extra>"
    _handoff_marks(fig, shown, lang)
    # Room for `top` bars whatever the count, the bars at the top, and shorter than the map
    # beside it: a department that gets its first open ticket, or a caption that takes one more
    # line, does not make the row taller and push the page under the user.
    fig.update_layout(height=28 * top + 70, dragmode=False, bargap=0.25,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0})
    fig.update_yaxes(range=[len(shown) - top - 0.5, len(shown) - 0.5])
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(fixedrange=True)
    fig.update_yaxes(fixedrange=True)
    return fig


def handoff_mark(received: int, passed: int) -> str:
    """"+3 / −5": tickets received from other services and passed on to them in 7 days, beside
    a department's bar ("" when it handed nothing either way)."""
    return f"+{received} / −{passed}" if received or passed else ""


def _handoff_marks(fig: go.Figure, shown: pd.DataFrame, lang: str) -> None:
    """Write each department's hand-offs of the last 7 days at the end of its bar, so that
    work passed on never just vanishes from a department's bar."""
    if "passed_on_7d" not in shown:
        return
    received = shown["received_from_others_7d"].astype(int)
    passed = shown["passed_on_7d"].astype(int)
    marks = [handoff_mark(r, p) for r, p in zip(received, passed, strict=True)]
    if not any(marks):
        return
    words = [translate(lang, "chart.handoffs_hover", received=r, passed=p)
             for r, p in zip(received, passed, strict=True)]
    fig.add_scatter(y=fig.data[0].y, x=shown["open"], text=marks, mode="text",
                    textposition="middle right", textfont={**TEXT, "color": GREY},
                    customdata=shown["code"], hovertext=words, showlegend=False,
                    hovertemplate="%{hovertext}<extra></extra>")
    fig.update_xaxes(range=[0, max(1, int(shown["open"].max())) * 1.3])


def _dates(fig: go.Figure, lang: str) -> go.Figure:
    """Dates on the x axis as the language writes them (plotly's own names are English)."""
    fig.update_xaxes(tickformat="%d.%m" if lang == "ru" else "%b %d")
    return fig


def flow_lines(frame: pd.DataFrame, x: str, lang: str, dark: bool = False,
               height: int = 300) -> go.Figure:
    """Received (bars) against resolved (line) per day or per hour."""
    fig = go.Figure()
    fig.add_bar(x=frame[x], y=frame["received"], name=translate(lang, "chart.received"),
                marker_color=BLUE)
    fig.add_scatter(x=frame[x], y=frame["resolved"], name=translate(lang, "chart.resolved"),
                    mode="lines+markers", line={"color": GREEN, "width": 3})
    fig = _layout(fig, height, dark)
    fig.update_layout(barmode="group")
    return _dates(fig, lang) if x == "day" else fig


def on_time_weeks(frame: pd.DataFrame, lang: str, dark: bool = False,
                  height: int = 300) -> go.Figure:
    """On-time share per week, with the number resolved in the hover."""
    fig = go.Figure()
    fig.add_scatter(x=frame["week"], y=frame["on_time_pct"], mode="lines+markers",
                    name=translate(lang, "chart.on_time_pct"), line={"color": GREEN, "width": 3},
                    customdata=frame["resolved"],
                    hovertemplate="%{x}: %{y:.1f}% (%{customdata})<extra></extra>")
    fig = _layout(fig, height, dark)
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return _dates(fig, lang)


def channel_bars(frame: pd.DataFrame, lang: str, dark: bool = False,
                 height: int = 260) -> go.Figure:
    """Tickets received per channel over the last 7 days."""
    rows = frame.iloc[::-1]
    names = [plotly_text(name_of(r, lang)) for r in rows.to_dict("records")]
    fig = go.Figure()
    fig.add_bar(y=names, x=rows["received_7d"], orientation="h", marker_color=BLUE,
                name=translate(lang, "chart.tickets"), customdata=rows["code"])
    fig = _layout(fig, height, dark)
    fig.update_layout(showlegend=False)
    return fig
