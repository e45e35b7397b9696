"""Plotly figures: data in, figure out, so each can be tested without a page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.i18n import name_of
from ui.text import plotly_text
from words.language import translate

BLUE, GREEN = "#1f77b4", "#2ca02c"
CONFIG = {"displayModeBar": False}  # the toolbar would cover the top bar
# Axis and legend text: 14 px in near-black (about 12:1 on white; WCAG asks 4.5:1).
TEXT = {"size": 14, "color": "#262730"}


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
