"""A group's quiet hours: when nothing from the calendar lands (default 21:00–06:00 local).

A group without its own setting follows the nearest group above it that has one, else the
default. Changing them moves every coming send of the group and the groups below it at once.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import CalendarTarget, Group, GroupQuietHours
from broadcasts.editorial import audit
from broadcasts.editorial_calendar import targets
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.guards import QuietHours
from broadcasts.errors import CalendarError, MembershipError
from broadcasts.people.group_tree import subtree
from broadcasts.people.membership import group_by_code


def set_quiet_hours(
    session: Session,
    group_code: str,
    starts: time | None,
    ends: time | None,
    *,
    actor: str,
    now: datetime,
) -> tuple[Group, QuietHours | None]:
    """`starts`/`ends` both None: no quiet hours for the group. Returns what now applies."""
    if (starts is None) != (ends is None):
        raise CalendarError("quiet_hours_pair")
    if starts is not None and starts == ends:
        raise CalendarError("quiet_hours_empty")
    group = _group(session, group_code)
    row = session.get(GroupQuietHours, group.id)
    if row is None:
        row = GroupQuietHours(group_id=group.id)
        session.add(row)
    row.starts, row.ends, row.updated_by, row.updated_at = starts, ends, actor[:100], now
    _moved(session, group, now)
    audit.record(
        session,
        actor,
        "quiet_hours_set",
        "group",
        group.id,
        now,
        starts=f"{starts:%H:%M}" if starts else None,
        ends=f"{ends:%H:%M}" if ends else None,
    )
    return group, CalendarContext.load(session).quiet_hours(group.id)


def reset_quiet_hours(
    session: Session, group_code: str, *, actor: str, now: datetime
) -> tuple[Group, QuietHours | None]:
    """Back to what the group above it (or the default) has."""
    group = _group(session, group_code)
    row = session.get(GroupQuietHours, group.id)
    if row is not None:
        session.delete(row)
        session.flush()
    _moved(session, group, now)
    audit.record(session, actor, "quiet_hours_reset", "group", group.id, now)
    return group, CalendarContext.load(session).quiet_hours(group.id)


def _group(session: Session, code: str) -> Group:
    try:
        return group_by_code(session, code)
    except MembershipError as error:
        raise CalendarError("unknown_group", code=code.strip().upper()) from error


def _moved(session: Session, group: Group, now: datetime) -> None:
    session.flush()
    below = select(subtree([group.id]).c.id)
    targets.recompute_where(session, now, CalendarTarget.group_id.in_(below))


def quiet_hours_of(session: Session, group_code: str) -> tuple[Group, QuietHours | None]:
    group = _group(session, group_code)
    return group, CalendarContext.load(session).quiet_hours(group.id)
