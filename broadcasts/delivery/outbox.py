"""The outbox: every state an outgoing message (`OutboundMessage`) can move to, and the rules.

A row is QUEUED when planned, SENDING while a process holds its lease and may be requesting,
UNKNOWN when the request's outcome is unknown (only reconciliation settles it), then SENT,
DELIVERED and READ as Twilio reports, or FAILED / SKIPPED with a reason. States only move
forward; FAILED and SKIPPED are final. Every write of a row's state lives here, so each rule —
forward-only callbacks, opt-out on Twilio's unsubscribed error, skipping a cancelled broadcast's
rows, a broadcast DONE once its last row is final — has one home.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    DeliveryState,
    Member,
    OutboundMessage,
    UTCDateTime,
)
from broadcasts.delivery.transports.base import OPTED_OUT_CODES, Failure, SendError, describe_code

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
STATUS_PATH = "/twilio/status"
UNFINISHED = (DeliveryState.QUEUED.value, DeliveryState.SENDING.value, DeliveryState.UNKNOWN.value)
# Why a row was not sent, when the whole broadcast stopped: one wording for every path.
CANCELLED = "broadcast cancelled"
REJECTED = "broadcast rejected"
# A review request for a broadcast already approved, rejected or cancelled.
DECIDED = "already decided"

# Twilio's statuses as delivery states: anything Twilio has accepted counts as sent.
TWILIO_STATES = {
    "accepted": DeliveryState.SENT,
    "scheduled": DeliveryState.SENT,
    "queued": DeliveryState.SENT,
    "sending": DeliveryState.SENT,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
    "undelivered": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
PROGRESS = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENDING: 1,
    DeliveryState.UNKNOWN: 1,
    DeliveryState.SENT: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.READ: 4,
}
# A callback cannot touch a row the bot never attempted or already closed.
CLOSED = {DeliveryState.FAILED, DeliveryState.SKIPPED}


def status_callback_url(public_base_url: str, delivery_id: int) -> str:
    return f"{public_base_url}{STATUS_PATH}?delivery={delivery_id}"


def moves_forward(current: DeliveryState, new: DeliveryState) -> bool:
    if current in CLOSED:
        return False
    if new is DeliveryState.FAILED:
        # Failure after delivery does not happen; a late `failed` must not undo a delivery.
        return PROGRESS[current] < PROGRESS[DeliveryState.DELIVERED]
    return PROGRESS[new] > PROGRESS[current]


def _released(now: datetime, **values: object) -> dict[str, object]:
    return {"lease_owner": None, "lease_expires_at": None, "updated_at": now, **values}


def _update(session: Session, *where: ColumnElement[bool], **values: object) -> int:
    result = session.execute(
        update(OutboundMessage)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- members ------------------------------------------------------------------------------------


def opt_out(session: Session, member_id: int | None, now: datetime) -> None:
    """Twilio says the recipient unsubscribed: the member gets nothing more (until MULAI)."""
    session.execute(
        update(Member)
        .where(Member.id == member_id, Member.opted_out_at.is_(None))
        .values(opted_out_at=now)
        .execution_options(synchronize_session=False)
    )


# --- a row's own transitions ----------------------------------------------------------------------


def finish(row: OutboundMessage, state: DeliveryState, now: datetime, *, reason: str) -> None:
    """A claimed row that will not be sent (SKIPPED) or cannot be (FAILED)."""
    row.state = state.value
    row.reason = reason
    row.lease_owner = None
    row.lease_expires_at = None
    row.updated_at = now


def record_sent(session: Session, delivery_id: int, sid: str, now: datetime) -> bool:
    """The message exists at Twilio: the row is SENT with its sid, unless already further on.

    Not conditional on the lease: whoever learns the sid records it, since the message exists.
    """
    return bool(
        _update(
            session,
            OutboundMessage.id == delivery_id,
            OutboundMessage.twilio_sid.is_(None),
            OutboundMessage.state.in_(UNFINISHED),
            **_released(
                now,
                state=DeliveryState.SENT.value,
                twilio_sid=sid,
                sent_at=now,
                reason=None,
                error_code=None,
            ),
        )
    )


_OUTBOUND = cast(Table, OutboundMessage.__table__)
_SENT = (
    update(_OUTBOUND)
    .where(
        _OUTBOUND.c.id == bindparam("row_id"),
        _OUTBOUND.c.twilio_sid.is_(None),
        # Not IN (…): an expanding parameter cannot be used with executemany.
        or_(*(_OUTBOUND.c.state == state for state in UNFINISHED)),
    )
    .values(
        state=DeliveryState.SENT.value,
        twilio_sid=bindparam("sid"),
        sent_at=bindparam("at", type_=UTCDateTime()),
        updated_at=bindparam("at", type_=UTCDateTime()),
        reason=None,
        error_code=None,
        lease_owner=None,
        lease_expires_at=None,
    )
)


def record_all_sent(session: Session, sent: list[tuple[int, str]], now: datetime) -> None:
    """`record_sent` for many rows in one statement (executemany): the hot path."""
    if sent:
        session.execute(_SENT, [{"row_id": row_id, "sid": sid, "at": now} for row_id, sid in sent])


def _held_by(delivery_id: int, owner: str) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboundMessage.id == delivery_id,
        OutboundMessage.state == DeliveryState.SENDING.value,
        OutboundMessage.lease_owner == owner,
    )


def record_stopped(
    session: Session, delivery_id: int, owner: str, reason: str, now: datetime
) -> None:
    """A claimed send that never started (cancelled, or its member opted out meanwhile)."""
    _update(
        session,
        *_held_by(delivery_id, owner),
        **_released(now, state=DeliveryState.SKIPPED.value, reason=reason),
    )


def retry_delay(error: SendError, attempts: int) -> float:
    """Seconds before trying again: Twilio's Retry-After, else exponential backoff."""
    backoff = min(3600.0, 2.0 ** max(0, attempts - 1))
    if error.failure is Failure.SLOW_DOWN:
        backoff = min(3600.0, 60.0 * 2 ** max(0, attempts - 1))
    return max(error.retry_after or 0.0, backoff)


