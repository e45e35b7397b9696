"""Inputs a city operator mistypes: each is answered in one line with a non-zero exit, and the
database is left as it was (or not made at all)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from access.users import add_user
from db.__main__ import main
from db.config import SETTINGS
from db.schema import tickets, users

ROOT = Path(__file__).resolve().parent.parent


def one_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(tickets)).scalar_one(),
                conn.execute(select(func.count()).select_from(users)).scalar_one())


@pytest.mark.parametrize("where", ["environment", "option"])
def test_a_database_url_of_no_known_kind_is_one_line(tmp_path, where):
    env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SETTINGS}}
    env["PYTHONPATH"] = str(ROOT)
    args = [sys.executable, "-m", "db", "migrate"]
    if where == "environment":
        env["DATABASE_URL"] = "garbage://"
    else:
        args[3:3] = ["--database", "garbage://"]
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    prefix = "DATABASE_URL: " if where == "environment" else "--database: "  # a secret
    assert done.stderr == prefix + \
        "not a database URL (e.g. postgresql+psycopg2://user:pass@host/db)\n"
    assert list(tmp_path.iterdir()) == []


def test_seed_refuses_a_negative_count(engine, db_url, capsys):
    before = counts(engine)
    assert main(["--database", db_url, "seed", "--tickets", "-5"]) == 2
    assert one_line(capsys) == "--tickets must be at least 1, not -5"
    assert main(["--database", db_url, "seed", "--days", "0"]) == 2
    assert one_line(capsys) == "--days must be at least 1, not 0"
    assert counts(engine) == before


def test_a_mistyped_sqlite_folder_is_not_made(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'dta' / 'citydesk.db'}"
    assert main(["--database", url, "migrate"]) == 2
    assert one_line(capsys) == (f"no folder {tmp_path / 'dta'} for the database citydesk.db "
                                "(a mistyped path?); make the folder first")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["list", "departments"], ["user", "disable", "x"],
                                     ["sla", "show"], ["kiosk", "list"]])
def test_a_mistyped_sqlite_file_is_not_made_into_an_empty_city(tmp_path, capsys, command):
    path = tmp_path / "citydesk.db"
    assert main(["--database", f"sqlite:///{path}", *command]) == 2
    assert one_line(capsys) == f"no database at {path}: python -m db migrate makes one there"
    assert not path.exists()


def test_migrate_says_when_it_made_a_new_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'city.db'}"
    assert main(["--database", url, "migrate"]) == 0
    assert capsys.readouterr().out == (f"made a new, empty database ({url}); it is at the "
                                       "newest migration\n")
    assert main(["--database", url, "migrate"]) == 0
    assert capsys.readouterr().out == "database is at the newest migration\n"


def test_set_password_of_nobody_says_so_before_asking(engine, db_url, capsys, monkeypatch):
    add_user(engine, "dana", "leadership", "long enough password")
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))  # too short, were it read
    assert main(["--database", db_url, "user", "set-password", "ghost"]) == 1
    assert one_line(capsys) == "no user named 'ghost'"
    assert sys.stdin.read() == "x\n"  # the password was never read
    assert counts(engine) == (0, 1)


def test_list_says_when_there_is_nothing(engine, db_url, capsys):
    assert main(["--database", db_url, "list", "channels"]) == 0
    assert one_line(capsys) == "no channels yet"


def test_the_queries_command_refuses_a_mistyped_file_too(tmp_path, capsys):
    from queries.__main__ import main as queries_main

    path = tmp_path / "citydesk.db"
    assert queries_main(["--database", f"sqlite:///{path}", "summary"]) == 2
    assert one_line(capsys) == f"no database at {path}: python -m db migrate makes one there"
    assert not path.exists()


def test_an_engine_makes_no_folder_outside_the_projects_data(tmp_path):
    from db.engine import make_engine

    make_engine(f"sqlite:///{tmp_path / 'dta' / 'citydesk.db'}").dispose()
    assert not (tmp_path / "dta").exists()
