# ruff: noqa: F811
"""The connectors against fakes that page at 20 and send poison: a 5 MB message, a post dated
10^20, an update_id of "abc", an update that kills its decision; every pass reads until the
network has nothing more, skips the poison with a reason and never ends the process; tokens are
scrubbed in every spelling. On both databases."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, quote_plus

from sqlalchemy import func, select

from db import feeds
from db.intake import pipeline
from db.intake.api import Secrets
from db.intake.feed import take
from db.intake.telegram import TelegramSource
from db.intake.vk import VkSource
from db.schema import tickets
from tests.social_fakes import FakeTelegram, FakeVk, serving
from tests.test_social import NOW, TG_TOKEN, VK_TOKEN, city_engine, rules, waits  # noqa: F401

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
    monkeypatch.setattr("db.intake.feed.decide", dies_on_the_lamp)
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
