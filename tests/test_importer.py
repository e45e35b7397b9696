"""The Open311 import: parsing, normalising and writing, on both databases.

The files under tests/data/ are written for these tests (not taken from a city): each request
in them exercises one rule, and the expected values below are worked out by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, select, update

from db.__main__ import main
from db.instants import parse_record_instant as parse_instant
from db.schema import categories, channels, departments, districts, ticket_events, tickets
from feeds.importer import (
    ImportedTicket,
    ImportFileError,
    import_file,
    normalise,
    read_records,
)

DATA = Path(__file__).parent / "data"
GOOD_JSON = DATA / "open311_good.json"
GOOD_CSV = DATA / "open311_good.csv"
BAD_JSON = DATA / "open311_bad.json"
BROKEN_CSV = DATA / "open311_broken.csv"
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def record(**fields: Any) -> dict[str, Any]:
    """A minimal valid request, with `fields` changed."""
    base = {"service_request_id": "R-1", "status": "open", "service_name": "Pothole",
            "requested_datetime": "2024-05-01T10:00:00Z",
            "updated_datetime": "2024-05-01T12:00:00Z"}
    return {**base, **fields}


def ticket_row(engine: Engine, external_id: str):
    with engine.connect() as conn:
        return conn.execute(select(tickets).where(tickets.c.external_id == external_id)).one()


def timeline(engine: Engine, external_id: str) -> list[tuple]:
    """(kind, at, actor, to_department name, note) of a ticket's events in the order written."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(ticket_events.c.kind, ticket_events.c.at, ticket_events.c.actor,
                   departments.c.name, ticket_events.c.note)
            .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
            .outerjoin(departments, departments.c.id == ticket_events.c.to_department_id)
            .where(tickets.c.external_id == external_id)
            .order_by(ticket_events.c.id))]


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table an import writes, in id order."""
    with engine.connect() as conn:
        return {table.name: [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
                for table in (departments, categories, channels, districts, tickets,
                              ticket_events)}


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def names(engine: Engine, external_id: str) -> dict[str, str | None]:
    """The names of a ticket's department, category, channel and district."""
    with engine.connect() as conn:
        row = conn.execute(
            select(departments.c.name, categories.c.name, channels.c.name, districts.c.name)
            .select_from(tickets)
            .join(departments, departments.c.id == tickets.c.department_id)
            .join(categories, categories.c.id == tickets.c.category_id)
            .join(channels, channels.c.id == tickets.c.channel_id)
            .outerjoin(districts, districts.c.id == tickets.c.district_id)
            .where(tickets.c.external_id == external_id)).one()
    return dict(zip(("department", "category", "channel", "district"), row, strict=True))


# --- parsing and normalising: no database -------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-04T08:15:00Z", utc(2024, 3, 4, 8, 15)),
    ("2024-03-31T01:30:00+01:00", utc(2024, 3, 31, 0, 30)),  # Berlin, just before the change
    ("2024-03-31T03:30:00+02:00", utc(2024, 3, 31, 1, 30)),  # one hour later, after it
    ("2024-03-30 10:00:00", utc(2024, 3, 30, 9, 0)),  # no offset: Berlin winter time
    ("2024-04-01 10:00:00", utc(2024, 4, 1, 8, 0)),  # no offset: Berlin summer time
    ("2024-10-27 02:30:00", utc(2024, 10, 27, 0, 30)),  # happens twice: the first one
    ("01/15/2017 08:30:00 AM", utc(2017, 1, 15, 7, 30)),
    ("01/15/2017 08:30:00 PM", utc(2017, 1, 15, 19, 30)),
    ("2017-01-15T08:30:00.999-05:00", utc(2017, 1, 15, 13, 30)),
])
def test_parse_instant_reads_offsets_and_local_times_exactly(text, expected):
    value = parse_instant(text, BERLIN)
    assert value == expected
    assert value.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01 10:00:00", "31/01/2024 10:00", ""])
def test_parse_instant_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_instant(text, BERLIN)


