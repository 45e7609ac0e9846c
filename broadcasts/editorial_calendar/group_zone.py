"""Moving a group to another time zone: its calendar sends move with it.

Calendar entries are written in local time ("every Monday 09:00"), so each of the group's coming
sends is recomputed in the new zone at once. Date answers follow on the next message. A broadcast
already scheduled keeps its instant (JADWALKAN stored it in UTC).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from broadcasts.db.models import CalendarTarget, Group
from broadcasts.editorial import audit
from broadcasts.editorial_calendar import targets
from broadcasts.people.membership import check_timezone, group_by_code


def set_timezone(
    session: Session, group_code: str, zone: str, *, actor: str, now: datetime
) -> tuple[Group, int]:
    """The group, now in `zone` (an IANA name), and how many of its calendar targets were
    recomputed. Raises `MembershipError` for an unknown group or zone, changing nothing."""
    group = group_by_code(session, group_code)
    zone = check_timezone(zone.strip())
    if group.timezone == zone:
        return group, 0
    before, group.timezone = group.timezone, zone
    session.flush()
    moved = targets.recompute_where(session, now, CalendarTarget.group_id == group.id)
    audit.record(session, actor, "timezone_set", "group", group.id, now, before=before, after=zone)
    return group, moved
