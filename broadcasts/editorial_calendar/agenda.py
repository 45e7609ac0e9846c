"""The coming sends, as people read them: `calendar list`, `campaign next`, the iCalendar feed.

Computed from the entries themselves (with the same placing the worker uses), plus broadcasts
someone scheduled by hand, so the agenda always shows what will happen, with the reason when a
send was moved (quiet hours), held (a blackout) or is waiting (a stage without a date).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Text, case, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from broadcasts.db.models import (
    Broadcast,
    BroadcastState,
    CalendarEntry,
    CalendarTarget,
    Campaign,
    CampaignState,
)
from broadcasts.editorial_calendar import approval, stages
from broadcasts.editorial_calendar.context import CalendarContext, GroupInfo
from broadcasts.editorial_calendar.guards import Reason
from broadcasts.editorial_calendar.rules import Rule, key_of
from broadcasts.editorial_calendar.targets import content_tags
from broadcasts.editorial_calendar.timeline import (
    EntryFields,
    EntryView,
    slots_between,
    waiting_reason,
)
from broadcasts.phrasebook import render

SCHEDULED = "scheduled"
MOVED = "moved"  # by quiet hours or a blackout, to a later time
SKIPPED = "skipped"  # a recurring occurrence held by a blackout
WAITING = "waiting"  # an anchored entry whose stage has no official date yet
PAUSED = "paused"  # its campaign is paused
PENDING = "pending approval"  # a broadcast scheduled by hand, not yet approved
APPROVED = "approved"  # a broadcast scheduled by hand and approved


@dataclass(slots=True)
class AgendaItem:
    group: GroupInfo
    title: str
    status: str
    when: datetime | None = None  # UTC; None while waiting
    nominal: datetime | None = None  # UTC: when the rule says, before any guard
    entry_id: int | None = None
    campaign: str | None = None
    rule: Rule | None = None  # the entry's, to name the occurrence
    broadcast_id: int | None = None
    reasons: tuple[Reason, ...] = ()
    waiting: str | None = None  # why it has no time (see timeline.WAITING_*)
    anchor: tuple[str, str] | None = None  # (election, stage) of an anchored entry
    tags: frozenset[str] = field(default_factory=frozenset)
    # An entry's send goes out with no further step only once an editor approved it ahead.
    approved: bool = True

    @property
    def local(self) -> datetime | None:
        return self.when.astimezone(self.group.zone) if self.when is not None else None

    @property
    def key(self) -> str | None:
        """The occurrence's key, as the worker records it (None: a broadcast, or waiting)."""
        if self.rule is None or self.nominal is None:
            return None
        return key_of(self.rule, self.nominal.astimezone(self.group.zone).replace(tzinfo=None))

    @property
    def uid(self) -> str:
        if self.broadcast_id is not None:
            return f"broadcast-{self.broadcast_id}"
        return f"entry-{self.entry_id}-{self.group.id}-{self.key or 'waiting'}"


def entry_sends(
    session: Session,
    context: CalendarContext,
    now: datetime,
    end: datetime,
    group_ids: Collection[int] | None,
    campaign_id: int | None,
) -> list[AgendaItem]:
    """The sends of calendar entries from `now` to `end`, each marked approved ahead or not,
    and the entries still waiting for a date."""
    found = _from_entries(session, context, now, end, group_ids, campaign_id)
    _mark_unapproved(session, found)
    return found


EntrySends = Callable[
    [Session, CalendarContext, datetime, datetime, Collection[int] | None, int | None],
    list[AgendaItem],
]


def coming(
    session: Session,
    now: datetime,
    *,
    days: int = 30,
    group_ids: Collection[int] | None = None,
    campaign_id: int | None = None,
    context: CalendarContext | None = None,
    entries: EntrySends = entry_sends,
) -> list[AgendaItem]:
    """Every send landing in the next `days`, in order, then the entries still waiting.
    `entries` computes the calendar entries' part (`agenda_cache.entry_sends` reuses it)."""
    with _collection_paused():
        context = context or CalendarContext.load(session)
        end = now + timedelta(days=days)
        found = list(entries(session, context, now, end, group_ids, campaign_id))
        if campaign_id is None:
            found += _from_broadcasts(session, context, now, end, group_ids)
        # By time; the same time keeps the order found (by group, then entry).
        timed = sorted((item for item in found if item.when is not None), key=_WHEN)
        waiting = sorted((item for item in found if item.when is None), key=_by_group)
    return timed + waiting


