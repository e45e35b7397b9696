"""The meeting screen's alarm rows and week title (ui/wall_panels.py): lines broken only between
words and no wider than asked, measured in the wall's type; heights that add up; dates in words."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from ui import wall_panels as w
from words.formatting import week_dates

SPIKE = ("▲ Всплеск: Разрушение дорожного покрытия, Корабельная сторона: за 3 ч обращений — "
         "1 234, обычно 12,3; с 13:23")


@pytest.mark.parametrize("width", [10.0, 25.0, 42.9])
def test_wrap_keeps_every_word_whole_and_each_line_within_the_width(width):
    lines = w.wrap(SPIKE, width)
    assert " ".join(lines) == SPIKE
    assert all(w.width_em(line) <= width for line in lines if " " in line)
    assert all(w.width_em(f"{a} {b.split(' ')[0]}") > width for a, b in pairwise(lines))


def test_alarm_rows_take_the_height_of_their_lines():
    found = w.alarms([("incident", "◉ Short", "T-1"), ("spike", SPIKE, "x/y")])
    lines = [1, len(w.wrap(SPIKE, w.ALARM_WIDTH / w.ALARM_FONT))]
    expected = sum(n * w.ALARM_FONT * w.ALARM_LINE + 2 * w.ALARM_PAD + w.ALARM_GAP for n in lines)
    assert found.height == pytest.approx(expected, abs=1e-3)
    assert found.markup.count('class="alarm incident"') == 1
    assert found.markup.count("<span>") == sum(lines)
    assert w.alarms([]) == w.Alarms("", 0.0)


def test_fewer_rows_and_smaller_figures_beside_alarms():
    assert w.fitting_rows(w.BODY_U, w.DEPT_ROW_U, w.ROWS_HEAD_U) >= 10
    assert w.fitting_rows(w.BODY_U - 15, w.DEPT_ROW_U, w.ROWS_HEAD_U) < 10
    assert w.value_size(w.BODY_U, 3, 4.6) == 4.6
    assert w.value_size(w.BODY_U - 15, 3, 4.6) < 4.6


class _Week:
    def __init__(self, monday: date) -> None:
        self.monday = monday


@pytest.mark.parametrize(("monday", "lang", "text"), [
    (date(2026, 11, 23), "en", "23–29 November 2026"),
    (date(2026, 11, 23), "ru", "23–29 ноября 2026"),
    (date(2026, 11, 30), "ru", "30 ноября – 6 декабря 2026"),
    (date(2025, 12, 29), "en", "29 December 2025 – 4 January 2026"),
])
def test_the_weeks_dates_in_words(monday, lang, text):
    assert week_dates(_Week(monday), lang) == text
