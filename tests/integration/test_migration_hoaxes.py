"""Migration 0007 on a database with reports and clarifications already in it: each earlier
report becomes a claim its reporter's coordinators see, earlier approved clarifications become
findable by CEK; and it goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select, text

from broadcasts.db.database import Database
from broadcasts.db.models import HoaxClaim, HoaxReport, HoaxReportGroup, Member
from broadcasts.db.schema import alembic_config, upgrade
from broadcasts.hoaxes import scope, search

AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _before(database: Database) -> None:
    at = AT.replace(tzinfo=None) if database.is_sqlite else AT
    statements = [
        "INSERT INTO groups (id, code, name, timezone, join_code, created_at)"
        " VALUES (1, 'KALBAR', 'Bakohumas Kalbar', 'Asia/Pontianak', 'K7PX2M', :at)",
        "INSERT INTO members (id, phone, created_at) VALUES (1, '+6281234567890', :at)",
        "INSERT INTO members (id, phone, created_at) VALUES (2, '+6281234567891', :at)",
        "INSERT INTO memberships (member_id, group_id, role, created_at)"
        " VALUES (1, 1, 'member', :at)",
        "INSERT INTO memberships (member_id, group_id, role, created_at)"
        " VALUES (2, 1, 'coordinator', :at)",
        "INSERT INTO hoax_reports (member_id, text, created_at)"
        " VALUES (1, 'Pencoblosan diundur ke Maret', :at)",
        "INSERT INTO contents (title, body, tags, language, kind, approved_by, approved_at,"
        " created_by, created_at) VALUES ('Pemungutan suara tidak diundur', 'Hoaks.', '[]',"
        " 'id', 'clarification', 'admin:budi', :at, 'admin:ani', :at)",
    ]
    with database.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"at": at})


def test_earlier_reports_become_claims_and_clarifications_findable(empty: Database) -> None:
    upgrade(empty, "0006")
    _before(empty)
    upgrade(empty)
    with empty.transaction() as session:
        report = session.scalars(select(HoaxReport)).one()
        claim = session.get_one(HoaxClaim, report.claim_id)
        assert (claim.report_count, claim.first_report_id, claim.first_report_at) == (
            1,
            report.id,
            AT,
        )
        assert session.scalars(select(HoaxReportGroup.group_id)).all() == [1]
        coordinator = session.get_one(Member, 2)
        assert [c.claim.id for c in scope.open_claims(session, coordinator)] == [claim.id]
        found = search.clarifications(session, "apakah pencoblosan diundur?")
        assert [c.title for c in found] == ["Pemungutan suara tidak diundur"]

    config = alembic_config(empty)
    with empty.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    with empty.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM hoax_reports")).scalar_one() == 1
        assert connection.execute(text("SELECT count(*) FROM contents")).scalar_one() == 1
    upgrade(empty)
    with empty.transaction() as session:
        assert search.clarifications(session, "diundur")
