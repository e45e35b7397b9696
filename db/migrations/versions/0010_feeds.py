"""feeds: each automatic source's cursor and health (Open311 sync, VK, Telegram)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("every_seconds", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_data_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feeds")),
    )


def downgrade() -> None:
    op.drop_table("feeds")
