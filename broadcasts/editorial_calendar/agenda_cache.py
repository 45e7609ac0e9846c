"""The calendar entries' sends, computed once and reused while nothing they depend on changes.

Ten thousand entries make forty thousand sends a month, a second of work that the dashboard's
calendar and overview would otherwise repeat on every page view. A computed window is reused
when, since it was computed:
- this process wrote nothing to the tables the sends come from (a statement listener counts
  such writes: the dashboard's own changes show at once);
- the database's stamp of those tables is the same (counts and latest times, one statement:
  changes by the worker or the CLI show at the next view);
- and it is younger than `FRESH` (anything the stamp cannot see shows within it).
Windows start on a quarter hour, so views a few minutes apart share one; each view keeps only
the sends from its own `now` to its own end.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Blackout,
    Broadcast,
    CalendarEntry,
    CalendarOccurrence,
    CalendarTarget,
    Campaign,
    Content,
    Election,
    Group,
    GroupQuietHours,
)
from broadcasts.editorial_calendar import agenda
from broadcasts.editorial_calendar.agenda import AgendaItem
from broadcasts.editorial_calendar.context import CalendarContext

FRESH = 30.0  # seconds
KEPT = 32  # windows
STEP = timedelta(minutes=15)
_TABLES = (
    "calendar_",
    "campaigns",
    "contents",
    "elections",
    "groups",
    "group_quiet_hours",
    "broadcasts",
)

_lock = threading.Lock()
_windows: OrderedDict[tuple[Any, ...], tuple[float, list[AgendaItem]]] = OrderedDict()
_writes = 0  # statements this process ran that change what sends come from


@event.listens_for(Engine, "after_cursor_execute")
def _count_writes(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    global _writes
    head = statement.lstrip()[:6].upper()
    if head in ("INSERT", "UPDATE", "DELETE", "TRUNCA") and any(t in statement for t in _TABLES):
        _writes += 1


def _stamp(session: Session) -> tuple[Any, ...]:
    """What the sends depend on, summed up in one statement."""
    figures = (
        func.count(CalendarTarget.id),
        func.max(CalendarTarget.computed_at),
        func.count(CalendarEntry.id),
        func.max(CalendarEntry.updated_at),
        func.max(CalendarEntry.approved_at),
        func.max(CalendarEntry.cancelled_at),
        func.max(CalendarOccurrence.id),
        func.max(Campaign.updated_at),
        func.count(Campaign.id),
        func.count(Blackout.id),
        func.max(Blackout.id),
        func.max(GroupQuietHours.updated_at),
        func.count(GroupQuietHours.group_id),
        func.max(Election.loaded_at),
        func.count(Group.id),
        func.max(Content.id),
        func.max(Broadcast.id),
    )
    row = session.execute(select(*(select(f).scalar_subquery() for f in figures))).one()
    return tuple(row)


def _quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def entry_sends(
    session: Session,
    context: CalendarContext,
    now: datetime,
    end: datetime,
    group_ids: Collection[int] | None,
    campaign_id: int | None,
) -> list[AgendaItem]:
    """As `agenda.entry_sends`, from a window computed before when it is still good."""
    start = _quarter(now)
    until = _quarter(end) + (STEP if _quarter(end) < end else timedelta(0))
    groups = tuple(sorted(group_ids)) if group_ids is not None else None
    key = (_writes, _stamp(session), start, until, groups, campaign_id)
    with _lock:
        kept = _windows.get(key)
        if kept is not None and time.monotonic() - kept[0] < FRESH:
            _windows.move_to_end(key)
            items = kept[1]
        else:
            items = None
    if items is None:
        items = agenda.entry_sends(session, context, start, until, group_ids, campaign_id)
        with _lock:
            _windows[key] = (time.monotonic(), items)
            while len(_windows) > KEPT:
                _windows.popitem(last=False)
    return [item for item in items if item.when is None or now <= item.when < end]


def forget() -> None:
    """Drops every window kept (tests that count a cold page's statements)."""
    with _lock:
        _windows.clear()
