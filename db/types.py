"""Column types and SQL expressions that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import TypeDecorator


def to_epoch(value: datetime) -> int:
    """Whole seconds since 1970 UTC of an aware instant."""
    if value.tzinfo is None:
        raise ValueError(f"instant without a time zone: {value!r}")
    return int(value.timestamp() // 1)


class UTCDateTime(TypeDecorator):
    """An instant, kept to the whole second.

    PostgreSQL stores `timestamptz`; SQLite stores integer epoch seconds, so that comparisons and
    differences are plain integer arithmetic. Python always sees an aware UTC `datetime`; a naive
    one is refused rather than guessed.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        epoch = to_epoch(value)
        if dialect.name == "sqlite":
            return epoch
        return datetime.fromtimestamp(epoch, UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return datetime.fromtimestamp(int(value), UTC)
        return value.astimezone(UTC)


class seconds_between(FunctionElement):
    """`seconds_between(later, earlier)`: the difference of two instants in seconds."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_between_default(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "\
        f"{compiler.process(earlier, **kw)})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"CAST(({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}) AS REAL)"


def instant(value: datetime | ColumnElement) -> ColumnElement:
    """A Python instant as a bound parameter of our instant type (columns pass through)."""
    if isinstance(value, datetime):
        return literal(value, UTCDateTime())
    return value


def seconds(later: datetime | ColumnElement, earlier: datetime | ColumnElement) -> ColumnElement:
    """`later - earlier` in seconds, for columns or Python instants alike."""
    return seconds_between(instant(later), instant(earlier))


class floor_int(FunctionElement):
    """`floor_int(x)`: the largest integer not above x, for x >= 0 (grid cells on the map)."""

    type = BigInteger()
    inherit_cache = True
    name = "floor_int"


@compiles(floor_int)
def _floor_int_default(element, compiler, **kw):
    (value,) = list(element.clauses)
    return f"CAST(FLOOR({compiler.process(value, **kw)}) AS BIGINT)"


@compiles(floor_int, "sqlite")
def _floor_int_sqlite(element, compiler, **kw):
    (value,) = list(element.clauses)
    return f"CAST({compiler.process(value, **kw)} AS INTEGER)"


class mostly_true(FunctionElement):
    """`mostly_true(condition)`: the condition, marked as true for nearly every row ("created by
    as_of"). SQLite's planner, which has no histograms, otherwise reads the whole table through
    the index on that condition instead of the open-work index on the other one."""

    type = Boolean()
    inherit_cache = True
    name = "mostly_true"


@compiles(mostly_true)
def _mostly_true_default(element, compiler, **kw):
    (condition,) = list(element.clauses)
    return f"({compiler.process(condition, **kw)})"


@compiles(mostly_true, "sqlite")
def _mostly_true_sqlite(element, compiler, **kw):
    (condition,) = list(element.clauses)
    return f"likelihood({compiler.process(condition, **kw)}, 0.9999)"
