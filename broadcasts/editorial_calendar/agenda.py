"""The coming sends, as people read them: `calendar list`, `campaign next`, the iCalendar feed.

Computed from the entries themselves (with the same placing the worker uses), plus broadcasts
someone scheduled by hand, so the agenda always shows what will happen, with the reason when a
send was moved (quiet hours), held (a blackout) or is waiting (a stage without a date).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from broadcasts.editorial_calendar import stages
from broadcasts.editorial_calendar.context import CalendarContext, GroupInfo
from broadcasts.editorial_calendar.guards import Reason
from broadcasts.editorial_calendar.targets import views_for
from broadcasts.editorial_calendar.timeline import EntryView, slots_between, waiting_reason
from broadcasts.models import (
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarTarget,
    Campaign,
    CampaignState,
)
from broadcasts.phrasebook import render

SCHEDULED = "scheduled"
MOVED = "moved"  # by quiet hours or a blackout, to a later time
SKIPPED = "skipped"  # a recurring occurrence held by a blackout
WAITING = "waiting"  # an anchored entry whose stage has no official date yet
PAUSED = "paused"  # its campaign is paused
PENDING = "pending approval"  # a broadcast scheduled by hand, not yet approved
APPROVED = "approved"  # a broadcast scheduled by hand and approved


@dataclass(frozen=True)
class AgendaItem:
    group: GroupInfo
    title: str
    status: str
    when: datetime | None = None  # UTC; None while waiting
    nominal: datetime | None = None  # UTC: when the rule says, before any guard
    entry_id: int | None = None
    campaign: str | None = None
    key: str | None = None
    broadcast_id: int | None = None
    reasons: tuple[Reason, ...] = ()
    waiting: str | None = None  # why it has no time (see timeline.WAITING_*)
    anchor: tuple[str, str] | None = None  # (election, stage) of an anchored entry
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def local(self) -> datetime | None:
        return self.when.astimezone(self.group.zone) if self.when is not None else None

    @property
    def uid(self) -> str:
        if self.broadcast_id is not None:
            return f"broadcast-{self.broadcast_id}"
        return f"entry-{self.entry_id}-{self.group.id}-{self.key or 'waiting'}"


def coming(
    session: Session,
    now: datetime,
    *,
    days: int = 30,
    group_ids: Collection[int] | None = None,
    campaign_id: int | None = None,
    context: CalendarContext | None = None,
) -> list[AgendaItem]:
    """Every send landing in the next `days`, in order, then the entries still waiting."""
    context = context or CalendarContext.load(session)
    end = now + timedelta(days=days)
    found = list(_from_entries(session, context, now, end, group_ids, campaign_id))
    if campaign_id is None:
        found += _from_broadcasts(session, context, now, end, group_ids)
    timed = sorted(
        (item for item in found if item.when is not None),
        key=lambda item: (item.when, item.group.code, item.title),
    )
    waiting = sorted(
        (item for item in found if item.when is None),
        key=lambda item: (item.group.code, item.entry_id or 0),
    )
    return timed + waiting


def _live_targets(
    session: Session, group_ids: Collection[int] | None, campaign_id: int | None
) -> list[CalendarTarget]:
    query = (
        select(CalendarTarget)
        .join(CalendarEntry, CalendarEntry.id == CalendarTarget.entry_id)
        .outerjoin(Campaign, Campaign.id == CalendarEntry.campaign_id)
        .where(
            CalendarEntry.cancelled_at.is_(None),
            (Campaign.id.is_(None)) | (Campaign.state != CampaignState.CANCELLED.value),
        )
        .options(joinedload(CalendarTarget.entry).joinedload(CalendarEntry.campaign))
    )
    if group_ids is not None:
        query = query.where(CalendarTarget.group_id.in_(list(group_ids)))
    if campaign_id is not None:
        query = query.where(CalendarEntry.campaign_id == campaign_id)
    return list(session.scalars(query).unique())


def _from_entries(
    session: Session,
    context: CalendarContext,
    now: datetime,
    end: datetime,
    group_ids: Collection[int] | None,
    campaign_id: int | None,
) -> list[AgendaItem]:
    found_targets = _live_targets(session, group_ids, campaign_id)
    views = views_for(session, {t.entry_id: t.entry for t in found_targets}.values())
    items: list[AgendaItem] = []
    for target in found_targets:
        view = views[target.entry_id]
        group = context.group(target.group_id)
        waits = waiting_reason(context, view)
        if waits is not None:
            if target.cursor_key is None:
                items.append(_waiting_item(view, group, waits))
            continue
        # A paused campaign shows what it would send if resumed now.
        not_before = max(target.not_before, now) if view.paused else target.not_before
        for slot in slots_between(
            context,
            view,
            target.group_id,
            now,
            end,
            cursor_key=target.cursor_key,
            not_before=not_before,
        ):
            items.append(
                AgendaItem(
                    group=group,
                    title=view.title,
                    status=_status(view, slot.placement.skipped, bool(slot.placement.reasons)),
                    when=slot.due,
                    nominal=slot.placement.nominal,
                    entry_id=view.id,
                    campaign=view.campaign,
                    key=slot.key,
                    reasons=slot.placement.reasons,
                    anchor=_anchor(view),
                    tags=view.tags,
                )
            )
    return items


def _status(view: EntryView, skipped: bool, moved: bool) -> str:
    if view.paused:
        return PAUSED
    if skipped:
        return SKIPPED
    return MOVED if moved else SCHEDULED


def _anchor(view: EntryView) -> tuple[str, str] | None:
    rule = view.rule
    election, stage = getattr(rule, "election", None), getattr(rule, "stage", None)
    return (election, stage) if election and stage else None


def _waiting_item(view: EntryView, group: GroupInfo, waits: str) -> AgendaItem:
    return AgendaItem(
        group=group,
        title=view.title,
        status=PAUSED if view.paused else WAITING,
        entry_id=view.id,
        campaign=view.campaign,
        waiting=waits,
        anchor=_anchor(view),
        tags=view.tags,
    )


def _from_broadcasts(
    session: Session,
    context: CalendarContext,
    now: datetime,
    end: datetime,
    group_ids: Collection[int] | None,
) -> list[AgendaItem]:
    """Broadcasts scheduled by hand (JADWALKAN) that have not gone out yet."""
    query = select(Broadcast).where(
        Broadcast.state.in_([BroadcastState.PENDING.value, BroadcastState.APPROVED.value]),
        Broadcast.scheduled_at >= now,
        Broadcast.scheduled_at < end,
    )
    if group_ids is not None:
        query = query.where(Broadcast.group_id.in_(list(group_ids)))
    return [
        AgendaItem(
            group=context.group(broadcast.group_id),
            title=_first_words(broadcast.body),
            status=PENDING if broadcast.state == BroadcastState.PENDING.value else APPROVED,
            when=broadcast.scheduled_at,
            nominal=broadcast.scheduled_at,
            broadcast_id=broadcast.id,
            tags=frozenset(broadcast.tags),
        )
        for broadcast in session.scalars(query)
    ]


def _first_words(body: str, limit: int = 60) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def explain(item: AgendaItem, language: str, context: CalendarContext) -> list[str]:
    """Why the item is where it is (or has no time yet), in words, one line per reason."""
    lines = []
    for reason in item.reasons:
        lines.append(
            render(
                "calendar_reason",
                language,
                kind=reason.kind,
                skipped=item.status == SKIPPED,
                name=reason.name,
                quiet_hours=reason.quiet_hours,
                moved_from=_short(reason.moved_from),
                moved_to=_short(reason.moved_to),
            )
        )
    if item.waiting is not None and item.anchor is not None:
        election, stage = item.anchor
        label = stages.stage_label(context.elections, election, stage, language)
        lines.append(
            render("calendar_reason", language, kind=item.waiting, stage=label, election=election)
        )
    if item.status == PAUSED:
        lines.append(render("calendar_reason", language, kind="paused"))
    return lines


def _short(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"
