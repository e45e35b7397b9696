"""The VK and Telegram connectors against fake APIs on loopback, on both databases.

The labelled messages are served as VK posts and comments and as Telegram updates; each must be
taken exactly once, through restarts and rate limits, with the decision the file intake gives the
same message; a second run takes nothing; and no token shows anywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, text

from db.__main__ import main
from db.config import city_tz
from db.schema import map_cells, metadata, ticket_events, ticket_reports, tickets
from feeds import health as feeds
from feeds.intake import api
from feeds.intake.api import FeedError, Secrets
from feeds.intake.feed import Taken, take
from feeds.intake.messages import Message, parse_line
from feeds.intake.pipeline import intake
from feeds.intake.rules import load_rules
from feeds.intake.telegram import TelegramSource
from feeds.intake.vk import VkSource, parse_groups
from tests.social_fakes import FakeTelegram, FakeVk, serving
from tests.test_intake import LABELLED, load_city

VK_TOKEN = "vk1.a.SECRET-community-token-5c9e"
TG_TOKEN = "7001234567:AAH-secret-bot-token_QvX"
GROUPS = (176543, 5283)
NOW = datetime(2026, 11, 14, tzinfo=UTC)  # after the labelled set's last message
WATCH = timedelta(days=30)


@pytest.fixture
def city_engine(engine: Engine) -> Engine:
    with engine.begin() as conn:
        load_city(conn)
    return engine


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits asked for (backoff, Retry-After, pacing), without waiting."""
    asked: list[float] = []
    monkeypatch.setattr(api, "sleep", asked.append)
    return asked


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def labelled() -> list[Message]:
    """The labelled set as messages (labels never reach a decision)."""
    tz = city_tz()
    return [parse_line(i, raw, tz, NOW)
            for i, raw in enumerate(LABELLED.read_text(encoding="utf-8").splitlines(), 1)]


def file_line(network: str, m: Message, url: str, coordinates: bool) -> str:
    """The same message as the file intake reads it."""
    row = {"network": network, "author": m.author, "text": m.text, "url": url,
           "posted_at": m.posted_at.isoformat()}
    if coordinates and m.lat is not None:
        row |= {"lat": m.lat, "long": m.lon}
    return json.dumps(row, ensure_ascii=False)


def vk_world(fake: FakeVk) -> list[str]:
    """Every labelled message as a post or a comment (each third one, under its community's
    latest post) in two communities, plus a photo post without text; the file lines alike."""
    lines = []
    next_id = dict.fromkeys(GROUPS, 1000)
    latest: dict[int, dict] = {}
    authors: dict[str, int] = {}
    for i, m in enumerate(labelled()):
        group = GROUPS[i % 2]
        author = authors.setdefault(m.author or "", 100 + len(authors))
        fake.profiles[author] = {"id": author, "first_name": m.author, "last_name": ""}
        next_id[group] += 1
        item = {"id": next_id[group], "owner_id": -group, "from_id": author,
                "date": int(m.posted_at.timestamp()), "text": m.text}
        if i % 3 == 2 and group in latest:
            post = latest[group]
            fake.comments.setdefault((group, post["id"]), []).append(item | {"post_id": post["id"]})
            post["comments"]["count"] += 1
            url = f"https://vk.com/wall-{group}_{post['id']}?reply={item['id']}"
            lines.append(file_line("vk", m, url, False))  # a comment has no place
        else:
            if m.lat is not None:
                item["geo"] = {"type": "point", "coordinates": f"{m.lat} {m.lon}"}
            post = item | {"post_type": "post", "comments": {"count": 0}}
            fake.posts.setdefault(group, []).append(post)
            latest[group] = post
            url = f"https://vk.com/wall-{group}_{item['id']}"
            lines.append(file_line("vk", m, url, True))
        if i == 40:  # a photo without a caption: nothing to decide
            next_id[group] += 1
            fake.posts[group].append({"id": next_id[group], "owner_id": -group,
                                      "from_id": author, "date": item["date"], "text": "",
                                      "post_type": "post", "comments": {"count": 0}})
    return lines


