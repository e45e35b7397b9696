"""The channel breakdown's social figures: from post to acceptance, exact on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from db.schema import channels, tickets
from devtools import oracle
from queries.channels import social_response
from queries.filters import Filters
from tests.factory import add_ticket, reference
from tests.pages import app
from ui import lazy
from words.formatting import duration, number, percent
from words.language import translate

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
S = timedelta(seconds=1)


@pytest.fixture
def city(engine):
    reference(engine)
    # (channel, created, accepted): edges of the 24 hours, of the week, of as-of.
    for channel, created, accepted in [
        ("vk", NOW - 30 * H, NOW - 6 * H),             # exactly 24 h: within
        ("vk", NOW - 30 * H, NOW - 6 * H + S),         # 24 h and a second: not
        ("vk", NOW - 2 * H, NOW - H),                  # an hour
        ("vk", NOW - 3 * H, None),                     # not yet, still within its 24 h: left out
        ("vk", NOW - 24 * H, None),                    # its 24 h ran out exactly now: counted
        ("vk", NOW - 7 * 24 * H, NOW - 7 * 24 * H + H),  # exactly a week ago: out of the week
        ("telegram", NOW - 50 * H, NOW + H),           # accepted after as-of: not yet
        ("telegram", NOW - 5 * H, NOW - 5 * H + 90 * S),
        ("telegram", NOW - 48 * H, NOW - 47 * H),
        ("phone", NOW - 5 * H, NOW - 4 * H),           # not a social network
    ]:
        add_ticket(engine, created, accepted=accepted, channel=channel)
    return engine


def test_social_response_matches_an_independent_computation(city):
    frame = oracle.raw(city)
    with city.connect() as conn:
        codes = sorted(conn.execute(channels.select().where(channels.c.kind == "social"))
                       .mappings().all(), key=lambda r: r["code"])
        for as_of in (NOW, NOW - 6 * H, NOW + 2 * H, NOW - 30 * 24 * H):
            got = social_response(conn, Filters(as_of=as_of)).set_index("code")
            want = oracle.social_response(frame, [r["code"] for r in codes], as_of)
            assert list(got.index) == sorted(want)
            for code, figures in want.items():
                row = got.loc[code]
                for name, value in figures.items():
                    shown = row[name]
                    assert (None if pd_isna(shown) else shown) == pytest.approx(value), (
                        as_of, code, name)


def test_social_response_known_values(city):
    with city.connect() as conn:
        got = social_response(conn, Filters(as_of=NOW)).set_index("code")
    vk, telegram = got.loc["vk"], got.loc["telegram"]
    # vk: waits 24 h, 24 h + 1 s, 1 h; 2 of the 4 decided made it in 24 h.
    assert (vk.received_7d, vk.median_accept_s, vk.accepted_24h, vk.decided_24h) == (
        5, 24 * 3600, 2, 4)
    assert vk.accepted_24h_pct == 50.0
    # telegram: waits 90 s and 1 h (even count: their mean); one accepted only after as-of.
    assert (telegram.received_7d, telegram.median_accept_s) == (3, (90 + 3600) / 2)
    assert (telegram.accepted_24h, telegram.decided_24h) == (2, 3)
    assert "phone" not in got.index
    with city.connect() as conn:
        only = social_response(conn, Filters(as_of=NOW, channels=("telegram",))).set_index("code")
    assert only.loc["vk"].received_7d == 0 and pd_isna(only.loc["vk"].accepted_24h_pct)


def pd_isna(value) -> bool:
    return value is None or value != value


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_overview_shows_each_network_s_figures_under_the_channels(city, db_url, monkeypatch,
                                                                     lang):
    want = oracle.social_response(oracle.raw(city), ["telegram", "vk"], NOW)
    at = app(monkeypatch, db_url, as_of=NOW.isoformat(), lang=lang)
    at.session_state["trend_tab"] = translate(lang, "section.channels")  # the tab it lives in
    at.session_state[lazy.flag("trends")] = True  # the user has scrolled down to it
    at.run()
    assert not at.exception
    network = "Network" if lang == "en" else "Сеть"
    [table] = [d.value for d in at.table if d.value.index.name == network]
    names = {"en": {"telegram": "Telegram", "vk": "VKontakte"},
             "ru": {"telegram": "Телеграм", "vk": "ВКонтакте"}}[lang]
    assert [list(row) for row in table.reset_index().itertuples(index=False)] == [
        [names[code], number(w["received_7d"], lang), duration(w["median_accept_s"], lang),
         percent(w["accepted_24h_pct"], lang)] for code, w in sorted(want.items())]
    assert table.iloc[1].tolist()[1:] == (["1 d", "50.0%"] if lang == "en"
                                          else ["1 д", "50,0 %"])


def test_a_social_ticket_s_card_links_its_post(city, db_url, monkeypatch):
    post = "https://vk.com/wall-176543_10014"
    ticket = add_ticket(city, NOW - H, channel="vk")
    with city.begin() as conn:
        conn.execute(update(tickets).where(tickets.c.external_id == ticket)
                     .values(source_url=post))
    at = app(monkeypatch, db_url, id=ticket)
    at.switch_page("screens/ticket.py").run()
    assert not at.exception
    [button] = at.get("link_button")
    assert button.proto.url == post
