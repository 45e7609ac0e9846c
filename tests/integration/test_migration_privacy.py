"""Migration 0006 on a database with members already in it: every membership gets a consent on
record (as "unrecorded", at its joining time); and it goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from broadcasts.db.database import Database
from broadcasts.db.schema import alembic_config, upgrade

JOINED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_members_who_joined_before_have_a_consent_on_record(empty: Database) -> None:
    upgrade(empty, "0005")
    joined = JOINED.replace(tzinfo=None) if empty.is_sqlite else JOINED
    with empty.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO groups (id, code, name, timezone, join_code, created_at) "
                "VALUES (1, 'KALBAR', 'Bakohumas Kalbar', 'Asia/Pontianak', 'K7PX2M', :at)"
            ),
            {"at": joined},
        )
        connection.execute(
            text("INSERT INTO members (id, phone, created_at) VALUES (1, '+6281234567890', :at)"),
            {"at": joined},
        )
        connection.execute(
            text(
                "INSERT INTO memberships (member_id, group_id, role, created_at) "
                "VALUES (1, 1, 'member', :at)"
            ),
            {"at": joined},
        )
    upgrade(empty)
    with empty.engine.begin() as connection:
        consent = connection.execute(
            text("SELECT member_id, group_id, source, given_by, withdrawn_at FROM consents")
        ).one()
        assert tuple(consent) == (1, 1, "unrecorded", None, None)
        given = connection.execute(text("SELECT given_at FROM consents")).scalar_one()
        assert str(given)[:19] == "2024-01-02 03:04:05"  # when they joined (UTC)
        # A report may now outlive its link to the reporter.
        connection.execute(
            text("INSERT INTO hoax_reports (member_id, text, created_at) VALUES (NULL, 'x', :at)"),
            {"at": joined},
        )

    config = alembic_config(empty)
    with empty.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with empty.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM memberships")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM hoax_reports")).scalar_one() == 0
    upgrade(empty)
