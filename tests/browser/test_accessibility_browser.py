"""Accessibility in Chromium: axe-core's WCAG 2.1 A and AA rules find no serious or critical
violation on any page, in English and Russian; and the map's points, and its districts, are
reached, opened and left by keyboard alone."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from db.schema import tickets
from tests.browser.conftest import reach, wait_idle

# axe-core, from the pinned package's own copy (no network): only the WCAG 2.1 A and AA rules
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}
AXE = Axe()
PAGES = ("/", "/department?dept=ROADS", "/ticket?id={ticket}", "/week", "/audit", "/alerts",
         "/?view=wall")
HEADING = '[data-testid="stMain"] :is(h1, h2, h3, .wall-title)'
DIALOG = '[data-testid="stDialog"]'
# The element in focus, looked for inside the components' shadow roots too
FOCUSED = """() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el && {tag: el.tagName, kind: el.getAttribute('class'), id: el.dataset.id || null,
                  code: el.dataset.code || null, label: el.getAttribute('aria-label'),
                  inMap: Boolean(el.closest && el.closest('.citymap svg'))};
}"""

# What a refresh does to the map's points: each replaced by a new element that opens the same
REDRAWN = """host => {
    const map = host.citymap;
    map.stops = map.stops.map(el => { const again = el.cloneNode(true); el.replaceWith(again);
                                      return again; });
}"""


def serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is, one line each."""
    found = AXE.run(page, options=RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in found if v["impact"] in ("serious", "critical")]


def reach_all(page: Page) -> None:
    """Scroll to every section that waits for the user (ui/lazy.py) until it is drawn."""
    for _ in range(10):
        waiting = page.locator('[class*="st-key-waiting-"]').evaluate_all(
            "els => els.flatMap(e => [...e.classList]"
            "  .filter(c => c.startsWith('st-key-waiting-')))")
        if not waiting:
            return
        name = re.fullmatch(r"st-key-waiting-(.+)-0", waiting[0])
        assert name, waiting
        reach(page, name.group(1))


def in_language(page: Page, lang: str) -> None:
    """The page's first heading is in `lang` (the link's language took hold)."""
    heading = page.locator(HEADING).first.inner_text()
    assert bool(re.search("[А-яЁё]", heading)) == (lang == "ru"), heading


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_page_passes_axe_wcag_21_aa(server, demo_db, page, lang):
    with create_engine(demo_db).connect() as conn:
        ticket = conn.execute(select(tickets.c.external_id).limit(1)).scalar_one()
    found: dict[str, list[str]] = {}
    page.goto(f"{server.url}/?lang={lang}")
    wait_idle(page)
    in_language(page, lang)
    found["sign-in"] = serious(page)
    server.open(page, "/", user="irina")  # leadership: every page is theirs
    for path in PAGES:
        path = path.format(ticket=ticket)
        page.goto(f"{server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
        wait_idle(page)
        reach_all(page)
        in_language(page, lang)
        found[path] = serious(page)
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def tab_into_map(page: Page, key: str) -> dict:
    """From the page's title, Tab until the focus is in the map: what it lands on."""
    reach(page, key)
    page.locator('[data-testid="stMain"] h1').first.click()
    for _ in range(150):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["inMap"]:
            return focused
    raise AssertionError(f"150 Tabs from the title did not reach the map: {focused}")


@pytest.mark.parametrize(("path", "key", "lang"), [("/", "city-map", "en"),
                                                  ("/department?dept=ROADS", "department-map",
                                                   "ru")], ids=["overview", "department"])
def test_the_maps_points_open_their_cards_by_keyboard(server, page, path, key, lang):
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, "/", user="irina")
    page.goto(f"{server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
    wait_idle(page)
    first = tab_into_map(page, key)
    # Tab lands on the most urgent point; its tooltip and the keys' hint are shown
    assert (first["tag"], first["kind"]) == ("circle", "late"), first
    assert first["id"] in first["label"]
    svg = page.locator(f".st-key-{key} svg")
    expect(page.locator(f".st-key-{key} .tip")).to_contain_text(first["id"])
    expect(page.locator(f".st-key-{key} .keys")).to_be_visible()
    expect(page.locator(f".st-key-{key} .focus-ring")).to_be_visible()
    assert svg.get_attribute("aria-label")

    # the arrows go from point to point; Home back to the first
    page.keyboard.press("ArrowDown")
    second = page.evaluate(FOCUSED)
    assert second["inMap"] and second["id"] not in (None, first["id"]), second
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED)["id"] == first["id"]

    # Enter opens its card; the card passes axe too; Escape closes it and the focus is back
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.locator(DIALOG)).to_contain_text(first["id"])
    assert serious(page) == []
    # while the card is open, a refresh draws the map anew (new elements for the same points)
    page.locator(f".st-key-{key} .citymap").evaluate(REDRAWN)
    page.keyboard.press("Escape")
    expect(page.locator(DIALOG)).to_have_count(0)
    page.wait_for_function(f"({FOCUSED})().id === {first['id']!r}", timeout=5_000)

    # one Tab stop: the next Tab leaves the points for the zoom buttons
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["label"] == ("Zoom in" if lang == "en" else "Приблизить")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED)["id"] == first["id"]

    if key == "city-map":  # the overview's districts come after the points, each with its list
        page.keyboard.press("End")
        district = page.evaluate(FOCUSED)
        assert (district["tag"], district["kind"]) == ("path", "pickable"), district
        page.keyboard.press("Enter")
        wait_idle(page)
        expect(page).to_have_url(re.compile(f"drill_district={district['code']}"))
