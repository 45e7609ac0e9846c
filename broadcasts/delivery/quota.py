"""Meta's messaging tier: unique business-initiated recipients per rolling 24 hours.

A template sent outside the member's 24-hour window opens a business-initiated conversation;
free-form replies inside the window do not count against the tier.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from broadcasts.db.database import Database
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


# PostgreSQL advisory lock that serialises the daily-tier check between workers.
QUOTA_LOCK = 4_862_021


class DailyTier:
    """Today's room in Meta's tier, counted once per claim (under a lock on PostgreSQL)."""

    def __init__(self, session: Session, limit: int, now: datetime, database: Database) -> None:
        self._session = session
        self._limit = limit
        self._now = now
        self._database = database
        self._left: int | None = None
        self.held = 0

    def take(self) -> bool:
        if self._left is None:
            if self._database.is_postgresql:
                # Two workers must not both spend the last places: one checks at a time.
                self._session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUOTA_LOCK}
                )
            self._left = remaining_today(self._session, self._limit, self._now)
        if self._left <= 0:
            self.held += 1
            return False
        self._left -= 1
        return True

    def frees_at(self) -> datetime:
        """When the oldest template send of the last 24 hours leaves the window."""
        oldest = self._session.scalar(
            select(func.min(OutboundMessage.attempted_at)).where(
                OutboundMessage.mode == "template",
                OutboundMessage.attempted_at >= self._now - WINDOW,
            )
        )
        if oldest is None:
            return self._now + timedelta(minutes=15)
        return max(oldest + WINDOW, self._now + timedelta(minutes=1))
