"""Alerts (issue 28) on both databases, against a real SMTP server and a fake Bot API on loopback:
on the demo city with an incident played and tickets crossing into at risk and overdue, passes
at several instants deliver each alert once and only once (also two `notify --once` at the same
moment, and after a kill in the middle of a pass); quiet hours hold their messages until the
end; the morning's figures and the week's PDF arrive at their time; a failed delivery is retried
with backoff and shown with the feeds' health; no secret appears in any output or table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, select, update

from db.config import ROOT, at_risk_window
from db.engine import make_engine
from db.schema import departments, feeds, notifications, tickets
from demo.seed import seed
from queries.feeds import feed_health
from reports.alert_rules import AlertRulesError, load, parse
from reports.notifier import Notifier, PastInstant
from tests.conftest import fresh_database
from tests.factory import add_ticket
from tests.notify_fakes import bot_server, smtp_server
from tests.test_auth_pages import pages
from tests.test_incidents import burst_instants, plant

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday, 12:30 in the city
TOKEN = "4242:SECRET-bot-token-XYZ"
SMTP_USER, SMTP_PASSWORD = "desk", "SECRET-smtp-pw-77"
SECRETS = (TOKEN, SMTP_PASSWORD, "SECRET")
TZ = "Europe/Moscow"
# Passes through the afternoon: tickets cross into at risk (due − now ≤ 2 h) and then overdue.
AFTERNOON = [NOW, NOW + timedelta(minutes=30), NOW + timedelta(hours=1, minutes=5),
             NOW + timedelta(hours=2), NOW + timedelta(hours=3, minutes=10)]


@dataclass(frozen=True)
class City:
    engine: Engine
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(request, tmp_path_factory) -> Iterator[City]:
    """Twenty days of the demo city up to NOW, an incident played (30 no-water reports in the
    last hour) and road tickets due through the afternoon; built once per database."""
    with fresh_database(request, request.param, tmp_path_factory.mktemp("notify"),
                        "city.db") as url:
        engine = make_engine(url)
        seed(engine, 3000, 1563, NOW, progress=False, days=20)
        plant(engine, burst_instants(), prefix="INC")
        for k, hours in enumerate((1.0, 1.5, 2.5, 3.0, 4.5)):  # crossing into at risk, then overdue
            add_ticket(engine, NOW - timedelta(hours=20), due=NOW + timedelta(hours=hours),
                       department="ROADS", external_id=f"RD-{k}")
        add_ticket(engine, NOW - timedelta(hours=20), due=NOW + timedelta(hours=1),
                   department="WATER", category="no_water", external_id="WT-0")
        yield City(engine, url)
        engine.dispose()


@pytest.fixture(scope="module")
def smtp():
    controller, box = smtp_server(SMTP_USER, SMTP_PASSWORD)
    yield controller, box
    controller.stop()


@pytest.fixture(scope="module")
def bot():
    server, api = bot_server(TOKEN)
    yield server, api
    server.shutdown()


RULES = """
base_url = "https://desk.city.example"
morning = "08:00"
week = "Fri 08:30"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
sender = "citydesk@city.example"

[[recipient]]
name = "mayor"
email = "mayor@city.example"
lang = "ru"
gets = ["incident", "spike", "feed", "morning", "week"]

[[recipient]]
name = "roads"
telegram_chat = "-1001"
department = "ROADS"
gets = ["at_risk", "overdue", "incident"]
quiet = "22:00-07:00"

[[recipient]]
name = "water"
telegram_chat = "-1002"
department = "Водоканал"
lang = "en"
gets = ["at_risk", "incident"]

