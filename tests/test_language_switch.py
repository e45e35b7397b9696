"""The language switched in a running session (English first, then Russian through the sidebar's
control) leaves no English word on any page: titles, captions, figures, buttons, the filters'
chosen options and lists, tables' headings and words, the audit log's undo and its reason."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from access.permissions import Actor
from db.schema import departments, tickets
from desk.actions import reassign, undo_last
from tests.cities import seed
from tests.pages import app
from tests.test_overview_page import _english_words

NOW = datetime.now(UTC).replace(microsecond=0)
LENA = Actor("lena", "leadership")
HEAD = Actor("roman", "head", "ROADS")
PAGES = ("overview", "department", "ticket", "week", "audit", "alerts")


@pytest.fixture
def city(engine):
    """A live demo city in which lena moved two tickets and undid it."""
    seed(engine, 3000, 5, NOW, progress=False, days=40)
    with engine.connect() as conn:
        two = list(conn.execute(
            select(tickets.c.external_id).join(departments)
            .where(departments.c.code == "ROADS", tickets.c.status.in_(("new", "in_progress")))
            .order_by(tickets.c.id).limit(2)).scalars())
    assert reassign(engine, two, "STORM", "standing water", LENA,
                    now=NOW - timedelta(minutes=20)).ok
    assert undo_last(engine, LENA, now=NOW - timedelta(minutes=10)).ok
    return engine


def shown_text(at: AppTest) -> str:
    """Every word the page shows a person, widgets' chosen options and lists included."""
    texts = [e.value for kind in ("title", "header", "subheader", "caption", "markdown", "info",
                                  "warning", "error", "success") for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    texts += [str(m.delta or "") for m in at.metric]
    texts += [b.label for b in at.button] + [tg.label for tg in at.toggle]
    for box in at.selectbox:  # the chosen option as the browser was sent it (`raw_value`)
        texts += [box.label, box.placeholder or "", *map(str, box.options), box.proto.raw_value]
    for box in at.multiselect:
        texts += [box.label, box.placeholder or "", *map(str, box.options),
                  *box.proto.raw_values]
    texts += [d.label for d in at.date_input] + [n.label for n in at.number_input]
    for grid in at.dataframe:
        frame = grid.value
        texts += [str(c) for c in frame.columns]
        texts += [v for column in frame.columns for v in frame[column] if isinstance(v, str)]
    # Markdown's colour directives (":red[…]") and icons (":material/…:") are markup
    text = " ".join(texts)
    return re.sub(r":(red|orange|blue|gray|green|violet)\[|:material/[a-z_]+:", " ", text)


def english_found(text: str) -> list[str]:
    return sorted(w for w in _english_words() if re.search(rf"\b{w}\b", text))


def switched(monkeypatch, db_url: str, page: str, actor: Actor = LENA,
             **params: str) -> AppTest:
    """`page` opened in English, then switched to Russian by the sidebar's language control."""
    at = app(monkeypatch, db_url, actor, **params).run()
    if page != "overview":
        at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, at.exception
    assert english_found(shown_text(at)), "the English page must have English words"
    at.selectbox(key="lang").set_value("ru").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_after_the_switch_no_english_word_is_shown(city, db_url, monkeypatch, page):
    params = {"dept": "ROADS"} if page == "department" else {}
    actor = HEAD if page == "department" else LENA  # a head's sidebar names their department
    if page == "ticket":
        with city.connect() as conn:
            params["id"] = conn.execute(select(tickets.c.external_id)
                                        .order_by(tickets.c.id).limit(1)).scalar_one()
    at = switched(monkeypatch, db_url, page, actor, **params)
    text = shown_text(at)
    assert not english_found(text), english_found(text)
    assert "Europe/" not in text and "ROADS" not in text


def test_the_filters_read_russian_after_the_switch(city, db_url, monkeypatch):
    at = switched(monkeypatch, db_url, "overview")
    status = at.multiselect(key="f_status")
    assert list(status.proto.raw_values) == ["Новое", "В работе"]
    assert status.value == ["new", "in_progress"]
    period = at.selectbox(key="f_period")
    assert period.proto.raw_value == "За всё время" and period.value == "any"


def test_an_undo_reads_as_one_in_the_russian_audit_log(city, db_url, monkeypatch):
    at = switched(monkeypatch, db_url, "audit")
    grid = at.dataframe[0].value
    undos = grid[grid["Что"] == "Отмена переназначения"]
    assert len(undos) == 2 and (grid[grid["Почему"] == "standing water"]["Что"]
                                == "Переназначено").sum() == 2
    assert all(re.fullmatch(r"отмена события № \d+: standing water", why)
               for why in undos["Почему"])
    assert not grid["Почему"].str.contains("undo").any()
