"""Signing in as a department head in Chromium: their own page, whatever the link says, and no
way to move another department's ticket — on the page, and in the action code as that user. The
sign-in outlives a reload and a new tab, until signing out in any of them. A kiosk link opens the
meeting screen alone, until it is revoked. No secret reaches the server log."""

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from access import kiosk, users
from access.users import actor_for, find_user
from db.schema import OPEN_STATUSES, departments, tickets
from desk.actions import reassign
from tests.browser.conftest import PASSWORD, grid_column, shoot, wait_idle
from tests.browser.test_wall_fit_browser import english_words


def _department_tickets(url: str, code: str) -> set[str]:
    with create_engine(url).connect() as conn:
        return set(conn.execute(select(tickets.c.external_id).join(departments)
                                .where(departments.c.code == code)).scalars())


def test_a_head_signs_in_and_cannot_reassign_another_departments_ticket(server, demo_db, page):
    page.goto(f"{server.url}/department?dept=WATER")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Citydesk: sign in")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)  # no data before signing in
    page.get_by_label("User name", exact=True).fill("oleg")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong user name or password.").wait_for()
    assert page.get_by_label("Password", exact=True).input_value() == ""  # cleared after a try
    shoot(page, "sign-in")
    page.wait_for_timeout(1_500)  # after a failure the next try must wait a second

    server.open(page, "/department?dept=WATER", user="oleg")
    expect(page.get_by_role("heading", name="Road Management")).to_be_visible()
    expect(page.get_by_text("A department head sees their own department")).to_be_visible()
    expect(page.get_by_text("Signed in as oleg (department head)")).to_be_visible()
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    expect(picker.locator("input")).to_be_disabled()
    queue = set(grid_column(page, "Ticket"))
    water = _department_tickets(demo_db, "WATER")
    assert queue and queue <= _department_tickets(demo_db, "ROADS") and not queue & water

    with create_engine(demo_db).connect() as conn:
        head = actor_for(find_user(conn, "oleg"))
        # another department's open ticket (a small demo city may have none open for WATER)
        theirs = conn.execute(
            select(tickets.c.external_id).join(departments)
            .where(departments.c.code != "ROADS", tickets.c.status.in_(OPEN_STATUSES))
        ).scalars().first()
    assert theirs is not None
    result = reassign(create_engine(demo_db), [theirs], "ROADS", "mine now", head)
    assert not result.ok and [r.code for r in result.refusals] == ["forbidden"]
    assert result.refusals[0].detail["why"] == "other_department"

    log = Path(server.log.name).read_text()
    assert PASSWORD not in log and "not the password" not in log


def test_a_sign_in_outlives_a_reload_and_a_new_tab_until_signing_out(server, page):
    server.open(page, "/", user="irina")
    signed_in = page.get_by_text("Signed in as irina (leadership)")
    expect(signed_in).to_be_visible()
    token = {c["name"]: c["value"] for c in page.context.cookies()}["citydesk_session"]
    assert len(token) >= 43 and page.locator("script", has_text=token).count() == 0
    spent = page.locator('[data-testid="stSidebar"] [data-testid="stElementContainer"]'
                         ':has(> [data-testid="stHtml"])')
    expect(spent).to_have_css("display", "none")  # its empty element leaves no gap behind
    page.reload()
    wait_idle(page)
    expect(signed_in).to_be_visible()
    expect(page.get_by_role("heading", name="Citydesk: sign in")).to_have_count(0)

    tab = page.context.new_page()
    tab.goto(f"{server.url}/department?dept=WATER")
    wait_idle(tab)
    expect(tab.get_by_role("heading", name="Vodokanal (water and sewerage)")).to_be_visible()
    expect(tab.get_by_text("Signed in as irina (leadership)")).to_be_visible()

    tab.get_by_role("button", name="Sign out").click()
    tab.get_by_role("heading", name="Citydesk: sign in").wait_for()
    # the sign-in page's first element clears the cookie (a tab closed at once may beat it)
    tab.wait_for_function("() => !document.cookie.includes('citydesk_session=')")
    tab.close()
    page.reload()  # the other tab's sign-in has ended with it
    page.get_by_role("heading", name="Citydesk: sign in").wait_for()
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert not cookies.get("citydesk_session")  # cleared on signing out
    assert token not in Path(server.log.name).read_text()


def test_a_kiosk_link_opens_the_meeting_screen_alone_until_revoked(server, demo_db, page):
    engine = create_engine(demo_db)
    made, token = kiosk.issue(engine, "browser test room")
    page.goto(f"{server.url}/?kiosk={token}")
    wait_idle(page)
    expect(page.locator(".wall").first).to_be_visible()  # the meeting screen's panels
    expect(page.locator('[data-testid="stSidebar"]')).to_have_count(0)  # no menu, no sign-in
    page.goto(f"{server.url}/department?dept=ROADS&kiosk={token}")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Road Management")).to_have_count(0)
    expect(page.locator(".wall").first).to_be_visible()

    kiosk.revoke(engine, str(made.id))
    page.goto(f"{server.url}/?kiosk={token}")
    page.get_by_text("This meeting-screen link is not valid").wait_for()
    expect(page.locator(".wall")).to_have_count(0)
    assert token not in Path(server.log.name).read_text()


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_sign_in_keeps_the_name_counts_the_wait_down_and_speaks_russian(server, demo_db, page):
    engine = create_engine(demo_db)
    if users.find_user(engine.connect(), "countdown") is None:
        users.add_user(engine, "countdown", "viewer", PASSWORD)
    page.context.clear_cookies()
    page.goto(f"{server.url}/")
    wait_idle(page)
    button = page.get_by_role("button", name="Sign in")
    page.get_by_label("User name", exact=True).fill("countdown")
    wait = page.locator(".signin-wait")
    counted = []
    for _ in range(4):  # waits of 1, 2, 4, 8 s: a loaded machine may spend the first drawing it
        page.get_by_label("Password", exact=True).fill("a wrong guess")
        button.click()
        expect(page.get_by_label("Password", exact=True)).to_have_value("")  # tried
        page.get_by_text("Wrong user name or password.").wait_for()
        expect(page.get_by_label("User name", exact=True)).to_have_value("countdown")
        wait.wait_for()
        if re.fullmatch(r"Wait \d+ s before the next try\.", wait.inner_text()):
            counted.append(button.is_disabled())
        expect(wait).to_have_text("You can try again now.", timeout=20_000)
        expect(button).to_be_enabled()
        if counted:
            break
    assert counted == [True], "the wait is counted down with the button off"

    page.get_by_text("RU", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Citydesk: вход")).to_be_visible()
    assert page.get_by_label("Имя пользователя", exact=True).input_value() == "countdown"
    expect(page.locator(".signin-wait")).to_have_text("Можно попробовать снова.", timeout=40_000)
    shoot(page, "sign-in-ru")
    english = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", _main_text(page))} - {"citydesk"}
    assert not english & english_words(), english
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.get_by_role("heading", name="Citydesk: вход").wait_for(state="detached")
