"""Feeds keep their cursor with their data and tell when they went stale."""

from datetime import UTC, datetime, timedelta

from feeds import health as feeds

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_new_feed_has_no_cursor_and_is_not_stale(engine):
    with engine.begin() as conn:
        feeds.ensure(conn, "open311 test", "open311", 60)
    with engine.connect() as conn:
        assert feeds.cursor(conn, "open311 test") is None
        [health] = feeds.health(conn, NOW)
    assert (health.name, health.kind, health.stale, health.failing) == (
        "open311 test", "open311", False, False)


def test_the_cursor_moves_only_with_its_transaction(engine):
    with engine.begin() as conn:
        feeds.ensure(conn, "vk", "vk", 60)
    try:
        with engine.begin() as conn:
            feeds.advance(conn, "vk", NOW, {"offset": 5}, {"ticket": 2})
            raise RuntimeError("the write failed")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        assert feeds.cursor(conn, "vk") is None
    with engine.begin() as conn:
        feeds.advance(conn, "vk", NOW, {"offset": 5}, {"ticket": 2, "ignored": 0},
                      data_at=NOW - timedelta(minutes=3))
        feeds.advance(conn, "vk", NOW + timedelta(minutes=1), {"offset": 9}, {"ticket": 1},
                      data_at=NOW - timedelta(minutes=9))
    with engine.connect() as conn:
        assert feeds.cursor(conn, "vk") == {"offset": 9}
        [health] = feeds.health(conn, NOW + timedelta(minutes=1))
    assert health.counts == {"ticket": 3}
    assert health.last_data_at == NOW - timedelta(minutes=3)
    assert health.last_success_at == NOW + timedelta(minutes=1)


def test_a_feed_is_stale_after_three_intervals_without_success(engine):
    with engine.begin() as conn:
        feeds.ensure(conn, "telegram", "telegram", 60)
        feeds.advance(conn, "telegram", NOW, {"offset": 1})
        feeds.fail(conn, "telegram", NOW + timedelta(seconds=60),
                   "HTTP 502\nfrom the server   twice")
    with engine.connect() as conn:
        [at_limit] = feeds.health(conn, NOW + timedelta(seconds=180))
        [past] = feeds.health(conn, NOW + timedelta(seconds=181))
    assert (at_limit.stale, past.stale) == (False, True)
    assert past.failing and past.last_error == "HTTP 502 from the server twice"
    assert past.last_success_at == NOW
