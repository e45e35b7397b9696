"""The desk's own commands: `reassign`, `undo`, `user`, `kiosk` and `sla`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from access import kiosk as kiosks
from access.permissions import Actor
from access.users import UserError, add_user, disable_user, find_user, set_password
from db.config import city_tz
from db.engine import UNREACHABLE, make_engine, unreachable_message
from desk import sla as deadlines
from desk.actions import ActionResult, ActorError, named_actor, undo_last
from desk.actions import reassign as reassign_tickets
from desk.sla_report import describe

# --- reassign and undo: exit 0 when applied, 1 when anything was refused (each refusal on
# stderr), 2 for a user who cannot act as named.

def reassign(args: argparse.Namespace) -> int:
    return _act(args, lambda engine, actor: reassign_tickets(engine, args.ids, args.to,
                                                             args.reason, actor),
                "reassigned to " + args.to)


def undo(args: argparse.Namespace) -> int:
    return _act(args, undo_last, "undid the reassignment of")


def _act(args: argparse.Namespace, action: Callable[[Engine, Actor], ActionResult],
         done: str) -> int:
    engine = make_engine(args.database)
    try:
        actor = named_actor(engine, args.user, args.role, args.department)
        result = action(engine, actor)
    except ActorError as error:
        print(error, file=sys.stderr)
        return 2
    except UNREACHABLE as error:
        print(unreachable_message(error), file=sys.stderr)
        return 3
    except SQLAlchemyError as error:
        print(f"database error: {_first_line(error)}", file=sys.stderr)
        return 1
    for refusal in result.refusals:
        print(refusal.message, file=sys.stderr)
    if not result.ok:
        return 1
    print(f"{done}: {', '.join(result.applied)}")
    return 0


def _first_line(error: SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


# --- user add|set-password|disable NAME: the password comes from standard input, typed without
# echo at a terminal, else its first line.

def user(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    try:
        if args.action == "add":
            password = None if args.no_password else read_password()
            added = add_user(engine, args.name, args.role, password, args.department, args.email)
            where = f" of {added.department}" if added.department else ""
            print(f"added {added.name}: {added.role}{where}")
        elif args.action == "set-password":
            with engine.connect() as conn:  # before asking for a password it would not use
                if find_user(conn, args.name) is None:
                    raise UserError(f"no user named {args.name!r}")
            set_password(engine, args.name, read_password())
            print(f"password of {args.name} set")
        else:
            disable_user(engine, args.name)
            print(f"{args.name} is disabled")
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def read_password() -> str:
    """The new password: asked twice at a terminal, else the first line a script pipes in."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise UserError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


# --- kiosk issue LABEL | revoke ID|LABEL | list

def kiosk(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    if args.action == "issue":
        try:
            issued, token = kiosks.issue(engine, args.label)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        print(f"kiosk #{issued.id} {issued.label!r}: open the dashboard at "
              f"{kiosks.link(token, args.base_url)}")
        print("the token is shown only now: keep the link; revoke it with "
              f"python -m db kiosk revoke {issued.id}")
        return 0
    if args.action == "revoke":
        revoked = kiosks.revoke(engine, args.which)
        if not revoked:
            print(f"no live kiosk token has the id or label {args.which!r}", file=sys.stderr)
            return 1
        for each in revoked:
            print(f"revoked kiosk #{each.id} {each.label!r}")
        return 0
    for each in kiosks.list_kiosks(engine):
        state = f"revoked {each.revoked_at:%Y-%m-%d %H:%M}Z" if each.revoked_at else "live"
        print(f"#{each.id}\t{each.label}\tissued {each.created_at:%Y-%m-%d %H:%M}Z\t{state}")
    return 0


# --- sla load FILE.toml [--recompute] | show

def sla(args: argparse.Namespace) -> int:
    engine = make_engine(args.database)
    if args.action == "show":
        with engine.connect() as conn:
            print("\n".join(describe(conn)))
        return 0
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        print(f"{path}: {reason or error}; the rules are unchanged", file=sys.stderr)
        return 2
    with engine.begin() as conn:
        try:
            parsed = deadlines.parse(text, deadlines.category_keys(conn))
        except deadlines.SlaFileError as error:
            print(f"{path}: {error}; the rules are unchanged", file=sys.stderr)
            return 2
        deadlines.store(conn, parsed, str(path), datetime.now(UTC).replace(microsecond=0))
        print(f"loaded {len(parsed.rules)} rules from {path}")
        if args.recompute:
            rules = deadlines.load(conn, city_tz())
            total = deadlines.count_recomputable(conn)
            with tqdm(total=total, unit="tickets", desc="recomputing",
                      file=sys.stderr) as bar:
                changed = deadlines.recompute(conn, rules, bar.update)
            print(f"recomputed the due of {total:,} open tickets without a given deadline: "
                  f"{changed:,} changed")
        else:
            print("the rules apply to tickets created from now on (--recompute: to open ones too)")
    return 0
