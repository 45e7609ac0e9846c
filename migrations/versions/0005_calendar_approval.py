"""calendar approval: an entry approved ahead of time goes out at its time with no further step

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_entries") as batch:
        batch.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("approved_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_entries") as batch:
        batch.drop_column("approved_version")
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
