"""dashboard accounts: roles, disabling, a member link, sessions and the login throttle

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Accounts made before roles existed were all admins, and stay so.
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="admin")
        )
        batch.add_column(sa.Column("disabled_at", UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("member_id", sa.Integer()))
        batch.create_foreign_key(
            "fk_admin_users_member_id", "members", ["member_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["admin_user_id"], ["admin_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_admin_sessions_admin_user_id", "admin_sessions", ["admin_user_id"])

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_username", "login_failures", ["username", "failed_at"])
    op.create_index("ix_login_failures_address", "login_failures", ["address", "failed_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("admin_sessions")
    with op.batch_alter_table("admin_users") as batch:
        batch.drop_constraint("fk_admin_users_member_id", type_="foreignkey")
        batch.drop_column("member_id")
        batch.drop_column("disabled_at")
        batch.drop_column("role")
