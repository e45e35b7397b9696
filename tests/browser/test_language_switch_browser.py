"""The language switched in a running session, in Chromium: each page opened in English, then
switched to Russian by the sidebar's control, shows no English word, its empty date fields
included (their placeholder is the browser's, in the browser's own locale, unless replaced)."""

import re

import pytest
from sqlalchemy import create_engine, select

from access.users import actor_for, find_user
from db.schema import departments, tickets
from desk.actions import reassign, undo_last
from tests.browser.conftest import shoot, wait_idle
from tests.browser.test_wall_fit_browser import english_words

PAGES = ("/", "/department?dept=ROADS", "/ticket", "/week", "/audit", "/alerts")

# What a person reads on the page: the app's text without the icons' ligature names, styles and
# scripts, and without the date fields' placeholders (read apart, as drawn: `PLACEHOLDERS`)
SHOWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]').cloneNode(true);
    app.querySelectorAll('[data-testid="stIconMaterial"], style, script, '
        + '[data-testid="stDateInputField"] [data-placeholder="true"]').forEach(e => e.remove());
    return app.textContent;
}"""
PLACEHOLDERS = """() => [...document.querySelectorAll(
        '[data-testid="stDateInputField"] [data-placeholder="true"]')]
    .map(part => parseFloat(getComputedStyle(part).fontSize) > 0 ? part.textContent
         : getComputedStyle(part, '::before').content.replaceAll('"', ''))"""


def to_russian(page) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Language").click()
    page.get_by_role("option", name="Русский").click()
    page.wait_for_function("() => /[а-я]/.test(document.querySelector("
                           "'[data-testid=\"stSidebarNav\"]')?.textContent ?? '')")
    wait_idle(page)


def whole(button) -> bool:
    """Whether a button's words are all shown (none cut off with an ellipsis)."""
    return button.locator('[data-testid="stMarkdownContainer"]').evaluate(
        "words => words.scrollWidth <= words.clientWidth")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_switched_to_russian_shows_no_english_word(server, demo_db, page, path):
    if path == "/ticket":
        with create_engine(demo_db).connect() as conn:
            path += "?id=" + conn.execute(select(tickets.c.external_id).limit(1)).scalar_one()
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, path, user="irina")
    words = english_words()
    assert {w for w in re.findall(r"[A-Za-z]{3,}", page.evaluate(SHOWN)) if w.lower() in words}
    to_russian(page)
    # a link column's grid keeps its links' addresses (/ticket?id=…) beside the text it draws
    shown = re.sub(r"/[a-z]+\?[a-z_]+=", " ", page.evaluate(SHOWN))
    found = sorted({w for w in re.findall(r"[A-Za-z]{3,}", shown) if w.lower() in words})
    name = path.strip("/").split("?")[0] or "overview"
    shoot(page, f"switched-ru-{name}")
    assert not found, [shown[max(0, m.start() - 80):m.end() + 80] for w in found
                       for m in re.finditer(rf"\b{w}\b", shown, re.IGNORECASE)][:5]
    assert "Europe/" not in shown and "ROADS" not in shown
    parts = page.evaluate(PLACEHOLDERS)
    assert set(parts) <= {"дд", "мм", "гггг"}, parts
    if path in ("/audit", "/alerts"):
        assert parts == ["дд", "мм", "гггг"] * 2


def test_the_russian_undo_and_back_to_live_show_their_whole_label_at_1366(server, demo_db, page):
    engine = create_engine(demo_db)
    with engine.connect() as conn:
        head = actor_for(find_user(conn, "oleg"))
        three = list(conn.execute(
            select(tickets.c.external_id).join(departments)
            .where(departments.c.code == "ROADS", tickets.c.status.in_(("new", "in_progress")))
            .limit(3)).scalars())
    assert reassign(engine, three, "STORM", "вода стоит", head).ok
    try:
        page.set_viewport_size({"width": 1366, "height": 768})
        server.open(page, "/department?dept=ROADS", user="oleg")
        to_russian(page)
        undo = page.get_by_role("button", name=re.compile("^Отменить передачу"))
        assert undo.inner_text().endswith(
            "Отменить передачу в службу «Служба ливневой канализации» (обращений: 3)")
        assert whole(undo)
        shoot(page, "switched-ru-undo-1366")
    finally:
        assert undo_last(engine, head).ok
    server.open(page, "/?as_of=2026-11-20T12:00:00%2B03:00", user="irina")  # a head has no past
    to_russian(page)
    back = page.locator(".st-key-back_to_live button")
    assert back.inner_text().endswith("К текущим данным") and whole(back)
