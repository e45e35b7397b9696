"""The overview page through AppTest: figures on screen equal the summary, drill-downs work,
bad links and a dead database give messages, never tracebacks."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from db.schema import departments
from devtools import oracle
from feeds.importer import import_file
from queries.filters import Filters
from queries.summary import summary
from tests.cities import seed
from tests.factory import add_ticket, reference
from tests.pages import app, city_map, metrics
from tests.test_importer import DATA
from ui import lazy, workload
from words.catalog import CATALOG
from words.formatting import duration, number, percent

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
AS_OF = "2026-11-26T12:30:00+03:00"


@pytest.fixture
def city(engine):
    seed(engine, 4000, 5, NOW, progress=False, days=40)
    return engine


def test_counters_on_screen_equal_the_summary(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    with city.connect() as conn:
        s = summary(conn, Filters(as_of=NOW, tz="Europe/Moscow"))
    shown = metrics(at)
    assert shown["Open"] == number(s["open"], "en")
    assert shown["Overdue"] == number(s["overdue"], "en")
    assert shown["At risk"] == number(s["at_risk"], "en")
    # a past view names its day instead of "today"
    assert shown["Received on 26 Nov"] == number(s["received_today"], "en")
    assert shown["Resolved on 26 Nov"] == number(s["resolved_today"], "en")
    assert shown["On time, 7 days"] == percent(s["on_time_pct_7d"], "en")
    assert shown["Median time to accept"] == duration(s["median_accept_s_7d"], "en")
    assert shown["Median time to resolve"] == duration(s["median_resolve_s_7d"], "en")


def test_the_live_header_names_its_instant_once(engine, db_url, monkeypatch):
    reference(engine)
    at = app(monkeypatch, db_url)
    at.run()
    assert not at.exception
    [header] = [c.value for c in at.caption if c.value.startswith("Figures as of")]
    clock = re.search(r"\d\d:\d\d:\d\d", header).group()
    assert header.count(clock) == 1 and header.endswith("(Moscow Time)"), header


def test_counter_drills_down_to_its_tickets(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    overdue = int(metrics(at)["Overdue"].replace(",", ""))
    at.button(key="drill_overdue").click().run()
    assert not at.exception
    assert at.query_params["subset"] == "overdue"
    caption = next(c.value for c in at.caption if re.match(r"\d+ of \d+ tickets", c.value))
    assert caption.startswith(f"{min(overdue, 50)} of {overdue} tickets")
    assert overdue > 0


def test_department_drill_down_from_a_link(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF, drill_dept="ROADS", subset="open")
    at.run()
    assert not at.exception
    # the drill-down is named at the top of the page, not in a grey caption
    assert "**Drill-down: Open · Road Management**" in [m.value for m in at.markdown]
    table = at.dataframe[0].value
    assert set(table["Department"]) == {"Road Management"}
    assert set(table["Status"]) <= {"New", "In progress"}
    at.button(key="drill_clear").click().run()  # one click clears it
    assert not at.exception
    assert "drill_dept" not in at.query_params and "subset" not in at.query_params
    assert not any(m.value.startswith("**Drill-down") for m in at.markdown)
    assert not at.dataframe  # the whole list is at the foot: drawn when the user gets there
    at.session_state[lazy.flag("tickets")] = True
    at.run()
    assert len(set(at.dataframe[0].value["Department"])) > 1


def test_the_table_at_the_foot_waits_until_the_user_reaches_it(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    assert not at.dataframe
    assert "Drawing…" in [c.value for c in at.caption]
    at.session_state[lazy.flag("tickets")] = True  # the browser's watcher said so
    at.run()
    table = at.dataframe[0].value
    frame = oracle.raw(city)
    opened = frame[oracle.open_at(frame, NOW)]
    assert len(table) == min(50, len(opened))
    assert any(c.value.startswith(f"{len(table)} of {len(opened):,} tickets")
               for c in at.caption)
    searched = app(monkeypatch, db_url, as_of=AS_OF, q="Road")  # a link's search: at once
    searched.run()
    assert searched.text_input(key="tickets_search").value == "Road"


def test_a_ticket_link_opens_its_card(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF, ticket="1563-00000007")
    at.run()
    assert not at.exception
    assert any(s.value == "Ticket 1563-00000007" for s in at.subheader)
    assert "Timeline" in [m.value.strip("*") for m in at.markdown]


def test_unknown_department_in_a_link_is_reported_and_ignored(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF, dept="NOPE,ROADS")
    at.run()
    assert not at.exception
    assert any("NOPE" in w.value for w in at.warning)
    assert at.multiselect(key="f_dept").value == ["ROADS"]


def test_bad_as_of_in_a_link_is_reported(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of="yesterday-ish")
    at.run()
    assert not at.exception
    assert any("as_of" in w.value for w in at.warning)


def test_russian_interface(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF, lang="ru")
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert "Открыто" in shown and "Просрочено" in shown
    assert at.title[0].value == "Обзор города"


def test_empty_database_says_how_to_fill_it(db_url, monkeypatch):
    at = app(monkeypatch, db_url)
    at.run()
    assert not at.exception
    assert metrics(at)["Open"] == "0"
    assert any("python -m db seed" in i.value for i in at.info)


def test_empty_department_and_due_now(engine, db_url, monkeypatch):
    reference(engine)
    add_ticket(engine, NOW.replace(hour=0), due=NOW, department="CEMETERY")
    at = app(monkeypatch, db_url, as_of=NOW.isoformat(), dept="ELEVATOR")
    at.run()
    assert not at.exception
    assert metrics(at)["Open"] == "0"
    at = app(monkeypatch, db_url, as_of=NOW.isoformat())
    at.run()
    assert (metrics(at)["Open"], metrics(at)["Overdue"], metrics(at)["At risk"]) == ("1", "0", "1")


def test_unreachable_database_gives_a_message_not_a_traceback(monkeypatch):
    at = app(monkeypatch, "postgresql+psycopg2://nobody@127.0.0.1:9/none")
    at.run()
    assert not at.exception
    assert any("unreachable" in e.value for e in at.error)


def test_ticket_page_shows_a_card_or_says_it_is_missing(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, id="1563-00000003")
    at.switch_page("screens/ticket.py").run()
    assert not at.exception
    assert any(s.value == "Ticket 1563-00000003" for s in at.subheader)
    at = app(monkeypatch, db_url, id="NO-SUCH")
    at.switch_page("screens/ticket.py").run()
    assert any("NO-SUCH" in w.value for w in at.warning)


def test_workload_chart_says_how_many_departments_it_shows(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    frame = oracle.raw(city)
    # only the departments with open tickets: a view is not padded with empty bars
    departments = frame[oracle.open_at(frame, NOW)]["department_code"].nunique()
    assert departments > 15
    assert any(f"Showing the 15 departments that need attention most of {departments}." in c.value
               for c in at.caption)


def test_a_city_with_few_departments_shows_them_all(engine, db_url, monkeypatch):
    import_file(engine, DATA / "open311_good.json", ZoneInfo("Europe/Berlin"))
    frame = oracle.raw(engine)
    as_of = datetime.fromisoformat("2024-04-01T12:00:00+02:00")
    departments = frame[oracle.open_at(frame, as_of)]["department_code"].nunique()
    at = app(monkeypatch, db_url, as_of=as_of.isoformat())
    at.run()
    assert not at.exception
    assert 0 < departments <= 15
    assert any(f"All {departments} departments, those that need attention most on top." in c.value
               for c in at.caption)


def _map_view(at) -> dict:
    return city_map(at)["frame"]


def test_the_map_frames_what_the_filters_pick_and_keeps_still_between(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    city_wide = _map_view(at)
    at.run()  # a refresh: the same frame
    assert _map_view(at) == city_wide
    at.multiselect(key="f_district").set_value(["balaklava"]).run()
    assert not at.exception
    balaklava = _map_view(at)
    assert balaklava["zoom"] > city_wide["zoom"]  # closer in, on the district's tickets
    assert balaklava["latitude"] < city_wide["latitude"]  # Balaklava lies south of the centre


def _english_words() -> set[str]:
    """Words of the interface's English that its Russian never uses."""
    russian = " ".join(v.get("ru", "") for v in CATALOG.values())
    return {w for entry in CATALOG.values() if entry.get("ru") and entry["ru"] != entry["en"]
            for w in re.findall(r"[A-Za-z]{3,}", entry["en"]) if w not in russian}