[[recipient]]
name = "board"
telegram_chat = "-1003"
gets = ["week"]
"""


@dataclass
class Desk:
    city: City
    rules: Path
    box: object
    api: object
    env: dict[str, str]

    def notifier(self) -> Notifier:
        return Notifier(self.city.engine, load(self.rules), 60, ZoneInfo(TZ), at_risk_window())

    def cli(self, now: datetime, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "db", "notify", "--once", "--rules", str(self.rules),
             "--now", now.isoformat(), *extra], cwd=ROOT, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def rows(self) -> pd.DataFrame:
        with self.city.engine.connect() as conn:
            return pd.DataFrame(conn.execute(select(notifications)).mappings().all(),
                                columns=list(notifications.c.keys()))

    def telegram(self, chat: str, method: str = "sendMessage") -> list:
        return [s for s in self.api.sent if s.chat == chat and s.method == method]


@pytest.fixture
def desk(city, smtp, bot, tmp_path, monkeypatch) -> Desk:
    """The shared city with no alert recorded yet, both servers empty, the secrets set."""
    with city.engine.begin() as conn:
        conn.execute(delete(notifications))
        conn.execute(delete(feeds).where(feeds.c.name.in_(("notify", "open311 test"))))
    smtp[1].mails.clear()
    smtp[1].refuse = 0
    bot[1].clear()
    env = {"CITYDESK_NOTIFY_TELEGRAM_TOKEN": TOKEN, "CITYDESK_SMTP_USER": SMTP_USER,
           "CITYDESK_SMTP_PASSWORD": SMTP_PASSWORD, "CITY_TZ": TZ,
           "CITYDESK_NOTIFY_TELEGRAM_API_URL": f"http://127.0.0.1:{bot[0].server_port}",
           "DATABASE_URL": city.url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rules = tmp_path / "notify.toml"
    rules.write_text(RULES.format(smtp_port=smtp[0].port), encoding="utf-8")
    return Desk(city, rules, smtp[1], bot[1], {**os.environ, **env})


def expected(engine: Engine, subset: str, department: str, instants: list[datetime],
             since: datetime | None = None) -> set[str]:
    """Independently, from the raw rows: the department's tickets at risk (open, now ≤ due ≤
    now + 2 h) or overdue (open, due < now, due after `since`) at any of the instants."""
    with engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(
            select(tickets.c.external_id, tickets.c.created_at, tickets.c.ended_at,
                   tickets.c.due_at, departments.c.code)
            .join(departments, departments.c.id == tickets.c.department_id)).all(),
            columns=["id", "created", "ended", "due", "dept"])
    raw = raw[raw.dept == department]
    found: set[str] = set()
    for now in instants:
        live = raw[(raw.created <= now) & (raw.ended.isna() | (raw.ended > now))]
        if subset == "at_risk":
            hit = live[(live.due >= now) & (live.due <= now + timedelta(hours=2))]
        else:
            hit = live[(live.due < now) & (live.due > since)]
        found |= set(hit.id)
    return found


def listed(lines: list[str]) -> Counter:
    """How often each ticket id is listed across digests' lines."""
    return Counter(line.split(" · ")[0] for text_ in lines for line in text_.splitlines()[1:]
                   if " · " in line)


def test_passes_through_the_afternoon_deliver_each_alert_once(desk):
    notifier = desk.notifier()
    for now in AFTERNOON:
        notifier.run(now)
    for _ in range(2):  # the last instant again, and after a restart: nothing new
        assert notifier.run(AFTERNOON[-1]).recorded == 0
        notifier = desk.notifier()
    roads = [s.text for s in desk.telegram("-1001")]
    at_risk = [m for m in roads if m.startswith("At risk")]
    overdue = [m for m in roads if m.startswith("Passed")]
    want_risk = expected(desk.city.engine, "at_risk", "ROADS", AFTERNOON)
    want_overdue = expected(desk.city.engine, "overdue", "ROADS", AFTERNOON,
                            since=AFTERNOON[0] - timedelta(minutes=11))
    assert {f"RD-{k}" for k in range(5)} <= want_risk
    assert listed(at_risk) == Counter({i: 1 for i in want_risk})
    assert {"RD-0", "RD-1"} <= want_overdue
    assert listed(overdue) == Counter({i: 1 for i in want_overdue})
    assert len(at_risk) <= len(AFTERNOON)  # one digest per pass at most
    assert "https://desk.city.example/ticket?id=RD-0" in "\n".join(at_risk)
    # the water ticket is water's, and the incident reaches each recipient once
    assert "WT-0" in "\n".join(s.text for s in desk.telegram("-1002"))
    assert "WT-0" not in "\n".join(roads)
    incidents = [s.text for s in desk.telegram("-1002") if s.text.startswith("Incident")]
    assert len(incidents) == 1 and "No cold water" in incidents[0] and "Gagarinsky" in incidents[0]
    roads_incidents = [m for m in roads if m.startswith("Incident")]
    assert not [m for m in roads_incidents if "No cold water" in m]  # not the roads' category
    assert len(roads_incidents) == len(set(roads_incidents))
    mayor = [m for m in desk.box.mails]
    assert [m.subject for m in mayor].count(mayor[0].subject) == 1
    assert any("Инцидент: «Нет холодной воды», " in m.text and "сообщений — 30" in m.text
               for m in mayor), \
        [m.text for m in mayor]
    assert all(m.to == ["mayor@city.example"] for m in mayor)
    rows = desk.rows()
    assert set(rows.state) == {"sent"}
    assert not rows.duplicated(["kind", "key", "recipient", "channel"]).any()


