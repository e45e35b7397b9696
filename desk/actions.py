"""What a user does to tickets: reassign them to another department, and undo that.

Each call is one transaction that checks the user's permission and the tickets' versions, then
changes the tickets and writes their events, or writes nothing at all and returns why, in codes the
page words from its catalog. The page's buttons and `python -m db reassign|undo` both come here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from access.permissions import Actor, may_reassign
from access.tokens import digest
from access.users import actor_for, find_user, get_user, has_users
from db.config import idle_minutes
from db.reference import find_department
from db.rollup import lock_cells
from db.schema import OPEN_STATUSES, departments, sign_in_sessions, ticket_events, tickets
from db.transactions import Contention, retrying, write_transaction

# An undo is a reassignment back whose note names the event it reverses.
UNDO_NOTE = "undo of event #{id}: {note}"
_UNDO = re.compile(r"undo of event #(\d+): ")

_MESSAGES = {
    "no_tickets": "no tickets given",
    "reason_required": "a reason is required",
    "unknown_department": "no department has the code or name {department!r}",
    "unknown_ticket": "no such ticket",
    "same_department": "already in {department}",
    "not_open": "a {status} ticket cannot be reassigned",
    "forbidden.role": "a {role} may not reassign tickets",
    "forbidden.other_department": "a head of {own_department} may act only on tickets in "
                                  "{own_department}, and this one is in {department}",
    "stale": "changed since you saw it (version {seen_version}, now {version}): "
             "now in {department}, {status}",
    "nothing_to_undo": "{actor} has no reassignment to undo",
    "undo_stale": "changed since your reassignment (event #{event_id}): now in {department}, "
                  "{status}",
    "signed_out": "{actor} is no longer signed in or enabled",
    "busy": "other writers held the same tickets; gave up after {attempts} tries ({cause}), "
            "nothing was changed: try again",
}


@dataclass(frozen=True)
class Refusal:
    """Why nothing was written: a code, the ticket (external id) concerned, the facts behind it."""

    ticket: str | None
    code: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """In English, for the command line; the page words refusals from its own catalog."""
        key = f"forbidden.{self.detail['why']}" if self.code == "forbidden" else self.code
        text = _MESSAGES[key].format(**self.detail)
        text += "".join(f"; {_event_text(e)}" for e in self.detail.get("events", ()))
        return f"{self.ticket}: {text}" if self.ticket else text


@dataclass(frozen=True)
class ActionResult:
    """The tickets an action changed (external ids), or, when anything was refused, none."""

    applied: list[str]
    refusals: list[Refusal]

    @property
    def ok(self) -> bool:
        return not self.refusals


class _Refused(Exception):
    """Raised inside the transaction to roll it back and hand the refusals to the caller."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(refusals)
        self.refusals = refusals


@dataclass(frozen=True)
class _Move:
    ticket_id: int
    version: int  # the version the move is conditional on
    from_id: int
    to_id: int
    note: str
    updated_at: datetime  # the ticket's, as read: it never goes back


