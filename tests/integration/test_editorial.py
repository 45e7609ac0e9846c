"""The editorial rules in the domain: who may propose, approve, reject and cancel what; the
notices they cause; the content library; hoax reports; the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    ContentKind,
    DeliveryState,
    Member,
    OutboundMessage,
)
from broadcasts.delivery import notices, outbox, planning
from broadcasts.delivery.notices import NoticeOutcome
from broadcasts.editorial import library
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.audit import events_for
from broadcasts.errors import EditorialError, HoaxError
from broadcasts.hoaxes import reports as hoax_reports
from broadcasts.hoaxes import search
from broadcasts.hoaxes.digests import Told
from broadcasts.people import membership
from tests.integration.test_planning import (
    COORDINATOR,
    EDITOR_KALBAR,
    EDITOR_KALTIM,
    EDITOR_PONTIANAK,
    build_tree,
    phone,
)

BODY = "Pemungutan suara 14 Februari 2024, pukul 07.00–13.00. Datang ke TPS!"


def member(session: Session, number: str) -> Member:
    found = membership.find_member(session, phone=number)
    assert found is not None
    return found


def propose_as(database: Database, clock: FixedClock, number: str, code: str, **kw: object) -> int:
    with database.transaction() as session:
        author = member(session, number)
        broadcast = editorial.propose(
            session,
            group=membership.group_by_code(session, code),
            author=editorial.member_actor(author),
            author_member=author,
            body=str(kw.pop("body", BODY)),
            now=clock.now(),
            **kw,  # type: ignore[arg-type]
        )
        return broadcast.id


def approve_as(database: Database, clock: FixedClock, number: str, broadcast_id: int) -> Broadcast:
    with database.transaction() as session:
        editor = member(session, number)
        return editorial.approve(
            session,
            broadcast_id,
            editor=editor,
            actor=editorial.member_actor(editor),
            now=clock.now(),
        )


def error_key(call: object) -> str:
    assert callable(call)
    with pytest.raises(EditorialError) as raised:
        call()
    return raised.value.key


def notices_to(database: Database, number: str) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .join(Member, Member.id == OutboundMessage.member_id)
                .where(Member.phone == number, OutboundMessage.broadcast_id.is_(None))
                .order_by(OutboundMessage.id)
            )
        )


def test_a_coordinator_proposes_within_their_branch_only(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    assert propose_as(database, clock, COORDINATOR, "KUBURAYA")  # a sub-group: allowed
    for code in ("KALBAR", "SINGKAWANG", "KALTIM"):
        assert error_key(lambda c=code: propose_as(database, clock, COORDINATOR, c)) == (
            "not_coordinator"
        )
    # A plain member coordinates nothing.
    assert error_key(lambda: propose_as(database, clock, phone(1), "PONTIANAK")) == (
        "not_coordinator"
    )


def test_bodies_that_cannot_be_sent_are_refused_and_nothing_is_written(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    assert error_key(
        lambda: propose_as(database, clock, COORDINATOR, "PONTIANAK", body=" \n ")
    ) == ("empty_body")
    with pytest.raises(EditorialError) as raised:
        propose_as(database, clock, COORDINATOR, "PONTIANAK", body="x" * 1501)
    assert raised.value.key == "body_too_long" and raised.value.data["limit"] == 1500
    assert propose_as(database, clock, COORDINATOR, "PONTIANAK", body="x" * 1500)
    assert error_key(
        lambda: propose_as(database, clock, COORDINATOR, "PONTIANAK", media_url="ftp://x/y.jpg")
    ) == ("bad_media_url")
    with database.transaction() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1


def test_editors_of_the_group_and_above_are_notified_once(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    broadcast_id = propose_as(database, clock, COORDINATOR, "KUBURAYA")
    for editor in (EDITOR_PONTIANAK, EDITOR_KALBAR):
        (notice,) = notices_to(database, editor)
        assert notice.dedupe_key == f"broadcast:{broadcast_id}:review:{notice.member_id}"
        assert f"SETUJUI {broadcast_id}" in (notice.body or "")
        assert notice.state == DeliveryState.QUEUED.value and notice.address.endswith(editor)
    assert notices_to(database, EDITOR_KALTIM) == []
    assert notices_to(database, COORDINATOR) == []


def test_a_notice_is_planned_once_in_the_readers_language_and_never_to_the_opted_out(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        reader = member(session, phone(1))
        reader.language = "en"
        data = {"id": 7, "code": "KALBAR", "by": "Ani"}

        def tell(key: str) -> NoticeOutcome:
            return notices.notify(
                session, reader, "notice_cancelled", data, dedupe_key=key, now=clock.now()
            )

        assert tell("k") is NoticeOutcome.WAITING  # never wrote to the bot; no notice template
        assert tell("k") is NoticeOutcome.NOT_SENT
        membership.opt_out(reader, clock.now())
        assert tell("k2") is NoticeOutcome.NOT_SENT
    (notice,) = notices_to(database, phone(1))
    assert "was cancelled by Ani" in (notice.body or "")


def test_only_an_editor_of_the_group_other_than_the_author_approves(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    own = propose_as(database, clock, EDITOR_PONTIANAK, "PONTIANAK")
    assert error_key(lambda: approve_as(database, clock, EDITOR_PONTIANAK, own)) == "own_broadcast"
    other = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    assert error_key(lambda: approve_as(database, clock, COORDINATOR, other)) == "not_editor"
    assert error_key(lambda: approve_as(database, clock, EDITOR_KALTIM, other)) == "not_editor"
    # An editor of the province approves in its cities.
    approved = approve_as(database, clock, EDITOR_KALBAR, own)
    assert approved.state == BroadcastState.SENDING.value
    assert approved.approved_by == f"member:{EDITOR_KALBAR}"
    with database.transaction() as session:
        actions = [(e.action, e.actor) for e in events_for(session, "broadcast", own)]
    assert actions == [
        ("proposed", f"member:{EDITOR_PONTIANAK}"),
        ("approved", f"member:{EDITOR_KALBAR}"),
        ("planned", "system:planner"),
    ]
    assert any("disetujui" in (n.body or "") for n in notices_to(database, EDITOR_PONTIANAK))


def test_an_admin_approval_is_still_four_eyes(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        broadcast = editorial.propose(
            session,
            group=membership.group_by_code(session, "KALBAR"),
            author="admin:ani",
            author_member=None,
            body=BODY,
            now=clock.now(),
        )
        broadcast_id = broadcast.id
    with database.transaction() as session:
        assert error_key(
            lambda: editorial.approve(
                session, broadcast_id, editor=None, actor="admin:ani", now=clock.now()
            )
        ) == ("own_broadcast")
        approved = editorial.approve(
            session, broadcast_id, editor=None, actor="admin:budi", now=clock.now()
        )
        # Another account approves: it goes out at once, approved by that account.
        assert (approved.state, approved.approved_by) == (
            BroadcastState.SENDING.value,
            "admin:budi",
        )


def test_a_decided_broadcast_cannot_be_decided_again(database: Database, clock: FixedClock) -> None:
    build_tree(database, clock)
    sent = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    approve_as(database, clock, EDITOR_PONTIANAK, sent)
    assert error_key(lambda: approve_as(database, clock, EDITOR_KALBAR, sent)) == "already_sending"
    rejected = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    with database.transaction() as session:
        editor = member(session, EDITOR_PONTIANAK)
        assert error_key(
            lambda: editorial.reject(
                session, rejected, editor=editor, actor="member:x", reason="  ", now=clock.now()
            )
        ) == ("reason_required")
        editorial.reject(
            session, rejected, editor=editor, actor="m", reason="Tanggal salah", now=clock.now()
        )
    assert error_key(lambda: approve_as(database, clock, EDITOR_KALBAR, rejected)) == (
        "already_rejected"
    )
    with database.transaction() as session:
        assert error_key(
            lambda: editorial.cancel(
                session, rejected, actor="admin:a", member=None, now=clock.now()
            )
        ) == ("already_rejected")
    assert error_key(lambda: approve_as(database, clock, EDITOR_KALBAR, 424242)) == (
        "unknown_broadcast"
    )
    assert error_key(lambda: approve_as(database, clock, EDITOR_KALBAR, 2**40)) == (
        "unknown_broadcast"
    )
    told = [n.body or "" for n in notices_to(database, COORDINATOR)]
    assert any("Tanggal salah" in body for body in told)


def test_cancel_skips_every_queued_delivery_and_only_those(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    broadcast_id = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    approve_as(database, clock, EDITOR_KALBAR, broadcast_id)
    with database.transaction() as session:
        rows = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.broadcast_id == broadcast_id)
            .order_by(OutboundMessage.id)
        ).all()
        # The dispatcher got to two of them before the cancel.
        rows[0].state = DeliveryState.DELIVERED.value
        rows[1].state = DeliveryState.SENDING.value
        plain = member(session, phone(1))
        assert error_key(
            lambda: editorial.cancel(
                session, broadcast_id, actor="member:x", member=plain, now=clock.now()
            )
        ) == ("not_coordinator")
    with database.transaction() as session:
        coordinator = member(session, COORDINATOR)
        cancelled = editorial.cancel(
            session, broadcast_id, actor="member:c", member=coordinator, now=clock.now()
        )
        assert cancelled.state == BroadcastState.CANCELLED.value
        counts = outbox.counts(session, broadcast_id)
        (event,) = [
            e for e in events_for(session, "broadcast", broadcast_id) if e.action == "cancelled"
        ]
    assert counts["delivered"] == 1 and counts["sending"] == 1
    assert counts["skipped"] == 6 and counts["queued"] == 0
    assert event.detail == {"stopped": 6}
    with database.transaction() as session:
        reasons = set(
            session.scalars(
                select(OutboundMessage.reason).where(
                    OutboundMessage.broadcast_id == broadcast_id,
                    OutboundMessage.state == DeliveryState.SKIPPED.value,
                )
            )
        )
        assert reasons == {"broadcast cancelled"}
        assert error_key(
            lambda: editorial.cancel(
                session, broadcast_id, actor="admin:a", member=None, now=clock.now()
            )
        ) == ("already_cancelled")


def test_a_scheduled_approval_waits_and_can_be_cancelled_before_it_goes(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    broadcast_id = propose_as(
        database, clock, COORDINATOR, "PONTIANAK", scheduled_at=clock.now() + timedelta(days=1)
    )
    approved = approve_as(database, clock, EDITOR_PONTIANAK, broadcast_id)
    assert approved.state == BroadcastState.APPROVED.value
    with database.transaction() as session:
        assert sum(outbox.counts(session, broadcast_id).values()) == 0
        cancelled = editorial.cancel(
            session, broadcast_id, actor="admin:a", member=None, now=clock.now()
        )
        assert cancelled.state == BroadcastState.CANCELLED.value
    # Its time comes and goes: nothing is planned for a cancelled broadcast.
    with database.transaction() as session:
        assert planning.plan_due(session, clock.now() + timedelta(days=2)) == []
        assert sum(outbox.counts(session, broadcast_id).values()) == 0


def test_the_queue_shows_pending_broadcasts_of_the_editors_groups(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    kubu = propose_as(database, clock, COORDINATOR, "KUBURAYA")
    ponti = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    approved = propose_as(database, clock, COORDINATOR, "PONTIANAK")
    approve_as(database, clock, EDITOR_KALBAR, approved)
    with database.transaction() as session:
        group = membership.group_by_code(session, "KALTIM")
        kaltim = editorial.propose(
            session, group=group, author="admin:a", author_member=None, body=BODY, now=clock.now()
        ).id
        queue = {
            number: [b.id for b in editorial.visible_queue(session, member(session, number))]
            for number in (EDITOR_PONTIANAK, EDITOR_KALBAR, EDITOR_KALTIM, COORDINATOR)
        }
    assert queue == {
        EDITOR_PONTIANAK: [kubu, ponti],
        EDITOR_KALBAR: [kubu, ponti],
        EDITOR_KALTIM: [kaltim],
        COORDINATOR: [],
    }


def test_the_library_needs_a_second_person_to_approve_and_cek_finds_only_approved_clarifications(
    database: Database, clock: FixedClock
) -> None:
    now = clock.now()
    with database.transaction() as session:
        postponed = library.add_content(
            session,
            title="Pemilu tidak diundur",
            body="Kabar bahwa pemungutan suara diundur adalah hoaks. KPU menetapkan 14 Februari.",
            tags=["Hoaks", "pemungutan", "hoaks"],
            kind=ContentKind.CLARIFICATION,
            created_by="admin:ani",
            now=now,
        )
        assert postponed.tags == ["hoaks", "pemungutan"]
        draft = library.add_content(
            session,
            title="Surat suara diundur?",
            body="Belum diperiksa",
            kind="clarification",
            created_by="admin:ani",
            now=now,
        )
        literacy = library.add_content(
            session, title="Cara mencoblos", body="Coblos sekali", created_by="admin:ani", now=now
        )
        assert error_key(
            lambda: library.approve_content(session, postponed.id, actor="admin:ani", now=now)
        ) == ("own_content")
        library.approve_content(session, postponed.id, actor="admin:budi", now=now)
        library.approve_content(session, literacy.id, actor="admin:budi", now=now)
        assert error_key(
            lambda: library.approve_content(session, postponed.id, actor="admin:cici", now=now)
        ) == ("content_already_approved")
        found = search.clarifications(session, "apakah pemilu DIUNDUR?")
        assert [c.id for c in found] == [postponed.id]
        assert search.clarifications(session, "mencoblos") == []
        assert search.clarifications(session, "100% _x_") == []
        assert [c.id for c in library.list_contents(session, approved=False)] == [draft.id]
        assert error_key(lambda: library.get_content(session, 99999)) == "unknown_content"
        assert error_key(
            lambda: library.add_content(session, title=" ", body="x", created_by="a", now=now)
        ) == ("empty_title")
        assert error_key(
            lambda: library.add_content(
                session, title="t", body="x", language="fr", created_by="a", now=now
            )
        ) == ("unknown_language")
        unapproved = draft
        group = membership.create_group(session, "KALBAR", "Kalbar")
        assert error_key(
            lambda: editorial.propose(
                session,
                group=group,
                author="admin:a",
                author_member=None,
                body=unapproved.body,
                content=unapproved,
                now=now,
            )
        ) == ("content_not_approved")
        events = events_for(session, "content", postponed.id)
    assert [(e.action, e.actor) for e in events] == [
        ("created", "admin:ani"),
        ("approved", "admin:budi"),
    ]


def test_a_hoax_report_reaches_the_coordinators_above_the_reporter(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        reporter = member(session, phone(6))  # in KUBURAYA
        filed = hoax_reports.report(
            session, reporter, "Pesan berantai: pencoblosan diundur", now=clock.now()
        )
        assert filed.report.text == "Pesan berantai: pencoblosan diundur"
        # None of them has written to the bot: all three are planned, held until they do.
        assert filed.told == Told(waiting=3)
        with pytest.raises(HoaxError) as refused:
            hoax_reports.report(session, reporter, "  ", now=clock.now())
        assert refused.value.key == "empty_report"
    for lead in (COORDINATOR, EDITOR_PONTIANAK, EDITOR_KALBAR):
        (notice,) = notices_to(database, lead)
        assert "pencoblosan diundur" in (notice.body or "")
    assert notices_to(database, EDITOR_KALTIM) == []
