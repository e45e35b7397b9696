"""The week page through AppTest: the figures on screen equal the week's query, every figure
lists its tickets, a bad link is named, and only leadership and dispatchers get it."""

import html
import re
from datetime import UTC, datetime

import pytest

from access.permissions import Actor
from queries.week import CITY, FIGURES, last_full_week, review
from reports.week_pack import figure_text
from tests.cities import seed
from tests.pages import app, metrics
from ui.wall_panels import week_title
from words.formatting import week_dates

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
WEEK = last_full_week(NOW, "Europe/Moscow")


@pytest.fixture
def city(engine):
    seed(engine, 4000, 5, NOW, progress=False, days=45)
    return engine


def _week(monkeypatch, db_url, actor=None, **params):
    at = app(monkeypatch, db_url, **({"actor": actor} if actor else {}), **params)
    at.switch_page("screens/week.py")
    return at


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_weeks_figures_on_screen_equal_the_query(city, db_url, monkeypatch, lang):
    at = _week(monkeypatch, db_url, week=WEEK.label, lang=lang).run()
    assert not at.exception and not at.error
    with city.connect() as conn:
        expected = review(conn, WEEK).figures[CITY]
    shown = metrics(at)
    from words.language import translate

    for name in FIGURES:
        label = translate(lang, f"week.figure.{name}")
        assert shown[label] == figure_text(name, getattr(expected, name), lang), name
    assert at.title[0].value == translate(lang, "week.title", week=week_dates(WEEK, lang))


def test_each_headline_figure_lists_its_tickets(city, db_url, monkeypatch):
    at = _week(monkeypatch, db_url, week=WEEK.label).run()
    with city.connect() as conn:
        expected = review(conn, WEEK).figures[CITY]
    at.button(key="week_list_overdue_at_end").click().run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert f"{expected.overdue_at_end} tickets; the status as at the week's end." in captions
    assert expected.overdue_at_end > 0


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_lists_opened_one_after_another_each_show_their_own_figure(city, db_url, monkeypatch,
                                                                   lang):
    from words.language import translate

    at = _week(monkeypatch, db_url, week=WEEK.label, lang=lang).run()
    with city.connect() as conn:
        expected = review(conn, WEEK).figures[CITY]
    scope = translate(lang, "week.list.city")
    for name in ("overdue_at_end", "received", "passed_on", "open_at_end"):
        at.button(key=f"week_list_{name}").click().run()
        assert not at.exception
        title = translate(lang, "week.list.title", figure=translate(lang, f"week.figure.{name}"),
                          scope=scope, week=WEEK.label)
        assert f"**{title}**" in [m.value for m in at.markdown], name
        count = translate(lang, "week.list.count", n=figure_text("received",
                                                                 getattr(expected, name), lang))
        assert count in [c.value for c in at.caption], name


def test_a_bad_week_in_the_link_is_named_and_the_last_full_week_shown(city, db_url, monkeypatch):
    at = _week(monkeypatch, db_url, week="2026-W99").run()
    assert not at.exception
    assert "2026-W99" in at.warning[0].value


@pytest.mark.parametrize("actor", [Actor("vera", "viewer"), Actor("roman", "head", "ROADS")])
def test_only_leadership_and_dispatchers_get_the_week(city, db_url, monkeypatch, actor):
    at = _week(monkeypatch, db_url, actor=actor, week=WEEK.label).run()
    assert not at.exception
    assert not any(m.label == "Received" for m in at.metric)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_meeting_screens_week_panel_shows_the_week_that_ended(city, db_url, monkeypatch,
                                                                   lang):
    from ui import data

    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    at = app(monkeypatch, db_url, view="wall", panel="week", lang=lang).run()
    assert not at.exception and not at.error
    shown = "\n".join(m.value for m in at.markdown)
    with city.connect() as conn:
        result = review(conn, WEEK)
    expected = result.figures[CITY]
    found = dict(re.findall(r'data-figure="(\w+)"><div class="label"[^>]*>.*?</div>'
                            r'<div class="value"[^>]*>([^<]*)</div>', shown))
    assert found == {name: html.escape(figure_text(name, getattr(expected, name), lang))
                     for name in FIGURES}
    # the week in words, with no ISO week and no zone (a Russian wall holds no Latin word)
    assert html.escape(week_title(result, lang)) in shown and WEEK.label not in shown
    worst = result.discuss()[0]
    name = result.departments.set_index("id").loc[worst, "name_ru" if lang == "ru" else "name"]
    assert html.escape(name) in shown
