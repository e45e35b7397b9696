"""tickets.source_department: the agency an import or sync last read for the ticket

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("source_department", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("tickets", "source_department")