def record_failure(
    session: Session,
    delivery_id: int,
    owner: str,
    member_id: int | None,
    error: SendError,
    attempts: int,
    now: datetime,
) -> DeliveryState:
    """A send that failed: queued again with backoff, in doubt (UNKNOWN), or FAILED for good."""
    values = _released(now, error_code=error.code, reason=error.reason)
    if error.failure in (Failure.RETRY, Failure.SLOW_DOWN) and attempts >= MAX_ATTEMPTS:
        state = DeliveryState.FAILED
        values["reason"] = f"gave up after {attempts} attempts: {error.reason}"
    elif error.failure in (Failure.RETRY, Failure.SLOW_DOWN):
        state = DeliveryState.QUEUED
        values["next_attempt_at"] = now + timedelta(seconds=retry_delay(error, attempts))
    elif error.failure is Failure.UNKNOWN:
        state = DeliveryState.UNKNOWN
        values["next_attempt_at"] = now
    else:
        state = DeliveryState.FAILED
    _update(session, *_held_by(delivery_id, owner), state=state.value, **values)
    if error.failure is Failure.OPTED_OUT:
        opt_out(session, member_id, now)
    return state


def release(
    session: Session,
    delivery_id: int,
    owner: str,
    state: DeliveryState,
    next_attempt_at: datetime | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Reconciliation's verdict on a row in doubt that it leased: wait, retry or fail."""
    values = _released(now, state=state.value, next_attempt_at=next_attempt_at)
    if reason is not None:
        values["reason"] = reason
    _update(
        session,
        OutboundMessage.id == delivery_id,
        OutboundMessage.lease_owner == owner,
        OutboundMessage.state.in_((DeliveryState.SENDING.value, DeliveryState.UNKNOWN.value)),
        **values,
    )


def apply_status(
    session: Session,
    delivery_id: int,
    sid: str,
    status: str,
    error_code: int | None,
    now: datetime,
) -> str:
    """Applies one Twilio status callback; returns the outcome (for metrics and tests)."""
    new = TWILIO_STATES.get(status)
    if new is None:
        return "ignored_status"
    statement = select(OutboundMessage).where(OutboundMessage.id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None:
        return "unknown_delivery"
    if row.twilio_sid is not None and row.twilio_sid != sid:
        return "other_message"
    if row.twilio_sid is None and session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.twilio_sid == sid)
    ):
        return "other_message"
    current = DeliveryState(row.state)
    if row.twilio_sid is None and current not in CLOSED:
        row.twilio_sid = sid
        row.sent_at = row.sent_at or now
    if not moves_forward(current, new):
        return "stale"
    row.state = new.value
    row.lease_owner = None
    row.lease_expires_at = None
    row.updated_at = now
    if new is DeliveryState.FAILED:
        row.error_code = error_code
        row.reason = f"{status}: {describe_code(error_code)}" if error_code else status
        if error_code in OPTED_OUT_CODES:
            opt_out(session, row.member_id, now)
    return "applied"


