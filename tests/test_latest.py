"""The meeting screen's ticker: the tickets received last, against pandas over the raw rows."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from devtools import oracle
from queries.filters import Filters
from queries.tickets import latest
from tests.cities import seed
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def _status_at(row, t: datetime) -> str:
    """The status a row's instants give at t, written out from docs/figures.md."""
    for status, column in (("rejected", "rejected_at"), ("closed", "closed_at"),
                           ("resolved", "resolved_at"), ("in_progress", "accepted_at")):
        if pd.notna(row[column]) and row[column] <= pd.Timestamp(t):
            return status
    return "new"


@pytest.mark.parametrize("as_of", [NOW, NOW - timedelta(days=2, minutes=7)],
                         ids=["now", "2 days ago"])
def test_latest_are_the_newest_received_by_as_of(engine, as_of):
    seed(engine, 3000, 4, NOW, progress=False, days=20)
    frame = oracle.raw(engine)
    seen = frame[frame["created_at"] <= pd.Timestamp(as_of)]
    expected = seen.sort_values(["created_at", "id"], ascending=False).head(12)
    with engine.connect() as conn:
        got = latest(conn, Filters(as_of=as_of), 12)
    assert got["external_id"].tolist() == expected["external_id"].tolist()
    assert got["status"].tolist() == [_status_at(r, as_of) for _, r in expected.iterrows()]
    assert got["category"].notna().all() and got["district"].notna().all()


def test_latest_keeps_to_the_filters_and_breaks_ties_by_arrival(engine):
    reference(engine)
    same = NOW - timedelta(minutes=5)
    first = add_ticket(engine, same, department="ROADS")
    second = add_ticket(engine, same, department="ROADS")
    add_ticket(engine, NOW - timedelta(minutes=1), department="WATER", category="water_leak")
    add_ticket(engine, NOW + timedelta(seconds=1), department="ROADS")  # not received yet
    with engine.connect() as conn:
        got = latest(conn, Filters(as_of=NOW, departments=("ROADS",)), 10)
        empty = latest(conn, Filters(as_of=NOW - timedelta(days=1)), 10)
    assert got["external_id"].tolist() == [second, first]
    assert empty.empty and "category" in empty.columns
