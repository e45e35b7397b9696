"""The audit log's reads against an independent pandas computation, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from access.permissions import Actor
from db.schema import departments, ticket_events, tickets
from desk.actions import reassign
from queries.audit_log import AuditFilters, audit_actors, audit_page, audit_rows
from tests.cities import seed

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def city(engine: Engine) -> Engine:
    """A small demo city, then reassignments by three people at known instants."""
    seed(engine, 1500, 11, NOW - timedelta(days=1), progress=False, days=30)
    with engine.connect() as conn:
        open_roads = list(conn.execute(
            select(tickets.c.external_id).join(departments)
            .where(departments.c.code == "ROADS", tickets.c.status.in_(("new", "in_progress")))
            .order_by(tickets.c.id).limit(4)).scalars())
    lena, roman = Actor("lena", "leadership"), Actor("roman", "head", "ROADS")
    assert reassign(engine, open_roads[:2], "WATER", "leak under the road", lena,
                    now=NOW - timedelta(hours=5)).ok
    assert reassign(engine, open_roads[2:3], "STORM", "drain", roman,
                    now=NOW - timedelta(hours=3)).ok
    assert reassign(engine, open_roads[:1], "ROADS", "back: not a leak", lena,
                    now=NOW - timedelta(hours=1)).ok
    return engine


def raw(engine: Engine) -> pd.DataFrame:
    """Every event with its ticket's number and current department, straight from the tables."""
    with engine.connect() as conn:
        events = pd.DataFrame(conn.execute(select(ticket_events)).mappings().all())
        ticket_rows = pd.DataFrame(conn.execute(
            select(tickets.c.id, tickets.c.external_id, tickets.c.department_id)).mappings().all())
        codes = dict(conn.execute(select(departments.c.id, departments.c.code)).all())
    frame = events.merge(ticket_rows, left_on="ticket_id", right_on="id", suffixes=("", "_t"))
    frame["from_code"] = frame["from_department_id"].map(codes)
    frame["to_code"] = frame["to_department_id"].map(codes)
    frame["now_code"] = frame["department_id"].map(codes)
    return frame


def expected(frame: pd.DataFrame, f: AuditFilters) -> list[int]:
    keep = pd.Series(True, index=frame.index)
    if f.kinds:
        keep &= frame["kind"].isin(f.kinds)
    if f.actor:
        keep &= frame["actor"] == f.actor
    if f.since:
        keep &= frame["at"] >= f.since
    if f.until:
        keep &= frame["at"] < f.until
    if f.department:
        moves_nothing = frame["from_code"].isna() & frame["to_code"].isna()
        keep &= ((frame["from_code"] == f.department) | (frame["to_code"] == f.department)
                 | (moves_nothing & (frame["now_code"] == f.department)))
    return frame[keep].sort_values(["at", "id"], ascending=False)["id"].tolist()


FILTERS = [
    AuditFilters(),
    AuditFilters(kinds=()),
    AuditFilters(actor="lena"),
    AuditFilters(actor="roman", department="STORM"),
    AuditFilters(department="WATER"),
    AuditFilters(kinds=("accepted", "resolved"), department="ROADS"),
    AuditFilters(kinds=(), since=NOW - timedelta(hours=4), until=NOW - timedelta(hours=2)),
    AuditFilters(actor="nobody"),
]


@pytest.mark.parametrize("f", FILTERS)
def test_audit_rows_match_pandas(city, f):
    frame = raw(city)
    with city.connect() as conn:
        rows = audit_rows(conn, f)
        first, total = audit_page(conn, f, 1, 7)
        second, _ = audit_page(conn, f, 2, 7)
    want = expected(frame, f)
    assert rows["id"].tolist() == want
    assert total == len(want)
    assert first["id"].tolist() + second["id"].tolist() == want[:14]


def test_audit_says_who_what_when_and_why(city):
    with city.connect() as conn:
        rows = audit_rows(conn, AuditFilters(actor="lena"))
        actors = audit_actors(conn, ("reassigned",))
    newest = rows.iloc[0]
    assert (newest["at"], newest["kind"], newest["from_department"], newest["to_department"],
            newest["note"]) == (NOW - timedelta(hours=1), "reassigned", "WATER", "ROADS",
                                "back: not a leak")
    assert len(rows) == 3
    assert {"lena", "roman"} <= set(actors)
