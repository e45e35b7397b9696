"""hardening: tickets.source_department (the agency a feed last said); sign_in_throttle

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("source_department", sa.String(length=200), nullable=True))
    op.create_table(
        "sign_in_throttle",
        sa.Column("name_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_failed_at", db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name_hash", name=op.f("pk_sign_in_throttle")),
    )
    op.create_index("ix_sign_in_throttle_last_failed", "sign_in_throttle", ["last_failed_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttle_last_failed", table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
    op.drop_column("tickets", "source_department")
