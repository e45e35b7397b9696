"""Feed health on the overview and the meeting screen: any kind of feed, its last successful
sync, lag and last error, and a stale feed said so with the time of its last good data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from access.permissions import Actor
from feeds import health as feeds
from tests.pages import app
from ui import data
from ui import feeds as feed_ui

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # 12:30 in Moscow


@pytest.fixture
def three_feeds(engine, monkeypatch):
    """A dispatch system whose last success was 10 minutes ago at a 60 s interval (stale, and
    failing since), a VK connector in good health, and a kind no page was written for."""
    with engine.begin() as conn:
        feeds.ensure(conn, "open311 https://311.city.example/v2", "open311", 60)
        feeds.advance(conn, "open311 https://311.city.example/v2", NOW - timedelta(minutes=10),
                      {"watermark": "x"}, {"inserted": 12, "updated": 3},
                      data_at=NOW - timedelta(minutes=25))
        feeds.fail(conn, "open311 https://311.city.example/v2", NOW - timedelta(minutes=1),
                   "HTTP 503 (5 tries)")
        feeds.ensure(conn, "vk", "vk", 120)
        feeds.advance(conn, "vk", NOW - timedelta(minutes=1), {"offset": 9}, {"ticket": 4},
                      data_at=NOW - timedelta(minutes=2, seconds=30))
        feeds.ensure(conn, "matrix", "matrix", 60)
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    with engine.connect() as conn:
        return feeds.health(conn, NOW)


def test_the_table_shows_each_feed_with_its_last_sync_lag_and_error(three_feeds, monkeypatch):
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    frame = feed_ui.table(three_feeds, NOW, "en")
    rows = {row["Feed"]: row for row in frame.to_dict("records")}
    dispatch = rows["open311 https://311.city.example/v2"]
    assert dispatch["Kind"] == "Dispatch system (Open311)"
    assert dispatch["State"] == "Stale"
    assert dispatch["Last successful sync"] == "Nov 26, 2026, 12:20 (10 min ago)"
    assert dispatch["Lag (age of its newest data)"] == "25 min"
    assert dispatch["Last error"] == "Nov 26, 2026, 12:29: HTTP 503 (5 tries)"
    assert dispatch["Written so far"] == "12 new, 3 changed"
    vk = rows["vk"]
    assert (vk["Kind"], vk["State"], vk["Last error"], vk["Written so far"]) == (
        "VK", "OK", "", "4 ticket")
    assert vk["Lag (age of its newest data)"] == "2 min 30 s"
    other = rows["matrix"]
    assert (other["Kind"], other["State"], other["Last successful sync"]) == (
        "matrix", "OK", "never")
    russian = feed_ui.table(three_feeds, NOW, "ru")
    assert list(russian.columns)[:3] == ["Источник", "Тип", "Состояние"]
    assert russian.iloc[1]["Состояние"] == "Отстал"  # by name: matrix, open311…, vk


def test_only_the_stale_feed_is_said_so_with_its_last_good_time(three_feeds, monkeypatch):
    monkeypatch.setenv("CITY_TZ", "Europe/Moscow")
    assert feed_ui.stale_lines(three_feeds, "en") == [
        "Feed Dispatch system (Open311) «open311 https://311.city.example/v2» is stale: no "
        "successful sync since Nov 26, 2026, 12:20. Its tickets are shown as of then."]
    [russian] = feed_ui.stale_lines(three_feeds, "ru")
    assert russian.startswith("Источник Диспетчерская система (Open311)") and "26.11.2026 12:20" \
        in russian
    assert "Dispatch system (Open311): no new data since 12:20" in feed_ui.wall_banner(
        three_feeds, "en")
    never = [f for f in three_feeds if f.name == "matrix"]
    assert feed_ui.stale_lines(never, "en") == []  # not yet tried: nothing to say


@pytest.mark.parametrize(("role", "sees_table"), [("leadership", True), ("dispatcher", True),
                                                  ("viewer", False), ("head", False)])
def test_overview_warns_everyone_and_shows_the_table_to_leadership_and_dispatchers(
        three_feeds, db_url, monkeypatch, role, sees_table):
    actor = Actor("u", role, department="ROADS" if role == "head" else None)
    at = app(monkeypatch, db_url, actor=actor)
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Feed Dispatch system (Open311)") and "since Nov 26, 2026, 12:20"
               in w for w in warnings)
    tables = [e for e in at.expander if e.label == "Feeds"]
    assert bool(tables) == sees_table
    if sees_table:
        [frame] = [d.value for d in tables[0].dataframe]
        assert sorted(frame["Feed"]) == ["matrix", "open311 https://311.city.example/v2", "vk"]


def test_russian_overview_warns_in_russian(three_feeds, db_url, monkeypatch):
    at = app(monkeypatch, db_url, lang="ru")
    at.run()
    assert not at.exception
    assert any(w.value.startswith("Источник Диспетчерская система") for w in at.warning)
    assert any(e.label == "Источники данных" for e in at.expander)


def test_wall_says_a_feed_is_stale(three_feeds, db_url, monkeypatch):
    at = app(monkeypatch, db_url, view="wall", panel="2")
    at.run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert 'data-testid="feeds-stale"' in shown
    assert "Dispatch system (Open311): no new data since 12:20" in shown


def test_no_feed_no_word(engine, db_url, monkeypatch):
    monkeypatch.setattr(data, "live_now", lambda interval=data.TTL: NOW)
    at = app(monkeypatch, db_url)
    at.run()
    assert not at.exception
    assert not [e for e in at.expander if e.label == "Feeds"]
    assert not any("stale" in w.value for w in at.warning)
