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
