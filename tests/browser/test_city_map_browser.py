"""The overview's SVG map in Chromium, in English and Russian: every open ticket is drawn, in
its kind; a point's tooltip names its ticket; the zoom buttons zoom about the middle and back,
and zoomed in, district names left out for room come back, never touching another;
a drag moves the map without opening anything; and a point still opens its card when zoomed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine

from devtools import oracle
from tests.browser.conftest import clickable, middle
from tests.browser.test_overview_answers_browser import in_view, open_overview, settle, shot

MAP = ".st-key-city-map"


def _names(page: Page) -> list[dict]:
    """The district names shown, each with its box as drawn (not as estimated), checked to be
    apart from each other."""
    boxes = page.locator(f"{MAP} .names text").evaluate_all("""texts => texts
        .filter(t => t.style.display !== "none")
        .map(t => { const r = t.getBoundingClientRect();
                    return {name: t.textContent, x0: r.left, y0: r.top, x1: r.right,
                            y1: r.bottom}; })""")
    crossing = [(a["name"], b["name"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a["x0"] < b["x1"] - 1 and b["x0"] < a["x1"] - 1
                and a["y0"] < b["y1"] - 1 and b["y0"] < a["y1"] - 1]
    assert not crossing, crossing
    return boxes


def _scale(page: Page) -> float:
    transform = page.locator(f"{MAP} .world").get_attribute("transform")
    return float(re.search(r"scale\(([\d.]+)\)", transform).group(1))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_map_draws_every_open_ticket_and_zooms_drags_and_opens_cards(server, demo_db, page,
                                                                         lang):
    before = datetime.now(UTC)
    open_overview(server, page, lang, (1366, 768))
    svg = page.locator(f"{MAP} svg")
    svg.scroll_into_view_if_needed()
    settle(page)
    after = datetime.now(UTC)
    drawn = dict(page.locator(f"{MAP} .points circle").evaluate_all(
        "circles => circles.map(c => [c.dataset.id, c.getAttribute('class')])"))
    # the map shows what the status filter picks (open, by default), overdue in red; the page
    # read the time between `before` and `after`
    raw = oracle.raw(create_engine(demo_db)).dropna(subset=["lat", "lon"])
    open_ = raw[oracle.open_at(raw, after)]
    assert sorted(drawn) == sorted(open_["external_id"]) and len(drawn) > 20
    late = {i for i, kind in drawn.items() if kind == "late"}
    assert set(open_.loc[open_["due_at"] < before, "external_id"]) <= late
    assert late <= set(open_.loc[open_["due_at"] < after, "external_id"])
    assert set(drawn.values()) == {"late", "open"}

    # a point's tooltip names its ticket, in the page's language
    late = page.locator(f"{MAP} circle.late").last
    late.hover(force=True)
    tip = page.locator(f"{MAP} .tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(late.get_attribute("data-id"))
    expect(tip).to_contain_text("Overdue" if lang == "en" else "Просрочено")
    shot(page, f"map-{lang}-1-tip")

    # zoom in twice about the middle, then back to the whole view
    zoom = page.locator(f"{MAP} .zoom button")
    expect(zoom.first).to_have_attribute("title", "Zoom in" if lang == "en" else "Приблизить")
    whole = _names(page)
    zoom.nth(0).click()
    zoom.nth(0).click()
    assert _scale(page) == pytest.approx(1.6 ** 2)
    closer = _names(page)
    assert len(whole) >= 3  # zoomed in, a name left out for room comes back
    assert {b["name"] for b in closer} - {b["name"] for b in whole}, (whole, closer)
    shot(page, f"map-{lang}-2-zoomed")

    # a drag moves the map and opens nothing
    box = svg.bounding_box()
    before = page.locator(f"{MAP} .world").get_attribute("transform")
    page.mouse.move(box["x"] + 60, box["y"] + box["height"] - 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + box["height"] - 110, steps=5)
    page.mouse.up()
    settle(page)
    assert page.locator(f"{MAP} .world").get_attribute("transform") != before
    expect(page.locator('[data-testid="stDialog"]')).to_have_count(0)
    assert "drill_district=" not in page.url

    # zoomed, an overdue point still opens its card, in view
    target = next(i for i in range(page.locator(f"{MAP} circle.late").count())
                  if clickable(page, f"{MAP} circle.late >> nth={i}", box))
    point = page.locator(f"{MAP} circle.late").nth(target)
    ticket = point.get_attribute("data-id")
    x, y = middle(page, f"{MAP} circle.late >> nth={target}")
    page.mouse.click(x, y)
    settle(page)
    in_view(page, '[data-testid="stDialog"]')
    expect(page.locator('[data-testid="stDialog"]')).to_contain_text(ticket)
    shot(page, f"map-{lang}-3-card")
    page.keyboard.press("Escape")
    settle(page)
    zoom.nth(2).click()
    assert _scale(page) == pytest.approx(1.0)