# --- a broadcast's rows ---------------------------------------------------------------------------


def skip_queued(
    session: Session, now: datetime, *, broadcast_id: int | None = None, reason: str = CANCELLED
) -> int:
    """Queued rows of a cancelled broadcast (or of every cancelled one) will never go."""
    if broadcast_id is not None:
        which = OutboundMessage.broadcast_id == broadcast_id
    else:
        cancelled = select(Broadcast.id).where(Broadcast.state == BroadcastState.CANCELLED.value)
        which = OutboundMessage.broadcast_id.in_(cancelled)
    return _update(
        session,
        OutboundMessage.state == DeliveryState.QUEUED.value,
        which,
        state=DeliveryState.SKIPPED.value,
        reason=reason,
        updated_at=now,
    )


def skip_notices(session: Session, key_prefix: str, now: datetime, *, reason: str) -> int:
    """Notices not yet sent whose `dedupe_key` starts with `key_prefix` will never go: what they
    asked for is no longer to be done (a review request held until its editor wrote again)."""
    return _update(
        session,
        OutboundMessage.state == DeliveryState.QUEUED.value,
        OutboundMessage.dedupe_key.startswith(key_prefix, autoescape=True),
        state=DeliveryState.SKIPPED.value,
        reason=reason,
        updated_at=now,
    )


def counts(session: Session, broadcast_id: int) -> dict[str, int]:
    """How many of the broadcast's deliveries are in each state (every state present)."""
    found = {state.value: 0 for state in DeliveryState}
    rows = session.execute(
        select(OutboundMessage.state, func.count())
        .where(OutboundMessage.broadcast_id == broadcast_id)
        .group_by(OutboundMessage.state)
    )
    for state, n in rows:
        found[str(state)] = int(n)
    return found


def counts_of(session: Session, broadcast_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """`counts` for many broadcasts in one query (a page listing them runs one, not one each)."""
    wanted = list(broadcast_ids)
    found = {broadcast_id: {state.value: 0 for state in DeliveryState} for broadcast_id in wanted}
    if not wanted:
        return found
    rows = session.execute(
        select(OutboundMessage.broadcast_id, OutboundMessage.state, func.count())
        .where(OutboundMessage.broadcast_id.in_(wanted))
        .group_by(OutboundMessage.broadcast_id, OutboundMessage.state)
    )
    for broadcast_id, state, n in rows:
        if broadcast_id is not None:
            found[broadcast_id][str(state)] = int(n)
    return found


def mark_done(
    session: Session, now: datetime, broadcast_ids: Iterable[int] | None = None
) -> list[int]:
    """SENDING broadcasts whose every row is final become DONE (logged); returns their ids."""
    unfinished = exists().where(
        OutboundMessage.broadcast_id == Broadcast.id, OutboundMessage.state.in_(UNFINISHED)
    )
    finished = select(Broadcast.id).where(
        Broadcast.state == BroadcastState.SENDING.value, ~unfinished
    )
    if broadcast_ids is not None:
        wanted = list(broadcast_ids)
        if not wanted:
            return []
        finished = finished.where(Broadcast.id.in_(wanted))
    ids = list(session.scalars(finished))
    if ids:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id.in_(ids), Broadcast.state == BroadcastState.SENDING.value)
            .values(state=BroadcastState.DONE.value, completed_at=now)
            .execution_options(synchronize_session=False)
        )
    for broadcast_id in ids:
        summary = ", ".join(
            f"{n} {state}" for state, n in sorted(counts(session, broadcast_id).items()) if n
        )
        log.info("broadcast #%d done: %s", broadcast_id, summary or "no deliveries")
    return ids