def test_a_ticket_moved_to_another_department_is_the_new_ones(desk):
    notifier = desk.notifier()
    notifier.run(NOW)
    assert "WT-0" not in "\n".join(s.text for s in desk.telegram("-1001"))
    with desk.city.engine.begin() as conn:
        roads = conn.execute(select(departments.c.id).where(departments.c.code == "ROADS"))
        water = conn.execute(select(departments.c.id).where(departments.c.code == "WATER"))
        roads, water = roads.scalar_one(), water.scalar_one()
        conn.execute(update(tickets).where(tickets.c.external_id == "WT-0")
                     .values(department_id=roads))
    try:
        notifier.run(NOW + timedelta(minutes=1))
    finally:
        with desk.city.engine.begin() as conn:
            conn.execute(update(tickets).where(tickets.c.external_id == "WT-0")
                         .values(department_id=water))
    assert listed([s.text for s in desk.telegram("-1001")])["WT-0"] == 1
    assert listed([s.text for s in desk.telegram("-1002")])["WT-0"] == 1


def test_two_notifiers_at_the_same_moment_send_each_alert_once(desk):
    runs = [desk.cli(NOW), desk.cli(NOW)]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert listed([s.text for s in desk.telegram("-1001")]) == Counter(
        {i: 1 for i in expected(desk.city.engine, "at_risk", "ROADS", [NOW])})
    incident_mails = [m.subject for m in desk.box.mails if "Инцидент" in m.text]
    assert len(incident_mails) == 2 and len(set(incident_mails)) == 2  # no water; potholes
    assert len([s for s in desk.telegram("-1002") if s.text.startswith("Incident")]) == 1
    assert set(desk.rows().state) == {"sent"}
    for out, err in outputs:
        assert not any(secret in out + err for secret in SECRETS)


def test_a_notifier_killed_mid_pass_leaves_nothing_sent_twice_or_lost(desk):
    desk.api.hold_at = 2  # the second Telegram message hangs; the notifier is killed meanwhile
    run = desk.cli(NOW)
    assert desk.api.held.wait(120), run.communicate(timeout=5)
    run.send_signal(signal.SIGKILL)
    run.wait(30)
    desk.api.release.set()
    claimed = desk.rows()
    assert (claimed.state == "pending").any()  # the pass stopped in the middle
    before = len(desk.api.sent)
    assert before == 1
    # within the lease, another pass leaves the held messages alone; after it, it takes them
    desk.api.hold_at = None
    second = desk.cli(NOW + timedelta(minutes=1))
    assert second.wait(240) == 0
    third = desk.cli(NOW + timedelta(minutes=7))
    assert third.wait(240) == 0, third.communicate()
    rows = desk.rows()
    assert set(rows.state) == {"sent"}
    texts = [s.text for s in desk.api.sent]
    assert len(texts) == len(set(texts))  # nothing delivered twice
    want = expected(desk.city.engine, "at_risk", "ROADS", [NOW])
    assert listed([s.text for s in desk.telegram("-1001")]) == Counter({i: 1 for i in want})


