"""The audit log: who did what to which thing, and when. Written in the same transaction as the
change it describes, so an event exists exactly when its change does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from broadcasts.db.models import AuditEvent
from broadcasts.people.phones import PhoneError, normalise_phone


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    subject_id: int | None,
    now: datetime,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor=actor[:100],
        action=action[:32],
        subject=subject[:32],
        subject_id=subject_id,
        detail=detail,
    )
    session.add(event)
    return event


def events_for(session: Session, subject: str, subject_id: int) -> list[AuditEvent]:
    """The history of one thing, oldest first."""
    session.flush()
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == subject, AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# --- Reading the log (the dashboard's audit page) --------------------------------------------

PAGE = 50


@dataclass(frozen=True)
class Filter:
    """Which events to show: by whom (an actor key), what (action, subject and its id) and when
    (`since` inclusive, `until` exclusive, both UTC). None: any."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    subject_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]  # the newest first
    newer: int | None  # the id to ask `after` for the page before this one, if any
    older: int | None  # the id to ask `before` for the page after this one, if any


def actor_asked(text: str) -> str:
    """An actor as a person types one into a filter: a key as the log writes it
    (`admin:siti`, `system:calendar`, `erased:17`), a phone number in any common form
    (`member:+62…`), or a dashboard username (`admin:<name>`)."""
    typed = text.strip()
    if ":" in typed and not typed.lower().startswith("whatsapp:"):
        return typed
    try:
        return f"member:{normalise_phone(typed)}"
    except PhoneError:
        return f"admin:{typed}"


def day_range(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """From the start of `first` to the end of `last`, days on `zone`'s clock, as UTC."""

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    return (
        start(first) if first is not None else None,
        start(last + timedelta(days=1)) if last is not None else None,
    )


def page(
    session: Session,
    where: Filter,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE,
) -> Page:
    """One page of the log, the newest first, `before` (older than) or `after` (newer than) an
    event id; keyset by id, so a page costs the same however deep it is and rows written
    meanwhile shift nothing."""
    conditions: list[ColumnElement[bool]] = []
    if where.actor is not None:
        conditions.append(AuditEvent.actor == where.actor)
    if where.action is not None:
        conditions.append(AuditEvent.action == where.action)
    if where.subject is not None:
        conditions.append(AuditEvent.subject == where.subject)
    if where.subject_id is not None:
        conditions.append(AuditEvent.subject_id == where.subject_id)
    if where.since is not None:
        conditions.append(AuditEvent.at >= where.since)
    if where.until is not None:
        conditions.append(AuditEvent.at < where.until)
    query = select(AuditEvent).where(*conditions)
    if after is not None:
        found = list(
            session.scalars(
                query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(size + 1)
            )
        )
        more_newer = len(found) > size
        events = list(reversed(found[:size]))
        older_exists = bool(events)
        return Page(
            events,
            newer=events[0].id if more_newer and events else None,
            older=events[-1].id if older_exists else None,
        )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    found = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)))
    events = found[:size]
    return Page(
        events,
        newer=events[0].id if before is not None and events else None,
        older=events[-1].id if len(found) > size else None,
    )
