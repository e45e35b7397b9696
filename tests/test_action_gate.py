"""An action checks again, as it writes, that its user is enabled and signed in (issue 18,
finding 7): dialogs and live fragments run without passing the page's sign-in gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from access import sessions, users
from desk.actions import reassign, undo_last
from tests.factory import add_ticket, reference

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _desk(engine):
    reference(engine)
    dana = users.add_user(engine, "dana", "dispatcher", PASSWORD)
    ticket = add_ticket(engine, NOW - timedelta(hours=2))
    return dana, ticket


def test_a_disabled_users_dialog_changes_nothing(engine):
    dana, ticket = _desk(engine)
    token = sessions.start(engine, dana.id, NOW)
    users.disable_user(engine, "dana")
    result = reassign(engine, [ticket], "WATER", "a leak", users.actor_for(dana), now=NOW,
                      user_id=dana.id, session_token=token)
    assert [r.code for r in result.refusals] == ["signed_out"]
    assert result.refusals[0].message == "dana is no longer signed in or enabled"


def test_a_signed_out_session_changes_nothing(engine):
    dana, ticket = _desk(engine)
    token = sessions.start(engine, dana.id, NOW)
    actor = users.actor_for(dana)
    assert reassign(engine, [ticket], "WATER", "a leak", actor, now=NOW, user_id=dana.id,
                    session_token=token).ok
    sessions.end(engine, token, NOW)
    undone = undo_last(engine, actor, now=NOW, user_id=dana.id, session_token=token)
    assert [r.code for r in undone.refusals] == ["signed_out"]


def test_an_idle_session_changes_nothing(engine, monkeypatch):
    monkeypatch.setenv("CITYDESK_IDLE_MINUTES", "5")
    dana, ticket = _desk(engine)
    token = sessions.start(engine, dana.id, NOW)
    late = reassign(engine, [ticket], "WATER", "a leak", users.actor_for(dana),
                    now=NOW + timedelta(minutes=6), user_id=dana.id, session_token=token)
    assert [r.code for r in late.refusals] == ["signed_out"]
