"""sign-in: users with hashed passwords and lockout state, revocable kiosk tokens, and an index
for the audit page's reads of one kind of event

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("failed_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", db.types.UTCDateTime(), nullable=True),
        sa.Column("last_failed_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('leadership', 'head', 'dispatcher', 'viewer')",
                           name=op.f("ck_users_role")),
        sa.CheckConstraint("(role = 'head') = (department_id IS NOT NULL)",
                           name=op.f("ck_users_head_department")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_users_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "kiosk_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kiosk_tokens_token_hash")),
    )
    op.create_index("ix_ticket_events_kind_at", "ticket_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_kind_at", table_name="ticket_events")
    op.drop_table("kiosk_tokens")
    op.drop_table("users")