# The entry's columns, read as plain rows: ORM objects for ten thousand entries cost more than
# computing a month of their occurrences.
_ENTRY_COLUMNS = (
    CalendarEntry.id,
    CalendarEntry.title,
    sql_cast(CalendarEntry.tags, Text).label("tags_text"),
    CalendarEntry.rule,
    CalendarEntry.local_time,
    CalendarEntry.starts_on,
    CalendarEntry.rrule,
    CalendarEntry.anchor_election,
    CalendarEntry.anchor_stage,
    CalendarEntry.anchor_day,
    CalendarEntry.offset_days,
    CalendarEntry.during_quiet_hours,
    CalendarEntry.campaign_id,
    CalendarEntry.content_id,
)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """A month of ten thousand entries is tens of thousands of short-lived objects, none in a
    cycle: the cycle collector passing over the whole heap meanwhile only costs time (a third
    of it, measured)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_WHEN = attrgetter("when")


def _by_group(item: AgendaItem) -> tuple[str, int]:
    return item.group.code, item.entry_id or 0


def _live_targets(
    session: Session,
    now: datetime,
    group_ids: Collection[int] | None,
    campaign_id: int | None,
) -> tuple[Sequence[Any], dict[int, EntryView]]:
    """The targets of live entries (paused campaigns included), and a view of each entry."""
    live = (
        select(CalendarEntry.id)
        .outerjoin(Campaign, Campaign.id == CalendarEntry.campaign_id)
        .where(
            CalendarEntry.cancelled_at.is_(None),
            (Campaign.id.is_(None)) | (Campaign.state != CampaignState.CANCELLED.value),
        )
    )
    if campaign_id is not None:
        live = live.where(CalendarEntry.campaign_id == campaign_id)
    wanted = select(
        CalendarTarget.entry_id,
        CalendarTarget.group_id,
        CalendarTarget.cursor_key,
        # Only a not_before still ahead matters; reading the rest would only cost time.
        case((CalendarTarget.not_before > now, CalendarTarget.not_before)).label("not_before"),
    ).where(CalendarTarget.entry_id.in_(live))
    wanted = wanted.order_by(CalendarTarget.group_id, CalendarTarget.entry_id)
    if group_ids is not None:
        wanted = wanted.where(CalendarTarget.group_id.in_(list(group_ids)))
    # Through the connection: plain rows, without the ORM's result machinery.
    connection = session.connection()
    rows = connection.execute(wanted).all()
    entries = connection.execute(
        select(
            *_ENTRY_COLUMNS,
            Campaign.name.label("campaign_name"),
            Campaign.state.label("campaign_state"),
        )
        .outerjoin(Campaign, Campaign.id == CalendarEntry.campaign_id)
        .where(CalendarEntry.id.in_(wanted.with_only_columns(CalendarTarget.entry_id)))
    ).all()
    library_tags = content_tags(session, (entry.content_id for entry in entries))
    decoded: dict[str, list[str]] = {}  # most entries share a few tag lists: decode each once
    views = {
        entry.id: EntryView.of(
            cast(EntryFields, entry),
            [
                *_decoded(entry.tags_text, decoded),
                *library_tags.get(entry.content_id, ()),
            ],
            campaign=entry.campaign_name,
            paused=entry.campaign_state == CampaignState.PAUSED.value,
        )
        for entry in entries
    }
    return rows, views


def _decoded(text: str | None, seen: dict[str, list[str]]) -> list[str]:
    if not text:
        return []
    if text not in seen:
        seen[text] = [str(tag) for tag in json.loads(text)]
    return seen[text]


def _from_entries(
    session: Session,
    context: CalendarContext,
    now: datetime,
    end: datetime,
    group_ids: Collection[int] | None,
    campaign_id: int | None,
) -> list[AgendaItem]:
    found_targets, views = _live_targets(session, now, group_ids, campaign_id)
    items: list[AgendaItem] = []
    for target in found_targets:
        view = views[target.entry_id]
        group = context.group(target.group_id)
        waits = waiting_reason(context, view)
        if waits is not None:
            if target.cursor_key is None:
                items.append(_waiting_item(view, group, waits))
            continue
        # (A paused campaign shows what it would send if resumed now: from now on, too.)
        anchor = _anchor(view)
        for slot in slots_between(
            context,
            view,
            target.group_id,
            now,
            end,
            cursor_key=target.cursor_key,
            not_before=target.not_before,
        ):
            placement = slot.placement
            items.append(
                AgendaItem(
                    group=group,
                    title=view.title,
                    status=_status(view, placement.skipped, bool(placement.reasons)),
                    when=placement.due,
                    nominal=placement.nominal,
                    entry_id=view.id,
                    campaign=view.campaign,
                    rule=view.rule,
                    reasons=placement.reasons,
                    anchor=anchor,
                    tags=view.tags,
                )
            )
    return items


def _mark_unapproved(session: Session, items: list[AgendaItem]) -> None:
    """An entry no editor has approved ahead of time waits for one at its time: its sends say
    so wherever they are listed."""
    ids = {item.entry_id for item in items if item.entry_id is not None}
    approved = approval.approved_entries(session, ids)
    for item in items:
        item.approved = item.entry_id in approved


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