def test_json_positions_are_record_indexes():
    source = read_records(BAD_JSON)
    parsed = list(source.records)
    assert (source.unit, source.total) == ("record", 10)
    assert [position for position, _ in parsed] == list(range(1, 11))
    assert parsed[7] == (8, "not a JSON object")


def test_csv_positions_are_line_numbers_even_after_a_multiline_field():
    source = read_records(GOOD_CSV)
    parsed = list(source.records)
    assert (source.unit, source.total) == ("line", 4)
    assert [position for position, _ in parsed] == [2, 3, 5, 6]
    assert parsed[1][1]["description"] == "Lamp flickers\nat night"


@pytest.mark.parametrize(("lat", "lon", "expected"), [
    (52.5, 13.4, (52.5, 13.4)),
    ("52.5", "-13.4", (52.5, -13.4)),
    ("", "", (None, None)),
    (None, None, (None, None)),
    (0, 0, (None, None)),
    ("0.0", "0", (None, None)),
    (-90, 180, (-90.0, 180.0)),
])
def test_coordinates_kept_or_treated_as_missing(lat, lon, expected):
    ticket = normalise(record(lat=lat, long=lon), BERLIN)
    assert isinstance(ticket, ImportedTicket)
    assert (ticket.lat, ticket.lon) == expected


@pytest.mark.parametrize(("lat", "lon", "reason"), [
    (200, 13.4, "lat 200 is out of range [-90, 90]"),
    (52.5, -180.5, "long -180.5 is out of range [-180, 180]"),
    ("north", 13.4, "lat is not a number: 'north'"),
    ("nan", 13.4, "lat is not a number: 'nan'"),
    (52.5, "", "only one of lat and long is given"),
])
def test_bad_coordinates_skip_the_record(lat, lon, reason):
    assert normalise(record(lat=lat, long=lon), BERLIN) == reason


NOON = utc(2024, 5, 1, 12)  # the updated_datetime of `record()`


@pytest.mark.parametrize(("fields", "status", "instants"), [
    ({"status": "open"}, "new", {}),
    ({"status": "open", "accepted_datetime": "2024-05-01T11:00:00Z"}, "in_progress",
     {"accepted": utc(2024, 5, 1, 11)}),
    ({"status": "closed"}, "closed", {"resolved": NOON, "closed": NOON}),
    ({"status": "closed", "resolved_datetime": "2024-05-01T11:00:00Z"}, "closed",
     {"resolved": utc(2024, 5, 1, 11), "closed": NOON}),
    ({"status": "Open"}, "new", {}),
    ({"status": "New"}, "new", {}),
    ({"status": "In Progress"}, "in_progress", {"accepted": NOON}),
    ({"status": "ASSIGNED"}, "in_progress", {"accepted": NOON}),
    ({"status": "Pending"}, "in_progress", {"accepted": NOON}),
    ({"status": "Completed"}, "closed", {"resolved": NOON, "closed": NOON}),
    ({"status": "Cancelled"}, "rejected", {"rejected": NOON}),
    ({"status": "canceled"}, "rejected", {"rejected": NOON}),
    ({"status": "closed", "status_detail": "rejected"}, "rejected", {"rejected": NOON}),
    ({"status": "open", "status_detail": "resolved"}, "resolved", {"resolved": NOON}),
    ({"status": "open", "status_detail": "in_progress",
      "accepted_datetime": "2024-05-01T10:30:00Z"}, "in_progress",
     {"accepted": utc(2024, 5, 1, 10, 30)}),
])
def test_status_mapping(fields, status, instants):
    ticket = normalise(record(**fields), BERLIN)
    assert isinstance(ticket, ImportedTicket)
    assert ticket.status == status
    expected = {"accepted": None, "resolved": None, "closed": None, "rejected": None, **instants}
    t = ticket.instants
    assert (t.accepted, t.resolved, t.closed, t.rejected) == (
        expected["accepted"], expected["resolved"], expected["closed"], expected["rejected"])


