"""The overview in Chromium at 1366×768 and 1920×1080, in English and Russian: every click's
answer (a counter's list, a bar, a district, a map point, a row) is inside the window; the
drill-down clears with one click; a past view says so and goes back to live; the filters reset;
a Russian page shows no English interface word."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine

from queries.filters import Filters
from queries.lookups import district_list
from queries.map_points import map_points
from tests.browser.conftest import SCREENSHOTS, TICKETS, reach, wait_idle
from ui import map_drawing, workload
from ui.deck import label_points, on_screen, ticket_view
from ui.i18n import name_of
from words.catalog import CATALOG

SIZES = [(1366, 768), (1920, 1080)]
LANGS = ["en", "ru"]
DRILL = {"en": "Drill-down: ", "ru": "Детализация: "}


def english_words() -> set[str]:
    """Words of the interface's English that its Russian never uses."""
    russian = " ".join(v.get("ru", "") for v in CATALOG.values())
    words = set()
    for entry in CATALOG.values():
        if entry.get("ru") and entry["ru"] != entry["en"]:
            words |= {w for w in re.findall(r"[A-Za-z]{3,}", entry["en"]) if w not in russian}
    return words


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"answers-{name}.png"))


def in_view(page: Page, selector: str) -> None:
    """The element's top part is inside the window (not above it, not below it)."""
    element = page.locator(selector).first
    expect(element).to_be_visible()
    box = element.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= -20 and box["y"] + 40 <= height, (selector, box)


def settle(page: Page) -> None:
    wait_idle(page)
    page.wait_for_timeout(300)  # the scroll runs once the run's elements are drawn
    wait_idle(page)


def open_overview(server, page: Page, lang: str, size: tuple[int, int], path: str = "/") -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    server.open(page, path, user="irina")
    if lang == "ru":  # switched in the sidebar: it must apply at once, with no reload
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name="Русский").click()
        settle(page)
        expect(page.get_by_role("heading", name="Обзор города")).to_be_visible()


def clear_drill(page: Page) -> None:
    page.locator(".st-key-drill_clear button").click()
    settle(page)
    expect(page.locator(".st-key-drill-panel [data-testid='stMarkdown']")).to_have_count(0)