def reassign(engine: Engine, ticket_ids: Sequence[str], to_dept: str, reason: str, actor: Actor,
             seen_versions: Mapping[str, int] | None = None,
             now: datetime | None = None, *, user_id: int | None = None,
             session_token: str | None = None) -> ActionResult:
    """Move the tickets (external ids) to the department `to_dept` (code or name): all or none.

    The due instant stays, so the SLA clock keeps running. `seen_versions` (external id →
    version) are what the user saw: a ticket changed since is refused as 'stale' with what
    changed. A ticket it leaves out (and every ticket, for a script) is guarded at the version
    read inside the transaction, so a concurrent writer is never overwritten.

    `user_id` and `session_token` (a page's signed-in user and session) are checked again inside
    the transaction: a user disabled or signed out since the page was drawn is refused.
    """
    given = now
    wanted = list(dict.fromkeys(ticket_ids))
    seen = seen_versions or {}

    def work() -> ActionResult:
        with write_transaction(engine) as conn:
            _check_signed_in(conn, actor, user_id, session_token, given or datetime.now(UTC))
            codes = _department_codes(conn)
            target = _check_request(conn, wanted, to_dept, reason)
            rows = {r.external_id: r for r in _tickets(conn, tickets.c.external_id.in_(wanted))}
            refusals = []
            for external_id in wanted:
                row = rows.get(external_id)
                if row is None:
                    refusals.append(Refusal(external_id, "unknown_ticket"))
                elif seen.get(external_id, row.version) != row.version:
                    refusals.append(_stale(conn, row.id, seen[external_id], codes))
                elif refusal := _rules(row, actor, target, row.department_id, codes):
                    refusals.append(refusal)
            if refusals:
                raise _Refused(refusals)
            moves = [_Move(rows[i].id, rows[i].version, rows[i].department_id, target,
                           reason.strip(), rows[i].updated_at) for i in wanted]
            # The instant is taken once the tickets are locked, not before waiting for them: two
            # actions on one ticket are then recorded in the order, and at the times, they took.
            lost = _apply(conn, moves, actor, given or datetime.now(UTC))
            if lost is not None:
                raise _Refused([_stale(conn, lost.ticket_id, lost.version, codes)])
        return ActionResult(wanted, [])

    return _attempt(work)


def undo_last(engine: Engine, actor: Actor, now: datetime | None = None, *,
              user_id: int | None = None, session_token: str | None = None) -> ActionResult:
    """Reverse the actor's own last reassignment: every ticket of it, when it was a bulk one.

    Only the last one: once it is undone there is nothing left to undo, so a second click never
    reaches further back. A ticket that moved or changed since is refused as 'undo_stale'. A head
    may undo a reassignment out of their department, since it brings the ticket back to it.
    """
    given = now

    def work() -> ActionResult:
        with write_transaction(engine) as conn:
            _check_signed_in(conn, actor, user_id, session_token, given or datetime.now(UTC))
            codes = _department_codes(conn)
            batch = _last_reassignment(conn, actor)
            rows = {r.id: r for r in _tickets(conn, tickets.c.id.in_([e.ticket_id for e in batch]))}
            refusals = []
            for event in batch:
                row = rows[event.ticket_id]
                stale = _undo_stale(conn, row, event, codes)
                if stale.detail["events"] or row.department_id != event.to_department_id:
                    refusals.append(stale)
                elif refusal := _rules(row, actor, event.from_department_id,
                                       event.from_department_id, codes):
                    refusals.append(refusal)
            if refusals:
                raise _Refused(refusals)
            moves = [_Move(e.ticket_id, rows[e.ticket_id].version, e.to_department_id,
                           e.from_department_id, UNDO_NOTE.format(id=e.id, note=e.note or ""),
                           rows[e.ticket_id].updated_at)
                     for e in batch]
            lost = _apply(conn, moves, actor, given or datetime.now(UTC))  # once locked
            if lost is not None:
                event = next(e for e in batch if e.ticket_id == lost.ticket_id)
                row = _tickets(conn, tickets.c.id == lost.ticket_id)[0]
                raise _Refused([_undo_stale(conn, row, event, codes)])
        return ActionResult([rows[e.ticket_id].external_id for e in batch], [])

    return _attempt(work)


def _attempt(work: Callable[[], ActionResult]) -> ActionResult:
    """Run an action's transaction, again on fresh state after a deadlock or a lock held too
    long; a refusal rolls it back, and contention that persists is a refusal of its own."""
    try:
        return retrying(work)
    except _Refused as refused:
        return ActionResult([], refused.refusals)
    except Contention as busy:
        return ActionResult([], [Refusal(None, "busy", {"attempts": busy.attempts,
                                                        "cause": busy.cause})])


def _check_signed_in(conn: Connection, actor: Actor, user_id: int | None,
                     session_token: str | None, now: datetime) -> None:
    """Refuse a page's action when its user was disabled, or its session ended, meanwhile."""
    if user_id is not None:
        user = get_user(conn, user_id)
        if user is None or user.disabled:
            raise _Refused([Refusal(None, "signed_out", {"actor": actor.name})])
    if session_token is not None:
        s = sign_in_sessions.c
        seen = conn.execute(select(s.seen_at).where(
            s.token_hash == digest(session_token), s.ended_at.is_(None))).scalar_one_or_none()
        if seen is None or now - seen > timedelta(minutes=idle_minutes()):
            raise _Refused([Refusal(None, "signed_out", {"actor": actor.name})])


