# ruff: noqa: F811
"""The connectors against fakes that page at 20 and send poison: a 5 MB message, a post dated
10^20, an update_id of "abc", an update that kills its decision; every pass reads until the
network has nothing more, skips the poison with a reason and never ends the process; tokens are
scrubbed in every spelling. Hostile answers (a gzip bomb, an endless body, a trickle) fail one
pass in one line, bounded in memory and time, and the next pass takes everything. On both
databases."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import func, select

from db.__main__ import main
from db.schema import tickets
from db.transactions import Contention
from feeds import health as feeds
from feeds.intake import pipeline
from feeds.intake.api import Secrets
from feeds.intake.feed import take
from feeds.intake.telegram import TelegramSource
from feeds.intake.vk import VkSource
from tests.social_fakes import BOMB_BYTES, FakeTelegram, FakeVk, bomb, serving
from tests.test_social import (  # noqa: F401
    NOW,
    TG_TOKEN,
    VK_TOKEN,
    assert_no_token,
    city_engine,
    live_city,
    rules,
    waits,
)

CHAT = {"id": -1001234567890, "type": "supergroup", "username": "city_chat"}
WORDS = ("Яма на дороге у дома {i} по улице Ленина, глубокая", )


def _post(i: int, **more) -> dict:
    at = int((NOW - timedelta(hours=2)).timestamp())
    return {"message_id": 100 + i, "chat": CHAT, "date": at, "text": WORDS[0].format(i=i),
            "from": {"id": 9000 + i, "first_name": "Anna"}, **more}


def _tickets(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar_one()


def test_a_telegram_pass_reads_pages_of_20_until_nothing_more(city_engine, rules, waits):
    fake = FakeTelegram(TG_TOKEN)
    fake.page_size = 20
    fake.updates = [{"update_id": 1000 + i, "message": _post(i)} for i in range(23)]
    with serving(fake) as base:
        counts = take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60)
    assert sum(counts.values()) == 23  # was 20: an answer shorter than 100 ended the pass
    assert fake.updates == []


def test_telegram_poison_updates_are_passed_and_the_rest_taken(city_engine, rules, waits,
                                                               monkeypatch):
    fake = FakeTelegram(TG_TOKEN)
    fake.updates = [
        {"update_id": 1, "message": _post(1, text="x" * 5_000_000)},  # a 5 MB message
        {"update_id": 2, "message": _post(2, date=10 ** 20)},  # dated 10^20
        {"update_id": "abc", "message": _post(3)},
        {"update_id": 4, "message": _post(4, text="Не горит фонарь у дома 4, темно")},
        {"update_id": 5, "message": _post(5)},
    ]
    real = pipeline.decide

    def dies_on_the_lamp(conn, message, *args, **kwargs):
        if "фонарь" in message.text:
            raise ValueError("a record that kills its decision")
        return real(conn, message, *args, **kwargs)
    monkeypatch.setattr("feeds.intake.feed.decide", dies_on_the_lamp)
    with serving(fake) as base:
        counts = take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60)
        again = take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60)
    assert counts["skipped"] == 3 and sum(counts.values()) == 4 and sum(again.values()) == 0
    with city_engine.connect() as conn:
        [health] = feeds.health(conn, NOW)
        assert feeds.cursor(conn, "telegram") == {"offset": 6}
    assert not health.failing
    assert health.last_error == ("https://t.me/city_chat/104 passed over: "
                                 "a record that kills its decision")


def test_a_pass_that_other_writers_block_every_time_is_the_feeds_error(city_engine, rules,
                                                                       waits, monkeypatch):
    """A message whose rows other writers hold through every try ends the pass: what came
    before stays taken, the feed is failing with the reason, and the next pass starts there."""
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        pgcode = "40P01"

        def __str__(self) -> str:
            return "deadlock detected"

    fake = FakeTelegram(TG_TOKEN)
    fake.updates = [{"update_id": i, "message": _post(i)} for i in (1, 2, 3)]
    real = pipeline.decide

    def held(conn, message, *args, **kwargs):
        if "дома 2 " in message.text:
            raise OperationalError("UPDATE tickets", {}, Deadlock())
        return real(conn, message, *args, **kwargs)
    monkeypatch.setattr("feeds.intake.feed.decide", held)
    monkeypatch.setattr("db.transactions.time.sleep", lambda _s: None)
    with serving(fake) as base:
        with pytest.raises(Contention):
            take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60)
        with city_engine.connect() as conn:
            [health] = feeds.health(conn, NOW)
            assert feeds.cursor(conn, "telegram") == {"offset": 2}  # the first one is taken
        assert health.failing
        assert health.last_error == ("other writers held the same tickets; gave up after 4 "
                                     "tries (deadlock detected)")
        monkeypatch.setattr("feeds.intake.feed.decide", real)
        again = take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60)
    assert sum(again.values()) == 2
    with city_engine.connect() as conn:
        [health] = feeds.health(conn, NOW)
    assert not health.failing


def test_vk_poison_posts_are_passed_and_the_rest_taken(city_engine, rules, waits):
    fake = FakeVk(VK_TOKEN)
    at = int((NOW - timedelta(hours=2)).timestamp())
    fake.posts[176543] = [
        {"id": 1, "from_id": 5, "date": at, "text": WORDS[0].format(i=1), "comments": {"count": 0}},
        {"id": 2, "from_id": 5, "date": 10 ** 20, "text": WORDS[0].format(i=2)},
        {"id": 3, "from_id": 5, "date": at, "text": "y" * 5_000_000},
        {"id": 4, "from_id": 5, "date": at, "text": WORDS[0].format(i=4), "comments": {"count": 0}},
    ]
    with serving(fake) as base:
        counts = take(city_engine, VkSource(VK_TOKEN, (176543,), base), rules, NOW, 60)
    assert sum(counts.values()) == 3 and counts["skipped"] == 1  # the 5 MB post: no message
    assert _tickets(city_engine) >= 1


def test_tokens_are_scrubbed_in_every_spelling():
    secret_half = TG_TOKEN.split(":", 1)[1]
    scrub = Secrets((TG_TOKEN, VK_TOKEN)).scrub
    for echoed in (TG_TOKEN, quote(TG_TOKEN, safe=""), secret_half, quote_plus(VK_TOKEN),
                   quote(VK_TOKEN, safe=""), quote(TG_TOKEN, safe="").lower()):
        assert scrub(f"error: token={echoed} refused") == "error: token=*** refused"
    assert scrub("bot 7001234567 is fine") == "bot 7001234567 is fine"  # the id is no secret


MAX_MB = 1  # CITYDESK_FEED_MAX_MB in the hostile tests: the bomb inflates to 20 times that
REQUEST_SECONDS = 2  # CITYDESK_FEED_REQUEST_SECONDS in the hostile tests
HOSTILE_REASONS = {"bomb": "an answer larger than 1 MB", "endless": "an answer larger than 1 MB",
                   "trickle": "the server sent its answer too slowly"}


COMPLAINTS = ("Яма на дороге у дома 1 по улице Ленина, глубокая",
              "Не горит фонарь у дома 4 по улице Чапаева, темно")


def _complain(vk: FakeVk, tg: FakeTelegram, i: int) -> None:
    """The i-th complaint (from 1), new on each network (the CLI's passes run at the real now)."""
    at, text = int((datetime.now(UTC) - timedelta(hours=1)).timestamp()), COMPLAINTS[i - 1]
    vk.posts.setdefault(77, []).append({"id": i, "from_id": -77, "date": at, "post_type": "post",
                                        "text": text, "comments": {"count": 0}})
    tg.updates.append({"update_id": 100 + i, "message": _post(i, date=at, text=text)})


def _pass(url: str, network: str, capsys) -> tuple[int, str, str, float, int]:
    """One `intake --from NETWORK --once`: exit code, stdout, stderr, seconds, peak bytes
    allocated by Python meanwhile (tracemalloc)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        code = main(["--database", url, "intake", "--from", network, "--once"])
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out = capsys.readouterr()
    return code, out.out, out.err, seconds, peak


@pytest.mark.parametrize("hostile", ["bomb", "endless", "trickle"])
@pytest.mark.parametrize("network", ["vk", "telegram"])
def test_a_hostile_answer_fails_one_pass_in_one_line_bounded_and_the_next_takes_all(
        live_city, city_engine, monkeypatch, capsys, network, hostile):
    assert len(bomb()) < 30_000 and BOMB_BYTES >= 20 * MAX_MB * 1_000_000
    monkeypatch.setenv("CITYDESK_FEED_MAX_MB", str(MAX_MB))
    monkeypatch.setenv("CITYDESK_FEED_REQUEST_SECONDS", str(REQUEST_SECONDS))
    vk, tg = FakeVk(VK_TOKEN), FakeTelegram(TG_TOKEN)
    fake = vk if network == "vk" else tg
    outputs = []
    with serving(vk) as vk_base, serving(tg) as tg_base:
        monkeypatch.setenv("CITYDESK_VK_API_URL", vk_base + "/method")
        monkeypatch.setenv("CITYDESK_TELEGRAM_API_URL", tg_base)
        _complain(vk, tg, 1)
        code, out, err, _, _ = _pass(live_city, network, capsys)  # its imports warmed, too
        assert code == 0 and "1 ticket" in out, err
        _complain(vk, tg, 2)
        fake.hostile, fake.calls = hostile, 0
        code, out, err, seconds, peak = _pass(live_city, network, capsys)
        outputs += [out, err]
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert HOSTILE_REASONS[hostile] in err and "Traceback" not in err
        assert fake.calls == 1  # not asked again: another try costs as much
        # the bomb inflates to 20 MB, the endless body to what the server sends in 60 s
        assert peak < 4 * MAX_MB * 1_000_000, peak
        assert seconds < REQUEST_SECONDS + 3
        with city_engine.connect() as conn:
            [feed] = feeds.health(conn, datetime.now(UTC))
        assert feed.failing and HOSTILE_REASONS[hostile] in feed.last_error
        assert _tickets(city_engine) == 1

        fake.hostile = None
        code, out, err, _, _ = _pass(live_city, network, capsys)
        outputs += [out, err, feed.last_error]
    assert code == 0 and "1 ticket" in out, err
    with city_engine.connect() as conn:
        [feed] = feeds.health(conn, datetime.now(UTC))
    assert not feed.failing and _tickets(city_engine) == 2
    assert_no_token(city_engine, *outputs)
