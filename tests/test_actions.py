"""Reassignment and its undo, on both databases: what is written, what is refused, and races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import aliased

from access.permissions import Actor, may_reassign
from db.__main__ import main
from db.engine import make_engine
from db.schema import departments, ticket_events, tickets
from desk.actions import ActionResult, reassign, undo_last
from tests.factory import add_ticket, reference


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


CREATED = utc(2026, 11, 20, 9)
NOW = utc(2026, 11, 20, 12)
LATER = NOW + timedelta(minutes=5)

DANA = Actor("dana", "dispatcher")
LENA = Actor("lena", "leadership")
ROMAN = Actor("roman", "head", "ROADS")


@pytest.fixture
def desk(engine: Engine) -> Engine:
    """The demo city's reference data, no tickets."""
    reference(engine)
    return engine


def ticket(engine: Engine, **fields: Any) -> str:
    return add_ticket(engine, CREATED, **fields)


def state(engine: Engine, external_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            select(departments.c.code.label("department"), tickets.c.version, tickets.c.status,
                   tickets.c.due_at, tickets.c.updated_at)
            .join(departments, departments.c.id == tickets.c.department_id)
            .where(tickets.c.external_id == external_id)
        ).mappings().one()
    return dict(row)


def reassignments(engine: Engine) -> list[tuple]:
    """(ticket, at, actor, from, to, note) of every 'reassigned' event, in the order written."""
    source, target = aliased(departments), aliased(departments)
    e = ticket_events.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(tickets.c.external_id, e.at, e.actor, source.c.code, target.c.code, e.note)
            .join(tickets, tickets.c.id == e.ticket_id)
            .join(source, source.c.id == e.from_department_id)
            .join(target, target.c.id == e.to_department_id)
            .where(e.kind == "reassigned")
            .order_by(e.id)
        )]


def event_ids(engine: Engine, kind: str = "reassigned") -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(ticket_events.c.id).where(ticket_events.c.kind == kind)
                                 .order_by(ticket_events.c.id)).scalars())


def accept(engine: Engine, external_id: str, at: datetime, actor: str = "works") -> None:
    """Another writer's status change: in progress, a new version and its 'accepted' event."""
    with engine.begin() as conn:
        ticket_id = conn.execute(select(tickets.c.id)
                                 .where(tickets.c.external_id == external_id)).scalar_one()
        conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(
            status="in_progress", accepted_at=at, updated_at=at, version=tickets.c.version + 1))
        conn.execute(insert(ticket_events).values(ticket_id=ticket_id, kind="accepted", at=at,
                                                  actor=actor))


def refused(result: ActionResult) -> list[tuple]:
    assert result.applied == []
    assert not result.ok
    return [(r.ticket, r.code, r.detail) for r in result.refusals]


# ------------------------------------------------------------------------------------------------
# Reassigning


def test_reassign_moves_the_ticket_keeps_due_and_records_the_event(desk):
    t = ticket(desk, department="ROADS", due=utc(2026, 11, 23, 9))

    result = reassign(desk, [t], "WATER", "leak under the road", DANA, now=NOW)

    assert result == ActionResult([t], [])
    assert result.ok
    assert state(desk, t) == {"department": "WATER", "version": 2, "status": "new",
                              "due_at": utc(2026, 11, 23, 9), "updated_at": NOW}
    assert reassignments(desk) == [(t, NOW, "dana", "ROADS", "WATER", "leak under the road")]


def test_reassign_finds_the_department_by_name_and_trims_the_reason(desk):
    t = ticket(desk)

    assert reassign(desk, [t], "vodokanal (WATER and sewerage)", "  leak  ", DANA, now=NOW).ok

    assert reassignments(desk) == [(t, NOW, "dana", "ROADS", "WATER", "leak")]


