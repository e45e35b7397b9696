"""Sign-in and roles through the pages (AppTest), on both databases: nobody sees data without
signing in; each role gets its pages; a head only their department; the kiosk only the wall;
revoked tokens, disabled users and idle sessions are shut out; no secret is ever drawn."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from streamlit.testing.v1 import AppTest

from access import kiosk, sessions, users
from access.permissions import Actor
from db.schema import departments, sign_in_sessions, tickets
from tests.cities import seed
from tests.pages import app, metrics

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"
SSO = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                "cookie_secret": "not a real secret, a test one",
                "client_id": "citydesk", "client_secret": "test",
                "server_metadata_url": "https://id.city.example/.well-known/openid-configuration"}}


@pytest.fixture
def city(engine):
    seed(engine, 1500, 7, NOW, progress=False, days=20)
    users.add_user(engine, "lena", "leadership", PASSWORD, email="lena@city.example")
    users.add_user(engine, "roman", "head", PASSWORD, "ROADS")
    return engine


def rendered(at: AppTest) -> str:
    """Everything the server sent to draw the page (the element protos), as text."""
    def walk(node, out: list[str]) -> list[str]:
        if getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child, out)
        return out
    return "\n".join(walk(at._tree, []))


def pages(at: AppTest) -> set[str]:
    """The page files the navigation offered this run."""
    return {Path(str(info["script_path"])).name for info in at._registered_pages.values()
            if info.get("script_path") and info.get("url_pathname") is not None}


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    name_box, password_box = at.text_input
    name_box.input(name)
    password_box.input(password)
    at.button[0].click()
    return at.run()


def shows_no_data(at: AppTest) -> bool:
    return not at.metric and not at.dataframe and not at.exception


def test_nobody_signed_in_gets_the_sign_in_form_only(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=None, dept="ROADS").run()
    assert [t.value for t in at.title] == ["Citydesk: sign in"]
    assert [box.label for box in at.text_input] == ["User name", "Password"]
    assert shows_no_data(at) and pages(at) == set()


def test_signing_in_shows_the_pages_and_no_secret_anywhere(city, db_url, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    at = app(monkeypatch, db_url, actor=None, as_of=NOW.isoformat()).run()
    sign_in(at, "lena", PASSWORD + "!")
    assert "Wrong user name or password." in at.error[0].value and shows_no_data(at)
    time.sleep(1.1)  # the first failure asks for a second's wait
    sign_in(at, "lena", PASSWORD)
    assert not at.exception
    assert at.session_state["actor"] == Actor("lena", "leadership")
    assert at.title[0].value == "City overview" and metrics(at)["Open"]
    assert any(c.value.startswith("Signed in as lena") for c in at.sidebar.caption)
    with city.connect() as conn:
        stored = users._select().where(users.users.c.name == "lena")
        hashed = conn.execute(stored).one().password_hash
    for secret in (PASSWORD, hashed):
        assert secret not in rendered(at) and secret not in caplog.text
    assert "signed in: lena" in caplog.text


def test_failures_lock_the_account_on_the_page(city, db_url, monkeypatch):
    monkeypatch.setenv("CITYDESK_MAX_FAILURES", "1")
    at = app(monkeypatch, db_url, actor=None).run()
    sign_in(at, "lena", "a wrong guess")
    assert at.error[0].value.startswith("Too many failed sign-ins: this account is locked until")
    sign_in(at, "lena", PASSWORD)
    assert at.error[0].value.startswith("Too many failed sign-ins") and shows_no_data(at)


@pytest.mark.parametrize(("actor", "offered"), [
    (Actor("lena", "leadership"), {"overview.py", "department.py", "ticket.py", "wall.py",
                                   "week.py", "audit.py", "alerts.py"}),
    (Actor("dana", "dispatcher"), {"overview.py", "department.py", "ticket.py", "wall.py",
                                   "week.py"}),
    (Actor("vera", "viewer"), {"overview.py", "department.py", "ticket.py", "wall.py"}),
    (Actor("roman", "head", "ROADS"), {"overview.py", "department.py", "ticket.py"}),
])
def test_each_role_gets_its_pages(city, db_url, monkeypatch, actor, offered):
    at = app(monkeypatch, db_url, actor=actor).run()
    assert not at.exception
    assert pages(at) == offered


@pytest.mark.parametrize(("actor", "acts"), [
    (Actor("lena", "leadership"), True), (Actor("dana", "dispatcher"), True),
    (Actor("roman", "head", "ROADS"), True), (Actor("vera", "viewer"), False),
])
def test_only_roles_that_may_act_get_the_action_buttons(city, db_url, monkeypatch, actor, acts):
    at = app(monkeypatch, db_url, actor=actor, dept="ROADS").run()
    at.switch_page("screens/department.py").run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert ("Reassign 0 selected…" in labels) is acts
    assert any(label == "Nothing to undo" or label.startswith("Undo: ")
               for label in labels) is acts
    assert any(c.value.startswith("Figures as of") and f"Acting as {actor.name}" in c.value
               for c in at.caption)


def test_a_head_sees_their_own_department_whatever_the_link_says(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=Actor("roman", "head", "ROADS"), dept="WATER")
    at.run()  # a head lands on their department's page
    assert not at.exception
    assert at.title[0].value == "Road Management"
    assert "sees their own department" in at.info[0].value
    assert at.sidebar.selectbox(key="dept_page").disabled
    with city.connect() as conn:
        roads = set(conn.execute(select(tickets.c.external_id).join(departments)
                                 .where(departments.c.code == "ROADS")).scalars())
    queue = set(at.dataframe[0].value["Ticket"])
    assert queue and queue <= roads


def test_a_head_cannot_open_the_meeting_screen_by_link(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=Actor("roman", "head", "ROADS"), view="wall").run()
    assert not at.exception
    # they land on their own queue, as at any bare address
    assert at.title[0].value == "Road Management" and "wall.py" not in pages(at)


def test_leadership_reads_and_exports_the_audit_log(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url).run()
    at.switch_page("screens/audit.py").run()
    assert not at.exception
    assert at.title[0].value == "Audit log"
    grid = at.dataframe[0].value
    assert list(grid.columns) == ["When", "Who", "What", "Ticket", "From", "To", "Why"]
    assert set(grid["What"]) == {"Reassigned"} and len(grid) > 0
    assert any(c.value.endswith(" events") for c in at.caption)


def test_the_audit_page_refuses_anyone_but_leadership(city, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    at = AppTest.from_file(str(Path(__file__).parent.parent / "screens" / "audit.py"))
    at.session_state["actor"] = Actor("dana", "dispatcher")
    at.run()
    assert [e.value for e in at.error] == ["The audit log is for leadership only."]
    assert shows_no_data(at)


def test_a_kiosk_token_opens_the_wall_alone(city, db_url, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    _, token = kiosk.issue(city, "situation room")
    at = app(monkeypatch, db_url, actor=None, kiosk=token).run()
    assert not at.exception
    assert pages(at) == {"wall.py"}
    assert any('class="wall' in m.value for m in at.markdown)  # the meeting screen's panels
    assert not at.title and not at.text_input  # no overview, no sign-in
    assert token not in rendered(at) and token not in caplog.text


def test_a_revoked_token_is_refused_at_once(city, db_url, monkeypatch):
    made, token = kiosk.issue(city, "situation room")
    at = app(monkeypatch, db_url, actor=None, kiosk=token).run()
    assert pages(at) == {"wall.py"}
    kiosk.revoke(city, str(made.id))
    at.run()
    assert "meeting-screen link is not valid" in at.error[0].value
    assert shows_no_data(at)
    again = app(monkeypatch, db_url, actor=None, kiosk=token).run()
    assert "meeting-screen link is not valid" in again.error[0].value and pages(again) == set()


def test_an_idle_session_must_sign_in_again(city, db_url, monkeypatch):
    monkeypatch.setenv("CITYDESK_IDLE_MINUTES", "5")
    fresh = app(monkeypatch, db_url)
    fresh.session_state["_auth_seen"] = time.time() - 4 * 60
    assert fresh.run().title[0].value == "City overview"
    idle = app(monkeypatch, db_url)
    idle.session_state["_auth_seen"] = time.time() - 6 * 60
    idle.run()
    assert idle.title[0].value == "Citydesk: sign in" and shows_no_data(idle)
    assert idle.info[0].value == ("You were signed out after 5 minutes without activity. "
                                  "Sign in again.")


def test_a_user_disabled_while_signed_in_is_shut_out(city, db_url, monkeypatch):
    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "roman", PASSWORD)
    assert at.session_state["actor"] == Actor("roman", "head", "ROADS")
    users.disable_user(city, "roman")
    at.run()
    assert at.title[0].value == "Citydesk: sign in" and shows_no_data(at)
    assert at.info[0].value == "This account is disabled. Ask an administrator."


def test_signing_out_forgets_the_session(city, db_url, monkeypatch):
    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "lena", PASSWORD)
    at.sidebar.button(key="_auth_sign_out").click().run()
    assert at.title[0].value == "Citydesk: sign in" and shows_no_data(at)
    assert "actor" not in at.session_state


def cookie_scripts(at: AppTest) -> list[str]:
    """The scripts that write the session cookie in the browser (st.html with javascript)."""
    return [e.proto.body for e in at.get("html") if "document.cookie" in e.proto.body]


def live_sessions(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sign_in_sessions).join(users.users)
                            .where(users.users.c.name == name,
                                   sign_in_sessions.c.ended_at.is_(None))).scalar_one()


def test_a_sign_in_gives_the_browser_its_session_once_and_nowhere_else(
        city, db_url, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "lena", PASSWORD)
    token = at.session_state["_auth_session_token"]
    assert live_sessions(city, "lena") == 1
    script, = cookie_scripts(at)
    assert f"citydesk_session={token}; path=/; SameSite=Strict" in script
    assert rendered(at).count(token) == 1  # in that script alone, which removes itself
    assert token not in caplog.text
    at.run()
    assert cookie_scripts(at) == [] and token not in rendered(at)
    assert at.title[0].value == "City overview"


def test_signing_out_ends_the_session_and_clears_the_cookie(city, db_url, monkeypatch):
    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "lena", PASSWORD)
    at.sidebar.button(key="_auth_sign_out").click().run()
    assert at.title[0].value == "Citydesk: sign in" and shows_no_data(at)
    assert live_sessions(city, "lena") == 0
    script, = cookie_scripts(at)
    assert "citydesk_session=; path=/; SameSite=Strict; max-age=0" in script


def test_a_session_ended_elsewhere_or_idle_ends_here(city, db_url, monkeypatch):
    monkeypatch.setenv("CITYDESK_IDLE_MINUTES", "5")
    ended = "Your session has ended: you signed out, changed your password, or left it 5 " \
            "minutes without activity. Sign in again."
    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "lena", PASSWORD)
    sessions.end(city, at.session_state["_auth_session_token"])  # signed out in another tab
    at.run()
    assert at.title[0].value == "Citydesk: sign in" and shows_no_data(at)
    assert at.info[0].value == ended and cookie_scripts(at)

    at = sign_in(app(monkeypatch, db_url, actor=None).run(), "lena", PASSWORD)
    with city.begin() as conn:  # no tab has used it for six minutes
        conn.execute(update(sign_in_sessions).values(
            seen_at=datetime.now(UTC) - timedelta(minutes=6)))
    at.run()
    assert at.title[0].value == "Citydesk: sign in" and at.info[0].value == ended
    assert live_sessions(city, "lena") == 0


def test_single_sign_on_maps_the_email_to_our_user(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=None)
    at.secrets = SSO
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with the city's account"]
    assert not at.text_input and shows_no_data(at)

    at.user = {"is_logged_in": True, "email": "Lena@City.example"}
    at.run()
    assert not at.exception
    assert at.session_state["actor"] == Actor("lena", "leadership")
    assert at.title[0].value == "City overview"


def test_single_sign_on_refuses_an_unknown_email(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=None)
    at.secrets = SSO
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert "stranger@example.org" in at.error[0].value
    assert "not an enabled Citydesk user" in at.error[0].value and shows_no_data(at)
    assert "cookie_secret" not in rendered(at) and "not a real secret" not in rendered(at)
