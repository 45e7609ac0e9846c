"""Each (entry, group)'s next due time, worked out ahead so the worker's scan is one index read.

Whatever changes when an entry falls recomputes the targets it touches, in the same transaction
as the change: adding an entry, pausing or resuming a campaign, a blackout, quiet hours, and
(detected by the scan) a newly loaded election calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from broadcasts.db.models import (
    CalendarEntry,
    CalendarTarget,
    Campaign,
    CampaignState,
    Content,
)
from broadcasts.editorial_calendar.context import CalendarContext
from broadcasts.editorial_calendar.timeline import EntryView, Slot, next_slot


def is_live(entry: CalendarEntry) -> bool:
    """Not cancelled, and not in a paused or cancelled campaign."""
    if entry.cancelled_at is not None:
        return False
    return entry.campaign is None or entry.campaign.state == CampaignState.ACTIVE.value


def content_tags(session: Session, content_ids: Iterable[int | None]) -> dict[int, list[str]]:
    """The tags of these library items (one query), which their entries' sends carry too."""
    wanted = {content_id for content_id in content_ids if content_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Content.id, Content.tags).where(Content.id.in_(wanted)))
    return {content_id: list(tags or []) for content_id, tags in rows}


def views_for(session: Session, entries: Iterable[CalendarEntry]) -> dict[int, EntryView]:
    """EntryViews for `entries`, with their library content's tags."""
    entries = list(entries)
    tags = content_tags(session, (entry.content_id for entry in entries))
    return {
        entry.id: EntryView.of(
            entry,
            [*entry.tags, *(tags.get(entry.content_id, []) if entry.content_id else [])],
            campaign=entry.campaign.name if entry.campaign is not None else None,
            paused=entry.campaign is not None
            and entry.campaign.state == CampaignState.PAUSED.value,
        )
        for entry in entries
    }


def next_for(context: CalendarContext, view: EntryView, target: CalendarTarget) -> Slot | None:
    return next_slot(
        context,
        view,
        target.group_id,
        cursor_key=target.cursor_key,
        not_before=target.not_before,
    )


def recompute(
    session: Session,
    targets: Sequence[CalendarTarget],
    now: datetime,
    context: CalendarContext | None = None,
) -> int:
    """Sets each target's next due time from the world as it is now; returns how many."""
    if not targets:
        return 0
    context = context or CalendarContext.load(session)
    views = views_for(session, {t.entry.id: t.entry for t in targets}.values())
    for target in targets:
        slot = next_for(context, views[target.entry_id], target) if is_live(target.entry) else None
        target.next_due_at = slot.due if slot is not None else None
        target.next_key = slot.key if slot is not None else None
        target.computed_at = now
    session.flush()
    return len(targets)


def recompute_where(
    session: Session, now: datetime, *conditions: Any, context: CalendarContext | None = None
) -> int:
    """Recomputes every target matching `conditions` (on CalendarTarget / CalendarEntry)."""
    query = (
        select(CalendarTarget)
        .join(CalendarEntry, CalendarEntry.id == CalendarTarget.entry_id)
        .outerjoin(Campaign, Campaign.id == CalendarEntry.campaign_id)
        .where(CalendarEntry.cancelled_at.is_(None), *conditions)
        .options(joinedload(CalendarTarget.entry).joinedload(CalendarEntry.campaign))
        .order_by(CalendarTarget.id)
    )
    return recompute(session, list(session.scalars(query).unique()), now, context)


def attach(
    session: Session,
    entry: CalendarEntry,
    group_ids: Iterable[int],
    now: datetime,
    context: CalendarContext | None = None,
) -> list[CalendarTarget]:
    """Targets for the groups the entry does not have yet; occurrences before `now` never send."""
    have = {target.group_id for target in entry.targets}
    added = [
        CalendarTarget(entry=entry, group_id=gid, not_before=now, computed_at=now)
        for gid in dict.fromkeys(group_ids)
        if gid not in have
    ]
    session.add_all(added)
    session.flush()
    recompute(session, added, now, context)
    return added