@pytest.mark.parametrize(("fields", "reason"), [
    ({"status": "exploded"}, "unknown status 'exploded'"),
    ({"status": "Pending review"}, "unknown status 'Pending review'"),
    ({"status": "open", "status_detail": "done"}, "unknown status_detail 'done'"),
    ({"status": None}, "missing status"),
    ({"status": "closed", "updated_datetime": None},
     "status 'closed' needs closed_datetime or updated_datetime"),
    ({"status": "open", "closed_datetime": "2024-05-01T11:00:00Z"},
     "status 'open' disagrees with the instants given, which say closed"),
    ({"status": "open", "status_detail": "new", "accepted_datetime": "2024-05-01T11:00:00Z"},
     "status_detail 'new' disagrees with the instants given, which say in_progress"),
    ({"status": "open", "accepted_datetime": "2024-05-01T09:00:00Z"},
     "accepted 2024-05-01T09:00:00Z is before requested 2024-05-01T10:00:00Z"),
    ({"status": "closed", "resolved_datetime": "2024-05-01T13:00:00Z"},
     "closed 2024-05-01T12:00:00Z is before resolved 2024-05-01T13:00:00Z"),
    ({"requested_datetime": "not a date"}, "unparsable requested_datetime 'not a date'"),
    ({"expected_datetime": "31.12.2024"}, "unparsable expected_datetime '31.12.2024'"),
    ({"service_request_id": ""}, "missing service_request_id"),
    ({"service_name": None}, "missing service_name"),
    ({"notes": [{"summary": "no date"}]}, "note 1: missing datetime"),
    ({"description": {"text": "nested"}}, "description is not text"),
])
def test_bad_records_give_their_reason(fields, reason):
    assert normalise(record(**fields), BERLIN) == reason


def test_unknown_fields_are_ignored():
    ticket = normalise(record(token="x", zipcode=10117, x_vendor={"a": [1, 2]},
                              extended_attributes={"ward": 3, "channel": "Mobile App"}), BERLIN)
    assert isinstance(ticket, ImportedTicket)
    assert ticket.channel == "Mobile App"


# --- writing: both databases ---------------------------------------------------------------------

# external id -> status, created, accepted, resolved, closed, rejected, due, updated
GOOD_EXPECTED = {
    "SR-101": ("new", utc(2024, 3, 4, 8, 15), None, None, None, None,
               utc(2024, 3, 6, 8, 15), utc(2024, 3, 4, 8, 15)),
    "SR-102": ("closed", utc(2024, 3, 31, 0, 30), None, utc(2024, 3, 31, 1, 30),
               utc(2024, 3, 31, 1, 30), None, utc(2024, 4, 1, 0, 30), utc(2024, 3, 31, 1, 30)),
    "SR-103": ("in_progress", utc(2024, 3, 30, 9), utc(2024, 3, 30, 11), None, None, None,
               utc(2024, 3, 31, 9), utc(2024, 3, 31, 8)),
    "SR-104": ("new", utc(2024, 3, 5, 15), None, None, None, None,
               utc(2024, 3, 6, 15), utc(2024, 3, 5, 17, 30)),
    "SR-105": ("rejected", utc(2024, 3, 6, 10), None, None, None, utc(2024, 3, 6, 10, 20),
               utc(2024, 3, 7, 10), utc(2024, 3, 6, 10, 20)),
    "SR-106": ("resolved", utc(2024, 3, 7, 6), utc(2024, 3, 7, 7), utc(2024, 3, 7, 12), None, None,
               utc(2024, 3, 8, 6), utc(2024, 3, 7, 12)),
    "SR-107": ("closed", utc(2024, 3, 8, 8), utc(2024, 3, 8, 8, 30), utc(2024, 3, 8, 12),
               utc(2024, 3, 9, 9), None, utc(2024, 3, 9, 8), utc(2024, 3, 9, 9)),
    "SR-108": ("new", utc(2024, 3, 9, 10), None, None, None, None,
               utc(2024, 3, 10, 10), utc(2024, 3, 9, 10)),
    "SR-109": ("rejected", utc(2024, 3, 10, 7), None, None, None, utc(2024, 3, 10, 8),
               utc(2024, 3, 11, 7), utc(2024, 3, 10, 8)),
    "SR-110": ("in_progress", utc(2024, 3, 11, 7, 30), utc(2024, 3, 11, 13, 45, 10), None, None,
               None, utc(2024, 3, 12, 7, 30), utc(2024, 3, 11, 13, 45, 10)),
    "111": ("closed", utc(2024, 3, 12, 7), None, utc(2024, 3, 12, 9), utc(2024, 3, 12, 9), None,
            utc(2024, 3, 12, 19), utc(2024, 3, 12, 9)),
}


