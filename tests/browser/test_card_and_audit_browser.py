"""A ticket's card on its own page, and the audit log after a reassignment, in Chromium."""

from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from access.permissions import Actor
from db.schema import tickets
from tests.browser.conftest import shoot


def test_a_ticket_link_opens_its_card(server, demo_db, page):
    with create_engine(demo_db).connect() as conn:
        reopened = conn.execute(select(tickets.c.external_id)
                                .where(tickets.c.reopen_count > 0).limit(1)).scalar_one()
    server.open(page, f"/ticket?id={reopened}", user="irina")
    page.get_by_role("heading", name=f"Ticket {reopened}").wait_for()
    expect(page.get_by_text("Times reopened: 1")).to_be_visible()
    expect(page.get_by_text("Timeline")).to_be_visible()
    shoot(page, "ticket", height=1300)


def test_leadership_reads_who_moved_what(server, demo_db, page):
    from desk.actions import reassign

    with create_engine(demo_db).connect() as conn:
        ticket = conn.execute(select(tickets.c.external_id).where(tickets.c.ended_at.is_(None))
                              .order_by(tickets.c.id).limit(1)).scalar_one()
    result = reassign(create_engine(demo_db), [ticket], "DISPATCH", "Sorting at the desk",
                      Actor("dina", "dispatcher"))
    assert result.ok
    server.open(page, "/audit", user="irina")
    page.get_by_role("heading", name="Audit log").wait_for()
    assert page.get_by_text("Sorting at the desk").count() + page.locator(
        '[data-testid="stDataFrame"]').count() >= 1
    shoot(page, "audit")
