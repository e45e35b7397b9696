"""a user's last reassignment from its own index entries

Undo reads the actor's newest 'reassigned' event; without an index led by the actor it scanned
every reassignment (849 ms at 10,000,000 tickets in the benchmark).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ticket_events_actor_kind_at", "ticket_events",
                    ["actor", "kind", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_actor_kind_at", table_name="ticket_events")
