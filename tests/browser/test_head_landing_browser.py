"""A department head who signs in at the bare address lands on their own queue, on a desktop
screen and on a phone, with its first rows on the first screen; a dispatcher still lands on the
city overview."""

from __future__ import annotations

import pytest

from tests.browser.conftest import TICKETS, grid_column, shoot
from tests.browser.test_phone_browser import PHONE, PHONE_AGENT

SCREENS = {"desktop": ({"width": 1366, "height": 768}, None),
           "phone": (PHONE, PHONE_AGENT)}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_head_lands_on_their_queue(server, browser, screen):
    viewport, agent = SCREENS[screen]
    context = browser.new_context(viewport=viewport, user_agent=agent, locale="en-US",
                                  is_mobile=agent is not None, has_touch=agent is not None)
    page = context.new_page()
    try:
        server.open(page, "/", user="oleg")
        page.get_by_role("heading", name="Road Management").wait_for()
        assert page.get_by_text("Queue: open tickets by urgency").is_visible()
        shoot(page, f"head-landing-{screen}")
        first = page.locator(f"{TICKETS} , [data-testid='stDataFrame']").first
        box = first.bounding_box()
        assert box["y"] + 35 * 3 <= viewport["height"], box  # its heading and two rows in view
        assert grid_column(page, "Ticket")
    finally:
        context.close()


def test_others_land_on_the_overview(server, page):
    server.open(page, "/", user="dina")
    page.get_by_role("heading", name="City overview").wait_for()
