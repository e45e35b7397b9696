"""Rules files that cannot be used are refused whole when they are read, with their line and one
message, and change nothing: the deadline rules (`sla load`), the incident rules
(`CITYDESK_INCIDENT_RULES`) and the intake rules (`intake --rules`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from db.__main__ import main
from db.schema import sla_calendar, sla_rules, ticket_reports, tickets
from demo.seed import load_reference
from feeds.intake.rules import RulesFileError
from feeds.intake.rules import load_rules as load_intake_rules
from queries.__main__ import main as queries_main
from queries.rules import RulesError, check_categories, load_rules, parse_rules

ROOT = Path(__file__).resolve().parent.parent
DEMO_SLA = ROOT / "db" / "data" / "sla_demo.toml"
INCIDENTS = ROOT / "db" / "data" / "incidents.toml"
INTAKE = ROOT / "db" / "data" / "intake_rules.toml"
MESSAGES = Path(__file__).parent / "data" / "intake_messages.jsonl"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = [x for x in err.splitlines() if "it/s]" not in x and "%|" not in x]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --- deadline rules ------------------------------------------------------------------------------

@pytest.fixture
def demo_rules(engine: Engine, db_url: str, capsys) -> Engine:
    """The demo city's reference and its deadline rules loaded: what a bad file must keep."""
    with engine.begin() as conn:
        load_reference(conn)
    assert main(["--database", db_url, "sla", "load", str(DEMO_SLA)]) == 0
    capsys.readouterr()
    return engine


def rules_in_force(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return (conn.execute(select(sla_calendar)).all(),
                sorted(conn.execute(select(sla_rules)).all()))


UNMEETABLE = """[calendar]
hours = { mon = "08:00-08:01" }

[[rule]]
category = "pothole"
hours = 8784
clock = "working"
"""


@pytest.mark.parametrize(("name", "text", "message"), [
    ("unmeetable", UNMEETABLE,
     "line 6: pothole: 8784 h working cannot be met: the calendar's 0.0166667 working hours a "
     "week do not reach it within 20 years; the rules are unchanged"),
    ("empty", "", "the file holds no [[rule]]: loading it would remove every deadline rule"),
    ("comments only", "# nothing yet\n[calendar]\n", "the file holds no [[rule]]"),
    ("incident rules", INCIDENTS.read_text(encoding="utf-8"),
     "line 4: unknown section or key 'incidents' (expected [calendar] and [[rule]])"),
    ("broken", '[calendar]\nhours = { mon = "08:00-17:00" \n', "line 2: Unclosed inline table"),
    ("misspelt", '[[rule]]\ncategory = "potthole"\nhours = 9\nclock = "calendar"\n',
     "line 2: no category is called 'potthole'"),
])
def test_a_deadline_file_that_cannot_be_used_is_refused_whole(demo_rules, db_url, tmp_path,
                                                              capsys, name, text, message):
    before = rules_in_force(demo_rules)
    path = write(tmp_path, f"{name.replace(' ', '_')}.toml", text)
    assert main(["--database", db_url, "sla", "load", str(path), "--recompute"]) == 2
    assert message in one_line(capsys)
    assert rules_in_force(demo_rules) == before


def test_a_slow_calendar_that_still_meets_its_rule_is_loaded(demo_rules, db_url, tmp_path,
                                                             capsys):
    # One hour a week: 100 working hours are about two years away, within reach.
    path = write(tmp_path, "slow.toml", UNMEETABLE.replace("08:01", "09:00")
                 .replace("8784", "100"))
    assert main(["--database", db_url, "sla", "load", str(path)]) == 0
    assert "loaded 1 rules" in capsys.readouterr().out


def test_a_missing_deadline_file_is_refused(demo_rules, db_url, tmp_path, capsys):
    before = rules_in_force(demo_rules)
    assert main(["--database", db_url, "sla", "load", str(tmp_path / "none.toml")]) == 2
    assert "No such file or directory; the rules are unchanged" in one_line(capsys)
    assert rules_in_force(demo_rules) == before


# --- incident rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("[incidents]\nmetres = nan\n", "line 2: incidents.metres must be a number above 0 and at "
                                    "most 50000, not nan"),
    ("[incidents]\nmetres = 1e12\n", "line 2: incidents.metres must be a number above 0 and at "
                                     "most 50000, not 1000000000000.0"),
    ("[incidents]\nhours = inf\n", "line 2: incidents.hours must be a number"),
    ("[spikes]\n\nweeks = 1e6\n", "line 3: spikes.weeks must be a number above 1 and at most 52"),
    ("[incidents.categories.gas_smell]\nmin_reports = nan\n", "line 2: incidents.categories."
                                                              "gas_smell.min_reports"),
    ("[incidents]\nlookback_hours = -inf\n", "line 2: incidents.lookback_hours"),
    ("[calendar]\nhours = {}\n", "line 1: unknown table 'calendar': an incident rules file has "
                                 "[incidents] and [spikes] (is it another kind of file?)"),
    ("[incidents\n", "line 1: not TOML (Expected ']'"),
])
def test_incident_rules_refuse_what_would_fail_later(tmp_path, text, message):
    path = write(tmp_path, "incidents.toml", text)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value) == f"incident rules {path}, {message}" or \
        str(caught.value).startswith(f"incident rules {path}, {message}")


def test_missing_incident_rules_are_one_line(tmp_path):
    with pytest.raises(RulesError, match=r"incident rules .*none.toml: No such file"):
        load_rules(tmp_path / "none.toml")


