"""The four-eyes rule where it is decided, on SQLite and PostgreSQL: who may approve a
broadcast or a calendar entry (never its author, under any name), what a refusal says, what an
approval records, and planning's own check of an approval that was forced into the database.
Written against the mutants of the rule that `make mutate` found surviving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import AuditEvent, Broadcast, BroadcastState, Member, OutboundMessage
from broadcasts.delivery import planning
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.audit import events_for
from broadcasts.editorial_calendar import approval, entries
from broadcasts.editorial_calendar.approval import Approver
from broadcasts.errors import CalendarError, EditorialError
from broadcasts.people import membership
from tests.integration.test_planning import (
    COORDINATOR,
    EDITOR_KALBAR,
    EDITOR_KALTIM,
    EDITOR_PONTIANAK,
    build_tree,
)

BODY = "Pemungutan suara 14 Februari 2024. Datang ke TPS!"


def member(database: Database, number: str) -> Member:
    with database.transaction() as session:
        found = membership.find_member(session, phone=number)
        assert found is not None
        session.expunge(found)
        return found


def propose(
    database: Database, clock: FixedClock, author: Member | None, code: str, **kw: object
) -> int:
    with database.transaction() as session:
        merged = session.merge(author) if author is not None else None
        broadcast = editorial.propose(
            session,
            group=membership.group_by_code(session, code),
            author=editorial.member_actor(merged) if merged is not None else "admin:ani",
            author_member=merged,
            body=BODY,
            now=clock.now(),
            **kw,  # type: ignore[arg-type]
        )
        return broadcast.id


def refusal(call: object) -> tuple[str, dict[str, object]]:
    assert callable(call)
    with pytest.raises((EditorialError, CalendarError)) as raised:
        call()
    error = raised.value
    assert isinstance(error, (EditorialError, CalendarError))
    return error.key, error.data


# --- broadcasts ------------------------------------------------------------------------------


def test_a_refusal_names_the_broadcast_and_the_group_and_changes_nothing(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    coordinator = member(database, COORDINATOR)
    number = propose(database, clock, coordinator, "PONTIANAK")
    with database.transaction() as session:
        kaltim = session.merge(member(database, EDITOR_KALTIM))
        assert refusal(
            lambda: editorial.approve(
                session, number, editor=kaltim, actor="member:kaltim", now=clock.now()
            )
        ) == ("not_editor", {"id": number, "code": "PONTIANAK"})
        author = session.merge(coordinator)
        assert refusal(
            lambda: editorial.approve(
                session,
                number,
                editor=None,
                actor="admin:budi",
                same_person=author,
                now=clock.now(),
            )
        ) == ("own_broadcast", {"id": number})
    with database.transaction() as session:
        stored = session.get_one(Broadcast, number)
        assert (stored.state, stored.approved_by, stored.approved_at) == ("pending", None, None)


def test_a_dashboard_account_may_not_approve_what_its_own_member_proposed_by_chat(
    database: Database, clock: FixedClock
) -> None:
    """The account `admin:eka` is linked to the editor Eka: what Eka proposed by chat is as
    much the account's own (the names differ, the person does not)."""
    build_tree(database, clock)
    eka = member(database, EDITOR_KALBAR)
    number = propose(database, clock, eka, "KALBAR")
    with database.transaction() as session:
        linked = session.merge(eka)
        assert refusal(
            lambda: editorial.approve(
                session, number, editor=None, actor="admin:eka", same_person=linked, now=clock.now()
            )
        ) == ("own_broadcast", {"id": number})
        # Eka, as the editor she is, by another name of hers: still her own.
        assert refusal(
            lambda: editorial.approve(
                session, number, editor=linked, actor="admin:eka", now=clock.now()
            )
        ) == ("own_broadcast", {"id": number})
    with database.transaction() as session:
        assert session.get_one(Broadcast, number).state == BroadcastState.PENDING.value


def test_an_approval_records_who_approved_and_tells_the_author_when_it_goes(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    coordinator = member(database, COORDINATOR)
    later = clock.now() + timedelta(days=1)
    number = propose(database, clock, coordinator, "PONTIANAK", scheduled_at=later)
    editor = member(database, EDITOR_PONTIANAK)
    with database.transaction() as session:
        approving = session.merge(editor)
        approved = editorial.approve(
            session,
            number,
            editor=approving,
            actor=editorial.member_actor(approving),
            now=clock.now(),
        )
        assert approved.approved_by_id == editor.id
        assert approved.approved_by == f"member:{EDITOR_PONTIANAK}"
        assert (approved.state, approved.approved_at) == ("approved", clock.now())
        told = session.scalars(
            select(OutboundMessage.body).where(
                OutboundMessage.member_id == coordinator.id, OutboundMessage.broadcast_id.is_(None)
            )
        ).all()
        [event] = [e for e in events_for(session, "broadcast", number) if e.action == "approved"]
        assert (event.actor, event.at) == (f"member:{EDITOR_PONTIANAK}", clock.now())
    # The author's notice: approved, and when it goes (09:00 tomorrow, Pontianak's clock).
    [notice] = [body for body in told if body and "disetujui" in body]
    assert notice.startswith(f"Siaran Anda *#{number}* untuk PONTIANAK disetujui.")
    assert "Akan dikirim Senin, 5 Februari 2024 pukul 09.00 WIB." in notice, notice


# --- planning's own check --------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    ["no approval time", "no approver", "approved by its author's own member id"],
)
def test_planning_refuses_an_approval_forced_into_the_database(
    database: Database, clock: FixedClock, forged: str
) -> None:
    build_tree(database, clock)
    coordinator = member(database, COORDINATOR)
    number = propose(database, clock, coordinator, "PONTIANAK")
    with database.transaction() as session:
        row = session.get_one(Broadcast, number)
        row.state = BroadcastState.APPROVED.value
        row.approved_at, row.approved_by = clock.now(), "admin:budi"
        if forged == "no approval time":
            row.approved_at = None
        elif forged == "no approver":
            row.approved_by = ""
        else:  # the author, under a name that is not the author's
            row.approved_by, row.approved_by_id = "member:someone-else", coordinator.id
    with database.transaction() as session, pytest.raises(planning.NotApproved) as refused:
        planning.plan(session, session.get_one(Broadcast, number), clock.now())
    assert str(refused.value) == f"broadcast {number} has no valid approval"
    with database.transaction() as session:
        assert planning.plan_due(session, clock.now()) == []
        rows = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.broadcast_id == number)
        ).all()
    assert rows == []


