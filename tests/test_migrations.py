from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db.engine import current_revision, ensure_schema, head_revision
from db.schema import metadata


def test_migrated_database_has_every_table_at_head(engine):
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= names


def test_ensure_schema_is_a_no_op_at_head(engine):
    assert ensure_schema(engine) is False


def test_ensure_schema_migrates_an_empty_database(tmp_path):
    from db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    assert ensure_schema(engine) is True
    assert current_revision(engine) == head_revision()
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("tickets")}
    assert {"ix_tickets_open_due", "ix_tickets_open_department_due"} <= indexes


def test_the_migrations_build_exactly_the_schema_the_code_declares(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