def _check_request(conn: Connection, wanted: list[str], to_dept: str, reason: str) -> int:
    """The target department's id, once the request as a whole makes sense."""
    target = find_department(conn, to_dept)
    refusals = []
    if not wanted:
        refusals.append(Refusal(None, "no_tickets"))
    if not reason.strip():
        refusals.append(Refusal(None, "reason_required"))
    if target is None:
        refusals.append(Refusal(None, "unknown_department", {"department": to_dept}))
    if refusals:
        raise _Refused(refusals)
    return target


def _rules(row: Row, actor: Actor, to_id: int, acting_for: int,
           codes: dict[int, str]) -> Refusal | None:
    """What every reassignment obeys: the actor may act for the department `acting_for`, the
    ticket is open, and it really moves."""
    department = codes[row.department_id]
    why = may_reassign(actor, codes[acting_for])
    if why is not None:
        return Refusal(row.external_id, "forbidden", {
            "why": why, "role": actor.role, "own_department": actor.department,
            "department": department})
    if row.status not in OPEN_STATUSES:
        return Refusal(row.external_id, "not_open", {"status": row.status})
    if row.department_id == to_id:
        return Refusal(row.external_id, "same_department", {"department": department})
    return None


def _apply(conn: Connection, moves: list[_Move], actor: Actor, now: datetime) -> _Move | None:
    """Write the moves and their events; or return the first whose ticket another writer has
    changed since it was read (the caller then rolls everything back). The rollup's rows of
    their cells are locked first, in one order (`db.rollup`)."""
    lock_cells(conn, [m.ticket_id for m in moves])
    for move in sorted(moves, key=lambda m: m.ticket_id):
        changed = conn.execute(
            update(tickets)
            .where(tickets.c.id == move.ticket_id, tickets.c.version == move.version)
            .values(department_id=move.to_id, version=tickets.c.version + 1,
                    updated_at=max(now, move.updated_at))
        ).rowcount
        if changed != 1:
            return move
    conn.execute(insert(ticket_events), [
        {"ticket_id": m.ticket_id, "kind": "reassigned", "at": now, "actor": actor.name,
         "from_department_id": m.from_id, "to_department_id": m.to_id, "note": m.note}
        for m in moves])
    return None


def undone_event(note: str | None) -> tuple[int, str] | None:
    """The event an undo's note names and that event's own note; None for any other note."""
    found = _UNDO.match(note or "")
    return (int(found[1]), note[found.end():]) if found else None


def _last_reassignment(conn: Connection, actor: Actor) -> list[Row]:
    """The events of the actor's last reassignment (one call: same instant and reason)."""
    e = ticket_events.c
    mine = select(ticket_events).where(e.kind == "reassigned", e.actor == actor.name)
    last = conn.execute(mine.order_by(e.at.desc(), e.id.desc()).limit(1)).first()
    if last is None or _UNDO.match(last.note or ""):
        raise _Refused([Refusal(None, "nothing_to_undo", {"actor": actor.name})])
    return list(conn.execute(
        mine.where(e.at == last.at, e.note == last.note,
                   e.to_department_id == last.to_department_id).order_by(e.id)
    ).all())


@dataclass(frozen=True)
class Undoable:
    """What `undo_last` would reverse now: that many tickets, moved to `to_department` (code)
    at `at`; the page words its Undo button from it."""

    tickets: int
    to_department: str
    at: datetime


def undoable(conn: Connection, actor: Actor) -> Undoable | None:
    """The actor's last reassignment if there is one to undo (the one `undo_last` takes)."""
    try:
        batch = _last_reassignment(conn, actor)
    except _Refused:
        return None
    return Undoable(len(batch), _department_codes(conn)[batch[0].to_department_id], batch[0].at)


