"""Planning a broadcast: one outbound row per recipient, written in one set-based statement.

A row exists before any attempt to send, and (broadcast, member) is unique, so whatever happens
to the dispatcher later, nobody is planned twice. Only an approved broadcast is ever planned:
`plan` checks that itself rather than trusting its callers.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    HoaxReport,
    Member,
    Membership,
    OutboundMessage,
    UTCDateTime,
)
from broadcasts.editorial import audit
from broadcasts.people.group_tree import subtree
from broadcasts.runtime import Runtime

log = logging.getLogger(__name__)

ADDRESS_PREFIX = "whatsapp:"


class NotApproved(RuntimeError):
    """Something asked to plan a broadcast no editor (other than its author) has approved."""


def affected(result: object) -> int:
    """Rows an INSERT, UPDATE or DELETE touched (SQLAlchemy types `execute` results loosely)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def outbound_insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into outbound_messages that can skip rows already there (ON CONFLICT), and
    that reports how many rows it wrote (SQLAlchemy keeps an INSERT's row count only if asked)."""
    table = cast("Table", OutboundMessage.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).execution_options(preserve_rowcount=True)
    return sqlite.insert(table).execution_options(preserve_rowcount=True)


def _recipients(group_id: int, *columns: Any) -> Select[Any]:
    """Members of the group and its sub-groups who can be sent to: each once, opted-out excluded.

    The one definition of a broadcast's audience: the size shown to its author and the rows
    planned both come from here.
    """
    in_tree = select(Membership.member_id).where(
        Membership.group_id.in_(select(subtree([group_id]).c.id))
    )
    return select(*columns).where(
        Member.id.in_(in_tree), Member.opted_out_at.is_(None), Member.phone.is_not(None)
    )


def _reporters(claim_id: int, *columns: Any) -> Select[Any]:
    """Everyone who reported a hoax claim, each once, as a broadcast's audience: its
    clarification goes to them, not to a group."""
    reported = select(HoaxReport.member_id).where(HoaxReport.claim_id == claim_id)
    return select(*columns).where(
        Member.id.in_(reported), Member.opted_out_at.is_(None), Member.phone.is_not(None)
    )


def _audience(broadcast: Broadcast, *columns: Any) -> Select[Any]:
    if broadcast.claim_id is not None:
        return _reporters(broadcast.claim_id, *columns)
    return _recipients(broadcast.group_id, *columns)


def audience_size(session: Session, group_id: int) -> int:
    return session.scalar(_recipients(group_id, func.count(Member.id))) or 0


def audience_writing_since(session: Session, group_id: int, since: datetime) -> int:
    """How many of the audience wrote to the bot since `since` (WhatsApp's 24-hour window):
    a free-form broadcast reaches them; the others only through an approved template."""
    query = _recipients(group_id, func.count(Member.id)).where(Member.last_inbound_at >= since)
    return session.scalar(query) or 0


def reporters_count(session: Session, claim_id: int) -> int:
    return session.scalar(_reporters(claim_id, func.count(Member.id))) or 0


def _is_approved(broadcast: Broadcast) -> bool:
    if broadcast.approved_at is None or not broadcast.approved_by:
        return False
    own_by_id = broadcast.author_id is not None and broadcast.approved_by_id == broadcast.author_id
    return not own_by_id and broadcast.approved_by != broadcast.author


def _claim(session: Session, broadcast: Broadcast, now: datetime) -> bool:
    """APPROVED → SENDING, atomically: of two planners, exactly one gets True."""
    claimed = session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast.id,
            Broadcast.state == BroadcastState.APPROVED.value,
            Broadcast.approved_at.is_not(None),
        )
        .values(state=BroadcastState.SENDING.value, planned_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(claimed) == 1


def _insert_deliveries(session: Session, broadcast: Broadcast, now: datetime) -> int:
    when = literal(now, UTCDateTime())
    rows = _audience(
        broadcast,
        literal(broadcast.id),
        Member.id,
        literal(ADDRESS_PREFIX) + Member.phone,
        literal(DeliveryState.QUEUED.value),
        literal(0),
        when,
        when,
        when,
    )
    columns = (
        "broadcast_id",
        "member_id",
        "address",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    statement = outbound_insert(session).from_select(columns, rows)
    if _has_deliveries(session, broadcast.id):
        # Planned before (only if someone forced the state back): add just who is missing. The
        # usual first plan skips ON CONFLICT, which costs about a fifth more per row; the claim
        # already makes this transaction the only planner, and the unique key still holds.
        statement = statement.on_conflict_do_nothing(index_elements=["broadcast_id", "member_id"])
    return affected(session.execute(statement))


def _has_deliveries(session: Session, broadcast_id: int) -> bool:
    found = session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.broadcast_id == broadcast_id).limit(1)
    )
    return found is not None