def test_bulk_reassign_moves_every_ticket_with_one_event_each(desk):
    a, b = ticket(desk, department="ROADS"), ticket(desk, department="LIGHT")

    result = reassign(desk, [a, b], "POWER", "cable fault", DANA, now=NOW)

    assert result == ActionResult([a, b], [])
    assert [state(desk, t)["department"] for t in (a, b)] == ["POWER", "POWER"]
    assert reassignments(desk) == [(a, NOW, "dana", "ROADS", "POWER", "cable fault"),
                                   (b, NOW, "dana", "LIGHT", "POWER", "cable fault")]


@pytest.mark.parametrize("ended", ["resolved", "closed", "rejected"])
def test_bulk_with_one_ended_ticket_writes_nothing(desk, ended):
    a, c = ticket(desk), ticket(desk)
    b = ticket(desk, accepted=CREATED, **{ended: CREATED + timedelta(hours=1)})

    result = reassign(desk, [a, b, c], "WATER", "leak", DANA, now=NOW)

    assert refused(result) == [(b, "not_open", {"status": ended})]
    assert result.refusals[0].message == f"{b}: a {ended} ticket cannot be reassigned"
    assert [state(desk, t)["version"] for t in (a, b, c)] == [1, 1, 1]
    assert [state(desk, t)["department"] for t in (a, c)] == ["ROADS", "ROADS"]
    assert reassignments(desk) == []


def test_reassign_to_the_same_department_is_refused(desk):
    t = ticket(desk, department="WATER")

    result = reassign(desk, [t], "WATER", "leak", DANA, now=NOW)

    assert refused(result) == [(t, "same_department", {"department": "WATER"})]
    assert state(desk, t)["version"] == 1


def test_unknown_department_is_refused(desk):
    t = ticket(desk)

    result = reassign(desk, [t], "Ministry of Magic", "leak", DANA, now=NOW)

    assert refused(result) == [(None, "unknown_department", {"department": "Ministry of Magic"})]
    assert result.refusals[0].message == "no department has the code or name 'Ministry of Magic'"
    assert reassignments(desk) == []


def test_an_unknown_ticket_refuses_the_whole_batch(desk):
    t = ticket(desk)

    result = reassign(desk, [t, "NO-SUCH"], "WATER", "leak", DANA, now=NOW)

    assert refused(result) == [("NO-SUCH", "unknown_ticket", {})]
    assert result.refusals[0].message == "NO-SUCH: no such ticket"
    assert state(desk, t) == {**state(desk, t), "department": "ROADS", "version": 1}
    assert reassignments(desk) == []


@pytest.mark.parametrize("reason", ["", "   \t"])
def test_a_reason_is_required(desk, reason):
    t = ticket(desk)

    result = reassign(desk, [t], "WATER", reason, DANA, now=NOW)

    assert refused(result) == [(None, "reason_required", {})]
    assert reassignments(desk) == []


def test_no_tickets_is_refused(desk):
    assert refused(reassign(desk, [], "WATER", "leak", DANA, now=NOW)) == [
        (None, "no_tickets", {})]


def test_a_ticket_given_twice_moves_once(desk):
    t = ticket(desk)

    assert reassign(desk, [t, t], "WATER", "leak", DANA, now=NOW) == ActionResult([t], [])
    assert state(desk, t)["version"] == 2
    assert len(reassignments(desk)) == 1


def test_the_version_the_user_saw_is_accepted_when_current(desk):
    t = ticket(desk)

    assert reassign(desk, [t], "WATER", "leak", DANA, seen_versions={t: 1}, now=NOW).ok
    assert state(desk, t)["version"] == 2


def test_reassignment_by_someone_else_since_seen_is_refused_with_what_changed(desk):
    t = ticket(desk)
    assert reassign(desk, [t], "WATER", "leak", LENA, now=NOW).ok
    (lena_event,) = event_ids(desk)

    result = reassign(desk, [t], "POWER", "cable", DANA, seen_versions={t: 1}, now=LATER)

    assert refused(result) == [(t, "stale", {
        "seen_version": 1, "version": 2, "department": "WATER", "status": "new",
        "events": [{"id": lena_event, "at": NOW, "kind": "reassigned", "actor": "lena",
                    "from_department": "ROADS", "to_department": "WATER", "note": "leak"}]})]
    assert result.refusals[0].message == (
        f"{t}: changed since you saw it (version 1, now 2): now in WATER, new; "
        "2026-11-20 12:00Z reassigned ROADS → WATER by lena: leak")
    assert state(desk, t)["department"] == "WATER"
    assert len(reassignments(desk)) == 1


