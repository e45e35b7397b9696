"""feeds.failing: whether the feed's latest run failed, kept rather than read from two instants

A run that wrote a batch and failed within the same second left `last_error_at` equal to
`last_success_at` (instants are kept to the second), and the feed was shown as healthy. The
outcome is now recorded by the run itself; existing rows take it from their instants.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-05 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("failing", sa.Boolean(), server_default=sa.text("false"),
                                   nullable=False))
    op.execute("UPDATE feeds SET failing = (last_error_at IS NOT NULL AND "
               "(last_success_at IS NULL OR last_error_at > last_success_at))")


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("failing")
