"""Setting or moving the send time of a broadcast that has not gone out yet.

The time is read on the wall clock of the broadcast's group (09:00 in Pontianak is WIB, in
Balikpapan WITA) and stored in UTC. Approval is still required either way: an approved broadcast
waits for its time (`planning.plan_due`); one approved after its time goes out at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcasts import audit, editorial
from broadcasts.editorial import EditorialError
from broadcasts.editorial_calendar.errors import CalendarError
from broadcasts.editorial_calendar.rules import parse_date, parse_time
from broadcasts.models import Broadcast, BroadcastState, Member

# Broadcasts whose time can still change: not yet planned, cancelled or rejected.
_MOVABLE = (BroadcastState.PENDING.value, BroadcastState.APPROVED.value)


class ScheduleError(CalendarError):
    """A send time that cannot be set; `key` names why (words in `calendar_error.txt`)."""


@dataclass(frozen=True)
class Scheduled:
    broadcast: Broadcast
    local: datetime  # the new time on the group's wall clock
    previous: datetime | None  # the old one, if it had one

    @property
    def pending(self) -> bool:
        return self.broadcast.state == BroadcastState.PENDING.value


def schedule(
    session: Session,
    broadcast_id: int,
    local_date: str | date,
    local_time: str | time,
    *,
    actor: str,
    member: Member | None,
    now: datetime,
) -> Scheduled:
    """Sets the broadcast's send time; `member` None is an admin acting (the CLI)."""
    day, moment = _parse(local_date, local_time)
    try:
        broadcast = editorial.get_broadcast(session, broadcast_id, lock=True)
    except EditorialError as error:
        raise ScheduleError("unknown_broadcast", id=broadcast_id) from error
    group = broadcast.group
    if member is not None and not editorial.may_coordinate(session, member, group):
        raise ScheduleError("not_your_group", id=broadcast.id, code=group.code)
    _check_movable(broadcast)
    zone = ZoneInfo(group.timezone)
    local = datetime.combine(day, moment, tzinfo=zone)
    if local <= now.astimezone(zone):
        raise ScheduleError(
            "past_time",
            when=f"{local:%Y-%m-%d %H:%M}",
            now=f"{now.astimezone(zone):%Y-%m-%d %H:%M}",
            zone=zone_name(local),
            code=group.code,
        )
    previous = broadcast.scheduled_at
    broadcast.scheduled_at = local
    audit.record(
        session,
        actor,
        "scheduled",
        "broadcast",
        broadcast.id,
        now,
        at=local.isoformat(),
        previous=previous.isoformat() if previous else None,
    )
    session.flush()
    return Scheduled(broadcast, local, previous.astimezone(zone) if previous else None)


def _parse(local_date: str | date, local_time: str | time) -> tuple[date, time]:
    try:
        day = parse_date(local_date) if isinstance(local_date, str) else local_date
        moment = parse_time(local_time) if isinstance(local_time, str) else local_time
    except CalendarError as error:
        raise ScheduleError(error.key, **error.data) from error
    return day, moment


def _check_movable(broadcast: Broadcast) -> None:
    if broadcast.state in _MOVABLE and broadcast.planned_at is None:
        return
    if broadcast.state == BroadcastState.CANCELLED.value:
        raise ScheduleError("already_cancelled", id=broadcast.id)
    if broadcast.state == BroadcastState.REJECTED.value:
        raise ScheduleError("already_rejected", id=broadcast.id)
    raise ScheduleError("already_sent", id=broadcast.id)


def zone_name(moment: datetime) -> str:
    """WIB, WITA, WIT (what Indonesians call their zones), or the zone's own abbreviation."""
    return moment.tzname() or "UTC"
