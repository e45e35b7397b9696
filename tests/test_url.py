"""The page's address has one owner (ui/url.py): no other module touches `st.query_params`,
every parameter used is declared, and a shared link keeps what it carries (its search)."""

import re
from datetime import UTC, datetime

import pytest

from db.config import ROOT
from devtools import oracle
from tests.cities import seed
from tests.pages import app
from ui import url

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SOURCES = [ROOT / "dashboard.py", *sorted((ROOT / "ui").glob("*.py")),
           *sorted((ROOT / "screens").glob("*.py"))]


def test_only_ui_url_touches_the_address():
    touching = [p.relative_to(ROOT).as_posix() for p in SOURCES
                if "st.query_params" in p.read_text() and p.name != "url.py"]
    assert touching == []


def test_every_parameter_used_is_declared():
    used = set()
    for path in SOURCES:
        used |= set(re.findall(r"\burl\.(?:get|put|drop|given)\(\"(\w+)\"", path.read_text()))
    assert used, "the pattern finds the calls (the test has teeth)"
    assert used <= set(url.PARAMS), used - set(url.PARAMS)


@pytest.fixture
def city(engine):
    seed(engine, 2000, 5, NOW, progress=False, days=30)
    return engine


def test_a_shared_search_link_keeps_its_search(city, db_url, monkeypatch):
    frame = oracle.raw(city)
    open_now = frame[oracle.open_at(frame, NOW)]
    street = open_now["address"].dropna().iloc[0].split(",")[0].strip()
    needle = street.lower()
    assert needle != street  # a capital letter in it, so that case folding is tested
    expected = sum(any(needle in str(v).lower() for v in (r.external_id, r.address, r.description))
                   for r in open_now.itertuples())
    at = app(monkeypatch, db_url, as_of=NOW.isoformat(), subset="open", q=street)
    at.run()
    assert not at.exception
    assert at.query_params["q"] == street  # not erased by the view's own parameters
    assert at.text_input(key="tickets_search").value == street
    assert _count(at) == expected > 0
    # any case finds it, Cyrillic too (SQLite's own lower() folds ASCII only)
    at.text_input(key="tickets_search").set_value(street.lower()).run()
    assert _count(at) == expected
    assert at.query_params["q"] == street.lower()
    at.text_input(key="tickets_search").set_value("").run()
    assert "q" not in at.query_params


def _count(at) -> int:
    """The table's total, from its caption ("3 of 3 tickets · …")."""
    caption = next(c.value for c in at.caption if re.match(r"[\d,]+ of [\d,]+ tickets", c.value))
    return int(caption.split(" of ")[1].split(" ")[0].replace(",", ""))


def test_the_docs_list_every_link_parameter():
    text = (ROOT / "docs" / "commands.md").read_text()
    section = text.split("\n## Links\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| (.+?) \|$", section, flags=re.M)
    assert [name for name, _, _ in rows] == list(url.PARAMS)
    for name, default, help_ in rows:
        assert default == (f"`{url.PARAMS[name].default}`" if url.PARAMS[name].default else "–")
        assert help_ == url.PARAMS[name].help, name