@pytest.mark.parametrize("size", SIZES, ids=["1366", "1920"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_click_is_answered_in_view(server, demo_db, page, lang, size):
    open_overview(server, page, lang, size)
    name = f"{lang}-{size[0]}"
    if lang == "ru":
        text = page.evaluate("""() => {  // the visible text, less icon ligatures ("list")
            const app = document.querySelector('[data-testid="stApp"]').cloneNode(true);
            app.querySelectorAll('[data-testid="stIconMaterial"]').forEach(e => e.remove());
            document.body.appendChild(app);
            const text = app.innerText;
            app.remove();
            return text; }""")
        found = sorted(w for w in english_words() if re.search(rf"\b{w}\b", text))
        assert not found, found
    shot(page, f"{name}-0-first")

    # a counter's list: at the top, in view, the most overdue first
    page.locator(".st-key-drill_overdue button").click()
    settle(page)
    in_view(page, ".st-key-drill-panel")
    shot(page, f"{name}-1-counter")
    expect(page.locator(".st-key-drill-panel")).to_contain_text(DRILL[lang])
    expect(page.locator(".st-key-tickets_sort input")).to_have_value(
        CATALOG["sort.most_overdue"][lang])
    clear_drill(page)

    # a workload row, clicked once
    top = page.locator(f".st-key-{workload.KEY}0").get_by_role("button")
    top.scroll_into_view_if_needed()
    top.click()
    settle(page)
    in_view(page, ".st-key-drill-panel")
    assert "drill_dept=" in page.url
    shot(page, f"{name}-2-bar")
    clear_drill(page)

    # a district, then a point, on the map
    deck = page.locator(".st-key-city-map svg").first
    deck.scroll_into_view_if_needed()
    settle(page)
    district, point = _targets(demo_db)
    targets = [(district, ".st-key-drill-panel"), (point, '[data-testid="stDialog"]')]
    for target, answer in targets:
        deck.scroll_into_view_if_needed()
        frame = deck.bounding_box()
        x = frame["x"] + frame["width"] / 2 + target[0] - map_drawing.SIZE[0] / 2
        y = frame["y"] + frame["height"] / 2 + target[1] - map_drawing.SIZE[1] / 2
        page.mouse.move(x - 3, y)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        settle(page)
        in_view(page, answer)
        shot(page, f"{name}-3-map-{'district' if target is district else 'point'}")
        if target is district:
            assert "drill_district=" in page.url
            clear_drill(page)
        else:
            page.keyboard.press("Escape")
            settle(page)
            expect(page.locator('[data-testid="stDialog"]')).to_have_count(0)

    # a row of the table at the foot: its card, in view
    reach(page, "tickets")
    grid = page.locator(TICKETS).first
    grid.scroll_into_view_if_needed()
    settle(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    settle(page)
    in_view(page, '[data-testid="stDialog"]')
    shot(page, f"{name}-4-row")


def _targets(url: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where on the map (pixels from its top left, in its framed view) a district can be
    clicked clear of any ticket, and where an overdue ticket is."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.connect() as conn:
        points = map_points(conn, Filters(as_of=now, statuses=("new", "in_progress")))
        districts = district_list(conn)
    engine.dispose()
    view = ticket_view(points.frame, map_drawing.SIZE)
    at = [on_screen(r.lat, r.lon, view, *map_drawing.SIZE) for r in points.frame.itertuples()]
    late = [xy for xy, r in zip(at, points.frame.itertuples(), strict=True) if r.past_due]
    # overdue points are drawn over the others: a click on one picks an overdue ticket
    inside = [xy for xy in late if 40 < xy[0] < map_drawing.SIZE[0] - 60
              and 40 < xy[1] < map_drawing.SIZE[1] - 40]
    labels = label_points(districts)
    spots = []
    for row, (lat, lon) in zip(districts.to_dict("records"), labels.itertuples(index=False),
                               strict=True):
        x, y = on_screen(lat, lon, view, *map_drawing.SIZE)
        y += 25  # below its name
        if 40 < x < map_drawing.SIZE[0] - 60 and 40 < y < map_drawing.SIZE[1] - 40:
            clear = min((abs(x - o[0]) + abs(y - o[1]) for o in at), default=99)
            spots.append((clear, (x, y), name_of(row, "en")))
    best = max(spots)
    assert best[0] > 25 and inside, (best, len(inside))
    return best[1], inside[0]


@pytest.mark.parametrize("lang", LANGS)
def test_past_view_says_so_and_goes_back_to_live(server, page, lang):
    as_of = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0).isoformat()
    open_overview(server, page, lang, (1366, 768), f"/?as_of={as_of.replace('+', '%2B')}")
    banner = page.locator(".st-key-past-banner")
    in_view(page, ".st-key-past-banner")
    expect(banner).to_contain_text(CATALOG["past.back"][lang])
    counters = page.locator(".st-key-kpi-plain-received_today").inner_text()
    assert CATALOG["counter.received_today"][lang] not in counters  # it names its day
    shot(page, f"{lang}-past")
    page.get_by_role("button", name=CATALOG["past.back"][lang]).click()
    settle(page)
    expect(banner).to_have_count(0)
    assert "as_of=" not in page.url


def test_filters_reset_with_one_click(server, page):
    open_overview(server, page, "en", (1366, 768), "/?district=balaklava&category=pothole")
    reset = page.get_by_role("button", name="Clear filters")
    expect(reset).to_be_enabled()
    reset.click()
    settle(page)
    assert "district=" not in page.url and "category=" not in page.url
    expect(reset).to_be_disabled()