def test_status_change_since_seen_refuses_the_whole_batch(desk):
    a, b = ticket(desk), ticket(desk)
    accept(desk, b, NOW)
    (accepted,) = event_ids(desk, "accepted")

    result = reassign(desk, [a, b], "WATER", "leak", DANA, seen_versions={a: 1, b: 1}, now=LATER)

    assert refused(result) == [(b, "stale", {
        "seen_version": 1, "version": 2, "department": "ROADS", "status": "in_progress",
        "events": [{"id": accepted, "at": NOW, "kind": "accepted", "actor": "works",
                    "from_department": None, "to_department": None, "note": None}]})]
    assert state(desk, a)["version"] == 1
    assert reassignments(desk) == []


# ------------------------------------------------------------------------------------------------
# Permissions


@pytest.mark.parametrize(("actor", "department", "why"), [
    (Actor("lena", "leadership"), "WATER", None),
    (Actor("dana", "dispatcher"), "WATER", None),
    (Actor("roman", "head", "ROADS"), "ROADS", None),
    (Actor("roman", "head", "ROADS"), "WATER", "other_department"),
    (Actor("vera", "viewer"), "ROADS", "role"),
    (Actor("wall", "wall"), "ROADS", "role"),
])
def test_who_may_reassign(desk, actor, department, why):
    assert may_reassign(actor, department) == why
    t = ticket(desk, department=department)

    result = reassign(desk, [t], "POWER", "cable", actor, now=NOW)

    if why is None:
        assert result.applied == [t]
        assert reassignments(desk) == [(t, NOW, actor.name, department, "POWER", "cable")]
    else:
        assert refused(result) == [(t, "forbidden", {
            "why": why, "role": actor.role, "own_department": actor.department,
            "department": department})]
        assert reassignments(desk) == []


def test_forbidden_messages_say_why(desk):
    t = ticket(desk, department="WATER")

    head = reassign(desk, [t], "POWER", "cable", ROMAN, now=NOW)
    viewer = reassign(desk, [t], "POWER", "cable", Actor("vera", "viewer"), now=NOW)

    assert head.refusals[0].message == (
        f"{t}: a head of ROADS may act only on tickets in ROADS, and this one is in WATER")
    assert viewer.refusals[0].message == f"{t}: a viewer may not reassign tickets"


def test_a_head_cannot_take_another_departments_ticket_along_in_a_batch(desk):
    own, other = ticket(desk, department="ROADS"), ticket(desk, department="WATER")

    result = reassign(desk, [own, other], "POWER", "cable", ROMAN, now=NOW)

    assert [(r.ticket, r.code) for r in result.refusals] == [(other, "forbidden")]
    assert state(desk, own)["department"] == "ROADS"
    assert reassignments(desk) == []


@pytest.mark.parametrize(("role", "department"), [
    ("boss", None), ("head", None), ("dispatcher", "ROADS"), ("viewer", "ROADS")])
def test_an_actor_needs_a_known_role_and_a_department_exactly_when_head(role, department):
    with pytest.raises(ValueError):
        Actor("x", role, department)


def test_an_actor_needs_a_name():
    with pytest.raises(ValueError):
        Actor("  ", "dispatcher")


# ------------------------------------------------------------------------------------------------
# Undo


