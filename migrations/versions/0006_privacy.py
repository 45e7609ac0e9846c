"""privacy: consents on record, erasure, and the retention of incoming texts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added in place (no table rebuild on SQLite: see `downgrade`).
    op.add_column("members", sa.Column("erasure_requested_at", UTCDateTime(timezone=True)))
    op.add_column("members", sa.Column("erased_at", UTCDateTime(timezone=True)))

    # An erased reporter's reports stay, without the link to them.
    with op.batch_alter_table("hoax_reports") as batch:
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=True)

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("given_by", sa.String(length=100), nullable=True),
        sa.Column("given_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_member_id", "consents", ["member_id"])
    # Members who joined before this release: their consent is on record as "unrecorded", at
    # the time they joined, so every membership has one.
    op.execute(
        "INSERT INTO consents (member_id, group_id, source, given_at) "
        "SELECT member_id, group_id, 'unrecorded', created_at FROM memberships"
    )

    op.create_index(
        "ix_inbound_texts_kept",
        "inbound_messages",
        ["received_at"],
        postgresql_where=sa.text("sender <> ''"),
        sqlite_where=sa.text("sender <> ''"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_texts_kept", table_name="inbound_messages")
    op.drop_index("ix_consents_member_id", table_name="consents")
    op.drop_table("consents")
    op.execute("DELETE FROM hoax_reports WHERE member_id IS NULL")
    with op.batch_alter_table("hoax_reports") as batch:
        batch.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
    # Not a batch: rebuilding `members` on SQLite would drop it, and its ON DELETE CASCADE
    # would empty memberships. SQLite 3.35+ drops a column in place.
    op.drop_column("members", "erased_at")
    op.drop_column("members", "erasure_requested_at")
