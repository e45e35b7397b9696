"""The page's address: the one owner of `st.query_params`.

Every parameter a link may carry is declared here, with its default and what it means; every
other module reads and writes them through `get`, `put` and `drop`. So a parameter cannot be
lost because one writer did not know another's (a shared search link keeps its `q`), and the
docs/commands.md's list of link parameters is this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Param:
    """A link parameter: its default (absent from the URL when equal) and what it says."""

    help: str
    default: str = ""


PARAMS: dict[str, Param] = {
    # the view (ui/view.py writes these together, from the sidebar)
    "lang": Param("interface language: en or ru"),
    "as_of": Param("a past moment (ISO 8601; without an offset, city time); absent: live"),
    "dept": Param("departments, comma-separated codes (the department page: its department)"),
    "district": Param("districts, comma-separated codes"),
    "category": Param("categories, comma-separated codes"),
    "channel": Param("channels, comma-separated codes"),
    "status": Param("statuses, comma-separated (absent: the open ones)"),
    "period": Param("created within: today, 7d, 30d or 365d", "any"),
    "box": Param("the map's area: south,west,north,east"),
    # what the page shows within the view
    "subset": Param("the tickets the table lists: a counter's subset", "all"),
    "q": Param("the ticket table's search text"),
    "drill_dept": Param("the department whose tickets the overview lists"),
    "drill_district": Param("the district whose tickets the overview lists"),
    "drill_incident": Param("the incident whose tickets the overview lists (its first ticket)"),
    "ticket": Param("the ticket whose card is open"),
    "id": Param("the ticket page's ticket"),
    "week": Param("the week page's ISO week, e.g. 2026-W47"),
    "panel": Param("the meeting screen's pinned panel (1–4, or week)"),
    # how the page runs
    "view": Param("wall: open the meeting screen with no menu"),
    "refresh": Param("seconds between refreshes, or off"),
    "kiosk": Param("a meeting screen's kiosk token (python -m db kiosk)"),
}


def _known(name: str) -> str:
    if name not in PARAMS:
        raise KeyError(f"link parameter {name!r} is not declared in ui/url.py")
    return name


def get(name: str) -> str:
    """The parameter's value in the address, or its default."""
    return st.query_params.get(_known(name), PARAMS[name].default)


def given(name: str) -> bool:
    """Whether the address carries the parameter at all."""
    return _known(name) in st.query_params


def put(name: str, value: str | None) -> None:
    """Set a parameter (its default or None removes it); the address changes only if needed."""
    if value is None or value == PARAMS[_known(name)].default:
        drop(name)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def drop(name: str) -> None:
    """Remove a parameter from the address."""
    st.query_params.pop(_known(name), None)


def everything() -> dict[str, str]:
    """The declared parameters the address carries (what a page switch passes on)."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in PARAMS}


def replace_view(view_params: Mapping[str, str], owned: frozenset[str]) -> None:
    """Write the view's parameters (`owned`: those the view decides) and keep every other
    declared one as it is; undeclared parameters are dropped."""
    params = {k: v for k, v in everything().items() if k not in owned}
    params.update(view_params)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
