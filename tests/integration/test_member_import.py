"""Importing members (`member_import.check` and `apply`) on both databases: what each row
becomes, nothing written by a check, every good row written by one apply with its consent, and a
row that became bad between the report and the confirmation skipped."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from broadcasts.db.database import Database
from broadcasts.db.models import AuditEvent, Consent, Group, Member, Membership, Role
from broadcasts.people import member_import, membership
from broadcasts.people.member_import import FileRow

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def setup(database: Database) -> None:
    with database.transaction() as db:
        membership.create_group(db, "KALBAR", "Kalimantan Barat", timezone="Asia/Pontianak")
        membership.add_member(db, "081200000001", "KALBAR", role=Role.EDITOR, name="Ani")
        stopped = membership.get_or_create_member(db, "+6281200000009", name="Asli")
        membership.opt_out(stopped, NOW)


def test_a_check_reports_each_row_and_writes_nothing(database: Database) -> None:
    setup(database)
    rows = [
        FileRow(2, "0813-1111-0001", "Rina", "Editor"),
        FileRow(3, "bukan nomor", "X", ""),
        FileRow(4, "+62 813 1111 0001", "Rina lagi", ""),
        FileRow(5, "081311110003", "", "ketua"),
        FileRow(6, "081200000001", "", "anggota"),
        FileRow(7, "081200000009", "Nama Baru", "koordinator"),
        FileRow(8, "", "Tanpa nomor", ""),
        FileRow(9, "081311110004", "x" * 201, ""),
    ]
    with database.transaction() as db:
        group = db.scalars(select(Group)).one()
        checked = member_import.check(db, group, rows)
        members = db.scalar(select(func.count()).select_from(Member))
    assert [(c.row.line, c.refusal, c.detail) for c in checked] == [
        (2, None, {}),
        (3, "bad_phone", {"value": "bukan nomor"}),
        (4, "duplicate", {"line": 2}),
        (5, "unknown_role", {"value": "ketua"}),
        (6, "already_member", {"role": Role.EDITOR}),
        (7, None, {}),
        (8, "no_phone", {}),
        (9, "name_too_long", {"limit": 200}),
    ]
    assert [c.opted_out for c in checked if c.good] == [False, True]
    assert checked[0].role == Role.EDITOR and checked[0].phone == "+6281311110001"
    with database.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Member)) == members
        assert db.scalar(select(func.count()).select_from(Membership)) == 1


def test_apply_adds_every_good_row_with_its_consent_in_one_go(database: Database) -> None:
    setup(database)
    rows = [
        FileRow(2, "0813-1111-0001", "Rina", "editor"),
        FileRow(3, "081200000009", "Nama Baru", "koordinator"),  # known, opted out, has a name
        FileRow(4, "081200000001", "", ""),  # already in
    ]
    with database.transaction() as db:
        group = db.scalars(select(Group)).one()
        done = member_import.apply(db, group, rows, actor="admin:siti", now=NOW)
    assert [c.good for c in done] == [True, True, False]
    with database.transaction() as db:
        joined = {
            phone: (role, name, at)
            for phone, role, name, at in db.execute(
                select(Member.phone, Membership.role, Member.name, Membership.created_at).join(
                    Membership, Membership.member_id == Member.id
                )
            )
        }
        consents = db.execute(
            select(Consent.source, Consent.given_by, Consent.given_at).order_by(Consent.id)
        ).all()
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "members_imported")).one()
        stopped = db.scalars(select(Member).where(Member.phone == "+6281200000009")).one()
    assert joined["+6281311110001"] == ("editor", "Rina", NOW)
    assert joined["+6281200000009"] == ("coordinator", "Asli", NOW)  # a known name stays
    assert stopped.opted_out  # importing is not the person's own MULAI
    assert [tuple(c) for c in consents[-2:]] == [("import", "admin:siti", NOW)] * 2
    assert (event.actor, event.detail) == ("admin:siti", {"added": 2, "refused": 1})


def test_a_row_that_joined_since_the_report_is_skipped_and_the_rest_still_added(
    database: Database,
) -> None:
    setup(database)
    with database.transaction() as db:
        group = db.scalars(select(Group)).one()
        report = member_import.preview(db, group, b"nomor\n081311110001\n081311110002\n")
    confirmed = member_import.from_confirm(member_import.to_confirm(report))
    assert [r.line for r in confirmed] == [2, 3]
    with database.transaction() as db:
        membership.add_member(db, "081311110002", "KALBAR")  # joined meanwhile
    with database.transaction() as db:
        group = db.scalars(select(Group)).one()
        done = member_import.apply(db, group, confirmed, actor="admin:siti", now=NOW)
    assert [(c.row.line, c.refusal) for c in done] == [(2, None), (3, "already_member")]
