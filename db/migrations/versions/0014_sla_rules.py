"""SLA rules: the city's working calendar and deadline rules, and how each ticket's due was decided

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-29 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tickets already stored keep their due; which of them a source gave cannot be told now, so
    # they count as computed on calendar hours (a later --recompute may recompute them).
    op.add_column("tickets", sa.Column("due_basis", sa.String(length=16),
                                       server_default=sa.text("'calendar'"), nullable=False))
    op.add_column("tickets", sa.Column("due_hours", sa.Float(), nullable=True))
    op.create_table(
        "sla_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("loaded_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendar")),
    )
    op.create_table(
        "sla_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.CheckConstraint("clock IN ('working', 'calendar')", name=op.f("ck_sla_rules_clock")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_sla_rules_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_rules")),
    )


def downgrade() -> None:
    op.drop_table("sla_rules")
    op.drop_table("sla_calendar")
    op.drop_column("tickets", "due_hours")
    op.drop_column("tickets", "due_basis")
