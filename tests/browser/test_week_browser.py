"""The week page in Chromium: it opens on the week that ended, a figure's list opens in view,
a department's row opens its dialog, and the meeting pack downloads as a PDF."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from db.engine import make_engine
from queries.week import CITY, FIGURES, last_full_week, review
from tests.browser.conftest import shoot, wait_idle
from ui.i18n import name_of
from words.formatting import number, week_dates
from words.language import translate

SIZES = [(1366, 768), (1920, 1080)]


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 200) <= size[
        "height"] and box["x"] >= 0


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_weekly_figure_lists_its_tickets_in_view(server, page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    label = week_dates(last_full_week(datetime.now(UTC), "Europe/Moscow"), "en")
    server.open(page, "/week", user="irina")
    expect(page.get_by_role("heading", name=f"The week of {label}")).to_be_visible()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    if width == 1920:
        shoot(page, "week", height=1400)
        page.set_viewport_size({"width": width, "height": height})
        wait_idle(page)
    page.get_by_role("button", name="List").nth(6).click()  # overdue at the week's end
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    wait_idle(page)
    expect(dialog.get_by_text("the status as at the week's end")).to_be_visible()
    assert _in_view(page, dialog.get_by_text("the status as at the week's end"))
    shoot(page, f"week-list-{width}")


def test_the_russian_week_page_and_its_pack(server, page):
    server.open(page, "/week", user="irina")
    page.goto(server.url + "/week?lang=ru")  # a new page load: the sign-in's cookie holds
    wait_idle(page)
    week = last_full_week(datetime.now(UTC), "Europe/Moscow")
    label = week_dates(week, "ru")  # the week in words, never "2026-W48"
    expect(page.get_by_role("heading", name=f"Неделя {label}")).to_be_visible()
    assert week.label not in page.locator('[data-testid="stMain"]').inner_text()
    shoot(page, "week-ru", height=1500)
    with page.expect_download() as download:
        page.get_by_role("button", name="Материалы к совещанию (PDF)").click()
    pdf = PdfReader(download.value.path())
    first = " ".join(pdf.pages[0].extract_text().split())
    assert f"неделя {label}" in first and "Просрочено на конец недели" in first
    assert week.label not in " ".join(sheet.extract_text() for sheet in pdf.pages)


def _pick_row(page, key: str, row: int = 0) -> None:
    """Tick row `row` of the selectable grid under `.st-key-{key}`."""
    grid = page.locator(f".st-key-{key} [data-testid='stDataFrame']").first
    grid.evaluate("grid => grid.scrollIntoView({block: 'center'})")  # whole, not just a part
    wait_idle(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17 + 35 * row)


def _listed(page, title: str, count: int, lang: str) -> None:
    """The open dialog lists `title` and says it holds `count` tickets; then it is closed."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    wait_idle(page)
    expect(dialog.get_by_text(title, exact=True)).to_be_visible()
    said = translate(lang, "week.list.count", n=number(count, lang))
    expect(dialog.get_by_text(said, exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    wait_idle(page)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lists_clicked_in_sequence_each_show_their_own_figure(server, demo_db, page, lang):
    page.set_viewport_size({"width": 1366, "height": 768})
    week = last_full_week(datetime.now(UTC), "Europe/Moscow")
    engine = make_engine(demo_db)
    with engine.connect() as conn:
        result = review(conn, week)
    engine.dispose()
    city = result.figures[CITY]
    server.open(page, "/week", user="irina")
    page.goto(f"{server.url}/week?lang={lang}")  # a new page load: the sign-in's cookie holds
    wait_idle(page)
    page.locator('[data-testid="stMetric"]').first.wait_for()

    def title(figure: str, scope: str) -> str:
        return translate(lang, "week.list.title", figure=translate(lang, f"week.figure.{figure}"),
                         scope=scope, week=week.label)

    whole = translate(lang, "week.list.city")
    buttons = page.get_by_role("button", name=translate(lang, "week.list"))
    for name in ("overdue_at_end", "received", "passed_on"):
        buttons.nth(FIGURES.index(name)).click()
        _listed(page, title(name, whole), getattr(city, name), lang)
    # The departments' table: the column its rows are sorted by comes right after the name.
    heads = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.st-key-week_departments table thead th')).map(th => th.innerText.trim())""")
    assert translate(lang, "week.figure.overdue_at_end") in heads[:3], heads
    rows = result.departments.set_index("id")
    first = min((d for d in result.figures if d is not CITY),
                key=lambda d: (-result.figures[d].overdue_at_end,
                               -result.figures[d].open_at_end, rows.loc[d, "name"]))
    _pick_row(page, "week_departments")
    _listed(page, title("overdue_at_end", name_of(rows.loc[first], lang)),
            result.figures[first].overdue_at_end, lang)
    rose = result.categories[0]
    _pick_row(page, "week_rises_category")
    _listed(page, title("received", name_of({"name": rose.name, "name_ru": rose.name_ru}, lang)),
            rose.count, lang)
