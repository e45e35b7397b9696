"""Bad records skipped with their reason while the rest import (issue 18, finding 8), on both
databases: instants in year 1 or 9999, a NUL, a lone surrogate, 100,000-deep nesting, a huge
field or message, U+2028 inside a string, unreadable files, two imports making one department."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db.__main__ import main
from db.schema import departments, ticket_reports, tickets
from feeds.importer import import_file
from feeds.intake.pipeline import intake
from tests.pages import app
from tests.test_intake import load_city, message

NOW = datetime(2026, 12, 20, tzinfo=UTC)


def request(rid: str, **fields) -> dict:
    return {"service_request_id": rid, "status": "open", "service_name": "Pothole",
            "requested_datetime": "2024-05-01T10:00:00Z", **fields}


def stored(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(select(tickets.c.external_id).order_by(tickets.c.id)).scalars().all()


def test_each_bad_record_is_skipped_with_its_reason(engine, tmp_path):
    records = [
        request("R-1"),
        request("R-2", requested_datetime="0001-01-01T00:00:00+03:00"),
        request("R-3", requested_datetime="9999-12-31T23:00:00-05:00"),
        request("R-4", description="before\x00after"),
        request("R-5", description="half a pair \ud800"),
        request("R-6", updated_datetime="9999-12-31T23:59:59Z"),
        request("R-7"),
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records))  # ensure_ascii: the surrogate travels as \ud800
    report = import_file(engine, path)
    assert report.skips == [
        (2, "requested_datetime '0001-01-01T00:00:00+03:00' is outside the years 1900–2200"),
        (3, "requested_datetime '9999-12-31T23:00:00-05:00' is outside the years 1900–2200"),
        (4, "description holds a NUL character"),
        (5, "description is not valid Unicode (a lone surrogate)"),
        (6, "updated_datetime '9999-12-31T23:59:59Z' is outside the years 1900–2200"),
    ]
    assert stored(engine) == ["R-1", "R-7"]


def test_a_record_nested_100000_deep_is_skipped_alone(engine, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    text = ("[" + json.dumps(request("R-1")) + ',\n{"service_request_id": "R-2", "description": '
            + deep + "},\n" + json.dumps(request("R-3", description='a "quoted", [bracket]'))
            + "]")
    path = tmp_path / "deep.json"
    path.write_text(text)
    report = import_file(engine, path)
    assert report.skips == [(2, "nested too deeply")]
    assert stored(engine) == ["R-1", "R-3"]


def test_a_csv_field_longer_than_131072_characters_imports(engine, tmp_path):
    path = tmp_path / "long.csv"
    long = "x" * 200_000
    path.write_text("service_request_id,status,service_name,requested_datetime,description\n"
                    f"R-1,open,Pothole,2024-05-01T10:00:00Z,{long}\n"
                    "R-2,open,Pothole,2024-05-01T10:00:00Z,short\n")
    report = import_file(engine, path)
    assert (report.inserted, report.skips) == (2, [])
    with engine.connect() as conn:
        assert conn.execute(select(func.length(tickets.c.description))
                            .where(tickets.c.external_id == "R-1")).scalar_one() == 200_000


@pytest.mark.parametrize("command", ["import", "intake"])
def test_unreadable_files_get_one_line(db_url, tmp_path, capsys, command):
    cp1251 = tmp_path / "cp1251.json"
    cp1251.write_bytes('[{"service_name": "Яма"}]'.encode("cp1251"))
    folder = tmp_path / "folder.json"
    folder.mkdir()
    for path, why in ((cp1251, "not UTF-8 text"), (tmp_path / "missing.json",
                                                   "No such file or directory"),
                      (folder, "Is a directory")):
        assert main(["--database", db_url, command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err == f"{command}: {path}: {why}\n"


def test_two_imports_making_the_same_new_department_both_succeed(engine, tmp_path):
    files = []
    for n in range(2):
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps([request(f"R-{n}-{i}", agency_responsible="Brand New Service")
                                    for i in range(300)]))
        files.append(path)
    barrier = threading.Barrier(2)
    outcome: list = [None, None]

    def run(n: int) -> None:
        barrier.wait()
        try:
            outcome[n] = import_file(engine, files[n])
        except Exception as error:  # reported by the assertion below
            outcome[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert [getattr(r, "inserted", r) for r in outcome] == [300, 300]
    with engine.connect() as conn:
        assert conn.execute(select(departments.c.code)
                            .where(departments.c.name == "Brand New Service")).all() == [
            ("brand_new_service",)]


@pytest.fixture
def city_engine(engine):
    with engine.begin() as conn:
        load_city(conn)
    return engine


def test_intake_skips_each_bad_line_and_keeps_one_message_whole(city_engine):
    good = "Яма на дороге у дома 5 по улице Ленина, колесо пробил"
    lines = [
        message(good),
        message(good + " 2", posted_at="0001-01-01T00:00:00+03:00"),
        message("яма\x00на дороге"),
        json.dumps({"network": "vk", "text": "яма \ud800", "posted_at": "2026-11-02T10:00:00Z"}),
        # 20,000 deep: a line of 100,000 would be refused as too long before it is parsed
        '{"network": "vk", "text": ' + "[" * 20_000 + "]" * 20_000 + "}",
        message("яма " * 350_000),
        message("Яма на дороге\u2028у дома 7 по улице Ленина, глубокая"),
    ]
    started = time.process_time()
    outcomes = intake(city_engine, lines, now=NOW)
    assert time.process_time() - started < 30  # the 1.4 MB line is not read word by word
    assert [(o.line, o.decision, o.reason) for o in outcomes if o.decision == "broken"] == [
        (2, "broken", "posted_at is not an ISO-8601 instant: '0001-01-01T00:00:00+03:00'"),
        (3, "broken", "text holds a NUL character"),
        (4, "broken", "text is not valid Unicode (a lone surrogate)"),
        (5, "broken", "nested too deeply"),
        (6, "broken", f"longer than {50_000:,} characters"),
    ]
    assert len(outcomes) == 7 and outcomes[6].decision != "broken"
    with city_engine.connect() as conn:
        texts = conn.execute(select(ticket_reports.c.text)
                             .order_by(ticket_reports.c.id)).scalars().all()
    assert "Яма на дороге\u2028у дома 7 по улице Ленина, глубокая" in texts


def test_intake_reads_u2028_inside_a_message_as_part_of_it(db_url, tmp_path, capsys):
    path = tmp_path / "posts.jsonl"
    path.write_text(message("Яма на дороге\u2028у дома 7 по улице Ленина") + "\n"
                    + message("Фонарь не горит\u2029на улице Ленина") + "\n", encoding="utf-8")
    from feeds.intake.files import read_lines

    assert len(read_lines(path)) == 2


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                   "0001-01-01", "9999-12-31"])
def test_extreme_as_of_values_are_refused_on_the_page(city_engine, db_url, monkeypatch, as_of):
    at = app(monkeypatch, db_url, as_of=as_of).run()
    assert not at.exception
    assert any(as_of in w.value for w in at.warning)