def test_undo_reverses_ones_own_last_reassignment(desk):
    t = ticket(desk, due=utc(2026, 11, 23, 9))
    reassign(desk, [t], "WATER", "leak", DANA, now=NOW)
    (original,) = event_ids(desk)

    result = undo_last(desk, DANA, now=LATER)

    assert result == ActionResult([t], [])
    assert state(desk, t) == {"department": "ROADS", "version": 3, "status": "new",
                              "due_at": utc(2026, 11, 23, 9), "updated_at": LATER}
    assert reassignments(desk)[1:] == [
        (t, LATER, "dana", "WATER", "ROADS", f"undo of event #{original}: leak")]


def test_a_second_undo_has_nothing_to_undo(desk):
    a, b = ticket(desk), ticket(desk)
    reassign(desk, [a], "WATER", "leak", DANA, now=NOW)
    reassign(desk, [b], "WATER", "leak", DANA, now=LATER)
    assert undo_last(desk, DANA, now=LATER).applied == [b]

    result = undo_last(desk, DANA, now=LATER + timedelta(minutes=1))

    assert refused(result) == [(None, "nothing_to_undo", {"actor": "dana"})]
    assert result.refusals[0].message == "dana has no reassignment to undo"
    assert state(desk, a)["department"] == "WATER"
    assert len(reassignments(desk)) == 3


def test_undo_reverses_only_the_actors_own_reassignment(desk):
    mine, theirs = ticket(desk), ticket(desk)
    reassign(desk, [mine], "WATER", "leak", DANA, now=NOW)
    reassign(desk, [theirs], "POWER", "cable", LENA, now=LATER)

    assert undo_last(desk, DANA, now=LATER).applied == [mine]

    assert state(desk, mine)["department"] == "ROADS"
    assert state(desk, theirs)["department"] == "POWER"


def test_nothing_to_undo_for_someone_who_reassigned_nothing(desk):
    t = ticket(desk)
    reassign(desk, [t], "WATER", "leak", LENA, now=NOW)

    assert refused(undo_last(desk, DANA, now=LATER)) == [
        (None, "nothing_to_undo", {"actor": "dana"})]
    assert state(desk, t)["department"] == "WATER"


def test_undo_after_someone_elses_later_reassignment_is_refused(desk):
    t = ticket(desk)
    reassign(desk, [t], "WATER", "leak", DANA, now=NOW)
    reassign(desk, [t], "POWER", "cable", LENA, now=LATER)
    mine, lenas = event_ids(desk)

    result = undo_last(desk, DANA, now=LATER + timedelta(minutes=1))

    assert refused(result) == [(t, "undo_stale", {
        "event_id": mine, "version": 3, "department": "POWER", "status": "new",
        "events": [{"id": lenas, "at": LATER, "kind": "reassigned", "actor": "lena",
                    "from_department": "WATER", "to_department": "POWER", "note": "cable"}]})]
    assert result.refusals[0].message.startswith(
        f"{t}: changed since your reassignment (event #{mine}): now in POWER, new; ")
    assert state(desk, t)["version"] == 3
    assert len(reassignments(desk)) == 2


def test_undo_after_a_status_change_is_refused(desk):
    t = ticket(desk)
    reassign(desk, [t], "WATER", "leak", DANA, now=NOW)
    accept(desk, t, LATER)

    result = undo_last(desk, DANA, now=LATER)

    assert [(r.ticket, r.code, r.detail["status"]) for r in result.refusals] == [
        (t, "undo_stale", "in_progress")]
    assert state(desk, t)["department"] == "WATER"


def test_undo_of_a_bulk_reassignment_returns_each_ticket_where_it_was(desk):
    a, b = ticket(desk, department="ROADS"), ticket(desk, department="LIGHT")
    reassign(desk, [a, b], "POWER", "cable fault", DANA, now=NOW)
    first, second = event_ids(desk)

    assert undo_last(desk, DANA, now=LATER) == ActionResult([a, b], [])

    assert [state(desk, t)["department"] for t in (a, b)] == ["ROADS", "LIGHT"]
    assert reassignments(desk)[2:] == [
        (a, LATER, "dana", "POWER", "ROADS", f"undo of event #{first}: cable fault"),
        (b, LATER, "dana", "POWER", "LIGHT", f"undo of event #{second}: cable fault")]