def telegram_world(fake: FakeTelegram) -> list[str]:
    """Every labelled message as an update in a supergroup or a channel, with edits of earlier
    messages, a private chat and a sticker between them; the file lines alike."""
    chats = ({"id": -1001234567890, "type": "supergroup", "username": "sev_chat",
              "title": "Севастополь: чат"},
             {"id": -1009876543210, "type": "channel", "username": "sev_news",
              "title": "Новости"})
    lines = []
    update_id = 500_000
    sent: list[dict] = []

    def add(kind: str, post: dict) -> None:
        nonlocal update_id
        update_id += 1
        fake.updates.append({"update_id": update_id, kind: post})

    for i, m in enumerate(labelled()):
        chat = chats[i % 2]
        post = {"message_id": 2000 + i, "chat": chat, "date": int(m.posted_at.timestamp()),
                "text": m.text}
        if chat["type"] == "channel":
            add("channel_post", post | {"author_signature": m.author})
        else:
            add("message", post | {"from": {"id": 9000 + i, "is_bot": False,
                                            "first_name": m.author}})
        sent.append(post)
        lines.append(file_line("telegram", m, f"https://t.me/{chat['username']}/{2000 + i}",
                               False))
        if i % 25 == 24:
            earlier = sent[i - 3]
            kind = "edited_channel_post" if earlier["chat"]["type"] == "channel" else \
                "edited_message"
            add(kind, earlier | {"text": earlier["text"] + " (upd: still not fixed)",
                                 "edit_date": earlier["date"] + 600})
            add("message", {"message_id": 1, "chat": {"id": 42, "type": "private"},
                            "date": earlier["date"], "text": "Яма на дороге у дома 5"})
            add("message", {"message_id": 3000 + i, "chat": chats[0],
                            "date": earlier["date"], "sticker": {"file_id": "x"}})
    return lines


def file_outcomes(engine: Engine, lines: list[str]) -> list:
    """What the file intake decides about the same messages, on the same database emptied."""
    with engine.begin() as conn:
        for table in (ticket_events, ticket_reports, tickets, map_cells):
            conn.execute(delete(table))
    return intake(engine, lines, now=NOW)


def assert_same_decisions(taken: list[Taken], lines: list[str], outcomes: list) -> None:
    """Each message taken once, with the decision, category, department and ticket (as the
    message that made it) that the file intake gives it."""
    index = {json.loads(line)["url"]: i for i, line in enumerate(lines)}
    made = {t.outcome.ticket: index[t.url] for t in taken if t.outcome.decision == "ticket"}
    got: list = [None] * len(lines)
    for t in taken:
        i = index[t.url]
        assert got[i] is None, f"{t.url} taken twice"
        o = t.outcome
        got[i] = (o.decision, o.category, o.department, made.get(o.ticket))
    file_made = {o.ticket: i for i, o in enumerate(outcomes) if o.decision == "ticket"}
    want = [(o.decision, o.category, o.department, file_made.get(o.ticket)) for o in outcomes]
    assert got == want


def assert_no_token(engine: Engine, *texts: str) -> None:
    for value in texts:
        for token in (VK_TOKEN, TG_TOKEN):
            assert token not in value
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                dumped = json.dumps([str(v) for v in row])
                assert VK_TOKEN not in dumped and TG_TOKEN not in dumped, table.name


class Crash(Exception):
    """The process dies after a message was committed."""


def test_vk_takes_every_labelled_post_and_comment_once_as_the_file_intake_decides(
        city_engine, rules, waits):
    fake = FakeVk(VK_TOKEN)
    lines = vk_world(fake)
    fake.rate_limit_every = 7
    taken: list[Taken] = []
    with serving(fake) as base:
        source = VkSource(VK_TOKEN, GROUPS, base + "/method", watch=WATCH)
        fake.broken_pages = True  # the second page of each wall fails: nothing is taken
        with pytest.raises(FeedError, match=r"community 176543: wall\.get: HTTP 503"):
            take(city_engine, source, rules, NOW, 60, taken.append)
        assert taken == []
        fake.broken_pages = False

        def crash_after_150(t: Taken) -> None:
            taken.append(t)
            if len(taken) == 150:
                raise Crash

        with pytest.raises(Crash):
            take(city_engine, source, rules, NOW, 60, crash_after_150)
        take(city_engine, source, rules, NOW, 60, taken.append)
        assert len(taken) == len(lines)
        again = take(city_engine, source, rules, NOW + timedelta(minutes=1), 60, taken.append)
        assert sum(again.values()) == 0 and len(taken) == len(lines)
    assert 1.0 in waits  # error 6 was waited out with backoff
    with city_engine.connect() as conn:
        [health] = feeds.health(conn, NOW + timedelta(minutes=1))
        cursor = feeds.cursor(conn, "vk")
    assert health.last_success_at == NOW + timedelta(minutes=1)
    assert health.counts["skipped"] == 1  # the photo without a caption
    assert health.last_data_at == max(m.posted_at for m in labelled())
    assert health.last_error is not None and "503" in health.last_error
    assert set(cursor) == {str(g) for g in GROUPS}
    assert_no_token(city_engine, *(json.dumps(t.report()) for t in taken))
    assert_same_decisions(taken, lines, file_outcomes(city_engine, lines))


