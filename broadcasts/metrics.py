"""What operators watch beside the dashboard, read from the database when Prometheus scrapes.

The worker sends and the web serves `/metrics`: two processes (or several workers), so a
counter kept in one process's memory would show only that process's part. These figures are
the database's, whichever process answers: a few grouped counts, each on an indexed column.

- outbound messages by state, and by Twilio error code;
- the queue: rows waiting to be sent, and how long the oldest due one has waited;
- send latency: how long messages sent in the last `LATENCY_WINDOW` took from being planned
  (their row written) to their request, as a histogram of that window;
- scheduler lag: how late the oldest due broadcast not yet planned, and the oldest due calendar
  target not yet handled, are;
- calendar misses: occurrences marked missed (the worker was down past the grace).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    CalendarOccurrence,
    CalendarTarget,
    DeliveryState,
    OccurrenceState,
    OutboundMessage,
)

LATENCY_WINDOW = timedelta(hours=1)
# Seconds from planned to sent: a message inside the rate cap goes in well under a second; a
# broadcast of thousands waits its turn for minutes.
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass
class Figures:
    by_state: dict[str, int]  # every delivery state, 0 included
    by_error: dict[int, int]  # Twilio error code → rows that carry it
    queued: int  # rows waiting to be sent (held notices included)
    oldest_due_seconds: float  # how long the oldest row due to be sent now has waited
    latency_buckets: list[tuple[float, int]] = field(default_factory=list)  # (le, cumulative)
    latency_count: int = 0
    latency_sum: float = 0.0
    planning_lag_seconds: float = 0.0  # the oldest approved broadcast due and not planned
    calendar_lag_seconds: float = 0.0  # the oldest calendar target due and not handled
    calendar_missed: int = 0


def _seconds_between(session: Session, later: object, earlier: object) -> ColumnElement[float]:
    """`later - earlier` in seconds, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)  # type: ignore[operator]
    return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)


def _age(now: datetime, oldest: datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def read(session: Session, now: datetime) -> Figures:
    """The figures as of `now` (eight statements)."""
    by_state = {state.value: 0 for state in DeliveryState}
    for state, n in session.execute(
        select(OutboundMessage.state, func.count()).group_by(OutboundMessage.state)
    ):
        by_state[str(state)] = int(n)
    by_error = {
        int(code): int(n)
        for code, n in session.execute(
            select(OutboundMessage.error_code, func.count())
            .where(OutboundMessage.error_code.is_not(None))
            .group_by(OutboundMessage.error_code)
        )
        if code is not None
    }
    oldest_due = session.scalar(
        select(func.min(OutboundMessage.created_at)).where(
            OutboundMessage.state == DeliveryState.QUEUED.value,
            OutboundMessage.next_attempt_at <= now,
        )
    )
    figures = Figures(
        by_state=by_state,
        by_error=by_error,
        queued=by_state[DeliveryState.QUEUED.value],
        oldest_due_seconds=_age(now, oldest_due),
    )
    _latency(session, now, figures)
    due_broadcast = session.scalar(
        select(func.min(func.coalesce(Broadcast.scheduled_at, Broadcast.approved_at))).where(
            Broadcast.state == BroadcastState.APPROVED.value,
            Broadcast.planned_at.is_(None),
            or_(Broadcast.scheduled_at.is_(None), Broadcast.scheduled_at <= now),
        )
    )
    figures.planning_lag_seconds = _age(now, due_broadcast)
    due_target = session.scalar(
        select(func.min(CalendarTarget.next_due_at)).where(CalendarTarget.next_due_at <= now)
    )
    figures.calendar_lag_seconds = _age(now, due_target)
    figures.calendar_missed = int(
        session.scalar(
            select(func.count())
            .select_from(CalendarOccurrence)
            .where(CalendarOccurrence.state == OccurrenceState.MISSED.value)
        )
        or 0
    )
    return figures


def _latency(session: Session, now: datetime, figures: Figures) -> None:
    """Planned-to-sent seconds of the messages sent in the last `LATENCY_WINDOW`, by bucket,
    in one statement."""
    took = _seconds_between(session, OutboundMessage.sent_at, OutboundMessage.created_at)
    recent = and_(
        OutboundMessage.sent_at.is_not(None), OutboundMessage.sent_at > now - LATENCY_WINDOW
    )
    columns: list[ColumnElement[Any]] = [func.count(), func.coalesce(func.sum(took), 0.0)]
    for le in LATENCY_BUCKETS:
        columns.append(func.coalesce(func.sum(case((took <= le, 1), else_=0)), 0))
    row = session.execute(select(*columns).where(recent)).one()
    figures.latency_count = int(row[0])
    figures.latency_sum = max(0.0, float(row[1]))
    figures.latency_buckets = [(le, int(n)) for le, n in zip(LATENCY_BUCKETS, row[2:], strict=True)]
