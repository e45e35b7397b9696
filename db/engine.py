"""Connecting to the database, and bringing its schema to the newest migration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from db.config import DEFAULT_SQLITE_PATH, database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for `url` (default: `DATABASE_URL`); a SQLite file's folder is created only
    within the project's data/ (the default file's, the benchmark's): elsewhere a mistyped path
    must not become an empty city."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and _ours(Path(parsed.database)):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, **kwargs)


def _ours(path: Path) -> bool:
    """Whether a SQLite file lies within the project's data/ folder, made on demand."""
    return DEFAULT_SQLITE_PATH.parent in path.absolute().parents


def database_refusal(given: str | None, may_create: bool) -> str | None:
    """Why the database named by `given` (else DATABASE_URL, else data/) cannot be used, in one
    line; None when it can. A SQLite file that does not exist is made only when `may_create`
    (migrate, seed), and only in a folder that exists unless it is the default one: a mistyped
    path is refused rather than made into an empty city."""
    url = given or database_url()
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError:
        return "--database: not a database URL (e.g. postgresql+psycopg2://user:pass@host/db)"
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    if path.exists():
        return None
    if not may_create:
        return f"no database at {path}: python -m db migrate makes one there"
    if not _ours(path) and not path.parent.is_dir():
        return (f"no folder {path.parent} for the database {path.name} (a mistyped path?); "
                "make the folder first")
    return None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()
    # SQLite's own lower() folds ASCII only: a search for "морская" would miss "Морская".
    # Python's folds every script, as PostgreSQL's does under a UTF-8 locale.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty one."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Apply every migration the database lacks (a no-op when it is at head)."""
    command.upgrade(_alembic_config(engine), "head")


def ensure_schema(engine: Engine) -> bool:
    """Migrate when the database is behind; True when anything was applied."""
    if current_revision(engine) == head_revision():
        return False
    migrate(engine)
    return True


UNREACHABLE = (OperationalError, InterfaceError)


def unreachable_message(error: DBAPIError) -> str:
    """One line saying why the database did not answer, for a command's stderr."""
    reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
    return f"the database is unreachable: {reason}"
