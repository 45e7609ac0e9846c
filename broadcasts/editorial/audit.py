"""The audit log: who did what to which thing, and when. Written in the same transaction as the
change it describes, so an event exists exactly when its change does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import AuditEvent


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
