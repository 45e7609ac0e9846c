"""content workflow: drafts, submitting, rejecting with a reason, versions, uploaded images

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Added in place, never in batch: rebuilding `contents` on SQLite would drop CEK's triggers
# (migration 0007) and break the foreign keys of broadcasts and calendar entries.
COLUMNS: tuple[sa.Column[object], ...] = (
    sa.Column("updated_by", sa.String(length=100)),
    sa.Column("updated_at", UTCDateTime(timezone=True)),
    sa.Column("submitted_by", sa.String(length=100)),
    sa.Column("submitted_at", UTCDateTime(timezone=True)),
    sa.Column("rejected_by", sa.String(length=100)),
    sa.Column("rejected_at", UTCDateTime(timezone=True)),
    sa.Column("rejected_reason", sa.Text()),
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("replaces_id", sa.Integer()),
    sa.Column("image_sha256", sa.String(length=64)),
    sa.Column("image_type", sa.String(length=16)),
    sa.Column("image_size", sa.Integer()),
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("contents", column)
    # At most one version replaces another (two editors editing the same approved item at once:
    # the second is refused). NULLs do not collide on either database.
    op.create_index("ix_contents_replaces_id", "contents", ["replaces_id"], unique=True)
    # Before drafts existed every item waited for approval once written: it was submitted then.
    op.execute("UPDATE contents SET submitted_by = created_by, submitted_at = created_at")


def downgrade() -> None:
    op.drop_index("ix_contents_replaces_id", table_name="contents")
    # SQLite 3.35+ drops a column in place (no rebuild: see above).
    for column in reversed(COLUMNS):
        op.drop_column("contents", column.name)