def plan(session: Session, broadcast: Broadcast, now: datetime) -> int:
    """Plans the deliveries of an approved broadcast; returns how many rows were written.

    Raises `NotApproved` for a broadcast that is not approved (pending, rejected, or approved by
    its own author). A broadcast already planned, cancelled or done gets 0 and no change, so two
    workers may call this at once. The decision is made on the row as stored now, not on the
    (possibly stale) object passed in.
    """
    session.flush()
    current = session.get(Broadcast, broadcast.id, populate_existing=True)
    if current is None:
        raise NotApproved(f"broadcast {broadcast.id} does not exist")
    if current.state in (BroadcastState.PENDING.value, BroadcastState.REJECTED.value):
        raise NotApproved(f"broadcast {current.id} is {current.state}")
    if current.state != BroadcastState.APPROVED.value:
        return 0
    if not _is_approved(current):
        raise NotApproved(f"broadcast {current.id} has no valid approval")
    if not _claim(session, current, now):
        session.refresh(current)
        return 0
    planned = _insert_deliveries(session, current, now)
    if planned == 0:
        # Nobody to send to: nothing will ever complete it, so it is done now.
        session.execute(
            update(Broadcast)
            .where(Broadcast.id == current.id)
            .values(state=BroadcastState.DONE.value, completed_at=now)
            .execution_options(synchronize_session=False)
        )
    session.refresh(current)
    audit.record(session, "system:planner", "planned", "broadcast", current.id, now, count=planned)
    log.info("broadcast %s planned: %d deliveries", current.id, planned)
    return planned


def due(session: Session, now: datetime) -> Select[Broadcast]:
    return (
        select(Broadcast)
        .where(
            Broadcast.state == BroadcastState.APPROVED.value,
            or_(Broadcast.scheduled_at.is_(None), Broadcast.scheduled_at <= now),
        )
        .order_by(Broadcast.scheduled_at.is_not(None), Broadcast.scheduled_at, Broadcast.id)
    )


def plan_due(session: Session, now: datetime) -> list[int]:
    """Plans every approved broadcast whose time has come; returns the ids planned here.

    On PostgreSQL, SKIP LOCKED lets a second worker pass over broadcasts the first is planning;
    the state claim in `plan` is what makes it safe either way.
    """
    statement = due(session, now).with_for_update(skip_locked=True, of=Broadcast)
    planned: list[int] = []
    for broadcast in session.scalars(statement).all():
        before = broadcast.planned_at
        try:
            plan(session, broadcast, now)
        except NotApproved:
            # Fail closed, loudly, without holding up the other broadcasts that are due.
            log.error("broadcast %s is marked approved without a valid approval", broadcast.id)
            continue
        if broadcast.planned_at is not None and before is None:
            planned.append(broadcast.id)
    return planned


def plan_due_job(services: Runtime) -> None:
    with services.database.transaction() as session:
        planned = plan_due(session, services.clock.now())
    if planned:
        log.info("planned broadcasts %s", ", ".join(f"#{i}" for i in planned))
