"""Election calendars in the database (placeholder until the calendar loader lands)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def load_bundled(session: Session, now: datetime) -> list[str]:
    return []
