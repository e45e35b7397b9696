"""The department page in Chromium: select tickets, reassign them through the dialog, and see
them leave the queue; the events are in the database. The head's flow at 1366×768 and
1920×1080 in English and Russian: the queue above the fold, the actions in view after a tick,
the dialog's list and order, a toast in view, undo's label, the Russian CSV."""

import csv
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from db.schema import departments, ticket_events, tickets
from tests.browser.conftest import Server, clickable, grid_column, middle, shoot, wait_idle
from ui.i18n import russian_key


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
                   ticket_events.c.actor == "dina")
        ).all()
    assert {r.code for r in rows} == {"STORM"}
    assert [n.note for n in notes].count("Drainage, not the road surface") == 2


# The department head's flow, at the sizes and in the languages people use.
WORDS = {"en": {"reassign": "Reassign {n} selected…", "nothing": "Nothing to undo",
                "to": "To department", "done": "Reassigned 1 to Storm Drains.",
                "undo": "Undo: 1 to Storm Drains", "undone": "Undone: 1 back where they were."},
         "ru": {"reassign": "Переназначить ({n})…", "nothing": "Отменять нечего",
                "to": "В службу"}}
ENGLISH = ("Open", "Overdue", "At risk", "Received", "Resolved", "Queue", "Reassign", "Undo",
           "Nothing", "Card", "Search", "Time left", "Ticket", "Status", "Category", "Address",
           "overdue by", " left", "In progress", "Choose", "Figures as of", "Moscow",
           "Acting as", "department head", "Export")


@pytest.fixture(scope="module")
def head_server(tmp_path_factory, demo_db):
    """A server on a copy of the demo city for the head's tests (one of them writes)."""
    copy = tmp_path_factory.mktemp("head") / "citydesk.db"
    shutil.copy(Path(demo_db.removeprefix("sqlite:///")), copy)
    running = Server({"DATABASE_URL": f"sqlite:///{copy}", "CITY_TZ": "Europe/Moscow"})
    yield running
    running.stop()


def _as_head(server: Server, browser, size: tuple[int, int], lang: str) -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  accept_downloads=True)
    page = context.new_page()
    server.open(page, "/department?dept=ROADS", user="oleg")
    if lang == "ru":
        page.goto(server.url + "/department?dept=ROADS&lang=ru")
        wait_idle(page)
    return page


def _grid_box(page: Page) -> dict:
    """Where the queue's grid is, once the page has settled (a refresh may redraw it)."""
    wait_idle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=60_000)
    return grid.bounding_box(timeout=60_000)


def _in_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    view = page.viewport_size
    return (box is not None and box["y"] >= 0 and box["y"] + box["height"] <= view["height"]
            and box["x"] >= 0 and box["x"] + box["width"] <= view["width"])


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_the_heads_queue_and_its_actions_stay_in_view(head_server, browser, size, lang):
    words = WORDS[lang]
    page = _as_head(head_server, browser, size, lang)
    box = _grid_box(page)
    assert box["y"] + 35 * 4 <= size[1], "the queue's first rows are above the fold"
    undo = page.get_by_role("button", name=words["nothing"])
    assert undo.is_disabled()
    shoot(page, f"head-{size[0]}-{lang}-load")
    times = []
    for row in (0, 1):  # tick the two most urgent tickets, timing each answer
        started = time.monotonic()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17 + 35 * row)
        button = page.get_by_role("button", name=words["reassign"].format(n=row + 1))
        button.wait_for()
        times.append(time.monotonic() - started)
        wait_idle(page)
        assert _in_view(page, button), "the action sits with the selection"
    print(f"tick answered in {', '.join(f'{s:.2f} s' for s in times)} ({size}, {lang})")
    shoot(page, f"head-{size[0]}-{lang}-ticked")
    picked = grid_column(page, "Ticket" if lang == "en" else "Номер")[:2]
    page.get_by_role("button", name=words["reassign"].format(n=2)).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(words["to"]).wait_for()
    wait_idle(page)
    listed = dialog.inner_text()
    assert all(ticket in listed for ticket in picked), "the dialog lists the tickets"
    dialog.locator('[data-testid="stSelectbox"]').first.click()
    options = [o.strip() for o in page.get_by_role("option").all_inner_texts()]
    assert len(options) >= 5
    key = russian_key if lang == "ru" else str.casefold
    assert options == sorted(options, key=key), options
    shoot(page, f"head-{size[0]}-{lang}-dialog")
    page.keyboard.press("Escape")
    if lang == "ru":
        text = page.locator('[data-testid="stMain"]').inner_text()
        found = [w for w in ENGLISH if w in text]
        assert not found, found
    page.context.close()


