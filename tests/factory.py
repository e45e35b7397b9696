"""Building tickets by hand for tests: exactly the instants a test needs, nothing random."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import Engine, insert, select

from db.schema import categories, channels, departments, districts, tickets
from demo.seed import load_reference
from desk import lifecycle

_numbers = count(1)


def reference(engine: Engine) -> None:
    with engine.begin() as conn:
        load_reference(conn)


def add_ticket(engine: Engine, created: datetime, *, due: datetime | None = None,
               accepted: datetime | None = None, resolved: datetime | None = None,
               closed: datetime | None = None, rejected: datetime | None = None,
               department: str = "ROADS", category: str = "pothole", district: str = "centre",
               channel: str = "phone", lat: float | None = 44.6, lon: float | None = 33.52,
               external_id: str | None = None) -> str:
    """Insert one ticket (the demo city's reference must exist); returns its external id."""
    instants = lifecycle.Instants(created, accepted, resolved, closed, rejected)
    external_id = external_id or f"T-{next(_numbers):06d}"
    with engine.begin() as conn:
        def id_of(table, code):
            return conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one()

        conn.execute(insert(tickets).values(
            external_id=external_id,
            channel_id=id_of(channels, channel),
            category_id=id_of(categories, category),
            department_id=id_of(departments, department),
            district_id=id_of(districts, district),
            status=lifecycle.status_at(instants),
            address="ул. Ленина, 1",
            lat=lat, lon=lon,
            created_at=created, accepted_at=accepted, resolved_at=resolved, closed_at=closed,
            rejected_at=rejected, ended_at=lifecycle.ended_at(instants),
            due_at=due or created + timedelta(hours=24),
            updated_at=lifecycle.latest(instants),
        ))
    return external_id
