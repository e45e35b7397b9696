"""The department page in Chromium: select tickets, reassign them through the dialog, and see
them leave the queue; the events are in the database."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from db.schema import departments, ticket_events, tickets
from tests.browser.conftest import Server, grid_column, shoot, wait_idle


@pytest.fixture
def own_server(demo_db, tmp_path):
    """A server on a copy of the demo city, so this test's writes touch no other test."""
    source = Path(demo_db.removeprefix("sqlite:///"))
    copy = tmp_path / "citydesk.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    running = Server({"DATABASE_URL": url, "CITY_TZ": "Europe/Moscow",
                      "CITYDESK_REFRESH_SECONDS": "5"})
    yield running, url
    running.stop()


def test_reassign_selected_tickets_through_the_dialog(own_server, page):
    server, url = own_server
    server.open(page)  # the overview first, like a user
    server.open(page, "/department?dept=ROADS")
    shoot(page, "department")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    before = grid_column(page, "Ticket")
    assert len(before) >= 3
    for row in (0, 1):  # the two most urgent tickets: tick their boxes
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17 + 35 * row)
        wait_idle(page)
    page.get_by_role("button", name="Reassign 2 selected…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("To department").wait_for()
    dialog.locator('[data-testid="stSelectbox"] input').fill("Storm Dr")
    dialog.locator('[data-testid="stSelectbox"] input').press("Enter")
    dialog.get_by_label("Reason (required)").fill("Drainage, not the road surface")
    dialog.get_by_label("Reason (required)").press("Tab")
    wait_idle(page)
    shoot(page, "department-reassign")
    # The page refreshes itself underneath; the open dialog and what was typed stay.
    stamp = page.get_by_text("Figures as of").first.inner_text()
    page.wait_for_function(
        "s => ![...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.innerText.includes(s))", arg=stamp, timeout=30_000)
    assert dialog.get_by_label("Reason (required)").input_value() == \
        "Drainage, not the road surface"
    dialog.get_by_role("button", name="Reassign", exact=True).click()
    page.get_by_text("Reassigned 2 to Storm Drains.").wait_for(timeout=30_000)
    wait_idle(page)
    after = grid_column(page, "Ticket")
    moved = set(before[:2])
    assert moved and not moved & set(after), "the reassigned tickets left the queue"

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, departments.c.code, tickets.c.version)
            .join(departments, departments.c.id == tickets.c.department_id)
            .where(tickets.c.external_id.in_(moved))
        ).all()
        notes = conn.execute(
            select(ticket_events.c.note, ticket_events.c.actor)
            .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
            .where(tickets.c.external_id.in_(moved), ticket_events.c.kind == "reassigned",
                   ticket_events.c.actor == "dispatcher")
        ).all()
    assert {r.code for r in rows} == {"STORM"}
    assert [n.note for n in notes] == ["Drainage, not the road surface"] * 2
