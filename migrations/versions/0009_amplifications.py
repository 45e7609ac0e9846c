"""amplifications: links where offices reposted a broadcast (SUDAH), for REKAP and INGATKAN

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "amplifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer()),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "group_id", "url_key", name="uq_amplification_link"),
    )
    op.create_index("ix_amplifications_group_id", "amplifications", ["group_id"])


def downgrade() -> None:
    op.drop_table("amplifications")
