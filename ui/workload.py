"""The overview's workload: the departments with open work, the worst on top, one row each.

A row is a button (a click lists the department's tickets) that reads "name · overdue · at risk ·
open", its hand-offs of the last 7 days beside, over a stacked bar in the chart's colours:
overdue, at risk, on track, as long as its open count against the busiest shown. The bars are a
style sheet made from the data, so the overview needs no chart library for them: plotly's script
held a fresh tab's first figures back by about 1.6 s (docs/benchmark.md), and a button
answers the first click, with the keyboard too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ui.i18n import name_of
from ui.text import markdown_text
from words.formatting import number
from words.language import translate

TOP = 15  # departments shown, the worst first
BEHIND = 5  # departments named under the counters: those furthest behind
BEHIND_CHARS = 20  # a department's name there (the whole name in its tooltip)
NAME_CHARS = 30  # a department's name on its row (the whole name in the row's tooltip)
KEY = "wl_"  # a row's widget key: KEY + its place, so its style sheet can find it
RED, ORANGE, BLUE = "#d62728", "#ff8c00", "#1f77b4"
ROW_HEIGHT, GAP = 1.9, 0.1  # rem: a row and the space between rows


@dataclass(frozen=True)
class Row:
    """One department's row: its open work and its hand-offs of the last 7 days."""

    code: str
    name: str
    open: int
    overdue: int
    at_risk: int
    received: int = 0
    passed: int = 0


def with_work(frame: pd.DataFrame) -> pd.DataFrame:
    """The departments that have open tickets: a filtered view is not padded with empty rows."""
    return frame[frame["open"] > 0]


def rows(frame: pd.DataFrame, lang: str, top: int = TOP) -> list[Row]:
    """The `top` departments with open work, in the workload query's order (worst first)."""
    shown = with_work(frame).head(top)
    handed = "passed_on_7d" in shown
    return [Row(code=r["code"], name=name_of(r, lang, "department"), open=int(r["open"]),
                overdue=int(r["overdue"]), at_risk=int(r["at_risk"]),
                received=int(r["received_from_others_7d"]) if handed else 0,
                passed=int(r["passed_on_7d"]) if handed else 0)
            for r in shown.to_dict("records")]


def behind(frame: pd.DataFrame, top: int = BEHIND) -> pd.DataFrame:
    """The `top` departments that are behind (an overdue or at-risk ticket), worst first."""
    return frame[(frame["overdue"] > 0) | (frame["at_risk"] > 0)].head(top)


def behind_label(row: Row, lang: str) -> str:
    """A department behind, in a few words (Markdown): its overdue and at-risk counts in their
    colours (a zero left out), then its name cut short."""
    counts = " · ".join(_alarm(n, colour, lang) for n, colour in
                        ((row.overdue, "red"), (row.at_risk, "orange")) if n)
    return f"{counts} {markdown_text(short(row.name, BEHIND_CHARS))}"


def short(name: str, most: int = NAME_CHARS) -> str:
    """A name cut to `most` characters with an ellipsis, so a row keeps to one line."""
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"


def handoff_mark(received: int, passed: int) -> str:
    """"+3 / −5": tickets received from other services and passed on to them in 7 days, beside
    a department's row ("" when it handed nothing either way)."""
    return f"+{received} / −{passed}" if received or passed else ""


def label(row: Row, lang: str) -> str:
    """The row's words (Markdown): its name, then overdue, at risk (in the bar's colours when
    not zero) and open, then its hand-offs in grey."""
    mark = handoff_mark(row.received, row.passed)
    return (f"{markdown_text(short(row.name))} · {_alarm(row.overdue, 'red', lang)} · "
            f"{_alarm(row.at_risk, 'orange', lang)} · {number(row.open, lang)}"
            + (f" :gray[{mark}]" if mark else ""))


def _alarm(count: int, colour: str, lang: str) -> str:
    """A count in its alarm colour, bold; a zero in grey, since nothing is wrong."""
    return f":{colour}[**{number(count, lang)}**]" if count else ":gray[0]"


def tooltip(row: Row, lang: str) -> str:
    """The row's tooltip: the whole name, its figures in words, its hand-offs."""
    words = (f"{markdown_text(row.name)}: "
             + translate(lang, "workload.row_hover", open=number(row.open, lang),
                         overdue=number(row.overdue, lang), at_risk=number(row.at_risk, lang)))
    if row.received or row.passed:
        words += "  \n" + translate(lang, "chart.handoffs_hover", received=row.received,
                                    passed=row.passed)
    return words


def legend(lang: str) -> str:
    """What a row's colours and numbers mean (Markdown)."""
    return " · ".join(f":{colour}[■] {translate(lang, key)}" for colour, key in (
        ("red", "chart.overdue"), ("orange", "chart.at_risk"), ("blue", "chart.on_track")))


def bar(row: Row, most: int) -> str:
    """The CSS gradient of a row's bar: overdue, at risk and on track as shares of `most`."""
    scale = 100 / max(1, most)
    ends = (row.overdue * scale, (row.overdue + row.at_risk) * scale, row.open * scale)
    return (f"linear-gradient(to right, {RED} 0 {ends[0]:.2f}%, {ORANGE} {ends[0]:.2f}% "
            f"{ends[1]:.2f}%, {BLUE} {ends[1]:.2f}% {ends[2]:.2f}%, transparent {ends[2]:.2f}%)")


def style(shown: list[Row]) -> str:
    """The style sheet that lays the rows out tight and draws each row's bar under its words."""
    most = max((row.open for row in shown), default=1)
    rules = [
        # room for TOP rows whatever the count: a department that gets its first open ticket
        # does not make the column taller and push the page under the user
        f".st-key-workload-rows {{ gap: {GAP}rem; min-height: {TOP * (ROW_HEIGHT + GAP):.2f}rem; "
        "justify-content: flex-start; }",
        f".st-key-workload-rows button {{ min-height: {ROW_HEIGHT}rem; padding: 0 0.4rem 7px; "
        "justify-content: flex-start; text-align: left; width: 100%; "
        "background-size: 100% 6px; background-position: left bottom; "
        "background-repeat: no-repeat; }",
        ".st-key-workload-rows button > div, .st-key-workload-rows button span, "
        ".st-key-workload-rows [data-testid='stTooltipHoverTarget'] { "
        "justify-content: flex-start !important; width: 100%; min-width: 0; }",
        ".st-key-workload-rows button p { white-space: nowrap; overflow: hidden; "
        "text-overflow: ellipsis; text-align: left; }",
        ".st-key-workload-rows button:hover { background-color: rgba(31, 119, 180, 0.08); }",
    ]
    rules += [f".st-key-{KEY}{place} button {{ background-image: {bar(row, most)}; }}"
              for place, row in enumerate(shown)]
    return "<style>" + "\n".join(rules) + "</style>"
