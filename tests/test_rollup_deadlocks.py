"""8 dispatchers reassigning tickets of one map cell (an incident's cluster) between the same
departments: the map_cells rollup's rows are taken in one order (migration 0016), so no deadlock
reaches anyone; on both databases, 10 s in the default run and a minute with `-m slow`."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import DBAPIError

from access.permissions import Actor
from db.schema import departments, map_cells
from desk.actions import reassign
from feeds.importer import import_file
from tests.test_write_races import _make

TICKETS = 40
DEPARTMENTS = ("Roads", "Water", "Heat")


def _one_cell(engine: Engine, tmp_path: Path) -> None:
    records = [{"service_request_id": f"C-{i}", "status": "open", "service_name": "Pothole",
                "description": f"a hole {i}", "requested_datetime": "2024-05-01T10:00:00Z",
                "updated_datetime": "2024-05-01T12:00:00Z", "lat": 44.6001, "long": 33.5201,
                "agency_responsible": DEPARTMENTS[i % 3]} for i in range(TICKETS)]
    path = tmp_path / "cell.json"
    path.write_text(json.dumps(records))
    import_file(engine, path)
    for name in DEPARTMENTS:
        _make(engine, name)


def _dispatchers(engine: Engine, seconds: float, writers: int = 8) -> dict:
    deadlocks: list[str] = []

    @event.listens_for(engine, "handle_error")
    def count(context) -> None:
        orig = getattr(context.original_exception, "pgcode", None)
        if orig == "40P01":
            deadlocks.append(orig)

    done = time.monotonic() + seconds
    results: list = []
    lock = threading.Lock()

    def dispatcher(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < done:
            chosen = [f"C-{i}" for i in rng.sample(range(TICKETS), rng.randint(1, 4))]
            try:
                result = reassign(engine, chosen, rng.choice(DEPARTMENTS), "cluster",
                                  Actor(f"dispatcher{seed}", "dispatcher"))
            except DBAPIError as error:  # surfaced raw: the test fails on it
                result = error
            with lock:
                results.append(result)

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    event.remove(engine, "handle_error", count)
    return {"results": results, "deadlocks": len(deadlocks)}


def _check(engine: Engine, outcome: dict) -> None:
    results = outcome["results"]
    # a ticket already in the department is refused as such; none as "busy", none raw
    refused = [r for r in results if not hasattr(r, "refusals")
               or any(f.code != "same_department" for f in r.refusals)]
    assert len(results) > 50 and not refused, refused[:3]
    assert sum(1 for r in results if r.ok) > 20
    assert outcome["deadlocks"] == 0
    with engine.connect() as conn:  # the rollup still counts every ticket once, by department
        cells = dict(conn.execute(select(departments.c.name, func.sum(map_cells.c.tickets))
                                  .join(map_cells, map_cells.c.department_id == departments.c.id)
                                  .group_by(departments.c.name)).all())
        from db.schema import tickets
        counted = dict(conn.execute(select(departments.c.name, func.count())
                                    .join(tickets, tickets.c.department_id == departments.c.id)
                                    .group_by(departments.c.name)).all())
    assert {k: v for k, v in cells.items() if v} == counted


def test_eight_dispatchers_on_one_map_cell_meet_no_deadlock(engine, tmp_path):
    _one_cell(engine, tmp_path)
    _check(engine, _dispatchers(engine, 10))


@pytest.mark.slow
def test_eight_dispatchers_on_one_map_cell_for_a_minute_meet_no_deadlock(engine, tmp_path):
    _one_cell(engine, tmp_path)
    _check(engine, _dispatchers(engine, 60))


def test_two_imports_of_the_same_new_file_both_end_well(engine, tmp_path):
    """The loser of the race for the same new tickets retries (a unique violation, like a
    deadlock) and finds them made: nothing raw, every ticket once."""
    records = [{"service_request_id": f"N-{i}", "status": "open", "service_name": "Pothole",
                "description": f"a hole {i}", "requested_datetime": "2024-05-01T10:00:00Z",
                "agency_responsible": "Roads"} for i in range(300)]
    path = tmp_path / "new.json"
    path.write_text(json.dumps(records))
    outcomes: list = []
    barrier = threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        try:
            outcomes.append(import_file(engine, path))
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.inserted for o in outcomes) == [0, 300]
    from db.schema import tickets
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tickets)).scalar_one() == 300
