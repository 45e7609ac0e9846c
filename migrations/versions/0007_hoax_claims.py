"""hoax reports to clarifications: claims, media, digests, verdicts, and CEK's full-text index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from broadcasts.db.models import UTCDateTime
from broadcasts.hoaxes import claims, search

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# SQLite: CEK's index over `contents.search_terms`, kept by triggers. A later migration that
# rebuilds `contents` in batch mode drops these triggers and must make them again.
_SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE contents_search USING fts5("
    "search_terms, content='contents', content_rowid='id')",
    "CREATE TRIGGER contents_search_insert AFTER INSERT ON contents BEGIN "
    "INSERT INTO contents_search(rowid, search_terms) VALUES (new.id, new.search_terms); END",
    "CREATE TRIGGER contents_search_delete AFTER DELETE ON contents BEGIN "
    "INSERT INTO contents_search(contents_search, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); END",
    "CREATE TRIGGER contents_search_update AFTER UPDATE OF search_terms ON contents BEGIN "
    "INSERT INTO contents_search(contents_search, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); "
    "INSERT INTO contents_search(rowid, search_terms) VALUES (new.id, new.search_terms); END",
)
# PostgreSQL: the terms as a stored tsvector (a scan that reads many rows does not parse each
# again), GIN-indexed without a pending list (CEK sees every clarification at once, and the
# planner costs the index as it is).
_POSTGRESQL_INDEX = (
    "ALTER TABLE contents ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', search_terms)) STORED",
    "CREATE INDEX ix_contents_search ON contents USING gin (search_vector) WITH (fastupdate = off)",
)


def _member_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.add_column("contents", sa.Column("verdict", sa.String(length=16), nullable=True))
    op.add_column("contents", sa.Column("source_url", sa.String(length=1000), nullable=True))
    op.add_column(
        "contents", sa.Column("search_terms", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("broadcasts", sa.Column("claim_id", sa.Integer(), nullable=True))
    op.add_column("members", sa.Column("report_requested_at", UTCDateTime(timezone=True)))

    op.create_table(
        "hoax_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_key", sa.Text(), nullable=False),
        sa.Column("first_report_id", sa.Integer(), nullable=False),
        sa.Column("latest_report_id", sa.Integer(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("first_report_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("latest_report_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hoax_claims_latest", "hoax_claims", ["latest_report_at"])

    with op.batch_alter_table("hoax_reports") as batch:
        batch.add_column(sa.Column("claim_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_hoax_reports_claim", "hoax_claims", ["claim_id"], ["id"])
        batch.create_unique_constraint(
            "uq_hoax_report_member_fingerprint", ["member_id", "fingerprint"]
        )
        batch.create_index("ix_hoax_reports_claim_id", ["claim_id"])
        batch.create_index("ix_hoax_reports_member_created", ["member_id", "created_at"])

    op.create_table(
        "hoax_report_groups",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["hoax_reports.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "group_id"),
    )
    op.create_index("ix_hoax_report_groups_group_id", "hoax_report_groups", ["group_id"])
    op.create_table(
        "hoax_report_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["hoax_reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hoax_report_media_report_id", "hoax_report_media", ["report_id"])
    op.create_table(
        "hoax_notice_marks",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("last_key", sa.String(length=200), nullable=True),
        _member_fk(),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_table(
        "hoax_digest_items",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        _member_fk(),
        sa.ForeignKeyConstraint(["report_id"], ["hoax_reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "report_id"),
    )
    op.create_table(
        "hoax_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=1000), nullable=True),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["hoax_claims.id"]),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"]),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hoax_verdicts_claim_id", "hoax_verdicts", ["claim_id"])
    op.create_index("ix_hoax_verdicts_broadcast_id", "hoax_verdicts", ["broadcast_id"])
    op.create_table(
        "search_words",
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("head", sa.String(length=2), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("word"),
    )
    op.create_index("ix_search_words_head", "search_words", ["head"])

    bind = op.get_bind()
    _index_approved_clarifications(bind)
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_INDEX:
            op.execute(statement)
        op.execute("INSERT INTO contents_search(contents_search) VALUES ('rebuild')")
    else:
        for statement in _POSTGRESQL_INDEX:
            op.execute(statement)
    _claims_for_earlier_reports(bind)


def _index_approved_clarifications(bind: sa.Connection) -> None:
    """Clarifications approved before this release become findable by CEK as new ones are."""
    contents = sa.table(
        "contents",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("body", sa.Text),
        sa.column("tags", sa.JSON),
        sa.column("kind", sa.String),
        sa.column("approved_at", UTCDateTime),
        sa.column("search_terms", sa.Text),
    )
    words = sa.table("search_words", sa.column("word"), sa.column("head"), sa.column("term"))
    rows = bind.execute(
        sa.select(contents.c.id, contents.c.title, contents.c.body, contents.c.tags).where(
            contents.c.kind == "clarification", contents.c.approved_at.is_not(None)
        )
    ).all()
    known: set[str] = set()
    for content_id, title, body, tags in rows:
        parts = (title, body, " ".join(tags or []))
        bind.execute(
            sa.update(contents)
            .where(contents.c.id == content_id)
            .values(search_terms=search.document(*parts))
        )
        for part in parts:
            for word, found in search.words_and_terms(part):
                if word.isalpha() and len(word) >= 4 and word not in known:
                    known.add(word)
                    bind.execute(sa.insert(words).values(word=word, head=word[:2], term=found))


def _claims_for_earlier_reports(bind: sa.Connection) -> None:
    """Reports filed before this release are grouped into claims as new ones are, and seen by
    the coordinators of the groups their reporter is in now."""
    reports = sa.table(
        "hoax_reports",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("created_at", UTCDateTime),
    )
    earlier = bind.execute(
        sa.select(reports.c.id, reports.c.text, reports.c.created_at).order_by(reports.c.id)
    ).all()
    incoming = [claims.Incoming(i, claims.terms_of(text), at) for i, text, at in earlier]
    claims.attach(bind, incoming, index=claims.ClaimIndex())
    op.execute(
        "INSERT INTO hoax_report_groups (report_id, group_id) SELECT r.id, m.group_id"
        " FROM hoax_reports r JOIN memberships m ON m.member_id = r.member_id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contents_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS contents_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_contents_search")
        op.execute("ALTER TABLE contents DROP COLUMN IF EXISTS search_vector")
    op.drop_table("search_words")
    op.drop_table("hoax_verdicts")
    op.drop_table("hoax_digest_items")
    op.drop_table("hoax_notice_marks")
    op.drop_table("hoax_report_media")
    op.drop_table("hoax_report_groups")
    # Rebuilt in batch on SQLite (a column with a foreign key cannot be dropped in place);
    # nothing refers to hoax_reports once the tables above are gone.
    with op.batch_alter_table("hoax_reports") as batch:
        batch.drop_index("ix_hoax_reports_member_created")
        batch.drop_index("ix_hoax_reports_claim_id")
        batch.drop_constraint("uq_hoax_report_member_fingerprint", type_="unique")
        batch.drop_constraint("fk_hoax_reports_claim", type_="foreignkey")
        batch.drop_column("fingerprint")
        batch.drop_column("claim_id")
    op.drop_table("hoax_claims")
    # In place, not in batch: rebuilding these tables would cascade to what refers to them.
    op.drop_column("broadcasts", "claim_id")
    op.drop_column("members", "report_requested_at")
    op.drop_column("contents", "search_terms")
    op.drop_column("contents", "source_url")
    op.drop_column("contents", "verdict")
