"""The week page in Chromium: it opens on the week that ended, a figure's list opens in view,
a department's row opens its dialog, and the meeting pack downloads as a PDF."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from queries.week import last_full_week
from tests.browser.conftest import shoot, wait_idle

SIZES = [(1366, 768), (1920, 1080)]


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 200) <= size[
        "height"] and box["x"] >= 0


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_weekly_figure_lists_its_tickets_in_view(server, page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    label = last_full_week(datetime.now(UTC), "Europe/Moscow").label
    server.open(page, "/week", user="leader")
    expect(page.get_by_role("heading", name=f"Week {label}")).to_be_visible()
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
    server.open(page, "/week", user="leader")
    page.goto(server.url + "/week?lang=ru")  # a new page load: the sign-in's cookie holds
    wait_idle(page)
    label = last_full_week(datetime.now(UTC), "Europe/Moscow").label
    expect(page.get_by_role("heading", name=f"Неделя {label}")).to_be_visible()
    shoot(page, "week-ru", height=1500)
    with page.expect_download() as download:
        page.get_by_role("button", name="Материалы к совещанию (PDF)").click()
    pdf = PdfReader(download.value.path())
    first = " ".join(pdf.pages[0].extract_text().split())
    assert f"неделя {label}" in first and "Просрочено на конец недели" in first
