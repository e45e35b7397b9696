"""The simulator on both databases: a moving city stays consistent, is reproducible for a seed,
never overwrites a change someone else made first, and writes a step whole once after a deadlock
or another simulator's write."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import demo.simulate
from access.permissions import Actor
from db.__main__ import main
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from demo.seed import TICKETS_PER_WEEK, clear
from demo.simulate import PREFIX, Clock, Counts, arrival_rate, load_city, read_world, step, tick
from demo.simulate import apply as apply_plan
from desk.actions import reassign
from desk.lifecycle import Instants, status_at
from tests.cities import seed

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
TZ = ZoneInfo("Europe/Moscow")
MINUTE = timedelta(minutes=1)
USER = Actor("dispatcher-on-duty", "dispatcher")


@pytest.fixture
def city(engine):
    seed(engine, 3000, 7, NOW, progress=False, days=21)
    return engine


def play(engine, steps: int, seed_value: int = 3, speed: float = 120.0) -> Counts:
    """`steps` one-minute steps after NOW, each minute worth `speed` minutes of city life."""
    rng = np.random.default_rng(seed_value)
    with engine.begin() as conn:
        c = load_city(conn, TZ)
    total, clock = Counts(), Clock(NOW.timestamp(), speed)
    for k in range(steps):
        total += tick(engine, c, rng, NOW + k * MINUTE, NOW + (k + 1) * MINUTE, clock)
    return total


def _tickets(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(tickets).order_by(tickets.c.id)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows]).set_index("external_id")


def _dt(value):
    return None if value is None or pd.isna(value) else value


def test_a_moving_city_stays_consistent(city):
    before = _tickets(city)
    counts = play(city, 30)
    after = _tickets(city)
    end = NOW + 30 * MINUTE
    assert counts.arrived > 0 and counts.accepted > 0 and counts.resolved > 0
    assert counts.closed > 0 and counts.reopened > 0
    assert counts.skipped == 0
    for row in after.itertuples():
        instants = Instants(row.created_at, _dt(row.accepted_at), _dt(row.resolved_at),
                            _dt(row.closed_at), _dt(row.rejected_at))
        assert row.status == status_at(instants), row.Index
        ends = [i for i in (instants.resolved, instants.closed, instants.rejected) if i]
        assert _dt(row.ended_at) == (min(ends) if ends else None), row.Index
        for moment in (*ends, instants.accepted, row.updated_at):
            assert moment is None or instants.created <= moment <= end, row.Index
    with city.connect() as conn:
        events = dict(conn.execute(
            select(ticket_events.c.ticket_id, func.count()).group_by(ticket_events.c.ticket_id)
        ).all())
        sla = dict(conn.execute(select(categories.c.id, categories.c.sla_hours)).all())
    assert (after["version"] == after["id"].map(events)).all(), "one event per version"
    kept = before.index
    assert (after.loc[kept, "due_at"] == before["due_at"]).all(), "a deadline never moves"
    made = after[after.index.str.startswith(PREFIX)]
    assert len(made) == counts.arrived
    assert (made["due_at"] == made["created_at"]
            + pd.to_timedelta(made["category_id"].map(sla), unit="h")).all()
    changed = after.loc[kept][after.loc[kept, "version"] != before["version"]]
    assert len(changed) > 0 and (changed["updated_at"] > NOW).all()


def test_every_reopening_is_counted_on_its_ticket(city):
    counts = play(city, 30)
    after = _tickets(city)
    with city.connect() as conn:
        reopenings = dict(conn.execute(
            select(ticket_events.c.ticket_id, func.count())
            .where(ticket_events.c.kind == "reopened").group_by(ticket_events.c.ticket_id)
        ).all())
    assert counts.reopened > 0
    assert (after["reopen_count"] == after["id"].map(reopenings).fillna(0)).all()


def test_the_same_seed_plays_the_same_city(city):
    with city.begin() as conn:
        c = load_city(conn, TZ)
        world = read_world(conn, c, NOW + MINUTE)
    clock = Clock(NOW.timestamp(), 600.0)
    first = step(world, np.random.default_rng(11), NOW, NOW + MINUTE, clock)
    again = step(world, np.random.default_rng(11), NOW, NOW + MINUTE, clock)
    other = step(world, np.random.default_rng(12), NOW, NOW + MINUTE, clock)
    assert first == again
    assert first != other
    assert first.arrivals and first.changes

    def snapshot():
        """Tickets and timelines with reference rows by code (PostgreSQL numbers them anew)."""
        frame = _tickets(city).drop(columns=["id"])
        with city.connect() as conn:
            codes = {table: dict(conn.execute(select(table.c.id, table.c.code)).all())
                     for table in (departments, categories, districts, channels)}
            e = ticket_events.c
            timeline = [(*row[:-1], codes[departments].get(row[-1])) for row in conn.execute(
                select(tickets.c.external_id, e.kind, e.at, e.actor, e.to_department_id)
                .join(tickets, tickets.c.id == e.ticket_id).order_by(e.ticket_id, e.id)
            ).all()]
        for column, table in (("department_id", departments), ("category_id", categories),
                              ("district_id", districts), ("channel_id", channels)):
            frame[column] = frame[column].map(codes[table])
        return frame, timeline

    play(city, 10, seed_value=5)
    frame, timeline = snapshot()
    clear(city)
    seed(city, 3000, 7, NOW, progress=False, days=21)
    play(city, 10, seed_value=5)
    frame_again, timeline_again = snapshot()
    pd.testing.assert_frame_equal(frame, frame_again)
    assert timeline == timeline_again


def test_a_concurrent_change_wins_over_the_simulator(city):
    with city.begin() as conn:
        c = load_city(conn, TZ)
        world = read_world(conn, c, NOW)
    # A ticket sent to the wrong service, which the simulator will pass on.
    misrouted = next(t for t in world.tickets if t.status == "new")
    wrong = next(code for d, code in c.codes.items() if d != misrouted.department_id)
    assert reassign(city, [misrouted.external_id], wrong, "sent by mistake", USER, now=NOW).ok
    with city.connect() as conn:
        world = read_world(conn, c, NOW + MINUTE)
    plan = step(world, np.random.default_rng(1), NOW, NOW + timedelta(seconds=1),
                Clock(NOW.timestamp(), 1e5))
    move = next(m for m in plan.moves if m.ticket.external_id == misrouted.external_id)
    change = next(ch for ch in plan.changes if ch.ticket.status == "in_progress")

    # Users act between the simulator's snapshot and its write.
    here = c.codes[change.ticket.department_id]
    elsewhere = next(code for code in c.codes.values() if code not in (here, "DISPATCH"))
    assert reassign(city, [change.ticket.external_id], elsewhere, "user's call", USER,
                    now=NOW + timedelta(seconds=1)).ok
    assert reassign(city, [move.ticket.external_id], "DISPATCH", "user's call", USER,
                    now=NOW + timedelta(seconds=1)).ok

    counts = apply_plan(city, plan)
    assert counts.skipped == 2
    assert counts.reassigned == len(plan.moves) - 1
    after = _tickets(city)
    user_changed = after.loc[change.ticket.external_id]
    assert user_changed["status"] == "in_progress"
    assert user_changed["version"] == change.ticket.version + 1
    assert pd.isna(user_changed["resolved_at"])
    moved = after.loc[move.ticket.external_id]
    assert c.codes[moved["department_id"]] == "DISPATCH"
    assert moved["version"] == move.ticket.version + 1


def test_a_simulated_week_brings_the_seeds_volume():
    week = [datetime(2026, 11, 23, tzinfo=TZ) + timedelta(hours=h) for h in range(168)]
    assert sum(arrival_rate(at, TZ) * 3600 for at in week) == pytest.approx(TICKETS_PER_WEEK)
    night, late_morning = (datetime(2026, 11, 24, h, 30, tzinfo=TZ) for h in (3, 10))
    assert arrival_rate(late_morning, TZ) > 10 * arrival_rate(night, TZ)


def test_simulate_command_plays_and_reports(city, db_url, capsys):
    assert main(["--database", db_url, "simulate", "--speed", "3000", "--duration", "2.5",
                 "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("arrived ")
    with city.connect() as conn:
        made = conn.execute(select(func.count()).select_from(tickets)
                            .where(tickets.c.external_id.like(f"{PREFIX}%"))).scalar_one()
    assert made == int(out.split(",")[0].removeprefix("arrived "))
    assert made > 0


def test_simulate_command_refuses_a_speed_of_zero(db_url, capsys):
    assert main(["--database", db_url, "simulate", "--speed", "0"]) == 2
    assert "--speed" in capsys.readouterr().err


def test_every_simulated_event_names_its_department(city):
    counts = play(city, 20)
    assert counts.arrived > 0 and counts.accepted + counts.resolved > 0
    e = ticket_events.c
    with city.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, e.kind, e.to_department_id, tickets.c.department_id)
            .join(tickets, tickets.c.id == e.ticket_id)
            .where(e.at > NOW, e.kind != "reassigned")).all()
    assigned = [r for r in rows if r.kind == "assigned" and r.external_id.startswith(PREFIX)]
    assert len(assigned) == counts.arrived
    assert all(r.to_department_id is not None for r in rows), [r for r in rows
                                                                if r.to_department_id is None]
    with city.connect() as conn:
        story = conn.execute(
            select(tickets.c.external_id, e.to_department_id, tickets.c.department_id)
            .join(tickets, tickets.c.id == e.ticket_id)
            .where(tickets.c.external_id.startswith(PREFIX)).order_by(e.id)).all()
    last = {r.external_id: r for r in story}  # each ticket's last event, in recorded order
    assert len(last) == counts.arrived
    assert all(r.to_department_id == r.department_id for r in last.values()), "ends in place"


class _Deadlock(Exception):
    pgcode = "40P01"

    def __str__(self) -> str:
        return "deadlock detected"


def _written_once(engine, arrived: int) -> None:
    """Every simulated arrival written once, and one event per version on every ticket."""
    after = _tickets(engine)
    with engine.connect() as conn:
        events = dict(conn.execute(
            select(ticket_events.c.ticket_id, func.count()).group_by(ticket_events.c.ticket_id)
        ).all())
    assert after.index.str.startswith(PREFIX).sum() == arrived
    assert (after["version"] == after["id"].map(events)).all(), "one event per version"


def test_a_step_that_meets_a_deadlock_is_written_whole_on_its_retry(city, monkeypatch):

    import demo.simulate

    real, calls = demo.simulate._values, []

    def deadlocked_once(change):
        calls.append(change)
        if len(calls) == 1:  # the step's arrivals are written by now, in the same transaction
            raise OperationalError("UPDATE tickets", {}, _Deadlock())
        return real(change)
    monkeypatch.setattr(demo.simulate, "_values", deadlocked_once)
    monkeypatch.setattr("db.transactions.time.sleep", lambda _s: None)
    with city.begin() as conn:
        c = load_city(conn, TZ)
    counts = tick(city, c, np.random.default_rng(3), NOW, NOW + MINUTE, Clock(NOW.timestamp(), 600))
    assert counts.arrived > 0 and counts.accepted > 0 and counts.skipped == 0
    _written_once(city, counts.arrived)


def test_a_step_whose_new_tickets_another_simulator_numbered_first_is_planned_again(
        city, monkeypatch):
    """Two simulators read the same last number; the second's write meets a unique violation
    and its step is planned again from a fresh read: every ticket once, none lost."""
    real, plans, theirs = demo.simulate._write, [], []

    def another_simulator_first(engine, plan):
        if not plans:  # the other simulator's step runs and commits between read and write
            plans.append("racing")
            theirs.append(tick(engine, c, np.random.default_rng(99), NOW, NOW + MINUTE, clock))
        plans.append(plan)
        return real(engine, plan)
    monkeypatch.setattr(demo.simulate, "_write", another_simulator_first)
    monkeypatch.setattr("db.transactions.time.sleep", lambda _s: None)
    with city.begin() as conn:
        c = load_city(conn, TZ)
    clock = Clock(NOW.timestamp(), 600)
    counts = tick(city, c, np.random.default_rng(3), NOW, NOW + MINUTE, clock)
    _, other, collided, again = plans
    first = [a.row["external_id"] for a in other.arrivals]
    assert collided.arrivals[0].row["external_id"] == first[0]  # the same number: refused
    assert again.arrivals[0].row["external_id"] > first[-1]  # numbered after theirs
    assert counts.arrived == len(again.arrivals) and theirs[0].arrived == len(first)
    _written_once(city, counts.arrived + theirs[0].arrived)
