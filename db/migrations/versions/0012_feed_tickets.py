"""feed_tickets: the tickets each feed wrote, so the open ones are read again from their source

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_tickets",
        sa.Column("feed", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.ForeignKeyConstraint(["feed"], ["feeds.name"],
                                name=op.f("fk_feed_tickets_feed_feeds")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_feed_tickets_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("feed", "ticket_id", name=op.f("pk_feed_tickets")),
    )


def downgrade() -> None:
    op.drop_table("feed_tickets")
