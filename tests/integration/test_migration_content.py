"""Migration 0010 on a library already in use: earlier items were waiting for approval once
written, so they are submitted; every item is version 1; and it goes down and up again cleanly
(CEK's index over `contents` survives, as the columns are added and dropped in place)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select, text

from broadcasts.db.database import Database
from broadcasts.db.models import Content
from broadcasts.db.schema import alembic_config, upgrade
from broadcasts.editorial import library
from broadcasts.editorial.library import ContentState
from broadcasts.hoaxes import search

AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _before(database: Database) -> None:
    at = AT.replace(tzinfo=None) if database.is_sqlite else AT
    rows = (
        ("Pemungutan suara tidak diundur", "clarification", "'admin:budi'", ":at"),
        ("Cek DPT", "literacy", "NULL", "NULL"),
    )
    with database.engine.begin() as connection:
        for title, kind, approved_by, approved_at in rows:
            connection.execute(
                text(
                    "INSERT INTO contents (title, body, tags, language, kind, approved_by,"
                    " approved_at, created_by, created_at) VALUES (:title, 'Hoaks diundur.',"
                    f" '[]', 'id', :kind, {approved_by}, {approved_at}, 'admin:ani', :at)"
                ),
                {"title": title, "kind": kind, "at": at},
            )


def _downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_earlier_items_are_submitted_version_1_and_it_goes_down_and_up(empty: Database) -> None:
    upgrade(empty, "0009")
    _before(empty)
    upgrade(empty, "0010")
    with empty.transaction() as session:
        approved, waiting = session.scalars(select(Content).order_by(Content.id)).all()
        assert library.state_of(approved) is ContentState.APPROVED
        assert library.state_of(waiting) is ContentState.WAITING
        assert (waiting.submitted_by, waiting.submitted_at, waiting.version) == (
            "admin:ani",
            AT,
            1,
        )
        search.index(session, approved)
        library.approve_content(session, waiting.id, actor="admin:budi", now=AT)
        newer = library.edit_content(
            session, waiting.id, title="Cek DPT", body="Baru", actor="admin:budi", now=AT
        )
        assert (newer.version, newer.replaces_id) == (2, waiting.id)

    _downgrade(empty, "0009")
    with empty.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM contents")).scalar_one() == 3
        columns = connection.execute(text("SELECT * FROM contents")).keys()
        assert "version" not in columns and "replaces_id" not in columns
    upgrade(empty)
    with empty.transaction() as session:
        assert [c.title for c in search.clarifications(session, "diundur")] == [
            "Pemungutan suara tidak diundur"
        ]