def _tickets(conn: Connection, *where) -> list[Row]:
    """The tickets' rows, locked until the transaction ends, in the order of their ids: every
    writer locks in that order, so two bulk actions on the same tickets cannot deadlock."""
    t = tickets.c
    return list(conn.execute(
        select(t.id, t.external_id, t.status, t.version, t.department_id, t.updated_at)
        .where(*where).order_by(t.id).with_for_update()
    ).all())


def _stale(conn: Connection, ticket_id: int, seen_version: int,
           codes: dict[int, str]) -> Refusal:
    """A 'stale' refusal with what changed: the ticket now, and its events since `seen_version`.

    Events carry no version; each action writes one event per version, so these are the ticket's
    last (version − seen) events (an import may write several events, or none, per version).
    """
    row = _tickets(conn, tickets.c.id == ticket_id)[0]
    newer = max(row.version - seen_version, 0)
    events = _events(conn, codes, ticket_events.c.ticket_id == ticket_id, last=newer)
    return Refusal(row.external_id, "stale", {
        "seen_version": seen_version, **_state(row, codes), "events": events})


def _undo_stale(conn: Connection, ticket: Row, event: Row, codes: dict[int, str]) -> Refusal:
    """An 'undo_stale' refusal with the ticket now and every event since the one to undo."""
    later = _events(conn, codes, ticket_events.c.ticket_id == ticket.id,
                    ticket_events.c.id > event.id)
    return Refusal(ticket.external_id, "undo_stale",
                   {"event_id": event.id, **_state(ticket, codes), "events": later})


def _state(row: Row, codes: dict[int, str]) -> dict[str, Any]:
    return {"version": row.version, "department": codes[row.department_id],
            "status": row.status}


def _events(conn: Connection, codes: dict[int, str], *where,
            last: int | None = None) -> list[dict[str, Any]]:
    """Events as plain dicts, oldest first (departments as codes); only the `last` ones if given."""
    e = ticket_events.c
    query = select(e.id, e.at, e.kind, e.actor, e.from_department_id, e.to_department_id, e.note)
    query = query.where(*where).order_by(e.id.desc())
    if last is not None:
        query = query.limit(last)
    return [{"id": r.id, "at": r.at, "kind": r.kind, "actor": r.actor,
             "from_department": codes.get(r.from_department_id),
             "to_department": codes.get(r.to_department_id), "note": r.note}
            for r in reversed(conn.execute(query).all())]


def _department_codes(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(select(departments.c.id, departments.c.code)).all())


def _event_text(event: dict[str, Any]) -> str:
    moved = (f" {event['from_department']} → {event['to_department']}"
             if event["kind"] == "reassigned" else "")
    note = f": {event['note']}" if event["note"] else ""
    return (f"{event['at']:%Y-%m-%d %H:%M}Z {event['kind']}{moved} "
            f"by {event['actor'] or 'unknown'}{note}")


class ActorError(ValueError):
    """Why the user named outside the page (the command line) cannot act as named."""


def named_actor(engine: Engine, user: str, role: str | None = None,
                department: str | None = None) -> Actor:
    """The user named on the command line; ActorError says what is wrong with how they were named.

    Once the database has users, the name must be one of them, enabled, and the role and
    department are theirs: a `--role` or `--department` that says otherwise is refused. Before
    any user exists (a fresh city, scripts), the role given is taken as it is.
    """
    department_given, department = department, None
    with engine.connect() as conn:
        if has_users(conn):
            found_user = find_user(conn, user)
            if found_user is None or found_user.disabled:
                raise ActorError(f"no enabled user is named {user!r}")
            actor = actor_for(found_user)
            department = actor.department if department_given is None else (
                _department_codes(conn).get(find_department(conn, department_given)))
            if role not in (None, actor.role) or department != actor.department:
                raise ActorError(f"{actor.name} is a {actor.role}"
                                 + (f" of {actor.department}" if actor.department else ""))
            return actor
        if department_given is not None:
            found = find_department(conn, department_given)
            if found is None:
                raise ActorError(f"no department has the code or name {department_given!r}")
            department = _department_codes(conn)[found]
    try:
        return Actor(user, role or "dispatcher", department)
    except ValueError as error:
        raise ActorError(str(error)) from None
