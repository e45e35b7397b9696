"""The meeting pack is a real PDF: its pages counted and its text extracted, in both languages."""

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from db.config import city_tz
from queries.filters import Filters
from queries.lookups import district_list
from queries.tickets import TicketQuery, ticket_page
from queries.week import CITY, last_full_week, parse_week, review, week_figures
from reports.week_pack import TREND_WEEKS, change_text, figure_text, pack_bytes, tone
from tests.cities import seed
from tests.test_overview_page import _english_words
from words.formatting import duration, instant, number, week_dates

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def city(engine):
    seed(engine, 4000, 5, NOW, progress=False, days=45)
    return engine


def _text(pdf: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_pack_has_a_first_page_and_one_per_department_to_discuss(city, lang):
    week = last_full_week(NOW, "Europe/Moscow")
    with city.connect() as conn:
        result = review(conn, week)
        pdf = pack_bytes(conn, result, lang)
    pages, text = _text(pdf)
    discuss = result.discuss()
    assert discuss, "the demo city has overdue work at the week's end"
    assert pages == 1 + len(discuss)
    city_figures = result.figures[CITY]
    first = " ".join(text[0].split())
    for name in ("received", "resolved", "open_at_end", "overdue_at_end", "passed_on"):
        assert figure_text(name, getattr(city_figures, name), lang) in first, name
    assert figure_text("on_time_pct", city_figures.on_time_pct, lang) in first
    assert week_dates(week, lang) in first and week.label not in first  # in words, not ISO
    if lang == "ru":
        assert "Поступило" in first and "Просрочено на конец недели" in first
        assert "Received" not in first
    else:
        assert "Overdue at the week's end" in first
    names = result.departments.set_index("id")
    for page, dept in zip(text[1:], discuss, strict=True):
        row = names.loc[dept]
        assert (row["name_ru"] if lang == "ru" else row["name"]) in " ".join(page.split())


def test_a_week_with_no_tickets_makes_a_one_page_pack(engine):
    with engine.connect() as conn:
        result = review(conn, parse_week("2026-W10", "Europe/Moscow"))
        pages, text = _text(pack_bytes(conn, result, "ru"))
    assert pages == 1
    assert "неделя 2–8 марта 2026" in " ".join(text[0].split())  # 2026-W10 in words


def test_changes_are_coloured_by_good_or_bad_news():
    assert tone("resolved", 10, 8) == tone("overdue_at_end", 3, 5)  # both better: green
    assert tone("overdue_at_end", 5, 3) == tone("on_time_pct", 90.0, 95.0)  # both worse: red
    assert tone("received", 10, 8) == tone("resolved", 4, 4)  # neither: grey
    assert change_text("on_time_pct", 95.0, 97.5, "en") == "−2.5 pp"
    assert change_text("received", 12, 12, "ru") == "±0"
    assert change_text("received", None, 12, "ru") == ""


@pytest.fixture
def russian_pack(city):
    """The demo city's last full week, its review and its Russian pack's text, page by page."""
    week = last_full_week(NOW, "Europe/Moscow")
    with city.connect() as conn:
        result = review(conn, week)
        text = [" ".join(page.split()) for page in _text(pack_bytes(conn, result, "ru"))[1]]
    return city, week, result, text


def test_the_russian_pack_has_no_english_word_and_no_raw_zone(russian_pack):
    *_, text = russian_pack
    whole = " ".join(text)
    found = sorted(w for w in _english_words() if re.search(rf"\b{w}\b", whole))
    assert not found, found
    assert "Europe/" not in whole and "(Москва)" in text[0]


def test_the_trend_carries_its_values_and_the_map_its_district_names(russian_pack):
    city, week, _, text = russian_pack
    first = text[0]
    with city.connect() as conn:
        trend = [week_figures(conn, week.shifted(-k))[CITY] for k in range(TREND_WEEKS)]
        names = list(district_list(conn)["name_ru"])
    for figures in trend:  # every week's two bars, their values written beside them
        assert number(figures.received, "ru") in first and number(figures.resolved, "ru") in first
    shown = [name for name in names if name in first]
    assert len(shown) >= len(names) - 2, (shown, names)  # all but where two would touch


def test_a_department_page_lists_its_overdue_tickets_with_due_and_age(russian_pack):
    city, week, result, text = russian_pack
    dept = result.discuss()[0]  # the most overdue department
    row = result.departments.set_index("id").loc[dept]
    page = text[1]
    assert row["name_ru"] in page
    f = Filters(as_of=week.end, tz=week.tz, departments=(row["code"],))
    with city.connect() as conn:
        overdue, total = ticket_page(conn, f, TicketQuery(subset="overdue", sort="due",
                                                          descending=False, page_size=18))
    assert total == result.figures[dept].overdue_at_end > 0
    assert f"Просрочено на конец недели: {number(total, 'ru')}" in page
    tz = city_tz()
    for ticket in overdue.to_dict("records"):
        assert ticket["external_id"] in page
        assert instant(ticket["due_at"], tz, "ru") in page  # its due
        assert duration((week.end - ticket["due_at"]).total_seconds(), "ru") in page  # overdue by
        assert duration((week.end - ticket["created_at"]).total_seconds(), "ru") in page  # age