def test_russian_overview_has_no_english_interface_word(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF, lang="ru", subset="overdue")
    at.run()
    assert not at.exception
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown", "warning")
             for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [str(m.delta or "") for m in at.metric]
    texts += [b.label for b in at.button] + [tg.label for tg in at.toggle]
    for widget in [*at.selectbox, *at.multiselect]:
        texts += [widget.label, widget.placeholder or "", *map(str, widget.options)]
    texts += [d.label for d in at.date_input] if at.date_input else []
    texts += list(at.dataframe[0].value.columns)
    # Markdown's colour directives (":red[…]") are markup, not words on the page
    text = re.sub(r":(red|orange|blue|gray|green|violet)\[", "[", " ".join(texts))
    found = sorted(w for w in _english_words() if re.search(rf"\b{w}\b", text))
    assert not found, found
    assert "Поступило 26 нояб." in [m.label for m in at.metric]  # the past view names its day
    assert "(Москва)" in " ".join(c.value for c in at.caption)


def test_counter_changes_equal_the_independent_computation(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    frame = oracle.raw(city)
    now = oracle.counters(frame, NOW, "Europe/Moscow")
    then = oracle.counters(frame, NOW - timedelta(days=1), "Europe/Moscow")
    deltas = {m.label: m.delta for m in at.metric}
    for label, key in (("Overdue", "overdue"), ("At risk", "at_risk"), ("Open", "open"),
                       ("Received on 26 Nov", "received_today")):
        change = now[key] - then[key]
        sign = "+" if change > 0 else "-" if change < 0 else "±"
        assert deltas[label] == f"{sign}{abs(change):,} vs yesterday", label


def alarm(count: int, colour: str) -> str:
    return f":{colour}[**{number(count, 'en')}**]" if count else ":gray[0]"


def _workload_rows(at) -> list:
    return [b for b in at.button if (b.key or "").startswith(workload.KEY)]


def test_workload_rows_equal_the_independent_computation(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    frame, ev = oracle.raw(city), oracle.events(city)
    with city.connect() as conn:
        names = dict(conn.execute(select(departments.c.name, departments.c.code)).all())
    load = oracle.workload(frame, NOW, list(names.values()))
    name_of = {code: name for name, code in names.items()}
    busy = sorted((c for c in load if load[c]["open"]),
                  key=lambda c: (-load[c]["overdue"], -load[c]["at_risk"], -load[c]["open"],
                                 name_of[c]))
    rows = _workload_rows(at)
    assert len(rows) == min(workload.TOP, len(busy)) == 15
    handed = 0
    for button, code in zip(rows, busy, strict=False):
        name = button.help.split(": ")[0]
        assert names[name] == code  # worst first: overdue, then at risk, then open
        want = load[code]
        moved = oracle.handoffs(ev, NOW, code)
        mark = workload.handoff_mark(moved["received_from_others_7d"], moved["passed_on_7d"])
        assert button.label == (
            f"{workload.short(name)} · {alarm(want['overdue'], 'red')} · "
            f"{alarm(want['at_risk'], 'orange')} · {number(want['open'], 'en')}"
            + (f" :gray[{mark}]" if mark else "")), code
        handed += bool(mark)
    assert handed > 0, "the city hands tickets on (the test has teeth)"
    assert any(CATALOG["chart.handoffs"]["en"] in c.value for c in at.caption)


def test_the_services_behind_under_the_counters_equal_the_independent_computation(
        city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    frame = oracle.raw(city)
    with city.connect() as conn:
        names = dict(conn.execute(select(departments.c.code, departments.c.name)).all())
    load = oracle.workload(frame, NOW, list(names))
    behind = sorted((c for c in load if load[c]["overdue"] or load[c]["at_risk"]),
                    key=lambda c: (-load[c]["overdue"], -load[c]["at_risk"], -load[c]["open"],
                                   names[c]))[:workload.BEHIND]
    strip = [b for b in at.button if (b.key or "").startswith("behind_")]
    assert len(strip) == workload.BEHIND == len(behind)
    for button, code in zip(strip, behind, strict=True):
        assert button.help.split(": ")[0] == names[code]
        counts = " · ".join(alarm(load[code][k], colour) for k, colour in
                            (("overdue", "red"), ("at_risk", "orange")) if load[code][k])
        assert button.label == f"{counts} {workload.short(names[code], workload.BEHIND_CHARS)}"
    strip[1].click().run()  # the second opens its department's list, as its workload row does
    assert at.query_params["drill_dept"] in (behind[1], [behind[1]])


def test_nothing_behind_is_said_in_words(engine, db_url, monkeypatch):
    reference(engine)
    add_ticket(engine, NOW - timedelta(minutes=5), due=NOW + timedelta(hours=20))
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("behind_")]
    assert CATALOG["behind.none"]["en"] in [m.value for m in at.markdown]


def test_a_workload_row_lists_its_department(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    top = _workload_rows(at)[0]
    name = top.help.split(": ")[0]
    top.click().run()
    assert not at.exception
    assert at.query_params["drill_dept"]
    assert any(name in m.value for m in at.markdown), "the drill-down names the department"
    with city.connect() as conn:
        code = conn.execute(select(departments.c.code).where(departments.c.name == name)).scalar()
    assert at.query_params["drill_dept"] == code
    frame = oracle.raw(city)
    mine = frame[oracle.open_at(frame, NOW) & (frame["department_code"] == code)]
    assert any(number(len(mine), "en") in c.value for c in at.caption), "its count is shown"


def test_the_trends_wait_until_the_user_reaches_them(city, db_url, monkeypatch):
    at = app(monkeypatch, db_url, as_of=AS_OF)
    at.run()
    assert not at.exception
    assert not at.get("plotly_chart"), "no chart library before the user scrolls down"
    assert any(c.value == CATALOG["lazy.drawing"]["en"] for c in at.caption)
    at.session_state[lazy.flag("trends")] = True  # the browser's watcher said so
    at.run()
    [chart] = at.get("plotly_chart")
    bars = json.loads(chart.proto.spec)["data"][0]["y"]  # plotly's typed array
    daily = np.frombuffer(base64.b64decode(bars["bdata"]), dtype=bars["dtype"])
    frame = oracle.raw(city)
    start = (NOW.astimezone(ZoneInfo("Europe/Moscow")) - timedelta(days=29)).date()
    local = frame["created_at"].dt.tz_convert("Europe/Moscow")
    received = local[(local.dt.date >= start) & (frame["created_at"] <= NOW)]
    assert len(daily) == 30 and int(daily.sum()) == len(received) > 0
