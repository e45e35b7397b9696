"""The language switched in a running session, in Chromium: each page opened in English, then
switched to Russian by the sidebar's control, shows no English word, its empty date fields
included (their placeholder is the browser's, in the browser's own locale, unless replaced)."""

import re

import pytest
from sqlalchemy import create_engine, select

from db.schema import tickets
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


@pytest.mark.parametrize("path", PAGES)
def test_a_page_switched_to_russian_shows_no_english_word(server, demo_db, page, path):
    if path == "/ticket":
        with create_engine(demo_db).connect() as conn:
            path += "?id=" + conn.execute(select(tickets.c.external_id).limit(1)).scalar_one()
    page.set_viewport_size({"width": 1366, "height": 768})
    server.open(page, path, user="irina")
    words = english_words()
    assert {w for w in re.findall(r"[A-Za-z]{3,}", page.evaluate(SHOWN)) if w.lower() in words}
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Language").click()
    page.get_by_role("option", name="Русский").click()
    wait_idle(page)
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