def test_a_misspelt_category_is_refused_with_its_line(tmp_path):
    text = INCIDENTS.read_text(encoding="utf-8").replace("categories.gas_smell]",
                                                         "categories.gass_smell]")
    path = write(tmp_path, "incidents.toml", text)
    rules = load_rules(path)
    line = text.splitlines().index("[incidents.categories.gass_smell]       # few reports are "
                                   "already an emergency") + 1
    with pytest.raises(RulesError) as caught:
        check_categories(rules, {"gas_smell", "no_water", "pothole"}, path)
    assert str(caught.value) == (
        f"incident rules {path}, line {line}: [incidents.categories.gass_smell] names no "
        "category of the city; did you mean 'gas_smell'? (python -m db list categories)")
    # A city with categories of its own: the shipped file's demo codes apply to nothing.
    check_categories(load_rules(INCIDENTS), {"bulky_items", "graffiti_removal"}, INCIDENTS)
    check_categories(parse_rules({}), set(), path)


def test_the_incidents_command_refuses_a_misspelt_category(engine, db_url, tmp_path,
                                                           monkeypatch, capsys):
    with engine.begin() as conn:
        load_reference(conn)
    text = INCIDENTS.read_text(encoding="utf-8").replace("categories.gas_smell]",
                                                         "categories.gass_smell]")
    monkeypatch.setenv("CITYDESK_INCIDENT_RULES", str(write(tmp_path, "r.toml", text)))
    load_rules.cache_clear()
    try:
        assert queries_main(["--database", db_url, "incidents"]) == 2
        assert "did you mean 'gas_smell'?" in one_line(capsys)
        monkeypatch.setenv("CITYDESK_INCIDENT_RULES", str(write(
            tmp_path, "n.toml", "[incidents]\nmetres = nan\n")))
        load_rules.cache_clear()
        assert queries_main(["--database", db_url, "incidents"]) == 2
        assert "line 2: incidents.metres must be a number" in one_line(capsys)
    finally:
        load_rules.cache_clear()


# --- intake rules --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "message"), [
    ("other kind", INCIDENTS.read_text(encoding="utf-8"),
     "no [thresholds] table: not an intake rules file"),
    ("broken", "[thresholds\n", "line 1: not TOML"),
    ("nan", INTAKE.read_text(encoding="utf-8").replace("duplicate_radius_m = 300",
                                                       "duplicate_radius_m = nan"),
     "thresholds.duplicate_radius_m must be a number above 0 and at most 50000, not nan"),
    ("huge", INTAKE.read_text(encoding="utf-8").replace("phrase_gap = 3", "phrase_gap = 1e12"),
     "thresholds.phrase_gap must be a number above -1 and at most 50"),
    ("no list", INTAKE.read_text(encoding="utf-8").replace(
        'lists = ["obscene_ru.txt", "obscene_en.txt"]', 'lists = ["swear.txt"]'),
     "obscene.lists names 'swear.txt', which is not a file beside the rules"),
])
def test_intake_rules_that_cannot_be_used_are_refused(tmp_path, name, text, message):
    for extra in ("obscene_ru.txt", "obscene_en.txt"):
        (tmp_path / extra).write_bytes((INTAKE.parent / extra).read_bytes())
    path = write(tmp_path, "rules.toml", text)
    with pytest.raises(RulesFileError) as caught:
        load_intake_rules(path)
    assert str(caught.value).startswith(f"rules {path}")
    assert message in str(caught.value)
    if name == "nan":
        line = text.splitlines().index(next(x for x in text.splitlines()
                                            if x.startswith("duplicate_radius_m"))) + 1
        assert f", line {line}: " in str(caught.value)


@pytest.mark.parametrize("rules", ["missing.toml", "incidents", "broken"])
def test_intake_with_rules_it_cannot_use_reads_nothing(engine, db_url, tmp_path, capsys, rules):
    path = {"missing.toml": tmp_path / "missing.toml", "incidents": INCIDENTS,
            "broken": write(tmp_path, "broken.toml", "[thresholds\n")}[rules]
    code = main(["--database", db_url, "intake", str(MESSAGES), "--rules", str(path)])
    assert code == 2
    line = one_line(capsys)
    assert line.startswith(f"intake: rules {path}") and line.endswith("; nothing was read")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ticket_reports)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(tickets)).scalar_one() == 0


def test_the_overview_says_what_is_wrong_with_the_incident_rules_in_one_line(
        engine, db_url, tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from demo.seed import seed
    from tests.pages import app

    seed(engine, 300, 7, datetime(2026, 11, 26, 9, 30, tzinfo=UTC), progress=False, days=3)
    text = INCIDENTS.read_text(encoding="utf-8").replace("categories.gas_smell]",
                                                         "categories.gass_smell]")
    for bad, said in ((text, "did you mean 'gas_smell'?"),
                      ("[incidents]\nmetres = nan\n", "line 2: incidents.metres must be")):
        monkeypatch.setenv("CITYDESK_INCIDENT_RULES", str(write(tmp_path, "rules.toml", bad)))
        load_rules.cache_clear()
        try:
            at = app(monkeypatch, db_url, as_of="2026-11-26T12:30:00+03:00")
            at.run()
        finally:
            load_rules.cache_clear()
        assert not at.exception
        errors = [e.value for e in at.error if "incident rules" in e.value]
        assert len(errors) == 1 and said in errors[0] and "\n" not in errors[0]
        assert at.metric  # the rest of the overview is drawn
