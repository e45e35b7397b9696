"""intake reports: messages from social networks and what was decided about them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticket_reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", BigId, nullable=True),
        sa.Column("received_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('ticket', 'duplicate', 'rejected', 'ignored')",
            name=op.f("ck_ticket_reports_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"],
            name=op.f("fk_ticket_reports_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_ticket_reports_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_reports_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_reports")),
        sa.UniqueConstraint("message_key", name=op.f("uq_ticket_reports_message_key")),
    )
    op.create_index("ix_ticket_reports_ticket_id", "ticket_reports", ["ticket_id"])
    op.create_index(
        "ix_ticket_reports_decision_posted", "ticket_reports", ["decision", "posted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_reports_decision_posted", table_name="ticket_reports")
    op.drop_index("ix_ticket_reports_ticket_id", table_name="ticket_reports")
    op.drop_table("ticket_reports")