def test_telegram_takes_every_labelled_update_once_through_a_restart_between_pages(
        city_engine, rules, waits):
    fake = FakeTelegram(TG_TOKEN)
    lines = telegram_world(fake)
    fake.rate_limit_every = 5
    fake.retry_after = 3
    taken: list[Taken] = []
    with serving(fake) as base:
        source = TelegramSource(TG_TOKEN, base)
        fake.broken_pages = True  # the first page is taken, the second fails
        with pytest.raises(FeedError, match="getUpdates: HTTP 503"):
            take(city_engine, source, rules, NOW, 60, taken.append)
        first = len(taken)
        assert 90 <= first <= 100
        fake.broken_pages = False
        counts = take(city_engine, source, rules, NOW, 60, taken.append)
        assert len(taken) == len(lines)
        assert counts["edited"] + counts["skipped"] > 0
        again = take(city_engine, source, rules, NOW + timedelta(minutes=1), 60, taken.append)
        assert sum(again.values()) == 0
    assert 3.0 in waits  # Retry-After honoured
    with city_engine.connect() as conn:
        edits = conn.execute(select(ticket_events.c.note).where(
            ticket_events.c.note.like("post edited:%"))).scalars().all()
        [health] = feeds.health(conn, NOW + timedelta(minutes=1))
    assert edits and all("(upd: still not fixed)" in n for n in edits)
    assert health.counts["edited"] + health.counts.get("skipped", 0) >= len(edits)
    assert not health.failing
    assert_no_token(city_engine, *(json.dumps(t.report()) for t in taken))
    assert_same_decisions(taken, lines, file_outcomes(city_engine, lines))


def test_an_edited_post_is_not_a_new_complaint(city_engine, rules, waits):
    fake = FakeTelegram(TG_TOKEN)
    chat = {"id": -1001, "type": "supergroup", "username": "city"}
    post = {"message_id": 7, "chat": chat, "date": int((NOW - timedelta(hours=1)).timestamp()),
            "from": {"id": 1, "first_name": "Ира"}, "text": "Привет всем!"}
    fake.updates = [{"update_id": 1, "message": post},
                    {"update_id": 2, "edited_message": post | {"text": "Яма на ул. Ленина, 14"}}]
    taken: list[Taken] = []
    with serving(fake) as base:
        counts = take(city_engine, TelegramSource(TG_TOKEN, base), rules, NOW, 60, taken.append)
    assert [t.outcome.decision for t in taken] == ["ignored"]
    assert (counts["ignored"], counts["skipped"]) == (1, 1)
    with city_engine.connect() as conn:
        assert conn.execute(select(tickets.c.id)).all() == []


def test_an_old_wall_is_not_taken_on_the_first_run_and_a_pinned_post_ends_no_page(
        city_engine, rules, waits):
    fake = FakeVk(VK_TOKEN)
    day = int(NOW.timestamp()) - 86_400
    fake.posts[1] = [
        {"id": 1, "from_id": -1, "date": day - 30 * 86_400, "text": "Яма на ул. Ленина, 14",
         "comments": {"count": 0}},
        {"id": 2, "from_id": -1, "date": day - 20 * 86_400, "text": "Старое объявление",
         "comments": {"count": 0}, "is_pinned": 1},
        {"id": 3, "from_id": -1, "date": day, "text": "Не горит фонарь на ул. Чапаева, 6",
         "comments": {"count": 0}}]
    fake.posts[1] = [fake.posts[1][0], fake.posts[1][2], fake.posts[1][1]]  # pinned on top
    taken: list[Taken] = []
    with serving(fake) as base:
        take(city_engine, VkSource(VK_TOKEN, (1,), base + "/method"), rules, NOW, 60,
             taken.append)
    assert [t.url for t in taken] == ["https://vk.com/wall-1_3"]


def test_a_refusal_is_one_line_without_the_token(city_engine, rules, waits):
    fake = FakeTelegram(TG_TOKEN)
    with serving(fake) as base, pytest.raises(FeedError) as refused:
        take(city_engine, TelegramSource("7001234567:WRONG-token", base), rules, NOW, 60)
    assert str(refused.value) == "getUpdates: Telegram error 401: Unauthorized"
    with pytest.raises(FeedError) as unreachable:
        take(city_engine, TelegramSource(TG_TOKEN, "http://127.0.0.1:9"), rules, NOW, 60)
    assert "after 5 attempts" in str(unreachable.value) and "\n" not in str(unreachable.value)
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]
    assert_no_token(city_engine, str(unreachable.value))
    assert Secrets((TG_TOKEN,)).scrub(f"GET https://x/bot{TG_TOKEN}/getUpdates\nfailed") == \
        "GET https://x/bot***/getUpdates failed"


@pytest.mark.parametrize(("value", "groups"), [
    ("12345,67890", (12345, 67890)), ("-12345, club67890, 12345", (12345, 67890))])
def test_communities_are_read_from_the_setting(value, groups):
    assert parse_groups(value) == groups


