"""The databases the benchmark measures: the demo city's seed at each size, built once and reused.

Built databases live under data/bench/ (a PostgreSQL cluster folder and SQLite files), named by
what they were built from, so a second run starts measuring at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.config import ROOT, value
from db.engine import ensure_schema, make_engine, migrate
from demo.seed import seed

BENCH_DIR = ROOT / "data" / "bench"
SEED = 1563
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # fixed, so every run sees the same city
DAYS = 730  # two years of history at every size: the daily flow grows with the size


@dataclass(frozen=True)
class BenchDatabase:
    """One database to measure."""

    kind: str  # "postgresql" or "sqlite"
    size: int
    url: str

    @property
    def label(self) -> str:
        return f"{'PostgreSQL' if self.kind == 'postgresql' else 'SQLite'} {self.size:,}"


def _key(size: int) -> str:
    """What a built database was made from: a change in any of it means building anew."""
    return f"{size}-{SEED}-{DAYS}-{NOW:%Y%m%dT%H%M}"


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server to build on: `BENCH_DATABASE_URL` when set, else a server
    started here on loopback over the cluster kept in data/bench/pg (stopped, not removed)."""
    given = value("BENCH_DATABASE_URL")
    if given:
        yield given
        return
    from devtools.pgserver import start_server

    server = start_server(BENCH_DIR / "pg")
    try:
        yield server.url()
    finally:
        server.stop()


def postgres_database(admin_url: str, size: int) -> BenchDatabase:
    """The PostgreSQL database of `size` tickets, built unless one from the same key exists."""
    name = f"citydesk_bench_{size}"
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            built = conn.execute(text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"), {"name": name}).scalar()
            if built != _key(size):
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                conn.execute(text(f"CREATE DATABASE {name}"))
                _build(url, size)
                conn.execute(text(f"COMMENT ON DATABASE {name} IS '{_key(size)}'"))
    finally:
        admin.dispose()
    _migrate(url)
    _in_arrival_order(url)
    return BenchDatabase("postgresql", size, url)


def _in_arrival_order(url: str) -> None:
    """Lay the tickets out in the order they were created, as a live desk writes them.

    The seed writes chunks that each span the whole history, so a week's tickets would lie
    scattered over every page of the table; a real table holds them side by side. Checked by
    the planner's own statistic, so a database that is already in order is left alone.
    """
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            correlation = conn.execute(text(
                "SELECT correlation FROM pg_stats WHERE tablename = 'tickets' "
                "AND attname = 'created_at'")).scalar()
            if correlation is not None and correlation < 0.9:
                print("laying the tickets out in arrival order (CLUSTER)", flush=True)
                conn.execute(text("CLUSTER tickets USING ix_tickets_created_at"))
                conn.execute(text("VACUUM ANALYZE tickets"))
    finally:
        engine.dispose()


def sqlite_database(size: int) -> BenchDatabase:
    """The SQLite file of `size` tickets; built under a temporary name and renamed when done."""
    path = BENCH_DIR / f"citydesk-{_key(size)}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _build(f"sqlite:///{partial}", size)
        partial.rename(path)
    url = f"sqlite:///{path}"
    _migrate(url)
    return BenchDatabase("sqlite", size, url)


def _build(url: str, size: int) -> None:
    engine = make_engine(url)
    try:
        migrate(engine)
        print(f"building {size:,} tickets: {make_url(url).render_as_string()}", flush=True)
        seed(engine, size, SEED, NOW, progress=True, days=DAYS)
        # What autovacuum does in a while: statistics and the visibility map (index-only scans).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                              else "ANALYZE"))
    finally:
        engine.dispose()


def _migrate(url: str) -> None:
    """A database built before a newer migration gets it (an index, say) rather than a rebuild."""
    engine = make_engine(url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()


def sqlite_path(db: BenchDatabase) -> Path:
    return Path(make_url(db.url).database or "")
