"""The login throttle: after 5 failed logins for one username, or 20 from one address, within
15 minutes, every further attempt (even with the right password) is refused for 15 minutes.

Failures are rows (`login_failures`), so every web process sees the same count and a restart
forgives nothing. Attempts refused while locked are not counted: the lock lasts 15 minutes from
the failure that set it, and a locked-out user knows when to come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from broadcasts.db.models import LoginFailure

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
PER_USERNAME = 5
PER_ADDRESS = 20


def locked_until(failures: Sequence[datetime], limit: int, now: datetime) -> datetime | None:
    """When a lock set by these failure times (oldest first) ends, if it has not ended yet.

    A lock starts at a failure that is the `limit`-th within `WINDOW`; a later lock (from more
    failures after it) only ends later."""
    until = None
    for index in range(limit - 1, len(failures)):
        if failures[index] - failures[index - limit + 1] < WINDOW:
            until = failures[index] + LOCK
    return until if until is not None and until > now else None


def _recent(session: Session, who: ColumnElement[bool], now: datetime) -> list[datetime]:
    since = now - WINDOW - LOCK  # older failures can neither set nor extend a lock now
    rows = session.scalars(
        select(LoginFailure.failed_at)
        .where(who, LoginFailure.failed_at > since)
        .order_by(LoginFailure.failed_at)
    )
    return list(rows)


def is_locked(session: Session, username: str, address: str, now: datetime) -> bool:
    by_name = _recent(session, LoginFailure.username == username, now)
    by_address = _recent(session, LoginFailure.address == address, now)
    return (
        locked_until(by_name, PER_USERNAME, now) is not None
        or locked_until(by_address, PER_ADDRESS, now) is not None
    )


def record_failure(session: Session, username: str, address: str, now: datetime) -> None:
    session.add(LoginFailure(username=username[:64], address=address[:64], failed_at=now))


def forget(session: Session, username: str, now: datetime) -> None:
    """After a good login the name's failures no longer count; old rows of anyone go too."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - WINDOW - LOCK))
