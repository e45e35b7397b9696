"""CSV exports for the office's spreadsheet: BOM, separators, language and city time."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from queries.filters import Filters
from queries.tickets import TicketQuery
from tests.factory import add_ticket, reference
from ui import export

NOW = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 01:30 on the 26th in Moscow
MOSCOW = ZoneInfo("Europe/Moscow")


def _rows(data: bytes, sep: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))


def _city(engine):
    reference(engine)
    add_ticket(engine, NOW - timedelta(hours=30), due=NOW - timedelta(hours=6, minutes=30),
               external_id="LATE")
    add_ticket(engine, NOW - timedelta(hours=1), due=NOW + timedelta(minutes=27),
               external_id="SOON")
    add_ticket(engine, NOW - timedelta(hours=5), resolved=NOW - timedelta(hours=1),
               external_id="DONE")


def test_russian_csv_opens_in_a_russian_excel(engine):
    _city(engine)
    f = Filters(as_of=NOW, departments=("ROADS",))
    data = export.tickets_csv(engine, f, TicketQuery(subset="all"), "ru", MOSCOW)()
    rows = _rows(data, ";")
    head, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    # The table's columns in the table's order, then what it leaves out.
    assert head[:6] == ["Номер", "Поступило", "Статус", "Осталось", "Срок", "Категория"]
    assert head.index("Осталось, часов (меньше нуля — просрочено)") > head.index("Адрес")
    assert "Поступило (время: Москва)" in head and "Текст" in head
    assert not any(c.isascii() and c.isalpha() for c in "".join(head)), head
    late = body["LATE"]
    assert late["Статус"] == "Новое" and late["Осталось"] == "просрочено на 6 ч 30 мин"
    assert late["Осталось, часов (меньше нуля — просрочено)"] == "-6,5"
    assert late["Категория"] == "Яма на дороге"
    assert late["Поступило (время: Москва)"] == "24.11.2026 19:30:00"  # 16:30 UTC
    assert body["SOON"]["Осталось"] == "осталось 27 мин"
    assert body["SOON"]["Осталось, часов (меньше нуля — просрочено)"] == "0,45"
    assert body["DONE"]["Осталось"] == "" and body["DONE"]["Статус"] == "Выполнено"


def test_english_csv_uses_commas_and_points(engine):
    _city(engine)
    f = Filters(as_of=NOW, departments=("ROADS",))
    data = export.queue_csv(engine, f, "", "en", MOSCOW)()
    rows = _rows(data, ",")
    head = rows[0]
    assert head[:4] == ["Time left", "Due", "Ticket", "Status"]  # the queue's own columns
    assert [r[2] for r in rows[1:]] == ["LATE", "SOON"]  # the queue: open, most urgent first
    late = dict(zip(head, rows[1], strict=True))
    assert late["Time left"] == "overdue by 6 h 30 min"
    assert late["Due"] == "Wed 25 Nov 19:00"  # 16:00 UTC
    assert late["Time left, hours (negative: overdue)"] == "-6.5"
    assert "Received (Moscow time)" in rows[0]


def test_the_file_is_named_in_city_time():
    assert export.file_name("overdue", NOW, MOSCOW) == "citydesk-overdue-20261126-0130.csv"


def test_a_list_downloads_in_the_order_it_is_sorted_on_screen(engine):
    _city(engine)
    add_ticket(engine, NOW - timedelta(days=20), due=NOW - timedelta(days=14, hours=19),
               external_id="OLDEST")
    f = Filters(as_of=NOW, departments=("ROADS",))
    for sort, descending, order in (("due", False, ["OLDEST", "LATE", "SOON"]),
                                    ("created", True, ["SOON", "LATE", "OLDEST"])):
        q = TicketQuery(subset="overdue" if sort == "due" else "open", sort=sort,
                        descending=descending)
        rows = _rows(export.tickets_csv(engine, f, q, "en", MOSCOW)(), ",")
        ids = [r[0] for r in rows[1:]]
        assert ids == [i for i in order if i in ids] and len(ids) >= 2, (sort, ids)