def test_quiet_hours_hold_messages_until_their_end(desk):
    notifier = desk.notifier()
    notifier.run(NOW)
    sent_before = len(desk.telegram("-1001"))
    night = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)  # 23:00 in the city: roads are quiet
    add_ticket(desk.city.engine, night - timedelta(hours=20), due=night + timedelta(hours=1),
               department="ROADS", external_id="RD-NIGHT")
    try:
        notifier.run(night)
        notifier.run(datetime(2026, 11, 27, 3, 59, tzinfo=UTC))  # 06:59: still quiet
        assert len(desk.telegram("-1001")) == sent_before
        held = desk.rows().query("key == 'RD-NIGHT'").sort_values("kind")
        assert list(held.kind) == ["at_risk", "overdue"]  # it became overdue at 00:00
        assert list(held.state) == ["pending", "pending"]
        assert set(held.not_before) == {datetime(2026, 11, 27, 4, 0, tzinfo=UTC)}
        notifier.run(datetime(2026, 11, 27, 4, 0, tzinfo=UTC))  # 07:00: the quiet ends
        after = [s.text for s in desk.telegram("-1001")][sent_before:]
        assert listed([m for m in after if m.startswith("At risk")])["RD-NIGHT"] == 1
        line = next(x for m in after for x in m.splitlines() if x.startswith("RD-NIGHT"))
        assert "(overdue by 7 h)" in line  # written when sent, not when held
        assert listed([m for m in after if m.startswith("Passed")])["RD-NIGHT"] == 1
    finally:
        with desk.city.engine.begin() as conn:
            conn.execute(delete(tickets).where(tickets.c.external_id == "RD-NIGHT"))


def test_the_morning_figures_and_the_weeks_pack_arrive_at_their_time(desk):
    notifier = desk.notifier()
    friday = datetime(2026, 11, 27, 4, 55, tzinfo=UTC)  # 07:55 in the city
    notifier.run(friday)
    assert not [m for m in desk.box.mails if "Доброе утро" in m.text]
    notifier.run(friday + timedelta(minutes=10))  # 08:05
    notifier.run(friday + timedelta(minutes=40))  # 08:35: the week's pack
    notifier.run(friday + timedelta(hours=3))  # too late for either: nothing more
    mornings = [m for m in desk.box.mails if "Доброе утро" in m.text]
    assert len(mornings) == 1 and "утренние показатели" in mornings[0].subject
    with desk.city.engine.connect() as conn:
        from queries.counters import counters
        from queries.filters import Filters
        c = counters(conn, Filters(as_of=friday + timedelta(minutes=10), tz=TZ))
    assert f"открыто {c.open:,}".replace(",", "\u00a0") in mornings[0].text \
        or f"открыто {c.open}" in mornings[0].text
    packs = [m for m in desk.box.mails if m.attachments]
    assert len(packs) == 1
    (name, pdf), = packs[0].attachments.items()
    assert name == "citydesk-week-2026-W47.pdf" and pdf.startswith(b"%PDF")
    documents = desk.telegram("-1003", "sendDocument")
    assert len(documents) == 1 and documents[0].document == "citydesk-week-2026-W47.pdf"
    assert documents[0].size > 1000 and "2026-W47" in documents[0].text


def test_a_failed_delivery_is_retried_with_backoff_and_shown(desk):
    notifier = desk.notifier()
    desk.api.fail = 2  # two answers 502, echoing the request's path (which holds the token)
    report = notifier.run(NOW)
    assert report.failed >= 1
    with desk.city.engine.connect() as conn:
        health = {h.name: h for h in feed_health(conn, NOW)}["notify"]
    assert health.failing and "502" in health.last_error
    assert TOKEN not in health.last_error and "***" in health.last_error
    failed = desk.rows().query("attempts > 0")
    assert len(failed) and set(failed.state) == {"pending"}
    assert not failed.last_error.str.contains("SECRET").any()
    assert notifier.run(NOW + timedelta(seconds=30)).failed == 0  # backoff: not yet
    assert len(desk.rows().query("attempts > 0 and state == 'pending'")) == len(failed)
    notifier.run(NOW + timedelta(minutes=3))
    rows = desk.rows()
    assert set(rows.state) == {"sent"}
    with desk.city.engine.connect() as conn:
        health = {h.name: h for h in feed_health(conn, NOW + timedelta(minutes=3))}["notify"]
    assert not health.failing
    assert listed([s.text for s in desk.telegram("-1001")]) == Counter(
        {i: 1 for i in expected(desk.city.engine, "at_risk", "ROADS", [NOW])})
    # an SMTP server that refuses for a while: the mail waits and then arrives, once
    desk.box.refuse = 1
    with desk.city.engine.begin() as conn:
        conn.execute(feeds.insert().values(name="open311 test", kind="open311", every_seconds=60,
                                           last_attempt_at=NOW, last_success_at=NOW))
    later = NOW + timedelta(minutes=10)
    assert notifier.run(later).failed == 1
    notifier.run(later + timedelta(minutes=2))
    stale = [m for m in desk.box.mails if "отстал" in m.text]
    assert len(stale) == 1 and "open311 test" in stale[0].text