def test_planning_says_why_it_will_not_plan_and_leaves_the_rest_alone(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    pending = propose(database, clock, member(database, COORDINATOR), "PONTIANAK")
    with database.transaction() as session:
        with pytest.raises(planning.NotApproved) as refused:
            planning.plan(session, session.get_one(Broadcast, pending), clock.now())
        assert str(refused.value) == f"broadcast {pending} is pending"
        ghost = Broadcast(id=987_654)
        with pytest.raises(planning.NotApproved) as missing:
            planning.plan(session, ghost, clock.now())
        assert str(missing.value) == "broadcast 987654 does not exist"
        cancelled = session.get_one(Broadcast, pending)
        cancelled.state = BroadcastState.CANCELLED.value
        assert planning.plan(session, cancelled, clock.now()) == 0  # not an error: nothing to do
    with database.transaction() as session:
        assert session.get_one(Broadcast, pending).state == BroadcastState.CANCELLED.value


def test_a_broadcast_to_nobody_is_done_as_soon_as_it_is_planned(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        membership.create_group(session, "KOSONG", "Grup kosong", timezone="Asia/Jakarta")
    number = propose(database, clock, None, "KOSONG")
    with database.transaction() as session:
        editorial.approve(session, number, editor=None, actor="admin:budi", now=clock.now())
    with database.transaction() as session:
        done = session.get_one(Broadcast, number)
        assert (done.state, done.completed_at) == (BroadcastState.DONE.value, clock.now())
        [planned] = [e for e in events_for(session, "broadcast", number) if e.action == "planned"]
        assert (planned.actor, planned.at, planned.detail) == (
            "system:planner",
            clock.now(),
            {"count": 0},
        )


# --- calendar entries ------------------------------------------------------------------------


def test_a_calendar_approval_is_refused_with_its_reason_and_recorded_when_given(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        spec = entries.EntrySpec(
            title="Cek DPT",
            rule=entries.once("2024-02-10", "09:00"),
            groups=["PONTIANAK", "KALTIM"],
            body="Cek DPT",
        )
        entry_id = entries.add_entry(session, spec, actor="admin:ani", now=clock.now()).id
    pontianak_editor = member(database, EDITOR_PONTIANAK)

    def approve(approver: Approver, entry: int = entry_id) -> None:
        with database.transaction() as session:
            merged = session.merge(approver.member) if approver.member else None
            approval.approve_entry(session, entry, Approver(approver.key, merged), clock.now())

    assert refusal(lambda: approve(Approver("admin:budi"), 987_654)) == (
        "unknown_entry",
        {"id": 987_654},
    )
    assert refusal(lambda: approve(Approver("admin:ani"))) == ("own_entry", {"id": entry_id})
    as_member = Approver(f"member:{EDITOR_PONTIANAK}", pontianak_editor)
    assert refusal(lambda: approve(as_member)) == (
        "not_editor_of",
        {"id": entry_id, "code": "KALTIM"},
    )
    with database.transaction() as session:
        entries.cancel_entry(session, entry_id, actor="admin:ani", now=clock.now())
    assert refusal(lambda: approve(Approver("admin:budi"))) == ("entry_cancelled", {"id": entry_id})
    with database.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "calendar_approved")
        ).all()
    assert events == []


def test_a_calendar_approval_is_recorded_with_its_time_and_approver(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    with database.transaction() as session:
        spec = entries.EntrySpec(
            title="Cek DPT", rule=entries.once("2024-02-10", "09:00"), groups=["KALBAR"], body="x"
        )
        entry_id = entries.add_entry(session, spec, actor="admin:ani", now=clock.now()).id
    with database.transaction() as session:
        approved = approval.approve_entry(session, entry_id, Approver("admin:budi"), clock.now())
        assert (approved.approved_by, approved.approved_at) == ("admin:budi", clock.now())
        assert approval.approved_by(approved) == "admin:budi"
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "calendar_approved")
        ).all()
        assert (event.actor, event.subject, event.subject_id, event.at) == (
            "admin:budi",
            "calendar_entry",
            entry_id,
            clock.now(),
        )
