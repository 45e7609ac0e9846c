"""A cancel, on SQLite and PostgreSQL: it records who and when, skips that broadcast's queued
rows and no other's, tells the author who cancelled, and the reconciler's sweep skips the queued
rows of cancelled broadcasts only. Written against the mutants of the cancel rule that
`make mutate` found surviving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from broadcasts.clock import FixedClock
from broadcasts.db.database import Database
from broadcasts.db.models import Broadcast, BroadcastState, Member, OutboundMessage
from broadcasts.delivery.reconcile import Reconciler
from broadcasts.delivery.transports import transport_for
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial.audit import events_for
from broadcasts.errors import EditorialError
from broadcasts.people import membership
from config.settings import Settings
from tests.integration.test_planning import COORDINATOR, EDITOR_KALTIM, build_tree

BODY = "Pemungutan suara 14 Februari 2024. Datang ke TPS!"


def approved(database: Database, clock: FixedClock, code: str) -> int:
    """Proposed by Pontianak's coordinator (elsewhere by an account), approved by another
    account, planned at once (its rows queued)."""
    with database.transaction() as session:
        author = membership.find_member(session, phone=COORDINATOR)
        if code not in ("PONTIANAK", "KUBURAYA"):
            author = None
        number = editorial.propose(
            session,
            group=membership.group_by_code(session, code),
            author=editorial.member_actor(author) if author is not None else "admin:ani",
            author_member=author,
            body=BODY,
            now=clock.now(),
        ).id
    with database.transaction() as session:
        editorial.approve(session, number, editor=None, actor="admin:budi", now=clock.now())
    return number


def rows(database: Database, broadcast_id: int) -> list[OutboundMessage]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(OutboundMessage).where(OutboundMessage.broadcast_id == broadcast_id)
            )
        )


def test_a_cancel_records_who_and_when_and_skips_only_its_own_rows(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    cancelled, other = approved(database, clock, "PONTIANAK"), approved(database, clock, "KALBAR")
    orphan = approved(database, clock, "KALTIM")  # cancelled by a process that died before
    with database.transaction() as session:  # skipping its rows: the sweep's, not this cancel's
        session.execute(update(Broadcast).where(Broadcast.id == orphan).values(state="cancelled"))
    clock.advance(timedelta(minutes=10))
    with database.transaction() as session:
        kaltim = membership.find_member(session, phone=EDITOR_KALTIM)
        with pytest.raises(EditorialError) as refused:
            editorial.cancel(
                session, cancelled, actor="member:kaltim", member=kaltim, now=clock.now()
            )
        assert (refused.value.key, refused.value.data) == ("not_coordinator", {"code": "PONTIANAK"})
    with database.transaction() as session:
        coordinator = membership.find_member(session, phone=COORDINATOR)
        assert coordinator is not None
        coordinator.name = "Cici"
        session.flush()
        done = editorial.cancel(
            session, cancelled, actor="admin:budi", member=None, now=clock.now()
        )
        assert (done.state, done.cancelled_by, done.cancelled_at) == (
            "cancelled",
            "admin:budi",
            clock.now(),
        )
        [event] = [
            e for e in events_for(session, "broadcast", cancelled) if e.action == "cancelled"
        ]
        told = session.scalars(
            select(OutboundMessage.body).where(
                OutboundMessage.member_id == coordinator.id, OutboundMessage.broadcast_id.is_(None)
            )
        ).all()
    skipped = rows(database, cancelled)
    assert {(r.state, r.reason, r.updated_at) for r in skipped} == {
        ("skipped", "broadcast cancelled", clock.now())
    }
    assert (event.actor, event.at, event.detail) == ("admin:budi", clock.now(), {"stopped": 8})
    assert {r.state for r in rows(database, other)} == {"queued"}  # the other one goes on
    assert {r.state for r in rows(database, orphan)} == {"queued"}
    [notice] = [body for body in told if body and "dibatalkan" in body]
    assert f"*#{cancelled}* untuk PONTIANAK dibatalkan oleh budi." in notice, notice


def test_the_author_is_told_which_coordinator_cancelled(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    number = approved(database, clock, "KUBURAYA")
    with database.transaction() as session:
        canceller = membership.add_member(
            session, "+6281300000099", "KUBURAYA", role=membership.Role.COORDINATOR, name="Dedi"
        )
        member = session.get_one(Member, canceller.member_id)
        editorial.cancel(
            session, number, actor=editorial.member_actor(member), member=member, now=clock.now()
        )
        author = membership.find_member(session, phone=COORDINATOR)
        assert author is not None
        told = session.scalars(
            select(OutboundMessage.body).where(
                OutboundMessage.member_id == author.id, OutboundMessage.broadcast_id.is_(None)
            )
        ).all()
    [notice] = [body for body in told if body and "dibatalkan" in body]
    assert "dibatalkan oleh Dedi" in notice, notice


def test_the_sweep_skips_the_queued_rows_of_cancelled_broadcasts_and_no_others(
    settings: Settings, database: Database, clock: FixedClock
) -> None:
    """A broadcast cancelled by a process that died before skipping its rows."""
    build_tree(database, clock)
    orphaned, going = approved(database, clock, "PONTIANAK"), approved(database, clock, "KALTIM")
    with database.transaction() as session:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id == orphaned)
            .values(state=BroadcastState.CANCELLED.value)
        )
    clock.advance(timedelta(minutes=3))
    reconciler = Reconciler(settings, database, clock, transport_for(settings))
    assert reconciler.sweep_cancelled() == 8
    assert {(r.state, r.reason, r.updated_at) for r in rows(database, orphaned)} == {
        ("skipped", "broadcast cancelled", clock.now())
    }
    assert {r.state for r in rows(database, going)} == {"queued"}
    assert reconciler.sweep_cancelled() == 0


def test_an_author_who_cancels_their_own_broadcast_is_not_told_of_it(
    database: Database, clock: FixedClock
) -> None:
    build_tree(database, clock)
    number = approved(database, clock, "PONTIANAK")
    with database.transaction() as session:
        author = membership.find_member(session, phone=COORDINATOR)
        assert author is not None
        editorial.cancel(
            session, number, actor=editorial.member_actor(author), member=author, now=clock.now()
        )
        told = session.scalars(
            select(OutboundMessage.body).where(
                OutboundMessage.member_id == author.id, OutboundMessage.broadcast_id.is_(None)
            )
        ).all()
    assert [body for body in told if body and "dibatalkan" in body] == []