def test_a_stale_feed_is_told_and_again_when_it_recovers(desk):
    notifier = desk.notifier()
    with desk.city.engine.begin() as conn:
        conn.execute(feeds.insert().values(name="open311 test", kind="open311", every_seconds=60,
                                           last_attempt_at=NOW, last_success_at=NOW))
    notifier.run(NOW + timedelta(minutes=1))
    notifier.run(NOW + timedelta(minutes=10))
    notifier.run(NOW + timedelta(minutes=20))
    with desk.city.engine.begin() as conn:
        conn.execute(update(feeds).where(feeds.c.name == "open311 test")
                     .values(last_success_at=NOW + timedelta(minutes=29)))
    notifier.run(NOW + timedelta(minutes=30))
    notifier.run(NOW + timedelta(minutes=31))
    feed_mails = [m.text for m in desk.box.mails if "open311 test" in m.text]
    assert len(feed_mails) == 2
    assert "отстал" in feed_mails[0] and "восстановлен" in feed_mails[1]


def test_nothing_is_sent_from_a_past_instant(desk):
    notifier = desk.notifier()
    notifier.run(NOW)
    with pytest.raises(PastInstant):
        notifier.run(NOW - timedelta(hours=1))
    run = desk.cli(NOW - timedelta(hours=1))
    _, err = run.communicate(timeout=240)
    assert run.returncode == 2 and err.count("\n") == 1 and "past view" in err


def test_no_secret_in_any_table_or_output(desk):
    desk.api.fail = 1
    run = desk.cli(NOW)
    out, err = run.communicate(timeout=240)
    run = desk.cli(NOW + timedelta(minutes=5))
    out2, err2 = run.communicate(timeout=240)
    assert out and "delivered" in out2
    with desk.city.engine.connect() as conn:
        dump = "\n".join(str(tuple(row)) for table in (notifications, feeds)
                         for row in conn.execute(select(table)))
    assert "502" in dump
    for secret in SECRETS:
        assert secret not in out + err + out2 + err2 + dump


