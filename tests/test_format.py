"""One way to write a duration, a deadline, a history's actor and a date input, in both
languages."""

import pytest

from ui.i18n import date_format, russian_key
from words.formatting import actor_label, duration, hours, time_left


@pytest.mark.parametrize(("seconds", "en", "ru"), [
    (0, "0 s", "0 с"),
    (59, "59 s", "59 с"),
    (59.9, "59 s", "59 с"),  # truncated, never rounded up to a minute
    (60, "1 min", "1 мин"),
    (65, "1 min 5 s", "1 мин 5 с"),
    (599, "9 min 59 s", "9 мин 59 с"),
    (600, "10 min", "10 мин"),
    (27 * 60 + 6, "27 min", "27 мин"),
    (3599, "59 min", "59 мин"),
    (3600, "1 h", "1 ч"),
    (7 * 3600 + 50 * 60 + 59, "7 h 50 min", "7 ч 50 мин"),
    (86399, "23 h 59 min", "23 ч 59 мин"),
    (86400, "1 d", "1 д"),
    (4 * 86400 + 4 * 3600 + 59 * 60, "4 d 4 h", "4 д 4 ч"),
    (400 * 86400, "400 d", "400 д"),
    (-(27 * 60), "−27 min", "−27 мин"),
    (None, "—", "—"),
    (float("nan"), "—", "—"),
])
def test_duration_reads_alike_in_both_languages(seconds, en, ru):
    assert duration(seconds, "en") == en
    assert duration(seconds, "ru") == ru


@pytest.mark.parametrize(("seconds", "en", "ru"), [
    (0, "0 s left", "осталось 0 с"),  # due exactly now is not overdue yet
    (27 * 60, "27 min left", "осталось 27 мин"),
    (-1, "overdue by 1 s", "просрочено на 1 с"),
    (-(100 * 3600 + 60), "overdue by 4 d 4 h", "просрочено на 4 д 4 ч"),
    (-(7 * 3600 + 50 * 60), "overdue by 7 h 50 min", "просрочено на 7 ч 50 мин"),
])
def test_time_left_says_overdue_or_left(seconds, en, ru):
    assert time_left(seconds, "en") == en
    assert time_left(seconds, "ru") == ru


def test_hours_are_a_number_with_overdue_negative():
    assert hours(-5400) == -1.5 and hours(3600) == 1.0 and hours(None) is None


def test_the_desks_own_actors_are_translated_and_users_are_not():
    assert actor_label("operator", "ru") == "оператор"
    assert actor_label("department", "ru") == "служба"
    assert actor_label("operator", "en") == "operator"
    assert actor_label("oleg", "ru") == "oleg"
    assert actor_label("seed", "ru") == "история демогорода"  # the demo history, not a user
    assert actor_label(None, "ru") == "—"


def test_date_inputs_read_as_the_language_writes_dates():
    assert date_format("ru") == "DD.MM.YYYY" and date_format("en") == "YYYY-MM-DD"


def test_russian_order_puts_yo_after_ye_and_ignores_case():
    names = ["жилищная", "Ёлочная", "Елисеевская", "ель", "Абрикосовая", "яблочная", "Ежовая"]
    assert sorted(names, key=russian_key) == [
        "Абрикосовая", "Ежовая", "Елисеевская", "ель", "Ёлочная", "жилищная", "яблочная"]