def test_the_russian_csv_opens_in_a_russian_excel(head_server, browser):
    page = _as_head(head_server, browser, (1366, 768), "ru")
    button = page.locator('[data-testid="stDownloadButton"] button').filter(has_text="CSV").first
    button.wait_for(timeout=90_000)
    with page.expect_download(timeout=90_000) as download:
        button.click()
    content = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("citydesk-queue-ROADS-")
    assert content.startswith(b"\xef\xbb\xbf")
    head = content.decode("utf-8-sig").splitlines()[0]
    first = next(csv.reader([head], delimiter=";"))[:3]
    assert first == ["Осталось", "Срок", "Номер"], first  # the queue's own columns, in order
    assert not any(c.isascii() and c.isalpha() for c in head), head
    page.context.close()
    log = Path(head_server.log.name).read_text()
    assert "missing ScriptRunContext" not in log


def test_a_reassignment_answers_with_a_toast_in_view_and_undo_says_what(head_server, browser):
    words = WORDS["en"]
    page = _as_head(head_server, browser, (1366, 768), "en")
    box = _grid_box(page)
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    page.get_by_role("button", name=words["reassign"].format(n=1)).click()
    dialog = page.get_by_role("dialog")
    dialog.locator('[data-testid="stSelectbox"] input').fill("Storm Dr")
    dialog.locator('[data-testid="stSelectbox"] input').press("Enter")
    dialog.get_by_label("Reason (required)").fill("Drainage")
    dialog.get_by_label("Reason (required)").press("Tab")
    wait_idle(page)
    dialog.get_by_role("button", name="Reassign", exact=True).click()
    toast = page.locator('[data-testid="stToast"]').filter(has_text=words["done"])
    toast.wait_for()
    page.wait_for_timeout(1000)  # a toast slides in from below the window's edge
    assert _in_view(page, toast)
    shoot(page, "head-1366-en-toast")
    undo = page.get_by_role("button", name=words["undo"])
    undo.wait_for()
    assert undo.is_enabled() and _in_view(page, undo)
    undo.click()
    page.locator('[data-testid="stToast"]').filter(has_text=words["undone"]).wait_for()
    page.get_by_role("button", name=words["nothing"]).wait_for()
    page.context.close()


def test_the_map_and_trend_are_drawn_when_the_head_scrolls_to_them(server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, "/department?dept=ROADS", user="oleg")
    wait_idle(page)
    waiting = page.locator(".st-key-waiting-department-map-0")
    expect(waiting).to_be_visible()
    svg = page.locator(".st-key-department-map svg")
    expect(svg).to_have_count(0)
    waiting.scroll_into_view_if_needed()
    svg.wait_for(timeout=30_000)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=30_000)
    wait_idle(page)
    box = svg.bounding_box()
    assert box["y"] < 768 and box["y"] + box["height"] > 0, box  # drawn where the user is
    svg.scroll_into_view_if_needed()  # the user brings the whole map into the window
    wait_idle(page)
    box = svg.bounding_box()
    # a point opens its card, in view; a district is no link here
    # an overdue point when one is in the window (they are drawn on top), else any other
    points = ".st-key-department-map circle[data-id]"
    kinds = page.locator(points).evaluate_all("els => els.map(e => e.getAttribute('class'))")
    order = sorted(range(len(kinds)), key=lambda i: kinds[i] != "late")
    target = next(i for i in order if clickable(page, f"{points} >> nth={i}", box))
    ticket = page.locator(points).nth(target).get_attribute("data-id")
    page.mouse.click(*middle(page, f"{points} >> nth={target}"))
    wait_idle(page)
    dialog = page.locator('[data-testid="stDialog"]')
    expect(dialog).to_contain_text(ticket)
    where = dialog.bounding_box()
    assert where["y"] >= 0 and where["y"] < 768, where
    assert page.locator(".st-key-department-map path.pickable").count() == 0
