"""Seeded demo cities built once per test process and copied, instead of seeded per test.

`seed(engine, …)` here takes the same arguments as `demo.seed.seed`. The first call with given
arguments (and database kind) seeds a template database; every call copies that template over
the test's own database: `CREATE DATABASE … TEMPLATE` on PostgreSQL, a file copy for SQLite.
The copy is only taken when the test's database is still fresh (every table empty, as the
migrated template leaves it); otherwise the city is seeded in place, exactly as before.

Templates live as long as the process (one pytest session, or one xdist worker); `drop_all()`
(called by tests/conftest.py at the session's end) removes them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from db.config import city_tz
from db.engine import make_engine
from db.schema import metadata
from demo import seed as demo

# (backend, server, arguments) → (template, tickets written): an SQLite file, or a PostgreSQL
# database as "name@server URL"
_templates: dict[tuple, tuple[str | Path, int]] = {}
_folder: Path | None = None


def seed(engine: Engine, n: int | None = None, seed_value: int = 1563,
         now: datetime | None = None, tz: ZoneInfo | None = None, progress: bool = True,
         days: int = demo.HISTORY_DAYS) -> int:
    """Fill the test's fresh database with the demo city, as `demo.seed.seed` does; returns how
    many tickets were written."""
    n = demo.default_ticket_count(days) if n is None else n
    tz = tz or city_tz()
    args = dict(n=n, seed_value=seed_value, now=now, tz=tz, progress=False, days=days)
    if now is None or not _fresh(engine):  # "now" unset means the wall clock: no reuse
        return demo.seed(engine, **args)
    url = engine.url
    key = (url.get_backend_name(), url.host, url.port, n, seed_value, now.isoformat(), tz.key,
           days)
    engine.dispose()
    if key not in _templates:
        _templates[key] = (_build(url, key, args), n)
    template, written = _templates[key]
    _copy(url, template)
    return written


def _fresh(engine: Engine) -> bool:
    """True when every table is empty (a database just copied from the migrated template)."""
    with engine.connect() as conn:
        return all(conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
                   for table in metadata.sorted_tables)


def _name(key: tuple) -> str:
    digest = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
    return f"city_{digest}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _build(url: URL, key: tuple, args: dict) -> str | Path:
    """Seed a copy of the (fresh) database at `url` into a new template; return its name."""
    global _folder
    name = _name(key)
    if url.get_backend_name() == "sqlite":
        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="citydesk-cities-"))
        path = _folder / f"{name}.db"
        shutil.copy(url.database, path)
        template = make_engine(f"sqlite:///{path}")
        demo.seed(template, **args)
        template.dispose()  # the last connection checkpoints the WAL into the file
        return path
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {url.database}"))
    admin.dispose()
    template = make_engine(url.set(database=name).render_as_string(hide_password=False),
                           poolclass=NullPool)
    demo.seed(template, **args)
    template.dispose()
    return f"{name}@{url.render_as_string(hide_password=False)}"


def _copy(url: URL, template: str | Path) -> None:
    """Replace the database at `url` by a copy of `template`."""
    if url.get_backend_name() == "sqlite":
        target = Path(url.database)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, target)
        return
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {url.database} TEMPLATE "
                          f"{str(template).partition('@')[0]}"))
    admin.dispose()


def _admin(url: URL) -> Engine:
    return create_engine(url.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT", poolclass=NullPool)


def drop_all() -> None:
    """Remove this process's templates (a server named by TEST_DATABASE_URL outlives the run)."""
    global _folder
    for template, _n in _templates.values():
        if isinstance(template, str):
            name, _, server = template.partition("@")
            admin = _admin(make_url(server))
            try:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            except OperationalError:  # the session's own server is already gone
                pass
            admin.dispose()
    _templates.clear()
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None