def test_undo_of_a_bulk_reassignment_is_all_or_nothing(desk):
    a, b, c = ticket(desk), ticket(desk), ticket(desk)
    reassign(desk, [a, b, c], "WATER", "leak", DANA, now=NOW)
    reassign(desk, [b], "POWER", "cable", LENA, now=LATER)

    result = undo_last(desk, DANA, now=LATER)

    assert [(r.ticket, r.code) for r in result.refusals] == [(b, "undo_stale")]
    assert [state(desk, t)["department"] for t in (a, b, c)] == ["WATER", "POWER", "WATER"]
    assert len(reassignments(desk)) == 4


def test_a_head_may_undo_a_reassignment_out_of_their_department(desk):
    t = ticket(desk, department="ROADS")
    assert reassign(desk, [t], "WATER", "leak", ROMAN, now=NOW).ok

    assert undo_last(desk, ROMAN, now=LATER).applied == [t]
    assert state(desk, t)["department"] == "ROADS"


def test_undo_needs_a_role_that_may_act(desk):
    t = ticket(desk)
    reassign(desk, [t], "WATER", "leak", DANA, now=NOW)

    result = undo_last(desk, Actor("dana", "viewer"), now=LATER)

    assert [(r.ticket, r.code, r.detail["why"]) for r in result.refusals] == [
        (t, "forbidden", "role")]
    assert state(desk, t)["department"] == "WATER"


# ------------------------------------------------------------------------------------------------
# Two users at once, each through their own connection


def race(db_url: str, *calls) -> list[ActionResult]:
    """Run the calls (engine → result) in threads released together, each with its own engine."""
    barrier = threading.Barrier(len(calls))
    results: list[ActionResult | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        engine = make_engine(db_url)
        try:
            with engine.connect():  # connected before the start, so the race is in the action
                pass
            barrier.wait()
            results[i] = calls[i](engine)
        except BaseException as error:
            results[i] = error
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if not isinstance(result, ActionResult):
            raise AssertionError(f"a racer did not finish: {result!r}")
    return results


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_reassignments_of_one_ticket_apply_exactly_one(desk, db_url, round_):
    t = ticket(desk)

    results = race(
        db_url,
        lambda e: reassign(e, [t], "WATER", "leak", DANA, seen_versions={t: 1}, now=NOW),
        lambda e: reassign(e, [t], "POWER", "cable", LENA, seen_versions={t: 1}, now=NOW),
    )

    (winner,) = [r for r in results if r.ok]
    (loser,) = [r for r in results if not r.ok]
    moved_to = "WATER" if winner is results[0] else "POWER"
    assert winner.applied == [t]
    assert state(desk, t)["department"] == moved_to
    assert state(desk, t)["version"] == 2
    (event,) = reassignments(desk)
    assert event[3:5] == ("ROADS", moved_to)
    assert event[2] == ("dana" if moved_to == "WATER" else "lena")
    (refusal,) = loser.refusals
    assert (refusal.ticket, refusal.code) == (t, "stale")
    assert {k: refusal.detail[k] for k in ("seen_version", "version", "department")} == {
        "seen_version": 1, "version": 2, "department": moved_to}
    assert [(e["actor"], e["to_department"]) for e in refusal.detail["events"]] == [
        (event[2], moved_to)]


def test_concurrent_script_reassignments_to_one_department_apply_once(desk, db_url):
    t = ticket(desk)

    results = race(
        db_url,
        lambda e: reassign(e, [t], "WATER", "leak", DANA, now=NOW),
        lambda e: reassign(e, [t], "WATER", "leak", LENA, now=NOW),
    )

    assert sorted(r.ok for r in results) == [False, True]
    (loser,) = [r for r in results if not r.ok]
    # Which refusal depends on whether the loser read before or after the winner committed.
    assert [r.code for r in loser.refusals] in (["stale"], ["same_department"])
    assert state(desk, t)["version"] == 2
    assert len(reassignments(desk)) == 1


# ------------------------------------------------------------------------------------------------
# The command line


def cli(db_url: str, *args: str) -> int:
    return main(["--database", db_url, *args])


def test_cli_reassign_applies_and_exits_0(desk, db_url, capsys):
    a, b = ticket(desk), ticket(desk)

    code = cli(db_url, "reassign", a, b, "--to", "Vodokanal (water and sewerage)",
               "--reason", "leak", "--user", "dana")

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == f"reassigned to Vodokanal (water and sewerage): {a}, {b}\n"
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in reassignments(desk)] == [
        (a, "dana", "ROADS", "WATER", "leak"), (b, "dana", "ROADS", "WATER", "leak")]


