"""No request leaves the machine: signed in as leadership, every page the menu offers (and the
meeting screen) asks nothing of any host but the dashboard's, its tab icon included."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.browser.conftest import wait_idle

PAGES = ("/", "/department?dept=ROADS", "/ticket", "/week", "/audit", "/wall")


def test_no_request_to_any_host_but_the_dashboards(server, page):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    server.open(page, "/", user="irina")
    for path in PAGES[1:]:
        page.goto(server.url + path)
        wait_idle(page)
    page.wait_for_timeout(1000)  # the icon is asked for after the page
    home = urlparse(server.url).netloc
    outside = sorted({u for u in asked if urlparse(u).scheme in ("http", "https")
                      and urlparse(u).netloc != home})
    assert outside == [], outside
    assert any("/_stcore/" in u for u in asked)  # the listener heard the page at all
