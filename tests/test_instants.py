"""One parser for every instant read from outside, and the commands that refuse a bad one in a
single line with exit 2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from db.__main__ import main as db_main
from db.instants import OutOfRange, parse_instant, parse_record_instant
from queries.__main__ import main as queries_main

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-26T12:00:00+03:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),
    ("2026-11-26T12:00:00-05:30", datetime(2026, 11, 26, 17, 30, tzinfo=UTC)),
    ("2026-11-26T09:00:00Z", datetime(2026, 11, 26, 9, tzinfo=UTC)),
    ("2026-11-26T12:00:00 03:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),  # a link's unescaped +
    ("2026-11-26T12:00 0300", datetime(2026, 11, 26, 9, tzinfo=UTC)),
    ("2026-11-26T12:00:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),  # naive: Moscow's wall clock
    ("2026-11-26 12:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),  # a space before the time
    ("  2026-11-26  ", datetime(2026, 11, 25, 21, tzinfo=UTC)),  # a day: its local midnight
    ("1900-01-01T00:00:00Z", datetime(1900, 1, 1, tzinfo=UTC)),
    ("2200-12-31T23:59:59Z", datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_an_instant_is_read_with_its_offset_or_in_the_zone_given(text, expected):
    value = parse_instant(text, MOSCOW)
    assert value == expected
    assert value.tzinfo is not None


def test_the_offset_given_is_kept():
    value = parse_instant("2026-11-26T12:00:00.250+03:00", MOSCOW)
    assert value.utcoffset() == timedelta(hours=3)
    assert value.microsecond == 250_000


@pytest.mark.parametrize("text", ["1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z",
                                  "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                  "1900-01-01T02:00:00+03:00"])
def test_years_outside_1900_to_2200_in_utc_are_refused(text):
    with pytest.raises(OutOfRange, match="outside the years 1900–2200"):
        parse_instant(text, MOSCOW)


@pytest.mark.parametrize("text", ["garbage", "", "soon", "2026-13-01T00:00:00Z",
                                  "2026-11-26T25:00:00Z", "11/26/2026", "2026-11-26T12:00+3"])
def test_what_is_not_iso_8601_is_refused_with_the_text(text):
    with pytest.raises(ValueError, match="not an ISO-8601 instant") as refused:
        parse_instant(text, MOSCOW)
    assert repr(text) in str(refused.value)


def test_no_zone_given_means_an_offset_is_required():
    assert parse_instant("2026-11-26T12:00:00+03:00", None) == datetime(
        2026, 11, 26, 12, tzinfo=timezone(timedelta(hours=3)))
    with pytest.raises(ValueError, match="needs a UTC offset"):
        parse_instant("2026-11-26T12:00:00", None)


@pytest.mark.parametrize(("text", "expected"), [
    ("01/15/2017 08:30:00 AM", datetime(2017, 1, 15, 7, 30, tzinfo=UTC)),
    ("01/15/2017 20:30", datetime(2017, 1, 15, 19, 30, tzinfo=UTC)),
    ("01/15/2017", datetime(2017, 1, 14, 23, tzinfo=UTC)),
    ("2017-01-15T08:30:00.999-05:00", datetime(2017, 1, 15, 13, 30, tzinfo=UTC)),
])
def test_an_exports_us_forms_are_read_to_the_whole_second_in_utc(text, expected):
    value = parse_record_instant(text, BERLIN)
    assert value == expected and value.tzinfo is UTC


def test_an_exports_instant_outside_the_years_is_out_of_range():
    with pytest.raises(OutOfRange):
        parse_record_instant("01/01/1850 10:00", BERLIN)
    with pytest.raises(ValueError, match="unparsable instant"):
        parse_record_instant("31/01/2024 10:00", BERLIN)


@pytest.mark.parametrize("now", ["garbage", "2026-11-26T12:00:00", "3000-01-01T00:00:00Z"])
def test_seed_refuses_a_bad_now_in_one_line(db_url, capsys, now):
    assert db_main(["--database", db_url, "seed", "--tickets", "10", "--now", now]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("--now: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize("command", ["summary", "incidents", "spikes", "week"])
@pytest.mark.parametrize("as_of", ["garbage", "2026-11-26T25:00", "9999-12-31T23:59:59-12:00"])
def test_queries_refuse_a_bad_as_of_in_one_line(db_url, capsys, command, as_of):
    assert queries_main(["--database", db_url, command, "--as-of", as_of]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("--as-of: ") and captured.err.count("\n") == 1
    assert captured.out == ""
