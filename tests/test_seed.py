from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from db.__main__ import main
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from demo import city
from demo.seed import generate, seed
from desk.lifecycle import Instants, status_at

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def seeded(engine):
    seed(engine, 3000, 7, NOW, progress=False, days=21)
    return engine


def _tickets(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(tickets).order_by(tickets.c.id)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


def test_seed_writes_the_reference_city(seeded):
    with seeded.connect() as conn:
        count = lambda t: conn.execute(select(func.count()).select_from(t)).scalar_one()  # noqa: E731
        assert count(departments) == len(city.DEPARTMENTS) == 38
        assert count(categories) == len(city.CATEGORIES) == 60
        assert count(districts) == len(city.DISTRICTS)
        assert count(channels) == len(city.CHANNELS)
        assert count(tickets) == 3000


def test_statuses_agree_with_instants(seeded):
    frame = _tickets(seeded)
    for row in frame.itertuples():
        instants = Instants(row.created_at, _dt(row.accepted_at), _dt(row.resolved_at),
                            _dt(row.closed_at), _dt(row.rejected_at))
        assert row.status == status_at(instants), row.external_id
        ends = [i for i in (instants.resolved, instants.closed, instants.rejected) if i]
        assert _dt(row.ended_at) == (min(ends) if ends else None)
        assert (row.status in ("new", "in_progress")) == (_dt(row.ended_at) is None)
        for later in (instants.accepted, instants.resolved, instants.closed, instants.rejected):
            assert later is None or instants.created <= later <= NOW


def test_due_is_created_plus_category_sla(seeded):
    frame = _tickets(seeded)
    with seeded.connect() as conn:
        sla = dict(conn.execute(select(categories.c.id, categories.c.sla_hours)).all())
    expected = frame["created_at"] + pd.to_timedelta(frame["category_id"].map(sla), unit="h")
    assert (frame["due_at"] == expected).all()


def test_every_ticket_has_a_timeline_that_matches_its_version(seeded):
    with seeded.connect() as conn:
        per_ticket = dict(conn.execute(
            select(ticket_events.c.ticket_id, func.count()).group_by(ticket_events.c.ticket_id)
        ).all())
        created_events = dict(conn.execute(
            select(ticket_events.c.ticket_id, ticket_events.c.at)
            .where(ticket_events.c.kind == "created")
        ).all())
    frame = _tickets(seeded)
    assert frame.set_index("id")["version"].to_dict() == per_ticket
    assert frame.set_index("id")["created_at"].to_dict() == created_events


def test_the_present_is_alive(seeded):
    frame = _tickets(seeded)
    open_ = frame[frame["ended_at"].isna()]
    assert len(open_) > 10
    assert (open_["status"] == "new").any() and (open_["status"] == "in_progress").any()
    assert (open_["due_at"] < NOW).any(), "some open tickets are overdue"
    assert (frame["status"] == "rejected").any() and (frame["reopen_count"] > 0).any()
    received_today = frame[frame["created_at"] > NOW - timedelta(hours=9)]
    assert len(received_today) > 10


def test_seed_is_deterministic_and_the_same_on_both_databases(seeded):
    frame = _tickets(seeded)
    again = pd.concat([f for f, _ in generate(3000, 7, NOW, _tz(), days=21)], ignore_index=True)
    assert frame["external_id"].tolist() == again["external_id"].tolist()
    assert [int(t.timestamp()) for t in frame["created_at"]] == again["created_at"].tolist()
    assert frame["status"].tolist() == again["status"].tolist()
    assert frame["address"].tolist() == again["address"].tolist()


def test_seed_command_refuses_a_database_with_tickets(db_url, capsys):
    args = ["--database", db_url, "seed", "--tickets", "300", "--days", "7",
            "--now", "2026-11-26T12:00:00+03:00"]
    assert main(args) == 0
    assert main(args) == 1
    assert "--reset" in capsys.readouterr().err
    assert main([*args, "--if-empty"]) == 0
    assert main([*args, "--reset"]) == 0


def _dt(value):
    return None if value is None or pd.isna(value) else value


def _tz():
    from db.config import city_tz

    return city_tz()
