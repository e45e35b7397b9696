"""Kiosk tokens on both databases: issued once, stored only as a hash, revoked by id or label."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select

from access import kiosk
from db.__main__ import main
from db.schema import kiosk_tokens


def stored(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(kiosk_tokens.c.token_hash)).scalars())


def test_a_token_opens_its_kiosk_and_only_its_hash_is_stored(engine):
    made, token = kiosk.issue(engine, "situation room")
    assert len(token) >= 43  # 32 random bytes
    assert stored(engine) == [hashlib.sha256(token.encode()).hexdigest()]
    assert kiosk.verify(engine, token) == made
    assert made.label == "situation room" and made.revoked_at is None
    assert kiosk.verify(engine, token[:-1]) is None
    assert kiosk.verify(engine, "") is None


def test_a_revoked_token_opens_nothing(engine):
    room, room_token = kiosk.issue(engine, "situation room")
    hall, hall_token = kiosk.issue(engine, "hall")
    assert [k.id for k in kiosk.revoke(engine, str(room.id))] == [room.id]
    assert kiosk.verify(engine, room_token) is None
    assert not kiosk.is_live(engine, room.id)
    assert kiosk.verify(engine, hall_token) == hall and kiosk.is_live(engine, hall.id)
    assert kiosk.revoke(engine, str(room.id)) == []  # once is enough


def test_revoking_a_label_revokes_every_live_token_of_it(engine):
    first, _ = kiosk.issue(engine, "hall")
    second, _ = kiosk.issue(engine, "hall")
    kiosk.issue(engine, "room")
    assert [k.id for k in kiosk.revoke(engine, "hall")] == [first.id, second.id]
    assert [k.label for k in kiosk.list_kiosks(engine) if k.revoked_at is None] == ["room"]


def test_cli_prints_the_token_once_and_lists_without_secrets(engine, db_url, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert main(["--database", db_url, "kiosk", "issue", "situation room"]) == 0
    issued = capsys.readouterr().out
    token = issued.split("kiosk=")[1].split()[0]
    assert kiosk.verify(engine, token).label == "situation room"

    assert main(["--database", db_url, "kiosk", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("#1\tsituation room\tissued ") and listed.endswith("\tlive\n")
    assert main(["--database", db_url, "kiosk", "revoke", "situation room"]) == 0
    assert capsys.readouterr().out == "revoked kiosk #1 'situation room'\n"
    assert main(["--database", db_url, "kiosk", "list"]) == 0
    listed += capsys.readouterr().out
    assert "\trevoked " in listed
    assert kiosk.verify(engine, token) is None
    for secret in (token, stored(engine)[0]):
        assert secret not in listed and secret not in caplog.text


def test_cli_says_when_there_is_nothing_to_revoke(engine, db_url, capsys):
    assert main(["--database", db_url, "kiosk", "revoke", "7"]) == 1
    assert capsys.readouterr().err == "no live kiosk token has the id or label '7'\n"
    assert main(["--database", db_url, "kiosk", "issue", "  "]) == 2


def test_the_printed_link_is_a_full_url_on_the_dashboards_port(engine, db_url, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("PORT", "8600")
    assert main(["--database", db_url, "kiosk", "issue", "hall"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    token = first.split("kiosk=")[1]
    assert first == f"kiosk #1 'hall': open the dashboard at http://localhost:8600/?kiosk={token}"
    assert kiosk.verify(engine, token).label == "hall"

    monkeypatch.delenv("PORT")
    assert main(["--database", db_url, "kiosk", "issue", "room"]) == 0
    assert "at http://localhost:8501/?kiosk=" in capsys.readouterr().out


def test_the_link_goes_to_the_base_url_given(engine, db_url, capsys):
    assert main(["--database", db_url, "kiosk", "issue", "hall",
                 "--base-url", "https://desk.city.example/"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    token = first.split("kiosk=")[1]
    assert first.endswith(f" at https://desk.city.example/?kiosk={token}")
    assert kiosk.verify(engine, token).label == "hall"