def test_good_json_imports_every_request(engine):
    report = import_file(engine, GOOD_JSON, BERLIN)
    assert (report.read, report.inserted, report.updated, report.unchanged, report.skipped) == (
        11, 11, 0, 0, 0)
    assert report.skips == []
    assert count(engine, tickets) == 11


def test_good_json_stores_exact_instants_and_statuses(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    with engine.connect() as conn:
        rows = conn.execute(select(tickets).order_by(tickets.c.id)).all()
    stored = {r.external_id: (r.status, r.created_at, r.accepted_at, r.resolved_at, r.closed_at,
                              r.rejected_at, r.due_at, r.updated_at) for r in rows}
    assert stored == GOOD_EXPECTED
    ended = {r.external_id: r.ended_at for r in rows}
    assert ended == {"SR-101": None, "SR-102": utc(2024, 3, 31, 1, 30), "SR-103": None,
                     "SR-104": None, "SR-105": utc(2024, 3, 6, 10, 20),
                     "SR-106": utc(2024, 3, 7, 12), "SR-107": utc(2024, 3, 8, 12), "SR-108": None,
                     "SR-109": utc(2024, 3, 10, 8), "SR-110": None, "111": utc(2024, 3, 12, 9)}
    assert all(r.created_at.tzinfo is UTC for r in rows)
    assert {(r.version, r.priority, r.reopen_count, r.location_approx) for r in rows} == {
        (1, 2, 0, False)}


def test_dst_change_is_one_hour_not_two(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    row = ticket_row(engine, "SR-102")
    assert row.closed_at - row.created_at == timedelta(hours=1)


def test_good_json_stores_text_coordinates_and_photos(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    first = ticket_row(engine, "SR-101")
    assert (first.description, first.address, first.lat, first.lon, first.photo_urls) == (
        "Deep pothole in the right lane", "Unter den Linden 1", 52.517, 13.3889,
        '["https://example.org/photo/101.jpg"]')
    placeholder = ticket_row(engine, "SR-108")  # (0, 0), empty address, no description
    assert (placeholder.description, placeholder.address, placeholder.lat, placeholder.lon,
            placeholder.photo_urls) == (None, None, None, None, None)
    assert (ticket_row(engine, "111").lat, ticket_row(engine, "111").lon) == (52.5, 13.4)


def test_unknown_departments_and_categories_are_created_with_sla_24(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    with engine.connect() as conn:
        depts = conn.execute(select(departments.c.code, departments.c.name)
                             .order_by(departments.c.id)).all()
        cats = conn.execute(
            select(categories.c.name, departments.c.name, categories.c.sla_hours)
            .join(departments, departments.c.id == categories.c.department_id)
            .order_by(categories.c.id)).all()
    assert depts == [("streets_department", "Streets Department"), ("lighting", "Lighting"),
                     ("sanitation", "Sanitation"), ("police", "Police"),
                     ("unassigned", "Unassigned")]
    assert cats == [("Pothole", "Streets Department", 24), ("Street light out", "Lighting", 24),
                    ("Graffiti", "Sanitation", 24), ("Noise", "Police", 24),
                    ("Litter", "Unassigned", 24)]


def test_channels_and_districts(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    assert names(engine, "SR-101") == {"department": "Streets Department", "category": "Pothole",
                                       "channel": "Import", "district": None}
    assert names(engine, "SR-104")["channel"] == "Phone Call"  # extended_attributes
    assert names(engine, "SR-107") == {"department": "Streets Department", "category": "Pothole",
                                       "channel": "portal", "district": "Mitte"}
    with engine.connect() as conn:
        assert conn.execute(select(channels.c.name, channels.c.kind)
                            .order_by(channels.c.id)).all() == [
            ("Import", "other"), ("Phone Call", "phone"), ("portal", "portal")]


def test_due_follows_an_existing_categorys_sla_unless_given(engine):
    with engine.begin() as conn:
        dept = conn.execute(insert(departments).values(code="ROADS", name="Road Management")
                            .returning(departments.c.id)).scalar_one()
        conn.execute(insert(categories).values(code="pothole", name="Pothole", department_id=dept,
                                               sla_hours=48))
    import_file(engine, GOOD_JSON, BERLIN)
    assert ticket_row(engine, "SR-104").due_at == utc(2024, 3, 7, 15)  # created + 48 h
    assert ticket_row(engine, "SR-101").due_at == utc(2024, 3, 6, 8, 15)  # expected_datetime
    # The ticket keeps the agency the record names; the category keeps its own department.
    assert names(engine, "SR-104")["department"] == "Streets Department"


def test_timelines_are_written_in_order(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    streets = "Streets Department"  # every event names the department it happened in
    assert timeline(engine, "SR-107") == [
        ("created", utc(2024, 3, 8, 8), "import", streets, None),
        ("assigned", utc(2024, 3, 8, 8), "import", streets, None),
        ("accepted", utc(2024, 3, 8, 8, 30), "import", streets, None),
        ("resolved", utc(2024, 3, 8, 12), "import", streets, None),
        ("closed", utc(2024, 3, 9, 9), "import", streets, None),
    ]
    assert [e[0] for e in timeline(engine, "SR-101")] == ["created", "assigned"]
    assert [e[0] for e in timeline(engine, "SR-105")] == ["created", "assigned", "rejected"]
    assert [e[0] for e in timeline(engine, "SR-103")] == ["created", "assigned", "accepted"]
    assert [e[0] for e in timeline(engine, "SR-108")] == ["created", "assigned"]
    assert timeline(engine, "SR-108")[1][3] == "Unassigned"
    assert count(engine, ticket_events) == 38


def test_notes_become_note_events(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    assert timeline(engine, "SR-104") == [
        ("created", utc(2024, 3, 5, 15), "import", "Streets Department", None),
        ("assigned", utc(2024, 3, 5, 15), "import", "Streets Department", None),
        ("note", utc(2024, 3, 5, 15), "import", "Streets Department", "Request opened"),
        ("note", utc(2024, 3, 5, 17, 30), "import", "Streets Department",
         "Crew dispatched — Truck 7"),
    ]
    # status_notes, at the request's last change
    assert [e[0] for e in timeline(engine, "111")] == [
        "created", "assigned", "resolved", "closed", "note"]
    assert timeline(engine, "111")[-1] == (
        "note", utc(2024, 3, 12, 9), "import", timeline(engine, "111")[1][3],
        "Fixed by the night crew")


def test_good_csv_imports_every_request(engine):
    report = import_file(engine, GOOD_CSV, BERLIN)
    assert (report.read, report.inserted, report.skipped) == (4, 4, 0)
    lamp = ticket_row(engine, "C-2")
    assert (lamp.status, lamp.created_at, lamp.resolved_at, lamp.closed_at, lamp.due_at) == (
        "closed", utc(2017, 1, 15, 7, 30), utc(2017, 1, 16, 16), utc(2017, 1, 16, 16),
        utc(2017, 1, 16, 7, 30))
    assert (lamp.description, lamp.lat, lamp.photo_urls) == (
        "Lamp flickers\nat night", None, '["https://example.org/c2.jpg"]')
    hole = ticket_row(engine, "C-1")
    assert (hole.status, hole.created_at, hole.description, hole.lat, hole.lon) == (
        "new", utc(2017, 1, 15, 7, 30), "Hole, deep", 52.5219, 13.4132)
    assert names(engine, "C-1")["channel"] == "Phone Call"
    tags = ticket_row(engine, "C-3")
    assert (tags.status, tags.accepted_at, tags.due_at) == (
        "in_progress", utc(2017, 1, 17, 9), utc(2017, 1, 18, 8))
    done = ticket_row(engine, "C-4")
    assert (done.status, done.closed_at) == ("closed", utc(2017, 1, 18, 6))
    assert names(engine, "C-4")["district"] == "Mitte"


def test_bad_records_are_reported_and_the_rest_kept(engine):
    report = import_file(engine, BAD_JSON, BERLIN)
    assert report.skips == [
        (2, "missing requested_datetime"),
        (3, "unparsable requested_datetime 'yesterday'"),
        (4, "lat 200 is out of range [-90, 90]"),
        (5, "unknown status 'exploded'"),
        (6, "lat is not a number: 'north'"),
        (7, "resolved 2024-03-01T12:00:00Z is before requested 2024-04-01T12:00:00Z"),
        (8, "not a JSON object"),
        (10, "service_request_id 'B-1' repeats record 1"),
    ]
    assert (report.read, report.inserted, report.skipped) == (10, 2, 8)
    with engine.connect() as conn:
        stored = conn.execute(select(tickets.c.external_id, tickets.c.status)
                              .order_by(tickets.c.id)).all()
    assert stored == [("B-1", "new"), ("B-9", "closed")]


def test_broken_csv_lines_are_reported_and_the_rest_kept(engine):
    report = import_file(engine, BROKEN_CSV, BERLIN)
    assert report.unit == "line"
    assert report.skips == [
        (3, "10 fields where the header has 8"),
        (5, "unparsable requested_datetime 'soon'"),
        (6, "3 fields where the header has 8"),
    ]
    with engine.connect() as conn:
        assert conn.execute(select(tickets.c.external_id).order_by(tickets.c.id)).scalars().all() \
            == ["K-1", "K-3"]


def test_reimporting_the_same_file_changes_nothing(engine):
    import_file(engine, GOOD_JSON, BERLIN)
    import_file(engine, GOOD_CSV, BERLIN)
    before = snapshot(engine)
    again = import_file(engine, GOOD_JSON, BERLIN)
    import_file(engine, GOOD_CSV, BERLIN)
    assert (again.inserted, again.updated, again.unchanged, again.skipped) == (0, 0, 11, 0)
    assert snapshot(engine) == before
    assert len(before["ticket_events"]) == 38 + 13


def _changed_copy(tmp_path: Path) -> Path:
    """The good file a day later: SR-101 was closed, SR-104 got a third note, SR-102 reopened."""
    requests = json.loads(GOOD_JSON.read_text())
    by_id = {str(r["service_request_id"]): r for r in requests}
    by_id["SR-101"].update(status="closed", updated_datetime="2024-03-05T10:00:00Z")
    by_id["SR-104"]["notes"].append(
        {"datetime": "2024-03-05T13:00:00-06:00", "summary": "Pothole filled"})
    by_id["SR-104"]["updated_datetime"] = "2024-03-05T13:00:00-06:00"
    by_id["SR-102"].update(status="open", accepted_datetime="2024-03-31T03:00:00+02:00",
                           updated_datetime="2024-04-01T09:00:00+02:00")
    path = tmp_path / "open311_changed.json"
    path.write_text(json.dumps(requests))
    return path


def test_a_changed_record_updates_and_adds_only_the_new_events(engine, tmp_path):
    import_file(engine, GOOD_JSON, BERLIN)
    before = snapshot(engine)
    events_before = count(engine, ticket_events)
    report = import_file(engine, _changed_copy(tmp_path), BERLIN)
    assert (report.inserted, report.updated, report.unchanged, report.skipped) == (0, 3, 8, 0)

    closed = ticket_row(engine, "SR-101")
    assert (closed.status, closed.resolved_at, closed.closed_at, closed.ended_at,
            closed.updated_at, closed.version) == (
        "closed", utc(2024, 3, 5, 10), utc(2024, 3, 5, 10), utc(2024, 3, 5, 10),
        utc(2024, 3, 5, 10), 2)
    assert closed.due_at == utc(2024, 3, 6, 8, 15)
    assert [e[:2] for e in timeline(engine, "SR-101")] == [
        ("created", utc(2024, 3, 4, 8, 15)), ("assigned", utc(2024, 3, 4, 8, 15)),
        ("resolved", utc(2024, 3, 5, 10)), ("closed", utc(2024, 3, 5, 10))]

    noted = ticket_row(engine, "SR-104")
    assert (noted.status, noted.version, noted.updated_at) == ("new", 2, utc(2024, 3, 5, 19))
    assert [e[4] for e in timeline(engine, "SR-104") if e[0] == "note"] == [
        "Request opened", "Crew dispatched — Truck 7", "Pothole filled"]

    assert count(engine, ticket_events) == events_before + 2 + 1 + 2
    unchanged = {r[1] for r in before["tickets"]} - {"SR-101", "SR-102", "SR-104"}
    after = snapshot(engine)
    assert [r for r in after["tickets"] if r[1] in unchanged] == [
        r for r in before["tickets"] if r[1] in unchanged]

    again = import_file(engine, _changed_copy(tmp_path), BERLIN)
    assert (again.updated, again.unchanged) == (0, 11)
    assert snapshot(engine) == after


def test_a_record_reopened_at_the_source_reopens_the_ticket(engine, tmp_path):
    import_file(engine, GOOD_JSON, BERLIN)
    import_file(engine, _changed_copy(tmp_path), BERLIN)
    row = ticket_row(engine, "SR-102")
    assert (row.status, row.accepted_at, row.resolved_at, row.closed_at, row.ended_at,
            row.reopen_count, row.version, row.updated_at) == (
        "in_progress", utc(2024, 3, 31, 1), None, None, None, 1, 2, utc(2024, 4, 1, 7))
    assert [e[:2] for e in timeline(engine, "SR-102")] == [
        ("created", utc(2024, 3, 31, 0, 30)), ("assigned", utc(2024, 3, 31, 0, 30)),
        ("resolved", utc(2024, 3, 31, 1, 30)), ("closed", utc(2024, 3, 31, 1, 30)),
        ("accepted", utc(2024, 3, 31, 1)), ("reopened", utc(2024, 4, 1, 7))]


def test_status_notes_are_noted_once_per_text(engine, tmp_path):
    def import_version(updated: str, status_notes: str):
        path = tmp_path / "notes.json"
        path.write_text(json.dumps([record(updated_datetime=updated, status_notes=status_notes)]))
        return import_file(engine, path, BERLIN)

    import_version("2024-05-01T12:00:00Z", "Crew scheduled")
    assert import_version("2024-05-02T12:00:00Z", "Crew scheduled").unchanged == 1
    assert import_version("2024-05-03T12:00:00Z", "Waiting for parts").updated == 1
    assert [(e[1], e[4]) for e in timeline(engine, "R-1") if e[0] == "note"] == [
        (utc(2024, 5, 1, 12), "Crew scheduled"), (utc(2024, 5, 3, 12), "Waiting for parts")]


def test_a_new_agency_at_the_source_reassigns_the_ticket(engine, tmp_path):
    import_file(engine, GOOD_JSON, BERLIN)
    path = tmp_path / "moved.json"
    path.write_text(json.dumps([record(service_request_id="SR-101", service_name="Pothole",
                                       agency_responsible="Lighting",
                                       requested_datetime="2024-03-04T08:15:00Z",
                                       updated_datetime="2024-03-04T09:00:00Z",
                                       expected_datetime="2024-03-06T08:15:00Z")]))
    assert import_file(engine, path, BERLIN).updated == 1
    assert names(engine, "SR-101")["department"] == "Lighting"
    assert [(e[0], e[1], e[3]) for e in timeline(engine, "SR-101")][-1] == (
        "reassigned", utc(2024, 3, 4, 9), "Lighting")


def test_a_reassignment_made_at_the_desk_outranks_the_feed(engine, tmp_path):
    import_file(engine, GOOD_JSON, BERLIN)
    row = ticket_row(engine, "SR-101")
    with engine.begin() as conn:
        lighting = conn.execute(select(departments.c.id).where(departments.c.name == "Lighting")
                                ).scalar_one()
        conn.execute(update(tickets).where(tickets.c.id == row.id)
                     .values(department_id=lighting, version=2))
        conn.execute(insert(ticket_events).values(
            ticket_id=row.id, kind="reassigned", at=utc(2024, 3, 4, 9), actor="dispatcher",
            from_department_id=row.department_id, to_department_id=lighting))
    assert import_file(engine, GOOD_JSON, BERLIN).unchanged == 11
    report = import_file(engine, _changed_copy(tmp_path), BERLIN)
    assert report.updated == 3
    after = ticket_row(engine, "SR-101")
    assert (after.status, after.department_id, after.version) == ("closed", lighting, 3)


def test_a_connection_is_used_inside_the_callers_transaction(engine):
    with engine.connect() as conn:
        report = import_file(conn, GOOD_JSON, BERLIN)
        assert report.inserted == 11
        conn.rollback()
    assert count(engine, tickets) == 0


def test_a_file_that_is_not_json_raises_and_writes_nothing(engine, tmp_path):
    path = tmp_path / "requests.json"
    path.write_text("service_request_id,status\nthis is not JSON")
    with pytest.raises(ImportFileError, match=r"not valid JSON \(line 1, column 1"):
        import_file(engine, path, BERLIN)
    assert count(engine, tickets) == count(engine, departments) == 0


# --- the command line ---------------------------------------------------------------------------

def test_cli_prints_counts_and_exits_0_when_all_imported(db_url, capsys):
    code = main(["--database", db_url, "import", str(GOOD_JSON), "--tz", "Europe/Berlin"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out == "read 11 records: 11 inserted, 0 updated, 0 unchanged, 0 skipped\n"
    assert "Traceback" not in err


def test_cli_lists_skipped_records_and_exits_1(db_url, capsys):
    code = main(["--database", db_url, "import", str(BAD_JSON), "--tz", "Europe/Berlin"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == "read 10 records: 2 inserted, 0 updated, 0 unchanged, 8 skipped\n"
    assert f"{BAD_JSON}: record 2: missing requested_datetime\n" in err
    assert f"{BAD_JSON}: record 5: unknown status 'exploded'\n" in err


def test_cli_reports_csv_lines(db_url, capsys):
    assert main(["--database", db_url, "import", str(BROKEN_CSV)]) == 1
    _, err = capsys.readouterr()
    assert f"{BROKEN_CSV}: line 3: 10 fields where the header has 8\n" in err


def test_cli_malformed_json_exits_2_and_writes_nothing(db_url, engine, tmp_path, capsys):
    path = tmp_path / "requests.json"
    path.write_text("<html>not an export</html>")
    code = main(["--database", db_url, "import", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == f"import: {path}: not valid JSON (line 1, column 1: Expecting value)\n"
    assert count(engine, tickets) == count(engine, departments) == count(engine, channels) == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.json", None, "No such file or directory"),
    ("object.json", '{"service_requests": []}', "the JSON is not an array of service requests"),
    ("empty.csv", "", "the CSV file is empty"),
    ("la.csv", "SRNumber,CreatedDate,Status\n1-1,01/01/2017 08:00:00 AM,Closed\n",
     "the CSV header lacks service_request_id, service_name, requested_datetime, status and no "
     "mapping file names its columns (SRNumber, CreatedDate, Status): write one with "
     "--write-mapping CITY.toml, fill it in, and import with --mapping CITY.toml"),
    ("latin1.csv", b"service_request_id,status\n\xe9\n", "not UTF-8 text"),
])
def test_cli_unreadable_files_exit_2_with_one_line(db_url, tmp_path, capsys, name, content,
                                                   message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code = main(["--database", db_url, "import", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == f"import: {path}: {message}\n"


def test_cli_unknown_time_zone_exits_2(db_url, capsys):
    code = main(["--database", db_url, "import", str(GOOD_JSON), "--tz", "Mars/Olympus"])
    assert code == 2
    assert capsys.readouterr().err == "import: unknown time zone 'Mars/Olympus'\n"
