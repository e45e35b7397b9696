"""Users and the built-in sign-in, on both databases: hashing, lockout by an injected clock,
disabling, the `python -m db user` commands, and the CLI's actions checked against the user."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError

from access import users
from access.permissions import ROLES, Actor
from db.__main__ import main
from db.schema import USER_ROLES, ticket_events
from db.schema import users as users_table
from demo.seed import DEMO_USERS, demo_sign_ins, seed
from desk.actions import undoable
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def desk(engine: Engine) -> Engine:
    reference(engine)
    return engine


def stored_hash(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(users_table.c.password_hash)
                            .where(users_table.c.name == name)).scalar_one()


def attempt(engine: Engine, password: str, at: datetime, name: str = "lena") -> users.SignIn:
    return users.authenticate(engine, name, password, now=at)


# Hashing and adding


def test_only_an_argon2_hash_of_the_password_is_stored(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    stored = stored_hash(desk, "lena")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert users.hash_password(PASSWORD) != stored  # salted: the same password hashes anew


def test_a_short_password_is_refused(desk):
    with pytest.raises(users.UserError, match="at least 8 characters"):
        users.add_user(desk, "lena", "leadership", "short")


def test_a_head_needs_a_department_and_only_a_head_has_one(desk):
    roman = users.add_user(desk, "roman", "head", PASSWORD, "Road Management")
    assert (roman.role, roman.department) == ("head", "ROADS")
    assert users.actor_for(roman) == Actor("roman", "head", "ROADS")
    with pytest.raises(users.UserError, match="only a head"):
        users.add_user(desk, "h2", "head", PASSWORD)
    with pytest.raises(users.UserError, match="only a head"):
        users.add_user(desk, "d2", "dispatcher", PASSWORD, "ROADS")
    with pytest.raises(users.UserError, match="Hogwarts"):
        users.add_user(desk, "h3", "head", PASSWORD, "Hogwarts")


def test_the_wall_is_not_a_user_role_and_names_are_unique(desk):
    with pytest.raises(users.UserError, match="kiosk"):
        users.add_user(desk, "screen", "wall", PASSWORD)
    users.add_user(desk, "lena", "leadership", PASSWORD, email="Lena@City.example")
    with pytest.raises(users.UserError, match="exists already"):
        users.add_user(desk, "lena", "viewer", PASSWORD)
    with pytest.raises(users.UserError, match="e-mail"):
        users.add_user(desk, "other", "viewer", PASSWORD, email="lena@city.example")
    with desk.connect() as conn:
        assert users.find_by_email(conn, " LENA@city.example ").name == "lena"


# Signing in, and the lockout


def test_the_right_password_signs_in(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    result = attempt(desk, PASSWORD, NOW)
    assert result.ok and result.user.name == "lena" and result.user.role == "leadership"


def test_wrong_password_and_unknown_name_are_the_same_refusal(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    assert attempt(desk, "not it at all", NOW).refusal == "bad_credentials"
    assert attempt(desk, PASSWORD, NOW, name="nobody").refusal == "bad_credentials"


def test_an_unknown_name_costs_one_hash_verification_like_a_known_one(desk, monkeypatch):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    checked = []
    real = users._hasher()

    class Spy:
        def verify(self, hashed: str, password: str) -> bool:
            checked.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(users, "_hasher", Spy)
    attempt(desk, "wrong guess!", NOW)
    attempt(desk, "wrong guess!", NOW, name="nobody")
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)


def test_failures_slow_down_then_lock_the_account(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    at = NOW
    delays = []
    for _ in range(4):
        failed = attempt(desk, "wrong guess!", at)
        assert failed.refusal == "bad_credentials"
        delays.append(failed.retry_at - at)
        too_soon = attempt(desk, PASSWORD, failed.retry_at - timedelta(seconds=1))
        assert (too_soon.refusal, too_soon.retry_at) == ("wait", failed.retry_at)
        at = failed.retry_at
    assert delays == [timedelta(seconds=s) for s in (1, 2, 4, 8)]

    locked = attempt(desk, "wrong guess!", at)
    assert (locked.refusal, locked.retry_at) == ("locked", at + timedelta(minutes=15))
    assert attempt(desk, PASSWORD, at + timedelta(minutes=14, seconds=59)).refusal == "locked"
    assert attempt(desk, PASSWORD, at + timedelta(minutes=15)).ok


def test_a_success_resets_the_count(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    for i in range(3):
        attempt(desk, "wrong guess!", NOW + timedelta(minutes=i))
    assert attempt(desk, PASSWORD, NOW + timedelta(minutes=3)).ok
    for i in range(4):
        assert attempt(desk, "wrong guess!", NOW + timedelta(minutes=4 + i)).refusal \
            == "bad_credentials"


def test_lockout_settings_come_from_the_environment(desk, monkeypatch):
    monkeypatch.setenv("CITYDESK_MAX_FAILURES", "2")
    monkeypatch.setenv("CITYDESK_LOCK_MINUTES", "1")
    users.add_user(desk, "lena", "leadership", PASSWORD)
    attempt(desk, "wrong guess!", NOW)
    locked = attempt(desk, "wrong guess!", NOW + timedelta(seconds=5))
    assert (locked.refusal, locked.retry_at) == ("locked", NOW + timedelta(seconds=65))


def test_setting_a_password_lifts_a_lock(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    for i in range(5):
        attempt(desk, "wrong guess!", NOW + timedelta(minutes=i))
    users.set_password(desk, "lena", "a brand new one")
    assert attempt(desk, "a brand new one", NOW + timedelta(minutes=5)).ok


def test_a_disabled_user_cannot_sign_in(desk):
    users.add_user(desk, "lena", "leadership", PASSWORD)
    users.disable_user(desk, "lena")
    # the right password gets the wrong one's answer: a disabled account is no password oracle
    assert attempt(desk, PASSWORD, NOW).refusal == "bad_credentials"
    assert attempt(desk, "wrong guess!", NOW + timedelta(minutes=1)).refusal == "bad_credentials"


def test_a_single_sign_on_user_has_no_password(desk):
    users.add_user(desk, "sso", "viewer", None, email="sso@city.example")
    assert stored_hash(desk, "sso") is None
    assert attempt(desk, "", NOW, name="sso").refusal == "bad_credentials"


def test_unknown_users_cannot_be_changed(desk):
    with pytest.raises(users.UserError, match="no user named"):
        users.set_password(desk, "nobody", PASSWORD)
    with pytest.raises(users.UserError, match="no user named"):
        users.disable_user(desk, "nobody")


def test_database_errors_hide_their_parameters():
    with pytest.raises(StatementError) as raised, users._secrets_hidden():
        raise StatementError("boom", "UPDATE users SET password_hash=?", ["$argon2id$secret"],
                             ValueError("x"))
    assert "$argon2id$secret" not in str(raised.value)


# The demo city's users


def test_the_demo_city_gets_a_user_per_role_once(desk):
    lines = demo_sign_ins(desk)
    assert demo_sign_ins(desk) == []
    with desk.connect() as conn:
        made = [users.find_user(conn, name) for name, _, _ in DEMO_USERS]
    assert [(u.role, u.department) for u in made] == [
        ("leadership", None), ("head", "ROADS"), ("dispatcher", None), ("viewer", None)]
    passwords = {line.split()[0]: line.split()[-1] for line in lines[1:-1]}
    assert set(passwords) == {name for name, _, _ in DEMO_USERS}
    assert all(users.authenticate(desk, n, p, now=NOW).ok for n, p in passwords.items())
    assert lines[-1].startswith("meeting screen: http://localhost:8501/?kiosk=")


def test_the_demo_users_are_people_and_own_none_of_the_seeds_history(engine, db_url, capsys):
    assert main(["--database", db_url, "seed", "--tickets", "3000", "--days", "21"]) == 0
    printed = capsys.readouterr().out
    with engine.connect() as conn:
        names = [r.name for r in conn.execute(select(users_table.c.name)).all()]
        history = set(conn.execute(select(ticket_events.c.actor).where(
            ticket_events.c.kind == "reassigned")).scalars())
        assert sorted(names) == sorted(name for name, _, _ in DEMO_USERS)
        roles = set(ROLES) | set(USER_ROLES) | {"leader", "head"}
        for name in names:
            assert name not in roles and name not in users.SYSTEM_ACTORS, name
            assert name in printed
            # Undo offers a user only what they did: nothing, on a first sign-in.
            assert undoable(conn, users.actor_for(users.find_user(conn, name))) is None, name
    assert history == {"seed"}, history  # the demo history's moves are the system's
    for name in ("dispatcher", "Leader", "viewer", "seed", "import"):
        with pytest.raises(users.UserError):
            users.add_user(engine, name, "viewer", PASSWORD)


def test_seeding_an_existing_city_says_when_nobody_can_sign_in(desk, db_url, capsys):
    seed(desk, 20, 1, NOW, progress=False, days=1)
    assert main(["--database", db_url, "seed", "--if-empty"]) == 0
    assert capsys.readouterr().out == (
        "the database already has 20 tickets; not seeding\n"
        "nobody can sign in yet: add a user with python -m db user add NAME --role leadership\n")


# The command line


def cli(db_url: str, monkeypatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--database", db_url, *args])


def test_cli_adds_a_user_with_the_password_piped_in(desk, db_url, monkeypatch, capsys):
    code = cli(db_url, monkeypatch, "user", "add", "roman", "--role", "head", "--department",
               "ROADS", stdin=PASSWORD + "\n")
    assert (code, capsys.readouterr().out) == (0, "added roman: head of ROADS\n")
    assert users.authenticate(desk, "roman", PASSWORD, now=NOW).ok


def test_cli_asks_twice_without_echo_at_a_terminal(desk, db_url, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    typed = iter([PASSWORD, PASSWORD, "new password 1", "not the same"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    monkeypatch.setattr("sys.stdin", Terminal())
    assert main(["--database", db_url, "user", "add", "lena", "--role", "leadership"]) == 0
    assert main(["--database", db_url, "user", "set-password", "lena"]) == 1
    assert capsys.readouterr().err == "the two passwords differ\n"
    assert users.authenticate(desk, "lena", PASSWORD, now=NOW).ok


def test_cli_sets_a_password_and_disables(desk, db_url, monkeypatch, capsys):
    cli(db_url, monkeypatch, "user", "add", "vera", stdin=PASSWORD + "\n")
    assert cli(db_url, monkeypatch, "user", "set-password", "vera",
               stdin="another password\n") == 0
    assert users.authenticate(desk, "vera", "another password", now=NOW).user.role == "viewer"
    assert cli(db_url, monkeypatch, "user", "disable", "vera") == 0
    assert users.authenticate(desk, "vera", "another password",
                              now=NOW + timedelta(minutes=1)).refusal == "bad_credentials"
    assert capsys.readouterr().out == ("added vera: viewer\npassword of vera set\n"
                                       "vera is disabled\n")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["add", "x", "--role", "head"], PASSWORD, "a department head, and only a head, has a "
                                               "department\n"),
    (["add", "x"], "short\n", "a password needs at least 8 characters\n"),
    (["set-password", "nobody"], PASSWORD, "no user named 'nobody'\n"),
    (["disable", "nobody"], "", "no user named 'nobody'\n"),
])
def test_cli_refusals_exit_1(desk, db_url, monkeypatch, capsys, args, stdin, message):
    assert cli(db_url, monkeypatch, "user", *args, stdin=stdin) == 1
    assert capsys.readouterr().err == message


def test_no_password_or_hash_reaches_the_output_or_the_log(desk, db_url, monkeypatch, capsys,
                                                           caplog):
    caplog.set_level(logging.DEBUG)
    cli(db_url, monkeypatch, "user", "add", "lena", "--role", "leadership",
        stdin=PASSWORD + "\n")
    cli(db_url, monkeypatch, "user", "set-password", "lena", stdin=PASSWORD + "!\n")
    for i in range(6):
        users.authenticate(desk, "lena", PASSWORD + "?", now=NOW + timedelta(minutes=i))
    users.authenticate(desk, "lena", PASSWORD + "!", now=NOW + timedelta(hours=1))
    users.authenticate(desk, "nobody", PASSWORD, now=NOW)
    out, err = capsys.readouterr()
    shown = out + err + caplog.text
    assert "signed in: lena" in caplog.text and "locked until" in caplog.text
    for secret in (PASSWORD, stored_hash(desk, "lena"), "$argon2"):
        assert secret not in shown


# Actions on the command line once users exist: the role and department are the user's


def reassign(db_url: str, monkeypatch, ticket: str, *who: str) -> int:
    return cli(db_url, monkeypatch, "reassign", ticket, "--to", "POWER", "--reason", "cable",
               *who)


@pytest.fixture
def staff(desk):
    users.add_user(desk, "roman", "head", PASSWORD, "ROADS")
    users.add_user(desk, "wanda", "head", PASSWORD, "WATER")
    users.add_user(desk, "vera", "viewer", PASSWORD)
    users.add_user(desk, "dana", "dispatcher", PASSWORD)
    return desk


def test_cli_actions_take_the_users_own_role(staff, db_url, monkeypatch, capsys):
    water = add_ticket(staff, NOW - timedelta(hours=1), department="WATER")
    assert reassign(db_url, monkeypatch, water, "--user", "roman") == 1
    assert capsys.readouterr().err == (f"{water}: a head of ROADS may act only on tickets in "
                                       "ROADS, and this one is in WATER\n")
    assert reassign(db_url, monkeypatch, water, "--user", "vera") == 1
    assert capsys.readouterr().err == f"{water}: a viewer may not reassign tickets\n"
    assert reassign(db_url, monkeypatch, water, "--user", "wanda") == 0


def test_cli_refuses_a_role_the_user_does_not_have(staff, db_url, monkeypatch, capsys):
    water = add_ticket(staff, NOW - timedelta(hours=1), department="WATER")
    assert reassign(db_url, monkeypatch, water, "--user", "vera", "--role", "leadership") == 2
    assert capsys.readouterr().err == "vera is a viewer\n"
    assert reassign(db_url, monkeypatch, water, "--user", "roman", "--role", "head",
                    "--department", "WATER") == 2
    assert capsys.readouterr().err == "roman is a head of ROADS\n"
    assert reassign(db_url, monkeypatch, water, "--user", "mallory", "--role",
                    "leadership") == 2
    assert capsys.readouterr().err == "no enabled user is named 'mallory'\n"
    users.disable_user(staff, "dana")
    assert reassign(db_url, monkeypatch, water, "--user", "dana") == 2
    assert capsys.readouterr().err == "no enabled user is named 'dana'\n"
    assert cli(db_url, monkeypatch, "undo", "--user", "mallory") == 2