def test_cli_prints_every_refusal_and_exits_1(desk, db_url, capsys):
    a = ticket(desk)
    b = ticket(desk, accepted=CREATED, resolved=CREATED + timedelta(hours=1),
               closed=CREATED + timedelta(hours=2))

    code = cli(db_url, "reassign", a, b, "NO-SUCH", "--to", "WATER", "--reason", "leak",
               "--user", "dana")

    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == f"{b}: a closed ticket cannot be reassigned\nNO-SUCH: no such ticket\n"
    assert reassignments(desk) == []


def test_cli_checks_the_users_role_and_department(desk, db_url, capsys):
    t = ticket(desk, department="WATER")

    head = cli(db_url, "reassign", t, "--to", "POWER", "--reason", "cable", "--user", "roman",
               "--role", "head", "--department", "Road Management")
    head_err = capsys.readouterr().err
    viewer = cli(db_url, "reassign", t, "--to", "POWER", "--reason", "cable", "--user", "vera",
                 "--role", "viewer")
    viewer_err = capsys.readouterr().err
    own_head = cli(db_url, "reassign", t, "--to", "POWER", "--reason", "cable", "--user", "wanda",
                   "--role", "head", "--department", "WATER")

    assert (head, head_err) == (1, f"{t}: a head of ROADS may act only on tickets in ROADS, "
                                   "and this one is in WATER\n")
    assert (viewer, viewer_err) == (1, f"{t}: a viewer may not reassign tickets\n")
    assert own_head == 0
    assert [r[2] for r in reassignments(desk)] == ["wanda"]


def test_cli_undo_reverses_the_users_last_reassignment(desk, db_url, capsys):
    t = ticket(desk)
    assert cli(db_url, "reassign", t, "--to", "WATER", "--reason", "leak", "--user", "dana") == 0
    capsys.readouterr()

    assert cli(db_url, "undo", "--user", "dana") == 0
    assert capsys.readouterr().out == f"undid the reassignment of: {t}\n"
    assert state(desk, t)["department"] == "ROADS"

    assert cli(db_url, "undo", "--user", "dana") == 1
    assert capsys.readouterr().err == "dana has no reassignment to undo\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "head"], "a department head, and only a head, has a department\n"),
    (["--role", "head", "--department", "Hogwarts"],
     "no department has the code or name 'Hogwarts'\n"),
    (["--department", "ROADS"], "a department head, and only a head, has a department\n"),
])
def test_cli_usage_errors_exit_2(desk, db_url, capsys, args, message):
    t = ticket(desk)

    code = cli(db_url, "reassign", t, "--to", "WATER", "--reason", "leak", "--user", "dana", *args)

    assert (code, capsys.readouterr().err) == (2, message)
    assert reassignments(desk) == []


@pytest.mark.parametrize("args", [
    ["reassign", "T-1", "--to", "WATER", "--user", "dana"],  # no reason
    ["reassign", "--to", "WATER", "--reason", "leak", "--user", "dana"],  # no ticket
    ["reassign", "T-1", "--to", "WATER", "--reason", "leak", "--user", "dana", "--role", "boss"],
    ["undo"],  # no user
])
def test_cli_argument_errors_exit_2(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as exit_:
        cli(f"sqlite:///{tmp_path}/unused.db", *args)
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err

