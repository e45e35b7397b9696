"""Each test gets a fresh, migrated database: SQLite and PostgreSQL, through one fixture."""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from db.config import value
from db.engine import make_engine, migrate
from devtools.pgserver import PgServer, start_server
from tests import cities

# One per xdist worker: workers may share a server named by TEST_DATABASE_URL.
TEMPLATE_DB = f"citydesk_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: `TEST_DATABASE_URL` when set, else one started here on loopback."""
    given = value("TEST_DATABASE_URL")
    if given:
        yield given
        return
    server: PgServer = start_server()
    try:
        yield server.url()
    finally:
        server.remove()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """A migrated database that every PostgreSQL test copies (CREATE DATABASE ... TEMPLATE)."""
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    engine = make_engine(_with_database(pg_admin_url, TEMPLATE_DB), poolclass=NullPool)
    migrate(engine)
    engine.dispose()
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@contextmanager
def fresh_database(request: pytest.FixtureRequest, kind: str, folder: Path,
                   file: str = "citydesk.db") -> Iterator[str]:
    """The URL of a fresh, migrated, empty database of `kind` (copied from the session's
    template: an SQLite `file` in `folder`, or a PostgreSQL database, dropped at the end)."""
    if kind == "sqlite":
        path = folder / file
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template_name}"))
    try:
        yield _with_database(admin_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database of each kind."""
    with fresh_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run stopped by SIGTERM (a timeout, a cancelled job) tears down as after Ctrl-C, so the
    session's PostgreSQL server is stopped and its folder removed rather than left in /tmp."""
    signal.signal(signal.SIGTERM, _interrupt)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the seeded cities' templates (tests/cities.py) this process built."""
    cities.drop_all()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Load tests (`slow`, minutes per database) run only when asked for: `-m slow`."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="a load test: run it with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
