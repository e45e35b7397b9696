"""docs/own-city.md, followed step by step from an empty database to a signed-in overview of Los
Angeles' real export with its own districts, on SQLite and PostgreSQL: the zone, the import, the
districts, the deadline rules, the first user, the meeting screen's link."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from sqlalchemy import func, select

from db.__main__ import main
from db.schema import districts, tickets
from tests.pages import app, city_map, metrics
from words.catalog import CATALOG

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
LA = "America/Los_Angeles"
AS_OF = "2017-12-31T12:00:00-08:00"
PASSWORD = "a long enough password"
WEEK = ", ".join(f'{day} = "08:00-17:00"' for day in ("mon", "tue", "wed", "thu", "fri"))
RULES = """# Los Angeles: bulky items within three working days, graffiti within two calendar days
[calendar]
hours = { WEEK }
holidays = ["2017-12-25", "2018-01-01"]

[[rule]]
category = "Bulky Items"
hours = 27
clock = "working"

[[rule]]
category = "Graffiti Removal"
hours = 48
clock = "calendar"
""".replace("WEEK", WEEK)


def sign_in(at, name: str, password: str):
    name_box, password_box = at.text_input
    name_box.input(name)
    password_box.input(password)
    at.button[0].click()
    return at.run()


def test_the_own_city_steps_lead_to_a_signed_in_overview(engine, db_url, monkeypatch,
                                                         tmp_path, capsys):
    doc = (ROOT / "docs" / "own-city.md").read_text(encoding="utf-8")
    steps = re.findall(r"^## (\d)\. (.+)$", doc, re.MULTILINE)
    assert [title for _, title in steps] == [
        "The city's zone", "Import or sync its tickets", "Its districts", "Its deadline rules",
        "Its users", "The meeting screen's link"]

    # 1. the zone, and a database at the newest migration
    monkeypatch.setenv("CITY_TZ", LA)
    assert main(["--database", db_url, "migrate"]) == 0

    # Before any user: the sign-in page says how to make the first one.
    at = app(monkeypatch, db_url, actor=None)
    monkeypatch.setenv("CITY_TZ", LA)
    at.run()
    assert not at.exception
    assert [i.value for i in at.info] == [CATALOG["auth.no_users"]["en"]]
    assert [c.value for c in at.code] == ["python -m db user add NAME --role leadership"]

    # 2. the export
    assert main(["--database", db_url, "import", str(DATA / "la311_2017_sample.csv")]) == 1
    assert "1498 inserted, 0 updated, 0 unchanged, 1 skipped" in capsys.readouterr().out

    # 3. the districts
    assert main(["--database", db_url, "districts", "load",
                 str(DATA / "la_neighborhood_councils_2019.geojson"), "--name-field", "name"]) == 0
    assert capsys.readouterr().out.startswith("loaded 99 districts")

    # 4. the deadline rules, for the open tickets too
    rules = tmp_path / "los_angeles_sla.toml"
    rules.write_text(RULES, encoding="utf-8")
    assert main(["--database", db_url, "sla", "load", str(rules), "--recompute"]) == 0
    assert "loaded 2 rules" in capsys.readouterr().out

    # 5. the first user, leadership
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--database", db_url, "user", "add", "lena", "--role", "leadership"]) == 0
    assert capsys.readouterr().out == "added lena: leadership\n"

    # 6. the meeting screen's link
    assert main(["--database", db_url, "kiosk", "issue", "situation room",
                 "--base-url", "https://citydesk.example"]) == 0
    assert "open the dashboard at https://citydesk.example/?kiosk=" in capsys.readouterr().out

    # Signed in: the overview of Los Angeles, its districts drawn.
    at = app(monkeypatch, db_url, actor=None, as_of=AS_OF)
    monkeypatch.setenv("CITY_TZ", LA)
    at.run()
    assert not at.info  # users exist: no hint
    sign_in(at, "lena", PASSWORD)
    assert not at.exception
    assert at.title[0].value == "City overview"
    with engine.connect() as conn:
        placed = conn.execute(select(func.count()).select_from(tickets)
                              .where(tickets.c.district_id.is_not(None))).scalar_one()
        codes = set(conn.execute(select(districts.c.code)).scalars())
    assert metrics(at)["Open"]
    drawn = city_map(at)
    assert len(drawn["districts"]) == 99
    assert {d["code"] for d in drawn["districts"]} == codes
    assert all(d["d"] for d in drawn["districts"])  # each with its outline's path
    assert placed > 1400


def test_the_first_user_hint_reads_in_russian(engine, db_url, monkeypatch):
    at = app(monkeypatch, db_url, actor=None, lang="ru")
    at.run()
    assert not at.exception
    assert [i.value for i in at.info] == [CATALOG["auth.no_users"]["ru"]]
    assert not re.search(r"[A-Za-z]", at.info[0].value)
    assert [c.value for c in at.code] == ["python -m db user add ИМЯ --role leadership"]
