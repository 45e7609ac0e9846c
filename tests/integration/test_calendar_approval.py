"""Calendar entries approved ahead of time go out at their time with no further step; the
unapproved ones remind their editors a day and an hour before (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    CalendarEntry,
    Member,
    OutboundMessage,
    Role,
)
from broadcasts.editorial.workflow import member_actor
from broadcasts.editorial_calendar import approval, campaigns, entries, scan
from broadcasts.editorial_calendar.approval import Approver
from broadcasts.elections.stored import load_bundled
from broadcasts.errors import CalendarError
from broadcasts.people import membership

GRACE = timedelta(hours=6)
FRIDAY = datetime(2028, 11, 3, 9, 0, tzinfo=UTC)  # 16:00 WIB, Friday
MONDAY_9_WIB = datetime(2028, 11, 6, 2, 0, tzinfo=UTC)
AUTHOR = "admin:rina"
EDITOR = "+6281200000010"  # an editor of KALBAR only
PROVINCE_EDITOR = "+6281200000011"  # an editor of KALTIM only
MEMBERS = ("+6281200000021", "+6281200000022")


@pytest.fixture
def world(database: Database) -> Database:
    with database.transaction() as session:
        load_bundled(session, FRIDAY)
        membership.create_group(session, "KALBAR", "Bakohumas Kalbar", timezone="Asia/Pontianak")
        membership.create_group(session, "KALTIM", "Bakohumas Kaltim", timezone="Asia/Makassar")
        membership.add_member(session, EDITOR, "KALBAR", role=Role.EDITOR)
        membership.add_member(session, PROVINCE_EDITOR, "KALTIM", role=Role.EDITOR)
        for phone in MEMBERS:
            membership.add_member(session, phone, "KALBAR")
    return database


def add(database: Database, groups: list[str], body: str = "Cek DPT Anda") -> int:
    with database.transaction() as session:
        spec = entries.EntrySpec(
            title="Senin: cek DPT",
            rule=entries.once("2028-11-06", "09:00"),
            groups=groups,
            body=body,
        )
        return entries.add_entry(session, spec, actor=AUTHOR, now=FRIDAY).id


def editor(database: Database, phone: str) -> Approver:
    with database.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == phone)).one()
        session.expunge(member)
    return Approver(member_actor(member), member)


def approve(database: Database, entry_id: int, approver: Approver) -> None:
    with database.transaction() as session:
        member = session.merge(approver.member) if approver.member else None
        approval.approve_entry(session, entry_id, Approver(approver.key, member), FRIDAY)


def sent_broadcasts(database: Database) -> list[Broadcast]:
    with database.transaction() as session:
        found = list(session.scalars(select(Broadcast).order_by(Broadcast.id)))
        session.expunge_all()
    return found


def test_approved_on_friday_it_goes_out_on_monday_with_nobody_touching_it(
    world: Database,
) -> None:
    entry = add(world, ["KALBAR"])
    approve(world, entry, editor(world, EDITOR))
    assert scan.tick(world, MONDAY_9_WIB - timedelta(minutes=1), GRACE).proposed == []
    assert len(scan.tick(world, MONDAY_9_WIB, GRACE).proposed) == 1
    [broadcast] = sent_broadcasts(world)
    assert broadcast.state == BroadcastState.SENDING.value  # approved, and planned at its time
    assert broadcast.approved_by == f"member:{EDITOR}"
    with world.transaction() as session:
        planned = session.scalars(
            select(OutboundMessage.address).where(OutboundMessage.broadcast_id == broadcast.id)
        ).all()
    assert len(planned) == len(MEMBERS) + 1  # the members and the editor of the group


def test_an_entry_changed_after_approval_waits_for_approval_again(world: Database) -> None:
    entry = add(world, ["KALBAR"])
    approve(world, entry, editor(world, EDITOR))
    with world.transaction() as session:
        approved = session.get_one(CalendarEntry, entry)
        assert approval.approved_by(approved) == f"member:{EDITOR}"  # the approval held…
        approved.body = "Teks yang lain, belum disetujui"
    with world.transaction() as session:
        assert approval.approved_by(session.get_one(CalendarEntry, entry)) is None  # …until now
    assert len(scan.tick(world, MONDAY_9_WIB, GRACE).proposed) == 1
    [broadcast] = sent_broadcasts(world)
    assert broadcast.state == BroadcastState.PENDING.value and broadcast.approved_by is None


@pytest.mark.parametrize(
    ("who", "groups", "key"),
    [
        ("author", ["KALBAR"], "own_entry"),
        ("kalbar-editor", ["KALBAR", "KALTIM"], "not_editor_of"),
    ],
)
def test_approval_follows_the_four_eyes_rule_and_changes_nothing_when_refused(
    world: Database, who: str, groups: list[str], key: str
) -> None:
    entry = add(world, groups)
    approver = Approver(AUTHOR) if who == "author" else editor(world, EDITOR)
    with pytest.raises(CalendarError) as refused:
        approve(world, entry, approver)
    assert refused.value.key == key
    with world.transaction() as session:
        assert session.get_one(CalendarEntry, entry).approved_at is None


def test_a_whole_campaign_is_approved_at_once(world: Database) -> None:
    with world.transaction() as session:
        campaign = campaigns.create(session, "seri-dpt", "Seri cek DPT", actor=AUTHOR, now=FRIDAY)
        for day in ("2028-11-06", "2028-11-13"):
            spec = entries.EntrySpec(
                title=f"DPT {day}", rule=entries.once(day, "09:00"), groups=["KALBAR"], body="Cek"
            )
            entries.add_entry(session, spec, actor=AUTHOR, now=FRIDAY, campaign=campaign)
    with world.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == EDITOR)).one()
        approved = approval.approve_campaign(
            session, "seri-dpt", Approver(member_actor(member), member), FRIDAY
        )
        assert len(approved) == 2
    assert len(scan.tick(world, MONDAY_9_WIB, GRACE).proposed) == 1
    assert [b.state for b in sent_broadcasts(world)] == [BroadcastState.SENDING.value]


def test_editors_are_reminded_a_day_and_an_hour_before_an_unapproved_post(
    world: Database,
) -> None:
    waiting = add(world, ["KALBAR"])
    approved = add(world, ["KALBAR"], body="Sudah disetujui")
    approve(world, approved, editor(world, EDITOR))
    with world.transaction() as session:  # a second editor: each is reminded
        membership.add_member(session, "+6281200000012", "KALBAR", role=Role.EDITOR)

    def reminders(now: datetime) -> list[str]:
        with world.transaction() as session:
            approval.remind_editors(session, now)
            return list(
                session.scalars(
                    select(OutboundMessage.dedupe_key)
                    .where(OutboundMessage.dedupe_key.like("remind:%"))
                    .order_by(OutboundMessage.id)
                )
            )

    assert reminders(FRIDAY) == []  # three days ahead
    day_before = reminders(MONDAY_9_WIB - timedelta(hours=23))
    assert len(day_before) == 2  # one for each editor, of the unapproved entry only
    assert all(key.startswith(f"remind:{waiting}:") and ":day:" in key for key in day_before)
    assert reminders(MONDAY_9_WIB - timedelta(hours=20)) == day_before  # once
    hour_before = reminders(MONDAY_9_WIB - timedelta(minutes=50))
    assert len(hour_before) == 4 and all(":hour:" in key for key in hour_before[2:])
    with world.transaction() as session:
        body = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.dedupe_key == hour_before[-1])
        ).one()
    assert "Senin: cek DPT" in body and "pukul 09.00 WIB" in body
