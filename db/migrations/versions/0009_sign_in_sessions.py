"""sign-in sessions that outlive a reload: a token's hash, its user, when it was last used

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("seen_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_sign_in_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_sessions_token_hash")),
    )
    op.create_index("ix_sign_in_sessions_user_live", "sign_in_sessions", ["user_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_sessions_user_live", table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
