"""The settings table (db/config.py): every bad value gives one clear line and no traceback, on
the dashboard and on both command lines; and docs/configuration.md's table lists exactly the
table's settings with the same defaults."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from db import config
from db.config import ROOT, SETTINGS, check_settings
from words.catalog import CATALOG

# A bad value for every setting that can have one, and the line it gives.
BAD = [
    ("CITY_TZ", "Mars/Base", "CITY_TZ=Mars/Base: not a time zone (e.g. Europe/Moscow)"),
    ("CITYDESK_REFRESH_SECONDS", "abc", "CITYDESK_REFRESH_SECONDS=abc: not a whole number"),
    ("CITYDESK_REFRESH_SECONDS", "2", "CITYDESK_REFRESH_SECONDS=2: must be at least 5"),
    ("CITYDESK_LANG", "fr", "CITYDESK_LANG=fr: not one of en, ru"),
    ("CITYDESK_AT_RISK_HOURS", "nan", "CITYDESK_AT_RISK_HOURS=nan: not a number"),
    ("CITYDESK_AT_RISK_HOURS", "-1", "CITYDESK_AT_RISK_HOURS=-1: must be at least 0"),
    ("CITYDESK_WALL_SECONDS", "1.5", "CITYDESK_WALL_SECONDS=1.5: not a whole number"),
    ("CITYDESK_SIMULATE", "yes", "CITYDESK_SIMULATE=yes: not one of 0, 1"),
    ("CITYDESK_SIMULATE_SPEED", "0", "CITYDESK_SIMULATE_SPEED=0: must be above 0"),
    ("CITYDESK_READ_YOUR_WRITES_SECONDS", "soon",
     "CITYDESK_READ_YOUR_WRITES_SECONDS=soon: not a number"),
    ("CITYDESK_MAX_FAILURES", "0", "CITYDESK_MAX_FAILURES=0: must be at least 1"),
    ("CITYDESK_LOCK_MINUTES", "inf", "CITYDESK_LOCK_MINUTES=inf: not a number"),
    ("CITYDESK_IDLE_MINUTES", "0.5", "CITYDESK_IDLE_MINUTES=0.5: must be at least 1"),
    ("CITYDESK_VK_API_URL", "api.vk.com", "CITYDESK_VK_API_URL=api.vk.com: not an http:// or "
                                          "https:// URL"),
    ("CITYDESK_TELEGRAM_API_URL", "ftp://t.me", "CITYDESK_TELEGRAM_API_URL=ftp://t.me: not an "
                                                "http:// or https:// URL"),
    ("CITYDESK_INCIDENT_RULES", "/no/such/rules.toml",
     "CITYDESK_INCIDENT_RULES=/no/such/rules.toml: no such file"),
    ("CITYDESK_OPEN311_URL", "dispatch.city", "CITYDESK_OPEN311_URL=dispatch.city: not an "
                                              "http:// or https:// URL"),
    ("CITYDESK_OPEN311_EVERY", "1m", "CITYDESK_OPEN311_EVERY=1m: not a whole number"),
    ("CITYDESK_ON_TIME_TARGET", "120", "CITYDESK_ON_TIME_TARGET=120: must be between 0 and 100"),
    ("CITYDESK_OVERDUE_TARGET", "-5", "CITYDESK_OVERDUE_TARGET=-5: must be between 0 and 100"),
    ("PORT", "http", "PORT=http: not a whole number"),
    ("PORT", "70000", "PORT=70000: must be between 1 and 65535"),
    # URLs may hold a password: the line names the setting, never its value
    ("DATABASE_URL", "postgres//lena:secret@db", "DATABASE_URL: not a database URL "
                                                 "(e.g. postgresql+psycopg2://user:pass@host/db)"),
    ("DATABASE_READ_URL", "secret", "DATABASE_READ_URL: not a database URL "
                                    "(e.g. postgresql+psycopg2://user:pass@host/db)"),
    ("BENCH_DATABASE_URL", "secret", "BENCH_DATABASE_URL: not a database URL "
                                     "(e.g. postgresql+psycopg2://user:pass@host/db)"),
    ("TEST_DATABASE_URL", "secret", "TEST_DATABASE_URL: not a database URL "
                                    "(e.g. postgresql+psycopg2://user:pass@host/db)"),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting of the table set, so only what a test sets is read."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    return monkeypatch


def test_defaults_are_all_readable(clean_env):
    assert check_settings() == []
    assert (config.refresh_seconds(), config.wall_seconds(), config.language()) == (30, 20, "en")
    assert config.city_tz().key == "Europe/Moscow"


@pytest.mark.parametrize(("name", "text", "line"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_each_bad_value_gives_one_line(clean_env, name, text, line):
    clean_env.setenv(name, text)
    assert check_settings() == [line]
    with pytest.raises(config.SettingError, match=re.escape(line)):
        config.value(name)
    assert "secret" not in line


def test_two_bad_values_give_two_lines_in_the_tables_order(clean_env):
    clean_env.setenv("CITYDESK_REFRESH_SECONDS", "abc")
    clean_env.setenv("CITY_TZ", "Mars/Base")
    assert check_settings() == ["CITY_TZ=Mars/Base: not a time zone (e.g. Europe/Moscow)",
                                "CITYDESK_REFRESH_SECONDS=abc: not a whole number"]


def test_values_in_bounds_and_off_values_are_read(clean_env):
    for name, text in (("CITYDESK_REFRESH_SECONDS", "5"), ("CITYDESK_ON_TIME_TARGET", "100"),
                       ("CITYDESK_LANG", "RU"), ("CITY_TZ", "America/Los_Angeles"),
                       ("CITYDESK_BASEMAP", "none"), ("PORT", "65535")):
        clean_env.setenv(name, text)
    assert check_settings() == []
    assert (config.refresh_seconds(), config.on_time_target(), config.language(),
            config.city_tz().key, config.basemap_url(), config.value("PORT")) == \
        (5, 100.0, "ru", "America/Los_Angeles", None, 65535)


BAD_ON_PAGE = {"CITY_TZ": "Mars/Base", "CITYDESK_REFRESH_SECONDS": "abc", "CITYDESK_LANG": "fr"}


@pytest.mark.parametrize("lang", [None, "ru"])
def test_the_dashboard_shows_the_lines_and_nothing_else(clean_env, tmp_path, lang):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'citydesk.db'}")
    for name, text in BAD_ON_PAGE.items():
        clean_env.setenv(name, text)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [CATALOG["settings.refused"][lang or "en"]]
    assert [c.value for c in at.code] == [
        "CITY_TZ=Mars/Base: not a time zone (e.g. Europe/Moscow)\n"
        "CITYDESK_LANG=fr: not one of en, ru\n"
        "CITYDESK_REFRESH_SECONDS=abc: not a whole number"]
    assert not at.metric and not at.text_input  # no page, not even the sign-in
    assert not (tmp_path / "citydesk.db").exists()


@pytest.mark.parametrize("command", [["db", "migrate"], ["queries", "summary"]])
def test_the_command_lines_print_the_line_and_exit_2(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SETTINGS}}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'citydesk.db'}",
               CITY_TZ="Mars/Base")
    done = subprocess.run([sys.executable, "-m", *command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == \
        (2, "", "CITY_TZ=Mars/Base: not a time zone (e.g. Europe/Moscow)\n")
    assert not (tmp_path / "citydesk.db").exists()


def readme_settings() -> dict[str, str]:
    """docs/configuration.md's table: variable → default, as written."""
    readme = (ROOT / "docs" / "configuration.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return {name.strip("`"): default for name, default, *_ in cells}


def test_the_docs_list_exactly_the_tables_settings_with_their_defaults():
    assert readme_settings() == {s.name: s.documented_default for s in SETTINGS}
