"""The command lines: the summary's JSON contract, and clear messages when the database is gone."""

import json
from datetime import UTC, datetime

from db.__main__ import main as db_main
from db.reference import find_department
from queries.__main__ import main as queries_main
from tests.cities import seed

DEAD = "postgresql+psycopg2://nobody@127.0.0.1:9/none"


def test_summary_json_follows_the_contract(engine, db_url, capsys):
    seed(engine, 1500, 3, datetime(2026, 11, 26, 9, 30, tzinfo=UTC), progress=False, days=20)
    assert queries_main(["--database", db_url, "summary", "--json",
                         "--as-of", "2026-11-26T12:30:00+03:00"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["as_of"] == "2026-11-26T12:30:00+03:00"
    assert isinstance(result["open"], int) and result["open"] > 0
    assert 0 <= result["on_time_pct_7d"] <= 100
    assert len(result["departments"]) == 38
    assert {d["department"] for d in result["departments"]} >= {"Road Management"}


def test_summary_refuses_a_bad_instant(db_url, capsys):
    assert queries_main(["--database", db_url, "summary", "--as-of", "soon"]) == 2
    assert "ISO-8601" in capsys.readouterr().err


def test_commands_say_the_database_is_unreachable(capsys):
    assert queries_main(["--database", DEAD, "summary"]) == 3
    assert db_main(["--database", DEAD, "seed"]) == 3
    err = capsys.readouterr().err
    assert err.count("the database is unreachable") == 2
    assert "Traceback" not in err


def test_departments_are_found_by_russian_name_on_both_databases(engine):
    seed(engine, 10, 1, datetime(2026, 11, 26, tzinfo=UTC), progress=False, days=1)
    with engine.connect() as conn:
        water = find_department(conn, "WATER")
        assert find_department(conn, "Водоканал") == water
        assert find_department(conn, "водоканал") == water
        assert find_department(conn, "vodokanal (water and sewerage)") == water
        assert find_department(conn, "nothing like it") is None
