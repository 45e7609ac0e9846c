"""Setting or moving the send time of a broadcast that has not gone out yet.

The time is read on the wall clock of the broadcast's group (09:00 in Pontianak is WIB, in
Balikpapan WITA) and stored in UTC. Approval is still required either way: an approved broadcast
waits for its time (`planning.plan_due`); one approved after its time goes out at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcasts import phrasebook
from broadcasts.db.models import Broadcast, BroadcastState, Member
from broadcasts.delivery import notices
from broadcasts.editorial import audit, send_time
from broadcasts.editorial import workflow as editorial
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.guards import QuietHours
from broadcasts.editorial_calendar.rules import parse_date, parse_time
from broadcasts.errors import CalendarError, EditorialError

# Broadcasts whose time can still change: not yet planned, cancelled or rejected.
_MOVABLE = (BroadcastState.PENDING.value, BroadcastState.APPROVED.value)


class ScheduleError(CalendarError):
    """A send time that cannot be set; `key` names why (words in `calendar_error.txt`)."""


@dataclass(frozen=True)
class Scheduled:
    broadcast: Broadcast
    local: datetime  # the new time on the group's wall clock
    previous: datetime | None  # the old one, if it had one
    # The group's quiet hours when the new time falls in them (a warning: it still goes then).
    quiet_hours: QuietHours | None = None

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
    broadcast = _movable(session, broadcast_id, member)
    local = datetime.combine(day, moment, tzinfo=ZoneInfo(broadcast.group.timezone))
    return _set(session, broadcast, local, actor=actor, member=member, now=now)


def schedule_written(
    session: Session,
    broadcast_id: int,
    written: str,
    *,
    actor: str,
    member: Member | None,
    now: datetime,
) -> Scheduled:
    """Sets the send time as a coordinator writes it ("besok 08.00", "3/12 08.00", "Senin
    09.00": `send_time.read`), on the group's wall clock. Tells when it falls in the group's
    quiet hours, which do not move it."""
    broadcast = _movable(session, broadcast_id, member)
    zone = ZoneInfo(broadcast.group.timezone)
    try:
        local = send_time.read(written, now.astimezone(zone))
    except CalendarError as error:
        raise ScheduleError(error.key, **error.data) from error
    done = _set(session, broadcast, local, actor=actor, member=member, now=now)
    quiet = CalendarContext.load(session).quiet_hours(broadcast.group_id)
    return replace(done, quiet_hours=quiet) if quiet and quiet.contains(local.time()) else done


def _movable(session: Session, broadcast_id: int, member: Member | None) -> Broadcast:
    """The broadcast, locked, if its time may still change and `member` may change it."""
    try:
        broadcast = editorial.get_broadcast(session, broadcast_id, lock=True)
    except EditorialError as error:
        raise ScheduleError("unknown_broadcast", id=broadcast_id) from error
    group = broadcast.group
    if member is not None and not editorial.may_coordinate(session, member, group):
        raise ScheduleError("not_your_group", id=broadcast.id, code=group.code)
    _check_movable(broadcast)
    return broadcast


def _set(
    session: Session,
    broadcast: Broadcast,
    local: datetime,
    *,
    actor: str,
    member: Member | None,
    now: datetime,
) -> Scheduled:
    zone = ZoneInfo(broadcast.group.timezone)
    current = now.astimezone(zone)
    if local <= current:
        raise ScheduleError(
            "past_time",
            when=f"{local:%Y-%m-%d %H:%M}",
            now=f"{current:%Y-%m-%d %H:%M}",
            zone=phrasebook.zone_name(local),
            code=broadcast.group.code,
            at=local,
            current=current,
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
    before = previous.astimezone(zone) if previous else None
    _tell_approver(session, broadcast, local, before, actor=actor, member=member, now=now)
    return Scheduled(broadcast, local, before)


def _tell_approver(
    session: Session,
    broadcast: Broadcast,
    local: datetime,
    before: datetime | None,
    *,
    actor: str,
    member: Member | None,
    now: datetime,
) -> None:
    """An approved broadcast moved by someone else: the editor who approved it is told, since
    its text was approved for the old time ("besok", "hari ini" may no longer be true)."""
    if broadcast.state != BroadcastState.APPROVED.value or broadcast.approved_by_id is None:
        return
    approver = session.get(Member, broadcast.approved_by_id)
    if approver is None or (member is not None and member.id == approver.id):
        return
    notices.notify(
        session,
        approver,
        "notice_moved",
        {
            "id": broadcast.id,
            "code": broadcast.group.code,
            "by": editorial.display_name(member, actor),
            "at": local,
            "before": before,
        },
        dedupe_key=f"broadcast:{broadcast.id}:moved:{local.isoformat()}",
        now=now,
    )


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
