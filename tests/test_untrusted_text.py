"""Text from tickets, feeds and links shown as text (issue 18, findings 3, 4, 5 and 9).

A hostile feed writes an address deck.gl would run, Markdown that would fetch a pixel, HTML in a
department's name, formulas for a spreadsheet and a file on the server as a photo; every screen
must show all of it as the characters it is.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from access.permissions import Actor
from desk.actions import reassign
from feeds.importer import import_file
from queries.audit_log import AuditFilters
from queries.filters import Filters
from queries.lookups import district_list
from queries.map_points import map_points
from queries.tickets import ticket_card
from tests.pages import app
from ui import charts, wall_panels, workload
from ui.deck import build_deck
from ui.export import csv_text

NOW = datetime(2024, 5, 2, 12, tzinfo=UTC)
PIXEL = "![x](http://host.example/pixel.png)"
PHISH = "[Session expired - sign in](https://evil.example)"
EVIL_DEPT = '<a href="http://evil.example">Evil</a> works'
CATEGORY = "Pothole\n\n" + PIXEL
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile(engine, tmp_path):
    """One ticket whose every outside field is an attack, and one moved with a formula reason."""
    records = [{
        "service_request_id": "R-1", "status": "open", "service_name": CATEGORY,
        "description": PIXEL + "\n" + PHISH, "address": "@@=constructor.constructor('x')()",
        "agency_responsible": EVIL_DEPT, "requested_datetime": "2024-05-01T10:00:00Z",
        "lat": 44.6, "long": 33.5,
        "media_url": ["/etc/passwd", "file:///etc/passwd", "javascript:alert(1)",
                      "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/x.jpg",
                      "http://photos.example/1.jpg"],
    }, {
        "service_request_id": "@@=1+1", "status": "open", "service_name": "Lamp",
        "description": FORMULA, "address": "@@#GL.ONE", "agency_responsible": "Lights",
        "requested_datetime": "2024-05-01T11:00:00Z", "lat": 44.61, "long": 33.51,
    }]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(records))
    import_file(engine, path)
    assert reassign(engine, ["@@=1+1"], EVIL_DEPT, "-2+3 " + FORMULA,
                    Actor("=cmd|' /C calc'!A0", "dispatcher")).ok
    return engine


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_string_in_any_layer_reads_as_a_deck_expression(hostile):
    with hostile.connect() as conn:
        data = map_points(conn, Filters(as_of=NOW))
        districts = district_list(conn)
    deck = json.loads(build_deck(data, districts, "en").to_json())
    layers = deck["layers"]
    assert layers
    texts = [s for layer in layers for s in _strings(layer.get("data"))]
    assert any("constructor" in s for s in texts)  # the address is there, as text
    assert not [s for s in texts if s.startswith("@@")]
    # The tooltip is HTML: the department's link is shown, not followed.
    assert not [s for s in texts if "<a " in s]
    assert any("&lt;a href" in s for s in texts)


def _markdown_bodies(at) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "warning", "error", "info", "subheader",
                                 "title") for e in getattr(at, kind)]


LIVE_MARKDOWN = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|(?<!\\)(https?://)")


def test_the_card_shows_markdown_and_html_as_text(hostile, db_url, monkeypatch):
    at = app(monkeypatch, db_url, id="R-1")
    at.switch_page("screens/ticket.py").run()
    assert not at.exception
    bodies = _markdown_bodies(at) + [str(v) for tb in at.table for v in tb.value.iloc[:, 0]]
    shown = "\n".join(bodies)
    assert "pixel.png" in shown and "evil.example" in shown
    assert not [b for b in bodies if LIVE_MARKDOWN.search(b)], bodies
    card_images = [i for i in at.get("imgs")]
    assert all("passwd" not in str(i.proto) for i in card_images)


def test_a_link_in_the_ticket_parameter_is_not_a_link_in_the_warning(hostile, db_url,
                                                                      monkeypatch):
    at = app(monkeypatch, db_url, id=PHISH)
    at.switch_page("screens/ticket.py").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert warnings and "Session expired" in warnings[0]
    assert not LIVE_MARKDOWN.search(warnings[0])


def test_only_web_links_are_photos(hostile):
    with hostile.connect() as conn:
        card = ticket_card(conn, "R-1")
    assert card.photos == ["http://photos.example/1.jpg"]


def test_charts_and_workload_rows_show_html_in_names_as_text():
    frame = pd.DataFrame({"code": ["evil"], "department": [EVIL_DEPT], "department_ru": [None],
                          "open": [3], "overdue": [1], "at_risk": [1]})
    row = workload.rows(frame, "en")[0]
    for markdown in (workload.label(row, "en"), workload.tooltip(row, "en")):
        assert "\\<a href" in markdown and not re.search(r"(?<!\\)<a", markdown)
    channels = charts.channel_bars(pd.DataFrame({"code": ["x"], "name": [EVIL_DEPT],
                                                 "received_7d": [2]}), "en")
    assert all("<a" not in y for y in channels.data[0].y)


def test_the_meeting_screen_keeps_outside_text_inside_its_html():
    frame = pd.DataFrame({"external_id": ["R-1"], "status": ["new"],
                          "created_at": [NOW], "category": [CATEGORY],
                          "category_ru": [None], "district": ["<b>x</b>"],
                          "district_ru": [None]})
    markup = wall_panels.tickets(frame, set(), "en")
    assert "\n" not in markup and "![" not in markup and "](" not in markup and "<b>x" not in markup
    depts = wall_panels.departments(pd.DataFrame({"code": ["E"], "department": [CATEGORY],
                                           "department_ru": [None], "open": [2],
                                           "overdue": [1], "at_risk": [0]}), {}, "en")
    assert "\n" not in depts and "![" not in depts


def _read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_exported_cells_cannot_run():
    frame = pd.DataFrame({"a": [FORMULA, "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain"],
                          "n": [1, -2, 3, 4, 5, 6, 7]})
    out = _read_csv(csv_text(frame))
    assert list(out["a"]) == ["'" + FORMULA, "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain"]
    assert list(out["n"]) == ["1", "-2", "3", "4", "5", "6", "7"]  # numbers stay numbers


def test_the_audit_export_is_inert(hostile, db_url):
    from zoneinfo import ZoneInfo

    from db.engine import make_engine
    from ui import export

    build = export.audit_csv(make_engine(db_url), AuditFilters(), "en", ZoneInfo("Europe/Moscow"),
                             lambda code: code or "")
    out = _read_csv(build().decode("utf-8-sig"))
    cells = [v for column in out.columns for v in out[column]]
    assert "'=cmd|' /C calc'!A0" in cells and "'-2+3 " + FORMULA in cells
    assert not [v for v in cells if v[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_link_in_as_of_stays_text_even_quoted(hostile, db_url, monkeypatch):
    """`{value!r}` in a message must not undo the escapes by doubling the backslashes."""
    at = app(monkeypatch, db_url, as_of=PHISH).run()
    assert not at.exception
    warned = [w.value for w in at.warning if "Session expired" in w.value]
    assert warned and not LIVE_MARKDOWN.search(warned[0].replace("\\\\", ""))


@pytest.mark.parametrize(("link", "kept"), [
    ("https://city.example/photos/1.jpg", True),
    ("http://93.184.216.34/1.jpg", True),
    ("http://127.0.0.1/admin", False),
    ("http://169.254.169.254/latest/meta-data/", False),
    ("http://10.0.0.5/x.jpg", False),
    ("http://192.168.1.1/x.jpg", False),
    ("http://[::1]/x.jpg", False),
    ("http://[::ffff:127.0.0.1]/x.jpg", False),
    ("http://2130706433/x.jpg", False),
    ("http://localhost/x.jpg", False),
    ("http://intranet/x.jpg", False),
    ("http://files.corp/x.jpg", False),
    ("file:///etc/passwd", False),
])
def test_photos_come_only_from_public_hosts(link, kept):
    from db.links import is_public_photo_link
    assert is_public_photo_link(link) is kept
