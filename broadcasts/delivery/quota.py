"""Meta's messaging tier: unique business-initiated recipients per rolling 24 hours.

A template sent outside the member's 24-hour window opens a business-initiated conversation;
free-form replies inside the window do not count against the tier.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcasts.db.models import DeliveryState, OutboundMessage

WINDOW = timedelta(hours=24)
_STARTED = (
    DeliveryState.SENDING.value,
    DeliveryState.UNKNOWN.value,
    DeliveryState.SENT.value,
    DeliveryState.DELIVERED.value,
    DeliveryState.READ.value,
)


def used_today(session: Session, now: datetime) -> int:
    """Distinct members sent a template in the last 24 hours (attempts in flight count)."""
    return (
        session.scalar(
            select(func.count(func.distinct(OutboundMessage.member_id))).where(
                OutboundMessage.mode == "template",
                OutboundMessage.state.in_(_STARTED),
                OutboundMessage.attempted_at >= now - WINDOW,
            )
        )
        or 0
    )


def remaining_today(session: Session, limit: int, now: datetime) -> int:
    return max(0, limit - used_today(session, now))
