"""The ticket card says how its deadline stands, and its history is in the page's language."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import insert, select

from db.schema import ticket_events, tickets
from tests.factory import add_ticket, reference
from tests.pages import app


def _card(monkeypatch, db_url, **params):
    at = app(monkeypatch, db_url, **params)
    at.switch_page("screens/ticket.py")
    return at.run()


def _event(engine, external_id: str, kind: str, actor: str) -> None:
    with engine.begin() as conn:
        ticket_id = conn.execute(select(tickets.c.id)
                                 .where(tickets.c.external_id == external_id)).scalar_one()
        conn.execute(insert(ticket_events).values(ticket_id=ticket_id, kind=kind, actor=actor,
                                                  at=datetime.now(UTC) - timedelta(days=2)))


def test_an_overdue_card_says_by_how_much_in_russian_with_its_history(engine, db_url,
                                                                       monkeypatch):
    reference(engine)
    now = datetime.now(UTC)
    add_ticket(engine, now - timedelta(days=2), due=now - timedelta(hours=27, minutes=10),
               external_id="LATE")
    _event(engine, "LATE", "created", "operator")
    _event(engine, "LATE", "accepted", "department")
    at = _card(monkeypatch, db_url, id="LATE", lang="ru")
    assert not at.exception
    due = (now - timedelta(hours=27, minutes=10)).astimezone(ZoneInfo("Europe/Moscow"))
    said = f"Новое · срок {format_datetime(due, 'EEE d MMM HH:mm', locale='ru')} · " \
        "просрочено на 1 д 3 ч"
    assert any(m.value.endswith(said) for m in at.markdown), \
        [m.value for m in at.markdown]
    history = at.dataframe[0].value
    assert history["Кто"].tolist() == ["оператор", "служба"]


def test_an_open_card_says_what_is_left(engine, db_url, monkeypatch):
    reference(engine)
    now = datetime.now(UTC)
    add_ticket(engine, now - timedelta(hours=1), due=now + timedelta(days=4, hours=4, minutes=30),
               external_id="SOON")
    at = _card(monkeypatch, db_url, id="SOON")
    assert not at.exception
    assert any(m.value.endswith(" · 4 d 4 h left") and "New · due " in m.value
               for m in at.markdown), \
        [m.value for m in at.markdown]


def test_a_card_at_an_instant_shows_only_what_had_happened_by_then(engine, db_url, monkeypatch):
    reference(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    add_ticket(engine, now - timedelta(days=10), due=now - timedelta(days=8),
               accepted=now - timedelta(days=9), resolved=now - timedelta(days=3),
               external_id="BACK")
    with engine.begin() as conn:
        ticket_id = conn.execute(select(tickets.c.id)
                                 .where(tickets.c.external_id == "BACK")).scalar_one()
        conn.execute(insert(ticket_events), [
            {"ticket_id": ticket_id, "kind": kind, "actor": "operator", "at": now - ago}
            for kind, ago in (("created", timedelta(days=10)), ("accepted", timedelta(days=9)),
                              ("resolved", timedelta(days=3)), ("reopened", timedelta(days=2)))])
    then = now - timedelta(days=5)
    at = _card(monkeypatch, db_url, id="BACK", as_of=then.isoformat())
    assert not at.exception
    # Five days ago it was in progress and three days overdue, never yet resolved nor reopened.
    assert any(m.value.endswith(" · overdue by 3 d") and "In progress · due " in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    history = at.dataframe[0].value
    assert history["What"].tolist() == ["Received", "Accepted into work"]
    moments = at.table[1].value
    assert moments.loc["Resolved", ""] == "—"
    assert not any(str(i).startswith("Times reopened") for i in moments.index)
    now_card = _card(monkeypatch, db_url, id="BACK")
    assert len(now_card.dataframe[0].value) == 4
    # Before it was made, it was no ticket at all.
    early = _card(monkeypatch, db_url, id="BACK", as_of=(now - timedelta(days=11)).isoformat())
    assert any("No ticket BACK" in w.value for w in early.warning)
