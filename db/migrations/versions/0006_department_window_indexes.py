"""a department's last 7 days from its own index entries

The department page asks for the city's figures within one department. Its on-time share and
median times read the tickets resolved or accepted in the last 7 days; without an index led by
the department, PostgreSQL intersected the whole department's entries of another index with the
window's (136,000 entries for the roads at a million tickets). These read the window directly.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 18:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_department_resolved_due", "tickets",
                    ["department_id", "resolved_at", "due_at"])
    op.create_index("ix_tickets_department_accepted", "tickets", ["department_id", "accepted_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_department_accepted", table_name="tickets")
    op.drop_index("ix_tickets_department_resolved_due", table_name="tickets")