def test_a_bad_rules_file_is_refused_whole_in_one_line(desk, tmp_path):
    bad = RULES.format(smtp_port=25).replace('gets = ["week"]', 'gets = ["weak"]')
    with pytest.raises(AlertRulesError, match="recipient 'board': gets: unknown kind 'weak'"):
        parse(bad)
    path = tmp_path / "bad.toml"
    path.write_text(bad.replace('department = "ROADS"', 'department = "Nowhere"'))
    run = subprocess.run([sys.executable, "-m", "db", "notify", "--once", "--rules", str(path)],
                         cwd=ROOT, env=desk.env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "unknown kind 'weak'" in run.stderr
    for wrong, said in (("quiet = \"22:00-07:00\"", "quiet = \"late\""),
                        ("port = 25", "port = 0"), ("lang = \"ru\"", "lang = \"fr\"")):
        with pytest.raises(AlertRulesError):
            parse(RULES.format(smtp_port=25).replace(wrong.replace("25", "{smtp_port}")
                                                     .format(smtp_port=25), said))
    assert desk.rows().empty


def test_the_shipped_example_is_a_valid_rules_file(monkeypatch):
    monkeypatch.setenv("CITYDESK_NOTIFY_TELEGRAM_TOKEN", TOKEN)
    rules = load(ROOT / "db" / "data" / "notify_example.toml")
    assert [r.name for r in rules.recipients] == ["mayor", "roads"]
    assert TOKEN not in repr(rules)
    monkeypatch.delenv("CITYDESK_NOTIFY_TELEGRAM_TOKEN")
    with pytest.raises(AlertRulesError, match="CITYDESK_NOTIFY_TELEGRAM_TOKEN"):
        load(ROOT / "db" / "data" / "notify_example.toml")


def _page(desk: Desk, monkeypatch, actor=None, lang: str = "en"):
    from tests.pages import LEADER, app
    at = app(monkeypatch, desk.city.url, actor=actor or LEADER, lang=lang)
    return at.switch_page("screens/alerts.py").run()


def test_leadership_sees_filters_and_exports_what_was_sent(desk, monkeypatch):
    from queries.alerts import AlertFilters
    from ui.export import alerts_csv
    desk.api.fail = 1
    desk.notifier().run(NOW)
    rows = desk.rows()
    at = _page(desk, monkeypatch)
    assert not at.exception
    assert at.title[0].value == "Alerts"
    grid = at.dataframe[0].value
    assert list(grid.columns) == ["Recorded", "What", "To", "By", "State", "Delivered at",
                                  "Attempts", "Text", "Last error"]
    assert len(grid) == min(len(rows), 50)
    assert f"{min(len(rows), 50)} of {len(rows)} messages" in [c.value for c in at.caption]
    assert "Waiting" in set(grid["State"]) and "Delivered" in set(grid["State"])
    at.selectbox(key="alerts_recipient").select("roads").run()
    grid = at.dataframe[0].value
    assert set(grid["To"]) == {"roads"}
    assert len(grid) == min((rows.recipient == "roads").sum(), 50)
    at.selectbox(key="alerts_state").select("pending").run()
    grid = at.dataframe[0].value
    pending = rows[(rows.recipient == "roads") & (rows.state == "pending")]
    assert len(grid) == len(pending) and set(grid["Attempts"]) == {1}
    assert all("***" in e and TOKEN not in e for e in grid["Last error"])
    csv = alerts_csv(desk.city.engine, AlertFilters(recipient="roads", state="pending"), "en",
                     ZoneInfo(TZ))().decode("utf-8-sig")
    assert csv.count("\n") == len(pending) + 1 and TOKEN not in csv


def test_the_alerts_page_in_russian_and_for_leadership_only(desk, monkeypatch):
    import re

    from access.permissions import Actor
    from tests.test_overview_page import _english_words
    desk.notifier().run(NOW)
    at = _page(desk, monkeypatch, lang="ru")
    assert not at.exception
    texts = [at.title[0].value, *[c.value for c in at.caption]]
    for widget in [at.selectbox(key="alerts_recipient"), at.selectbox(key="alerts_state"),
                   at.multiselect(key="alerts_kinds")]:
        texts += [widget.label, widget.placeholder or "", *map(str, widget.options)]
    grid = at.dataframe[0].value
    texts += [*grid.columns, *grid["Вид"], *grid["Способ"], *grid["Состояние"]]
    found = sorted(w for w in _english_words() if re.search(rf"\b{w}\b", " ".join(texts)))
    assert not found, found
    head = _page(desk, monkeypatch, actor=Actor("roman", "head", "ROADS"))
    assert not head.exception and head.title[0].value == "Road Management"  # their queue
    assert not [w for w in head.selectbox if w.key == "alerts_recipient"]
    assert "Alerts" not in [e.value for e in head.title]
    assert "alerts.py" not in pages(head)


def test_a_retry_that_meets_quiet_hours_waits_for_their_end(desk):
    notifier = desk.notifier()
    evening = datetime(2026, 11, 26, 18, 58, tzinfo=UTC)  # 21:58 in the city
    add_ticket(desk.city.engine, evening - timedelta(hours=20),
               due=evening + timedelta(hours=1), department="ROADS", external_id="RD-EVE")
    try:
        desk.api.fail = 10
        notifier.run(evening)
        desk.api.fail = 0
        notifier.run(evening + timedelta(minutes=7))  # 22:05: the retry is due, roads are quiet
        assert not listed([s.text for s in desk.telegram("-1001")])["RD-EVE"]
        row = desk.rows().query("key == 'RD-EVE' and kind == 'at_risk'").iloc[0]
        assert row.state == "pending" and row.attempts == 1
        assert row.not_before == datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
        notifier.run(datetime(2026, 11, 27, 4, 1, tzinfo=UTC))
        assert listed([s.text for s in desk.telegram("-1001") if s.text.startswith("At risk")]
                      )["RD-EVE"] == 1
    finally:
        with desk.city.engine.begin() as conn:
            conn.execute(delete(tickets).where(tickets.c.external_id == "RD-EVE"))


def test_an_incident_whose_first_report_closes_is_not_told_again(desk):
    notifier = desk.notifier()
    notifier.run(NOW)
    first = [s.text for s in desk.telegram("-1002") if s.text.startswith("Incident")]
    assert len(first) == 1
    with desk.city.engine.begin() as conn:
        kept = conn.execute(select(tickets.c.external_id, tickets.c.resolved_at,
                                   tickets.c.ended_at, tickets.c.status)
                            .where(tickets.c.external_id == "INC-000")).one()
        conn.execute(update(tickets).where(tickets.c.external_id == "INC-000").values(
            resolved_at=NOW, ended_at=NOW, status="resolved"))
    try:
        assert notifier.run(NOW + timedelta(minutes=1)).recorded == 0
    finally:
        with desk.city.engine.begin() as conn:
            conn.execute(update(tickets).where(tickets.c.external_id == "INC-000").values(
                resolved_at=kept.resolved_at, ended_at=kept.ended_at, status=kept.status))
    assert [s.text for s in desk.telegram("-1002") if s.text.startswith("Incident")] == first


def test_the_notifier_shows_where_feed_health_is_shown(desk, monkeypatch):
    from tests.pages import app
    from ui import data
    desk.api.fail = 1
    desk.notifier().run(NOW)
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW + timedelta(seconds=30))
    at = app(monkeypatch, desk.city.url, as_of=NOW.isoformat()).run()
    assert not at.exception
    grids = [d.value for d in at.dataframe if "Feed" in d.value.columns]
    row = grids[0].set_index("Feed").loc["notify"]
    assert row["Kind"] == "Alerts (notifier)" and row["State"] == "Failing"
    assert "502" in row["Last error"] and "***" in row["Last error"]
    assert TOKEN not in row["Last error"]
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW + timedelta(minutes=10))
    at = app(monkeypatch, desk.city.url, as_of=NOW.isoformat()).run()
    assert any(w.value.startswith("Alerts are not being sent") for w in at.warning)


