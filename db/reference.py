"""Looking up, and creating on demand, departments, categories, districts and channels."""

from __future__ import annotations

import re

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.schema import categories, channels, departments, districts

CREATE_ATTEMPTS = 5


def slug(name: str) -> str:
    """A stable code for a name read from outside: lower case, words joined by '_'."""
    code = re.sub(r"[^\w]+", "_", name.strip().lower(), flags=re.UNICODE).strip("_")
    return code[:64] or "unknown"


def _find(conn: Connection, table: Table, key: str) -> int | None:
    """The id of the row whose code or name (any case, any script) is `key`.

    Compared in Python: SQLite's lower() folds ASCII only, so "Водоканал" would not match there.
    Lookup tables are small.
    """
    key = key.strip()
    folded = key.casefold()
    rows = conn.execute(
        select(table.c.id, table.c.code, table.c.name, table.c.name_ru).order_by(table.c.id)
    ).all()
    for row in rows:
        if row.code == key:
            return row.id
    for row in rows:
        if folded in {(row.code or "").casefold(), (row.name or "").casefold(),
                      (row.name_ru or "").casefold()}:
            return row.id
    return None


def find_department(conn: Connection, key: str) -> int | None:
    """A department by code or name, or None."""
    return _find(conn, departments, key)


def _find_or_create(conn: Connection, table: Table, name: str, **values) -> int:
    """The row called `name` (or with that code) in `table`, created with `values` when unknown.

    Two imports may create the same new name at once: the insert does nothing when the code is
    taken meanwhile (it waits for the other transaction, then sees its row), and the name is
    looked up again; a code taken by another name makes it try the next free code.
    """
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for _ in range(CREATE_ATTEMPTS):
        found = _find(conn, table, name)
        if found is not None:
            return found
        made = conn.execute(
            insert_(table).values(code=_free_code(conn, table, name), name=name.strip(), **values)
            .on_conflict_do_nothing(index_elements=[table.c.code]).returning(table.c.id)
        ).scalar_one_or_none()
        if made is not None:
            return made
    raise RuntimeError(f"could not create {table.name} {name!r}: its code kept being taken")


def department_id(conn: Connection, name: str) -> int:
    """The department called `name` (or with that code), created when unknown."""
    return _find_or_create(conn, departments, name)


def category_id(conn: Connection, name: str, default_department_id: int,
                sla_hours: float = 24) -> tuple[int, int, float]:
    """(id, default department id, SLA hours) of the category `name`, created when unknown."""
    found = _find_or_create(conn, categories, name, department_id=default_department_id,
                            sla_hours=sla_hours)
    row = conn.execute(
        select(categories.c.id, categories.c.department_id, categories.c.sla_hours)
        .where(categories.c.id == found)
    ).one()
    return row[0], row[1], float(row[2])


def channel_id(conn: Connection, name: str, kind: str = "other") -> int:
    """The channel called `name` (or with that code), created when unknown."""
    return _find_or_create(conn, channels, name, kind=kind)


def district_id(conn: Connection, name: str) -> int:
    """The district called `name` (or with that code), created when unknown."""
    return _find_or_create(conn, districts, name)


def _free_code(conn: Connection, table: Table, name: str) -> str:
    base = slug(name)
    code, n = base, 1
    while conn.execute(select(table.c.id).where(table.c.code == code)).first():
        n += 1
        code = f"{base[:60]}_{n}"
    return code