@pytest.mark.parametrize("value", ["", "abc", "12,x"])
def test_a_bad_communities_setting_is_refused_in_one_line(value):
    with pytest.raises(ValueError, match="CITYDESK_VK_GROUPS"):
        parse_groups(value)


@pytest.fixture
def live_city(city_engine, db_url, monkeypatch, waits) -> Iterator[str]:
    monkeypatch.setenv("CITYDESK_VK_TOKEN", VK_TOKEN)
    monkeypatch.setenv("CITYDESK_TELEGRAM_TOKEN", TG_TOKEN)
    monkeypatch.setenv("CITYDESK_VK_GROUPS", "77")
    yield db_url


def _recent(hours: float) -> int:
    return int((datetime.now(UTC) - timedelta(hours=hours)).timestamp())


def test_cli_runs_each_connector_once_reports_and_never_shows_a_token(
        live_city, city_engine, monkeypatch, tmp_path: Path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    vk, tg = FakeVk(VK_TOKEN), FakeTelegram(TG_TOKEN)
    vk.posts[77] = [{"id": 5, "from_id": -77, "date": _recent(2), "post_type": "post",
                     "text": "Яма на ул. Ленина, 14, колесо пробил", "comments": {"count": 1}}]
    vk.comments[(77, 5)] = [{"id": 9, "from_id": -77, "date": _recent(1), "post_id": 5,
                             "text": "Спасибо всем, кто пришёл на субботник!"}]
    tg.updates = [{"update_id": 10, "channel_post": {
        "message_id": 3, "date": _recent(1), "text": "Не горит фонарь на ул. Чапаева, 6",
        "chat": {"id": -1005, "type": "channel", "username": "sev_news"}}}]
    outputs = []
    with serving(vk) as vk_base, serving(tg) as tg_base:
        monkeypatch.setenv("CITYDESK_VK_API_URL", vk_base + "/method")
        monkeypatch.setenv("CITYDESK_TELEGRAM_API_URL", tg_base)
        for network in ("vk", "telegram", "vk", "telegram"):
            report = tmp_path / f"{network}.jsonl"
            code = main(["--database", live_city, "intake", "--from", network, "--once",
                         "--report", str(report)])
            out = capsys.readouterr()
            outputs += [out.out, out.err, report.read_text(encoding="utf-8")]
            assert code == 0, out.err
            if len(outputs) <= 6:
                first = [json.loads(line) for line in outputs[-1].splitlines()]
                assert all(set(r) == {"network", "url", "decision", "category", "department",
                                      "ticket", "reason"} for r in first)
                if network == "vk":
                    assert [(r["url"], r["decision"]) for r in first] == [
                        ("https://vk.com/wall-77_5", "ticket"),
                        ("https://vk.com/wall-77_5?reply=9", "ignored")]
                else:
                    assert [(r["url"], r["decision"], r["category"]) for r in first] == [
                        ("https://t.me/sev_news/3", "ticket", "street_light")]
            else:
                assert outputs[-1] == ""  # a second run takes nothing
    # The APIs are gone: one line, exit 1, recorded on the feed without the token.
    for network in ("vk", "telegram"):
        code = main(["--database", live_city, "intake", "--from", network, "--once"])
        out = capsys.readouterr()
        outputs += [out.out, out.err]
        assert code == 1 and out.err.count("\n") == 1 and "after 5 attempts" in out.err
    with city_engine.connect() as conn:
        errors = [h.last_error for h in feeds.health(conn, datetime.now(UTC))]
        sources = conn.execute(text("SELECT source_url FROM tickets ORDER BY source_url")
                               ).scalars().all()
    assert all(errors) and sources == ["https://t.me/sev_news/3", "https://vk.com/wall-77_5"]
    assert_no_token(city_engine, *outputs, *errors, caplog.text)


def test_cli_names_a_missing_setting_in_one_line(db_url, monkeypatch, capsys):
    monkeypatch.delenv("CITYDESK_TELEGRAM_TOKEN", raising=False)
    assert main(["--database", db_url, "intake", "--from", "telegram", "--once"]) == 2
    assert capsys.readouterr().err == (
        "intake: CITYDESK_TELEGRAM_TOKEN is not set: see docs/feeds.md\n")
    assert main(["--database", db_url, "intake"]) == 2


def test_a_post_out_of_shape_is_passed_over_and_the_pass_goes_on(city_engine, rules, waits):
    fake = FakeVk(VK_TOKEN)
    fake.posts[1] = [{"id": 3, "from_id": -1, "text": "Яма на ул. Ленина, 14"}]  # no date
    with serving(fake) as base:
        counts = take(city_engine, VkSource(VK_TOKEN, (1,), base + "/method"), rules, NOW, 60)
    assert sum(counts.values()) == 0  # a poison post costs itself, never the pass
    with city_engine.connect() as conn:
        [health] = feeds.health(conn, NOW)
    assert not health.failing and health.last_success_at == NOW