def test_a_long_digest_lists_25_tickets_and_links_to_the_rest():
    from reports.alert_text import DIGEST_LINES, digest
    lines = [f"T-{k} · Pothole · due … · https://desk.city.example/ticket?id=T-{k}"
             for k in range(30)]
    title, body = digest("at_risk", lines, "en", "Road Management",
                         "https://desk.city.example/department?dept=ROADS&subset=at_risk")
    assert title == "30 tickets at risk (Road Management)"
    shown = body.splitlines()
    assert shown[0] == "At risk of breaching their deadline (Road Management): 30 tickets."
    assert shown[1:DIGEST_LINES + 1] == lines[:DIGEST_LINES]
    assert shown[-1] == ("…and 5 more: "
                         "https://desk.city.example/department?dept=ROADS&subset=at_risk")


def test_the_command_runs_a_pass_every_interval_until_stopped(desk):
    run = subprocess.Popen(
        [sys.executable, "-m", "db", "notify", "--every", "1", "--rules", str(desk.rules)],
        cwd=ROOT, env=desk.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [run.stdout.readline() for _ in range(2)]
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert all(line.startswith("notify: 20") and "delivered" in line for line in lines), lines
    for wrong, said in ((["--every", "0"], "--every must be at least 1 second"),
                        (["--now", NOW.isoformat()], "--now goes with --once"),
                        (["--once", "--now", "yesterday"], "--now: not an ISO-8601 instant")):
        bad = subprocess.run([sys.executable, "-m", "db", "notify", "--rules", str(desk.rules),
                              *wrong], cwd=ROOT, env=desk.env, capture_output=True, text=True,
                             timeout=120)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
        assert bad.stderr.startswith(f"notify: {said}"), bad.stderr
