"""The meeting pack is a real PDF: its pages counted and its text extracted, in both languages."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from queries.week import CITY, last_full_week, parse_week, review
from reports.week_pack import change_text, figure_text, pack_bytes, tone
from tests.cities import seed

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
    assert week.label in first
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
    assert "неделя 2026-W10" in " ".join(text[0].split())


def test_changes_are_coloured_by_good_or_bad_news():
    assert tone("resolved", 10, 8) == tone("overdue_at_end", 3, 5)  # both better: green
    assert tone("overdue_at_end", 5, 3) == tone("on_time_pct", 90.0, 95.0)  # both worse: red
    assert tone("received", 10, 8) == tone("resolved", 4, 4)  # neither: grey
    assert change_text("on_time_pct", 95.0, 97.5, "en") == "−2.5 pp"
    assert change_text("received", 12, 12, "ru") == "±0"
    assert change_text("received", None, 12, "ru") == ""
