"""The overview and the head's page on a phone (390×844), in English and Russian: nothing wider
than the screen, the counters first, a counter's list answered in view, the map within the
width, and the head's queue reachable with its action beside the selection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import clickable, grid_column, wait_idle
from tests.browser.test_overview_answers_browser import in_view, settle, shot
from words.catalog import CATALOG

PHONE = {"width": 390, "height": 844}
# A phone's browser says so in its user agent (the server frames its maps by it)
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def phone(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, user_agent=PHONE_AGENT, is_mobile=True,
                                  has_touch=True, locale="en-US")
    yield context.new_page()
    context.close()


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the screen: nothing is reached only by scrolling sideways."""
    wide = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert wide <= PHONE["width"] + 1, wide


def swipe_up(page: Page, x: float, y: float, distance: float) -> None:
    """A finger from (x, y) up by `distance` pixels, as the phone's touch screen sends it."""
    client = page.context.new_cdp_session(page)
    client.send("Input.dispatchTouchEvent",
                {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        client.send("Input.dispatchTouchEvent", {
            "type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 10}]})
        page.wait_for_timeout(16)
    client.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(500)


def switch_to_russian(page: Page) -> None:
    """On a phone the sidebar is folded: open it, choose Russian, fold it again."""
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_be_in_viewport()
    picker = sidebar.locator('[data-testid="stSelectbox"] input').first
    russian = page.get_by_role("option", name="Русский")
    for _ in range(5):  # a key pressed while the sidebar still slides in is lost: press again
        picker.focus()  # a phone's select is read-only: the keyboard opens its list
        picker.press("ArrowDown")
        try:
            russian.wait_for(state="visible", timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    russian.click()
    settle(page)
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    settle(page)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_overview_on_a_phone(server, phone, lang):
    page = phone
    server.open(page, "/", user="irina")
    if lang == "ru":
        switch_to_russian(page)
        expect(page.get_by_role("heading", name="Обзор города")).to_be_visible()
    no_sideways_scroll(page)
    # what needs attention comes first: the overdue counter is on the first screen
    in_view(page, ".st-key-drill_overdue")
    shot(page, f"phone-{lang}-0-first")
    page.locator(".st-key-drill_overdue button").click()
    settle(page)
    in_view(page, ".st-key-drill-panel")
    expect(page.locator(".st-key-tickets_sort input")).to_have_value(
        CATALOG["sort.most_overdue"][lang])
    shot(page, f"phone-{lang}-1-counter")
    no_sideways_scroll(page)
    page.locator(".st-key-drill_clear button").click()
    settle(page)
    deck = page.locator(".st-key-city-map svg").first
    deck.scroll_into_view_if_needed()
    box = deck.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
    shot(page, f"phone-{lang}-2-map")
    no_sideways_scroll(page)
    # a finger on the map scrolls the page (the map does not catch it), and a tap on a point
    # opens its card
    swipe_up(page, box["x"] + box["width"] / 2, box["y"] + 300, 150)
    moved = deck.bounding_box()
    assert moved["y"] < box["y"] - 100, (box, moved)
    late = page.locator(".st-key-city-map circle.late")
    target = next(i for i in range(late.count())
                  if clickable(page, f".st-key-city-map circle.late >> nth={i}", moved))
    ticket = late.nth(target).get_attribute("data-id")
    late.nth(target).tap()
    settle(page)
    in_view(page, '[data-testid="stDialog"]')
    expect(page.locator('[data-testid="stDialog"]')).to_contain_text(ticket)
    shot(page, f"phone-{lang}-3-card")


def test_the_heads_queue_on_a_phone(server, phone):
    page = phone
    server.open(page, "/department", user="oleg")
    no_sideways_scroll(page)
    tickets = grid_column(page, "Ticket")
    assert tickets
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    wait_idle(page)
    action = page.get_by_role("button", name="Reassign 1 selected…")
    expect(action).to_be_enabled()
    shot(page, "phone-en-3-queue")
    where = action.bounding_box()
    assert where["y"] >= 0 and where["y"] + where["height"] <= PHONE["height"], where
    no_sideways_scroll(page)
    # the toolbar that stays in view leaves most of the screen to the queue
    bar = page.locator(".st-key-queue_bar").bounding_box()
    assert bar["height"] <= 0.25 * PHONE["height"], bar
